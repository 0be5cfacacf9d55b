"""Inline keyboards of owners: the queue, the owner picker on the card, the assignment rule, the deactivation
hand-over. What a button may do is re-checked by the services."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import InlineKeyboardMarkup

from bot import render
from bot.callbacks import LeadAction, QueueCb, RuleCb, UserAction, UserCb, pack_lead
from bot.i18n import _
from bot.keyboards import MAX_USER_BUTTONS, OPEN_NEW, Keyboard
from bot.render.events import rule_name
from core.domain.enums import AssignmentRule
from core.domain.models import Lead, User

QUEUE_TO = "q"  # UserCb.x of a hand-over: to the queue
RULE_TO = "r"  # by the rule
USER_TO = "u"  # + the user id: to that user


def _label(user: User) -> str:
    return f"{user.full_name or user.id} · {render.role_name(user.role)}"[:60]


def queue_page(items: Iterable[Lead], *, page: int, pages: int) -> InlineKeyboardMarkup:
    kb = Keyboard()
    sizes: list[int] = []
    for lead in items:
        kb.button(text=render.lead_button_text(lead), callback_data=pack_lead(LeadAction.OPEN, lead.id, x=OPEN_NEW))
        sizes.append(1)
    nav = 0
    if page > 0:
        kb.button(text="◀", callback_data=QueueCb(p=page - 1))
        nav += 1
    if page + 1 < pages:
        kb.button(text="▶", callback_data=QueueCb(p=page + 1))
        nav += 1
    if nav:
        sizes.append(nav)
    kb.button(text=_("🔄 Refresh"), callback_data=QueueCb(p=page))
    sizes.append(1)
    kb.adjust(*sizes)
    return kb.as_markup()


def owner_picker(lead: Lead, people: Iterable[User]) -> InlineKeyboardMarkup:
    """The card's "Assign" screen: one button per possible owner (✅ the current one), the queue, back."""
    kb = Keyboard()
    for user in list(people)[:MAX_USER_BUTTONS]:
        mark = "✅ " if user.id == lead.owner_id else ""
        kb.button(
            text=mark + _label(user), callback_data=pack_lead(LeadAction.ASSIGN, lead.id, lead.version, str(user.id))
        )
    if lead.owner_id is not None:
        kb.button(text=_("📥 Back to the queue"), callback_data=pack_lead(LeadAction.ASSIGN, lead.id, lead.version))
    kb.button(text=_("⬅️ Back to the card"), callback_data=pack_lead(LeadAction.OPEN, lead.id, lead.version))
    kb.adjust(1)
    return kb.as_markup()


def rules(current: AssignmentRule) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for rule in AssignmentRule:
        mark = "✅ " if rule == current else ""
        kb.button(text=mark + rule_name(rule), callback_data=RuleCb(r=rule.value))
    kb.adjust(1)
    return kb.as_markup()


def handover(user: User) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("📥 To the queue"), callback_data=UserCb(a=UserAction.OFF, id=user.id, x=QUEUE_TO))
    kb.button(text=_("⚖️ By the rule"), callback_data=UserCb(a=UserAction.OFF, id=user.id, x=RULE_TO))
    kb.button(text=_("👤 Choose a manager"), callback_data=UserCb(a=UserAction.PICK, id=user.id))
    kb.button(text=_("⬅️ Back"), callback_data=UserCb(a=UserAction.OPEN, id=user.id))
    kb.adjust(1)
    return kb.as_markup()


def handover_picker(user: User, people: Iterable[User]) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for person in list(people)[:MAX_USER_BUTTONS]:
        if person.id == user.id:
            continue
        kb.button(text=_label(person), callback_data=UserCb(a=UserAction.OFF, id=user.id, x=f"{USER_TO}{person.id}"))
    kb.button(text=_("⬅️ Back"), callback_data=UserCb(a=UserAction.OFF, id=user.id))
    kb.adjust(1)
    return kb.as_markup()
