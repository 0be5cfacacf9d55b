"""Keyboards of a lead's contacts, the duplicate questions (/new, a contact added to a lead), the merge's
choice of the other lead, and /find's pages."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup

from bot import render
from bot.callbacks import FindCb, LeadAction, NewLeadCb, pack_lead
from bot.i18n import _
from bot.keyboards import OPEN_NEW, Keyboard
from core.domain.models import Lead

BUTTON_VALUE_MAX = 30


def contacts(lead: Lead) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for contact in lead.contacts:
        shown = contact.value if len(contact.value) <= BUTTON_VALUE_MAX else contact.value[: BUTTON_VALUE_MAX - 1] + "…"
        kb.button(
            text="✖ " + shown, callback_data=pack_lead(LeadAction.CONTACT_DEL, lead.id, lead.version, str(contact.id))
        )
    kb.button(text=_("➕ Add a contact"), callback_data=pack_lead(LeadAction.CONTACT_ADD, lead.id, lead.version))
    kb.button(text=_("⬅️ Back to the card"), callback_data=pack_lead(LeadAction.OPEN, lead.id, lead.version))
    kb.adjust(1)
    return kb.as_markup()


def duplicate(visible: bool) -> InlineKeyboardMarkup:
    """ "Open it" (only for a lead the user may see) / "Create anyway"; the lead's id stays in the FSM data."""
    kb = Keyboard()
    if visible:
        kb.button(text=_("📂 Open it"), callback_data=NewLeadCb(step="dup", val="open"))
    kb.button(text=_("➕ Create anyway"), callback_data=NewLeadCb(step="dup", val="new"))
    kb.adjust(1)
    return kb.as_markup()


def added_duplicate(lead: Lead, other_id: int, *, visible: bool, may_merge: bool) -> InlineKeyboardMarkup:
    """A contact being added to ``lead`` is lead ``other_id``'s: "Add anyway" (the contact waits in the FSM data),
    "Open it" (only a lead the user may see), "Merge" it into this one (team leads and admins)."""
    kb = Keyboard()
    kb.button(text=_("➕ Add anyway"), callback_data=pack_lead(LeadAction.CONTACT_ANYWAY, lead.id, lead.version))
    if visible:
        kb.button(text=_("📂 Open it"), callback_data=pack_lead(LeadAction.OPEN, other_id, 0, OPEN_NEW))
        if may_merge:
            kb.button(
                text=_("🔗 Merge it into this lead"),
                callback_data=pack_lead(LeadAction.MERGE_PICK, lead.id, lead.version, str(other_id)),
            )
    kb.button(text=_("⬅️ Back to the card"), callback_data=pack_lead(LeadAction.OPEN, lead.id, lead.version))
    kb.adjust(1)
    return kb.as_markup()


def merge_candidates(lead: Lead, candidates: Sequence[Lead]) -> InlineKeyboardMarkup:
    """The leads sharing a contact with ``lead``, one button each (merge that one into this), and Back."""
    kb = Keyboard()
    for other in candidates:
        kb.button(
            text="🔗 " + render.lead_button_text(other),
            callback_data=pack_lead(LeadAction.MERGE_PICK, lead.id, lead.version, str(other.id)),
        )
    kb.button(text=_("⬅️ Back to the card"), callback_data=pack_lead(LeadAction.OPEN, lead.id, lead.version))
    kb.adjust(1)
    return kb.as_markup()


def found_page(items: Sequence[Lead], page: int, *, more: bool) -> InlineKeyboardMarkup | None:
    """/find's results, one button each, then ◀ ▶ when there are other pages."""
    kb = Keyboard()
    for lead in items:
        kb.button(
            text=render.lead_button_text(lead),
            callback_data=pack_lead(LeadAction.OPEN, lead.id, lead.version, OPEN_NEW),
        )
    nav = []
    if page > 0:
        kb.button(text="◀", callback_data=FindCb(p=page - 1))
        nav.append(1)
    if more:
        kb.button(text="▶", callback_data=FindCb(p=page + 1))
        nav.append(1)
    kb.adjust(*([1] * len(items)), len(nav) or 1)
    return kb.as_markup() if items or nav else None
