"""Are you sure? One "Yes / No" step before the irreversible ones: a lead lost, a deal paid or lost, a user
deactivated. "Yes" carries what the first press carried (the lead's version, the deal's stage), so a stale
confirmation changes nothing (the services refuse it); "No" goes back to where the press came from."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import LeadAction, SaleAction, SaleCb, UserAction, UserCb, pack_lead
from bot.i18n import _
from bot.keyboards import Keyboard
from core.domain.models import Lead, Sale, User


def _yes_no(kb: Keyboard, yes: str, no: str) -> InlineKeyboardMarkup:
    kb.button(text=_("✅ Yes"), callback_data=yes)
    kb.button(text=_("✖️ No"), callback_data=no)
    kb.adjust(2)
    return kb.as_markup()


def lead_lost(lead: Lead, code: str) -> InlineKeyboardMarkup:
    yes = pack_lead(LeadAction.LOST_YES, lead.id, lead.version, code)
    return _yes_no(Keyboard(), yes, pack_lead(LeadAction.OPEN, lead.id, lead.version))


def sale_step(sale: Sale, action: SaleAction, x: str) -> InlineKeyboardMarkup:
    """``action`` is SaleAction.NEXT_YES (``x`` the target stage) or LOST_YES (``x`` the reason)."""
    yes = SaleCb(a=action, id=sale.id, st=sale.stage.value, x=x).pack()
    no = SaleCb(a=SaleAction.OPEN, id=sale.id, st=sale.stage.value).pack()
    return _yes_no(Keyboard(), yes, no)


def deactivate(user: User, x: str) -> InlineKeyboardMarkup:
    yes = UserCb(a=UserAction.OFF_YES, id=user.id, x=x).pack()
    return _yes_no(Keyboard(), yes, UserCb(a=UserAction.OPEN, id=user.id).pack())


def merge(lead: Lead, other: Lead) -> InlineKeyboardMarkup:
    """Merge ``other`` into ``lead``: "Yes" carries both versions as the question showed them."""
    yes = pack_lead(LeadAction.MERGE_YES, lead.id, lead.version, f"{other.id}.{other.version}")
    return _yes_no(Keyboard(), yes, pack_lead(LeadAction.OPEN, lead.id, lead.version))
