"""Keyboards of a lead's contacts, the /new dialog's duplicate question and /find's pages."""

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
