"""Keyboards of the lead's "✏️ Edit" screen: name, company, domain, contacts, and the custom fields (the lead's
own, then the keys the team uses elsewhere, then "another field")."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import LeadAction, pack_lead
from bot.i18n import _
from bot.keyboards import Keyboard
from core.domain.models import Lead

TEAM_KEYS_OFFERED = 6
KEY_SHOWN_MAX = 24
NEW_FIELD = "a+"
FIELD_NAMES = ("name", "company")


def attribute_field(key: str) -> str:
    return "a." + key


def _packs(lead: Lead, action: LeadAction, x: str) -> str | None:
    """The callback data, or None when it cannot carry ``x`` (64 bytes, no ':'): such a key is still edited
    through "another field"."""
    if ":" in x:
        return None
    try:
        return pack_lead(action, lead.id, lead.version, x)
    except ValueError:  # longer than Telegram's 64 bytes
        return None


def _short(key: str) -> str:
    return key if len(key) <= KEY_SHOWN_MAX else key[: KEY_SHOWN_MAX - 1] + "…"


def edit_menu(lead: Lead, team_keys: Sequence[str]) -> InlineKeyboardMarkup:
    kb = Keyboard()
    sizes = [2, 2]
    kb.button(text=_("👤 Name"), callback_data=pack_lead(LeadAction.EDIT_FIELD, lead.id, lead.version, "name"))
    kb.button(text=_("🏢 Company"), callback_data=pack_lead(LeadAction.EDIT_FIELD, lead.id, lead.version, "company"))
    kb.button(text=_("🏷 Set domain"), callback_data=pack_lead(LeadAction.DOMAIN_MENU, lead.id, lead.version))
    kb.button(text=_("☎️ Edit contact"), callback_data=pack_lead(LeadAction.CONTACT, lead.id, lead.version))
    fields = []
    for key in sorted(lead.attributes):
        data = _packs(lead, LeadAction.EDIT_FIELD, attribute_field(key))
        if data is not None:
            fields.append(("✏️ " + _short(key), data))
    offered = [k for k in team_keys if k not in lead.attributes][:TEAM_KEYS_OFFERED]
    for key in offered:
        data = _packs(lead, LeadAction.EDIT_FIELD, attribute_field(key))
        if data is not None:
            fields.append(("➕ " + _short(key), data))
    for text, data in fields:
        kb.button(text=text, callback_data=data)
    sizes += [2] * (len(fields) // 2) + [1] * (len(fields) % 2)
    kb.button(
        text=_("➕ Another field"), callback_data=pack_lead(LeadAction.EDIT_FIELD, lead.id, lead.version, NEW_FIELD)
    )
    kb.button(text=_("⬅️ Back to the card"), callback_data=pack_lead(LeadAction.OPEN, lead.id, lead.version))
    sizes += [1, 1]
    kb.adjust(*sizes)
    return kb.as_markup()


def field_prompt(lead: Lead, field: str) -> InlineKeyboardMarkup:
    """Under "type the value": 🗑 Clear, for a field that has a value and may be empty (not the name), and
    ⬅️ Back to the edit screen (which ends the question)."""
    has_value = (field == "company" and lead.company) or (field.startswith("a.") and field[2:] in lead.attributes)
    data = _packs(lead, LeadAction.EDIT_CLEAR, field) if has_value else None
    kb = Keyboard()
    if data is not None:
        kb.button(text=_("🗑 Clear"), callback_data=data)
    kb.button(text=_("⬅️ Back"), callback_data=pack_lead(LeadAction.EDIT_MENU, lead.id, lead.version))
    kb.adjust(2)
    return kb.as_markup()
