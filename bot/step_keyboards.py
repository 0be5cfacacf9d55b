"""Keyboards of a working day: the next-step picker, the typed time's confirmation, the stalled lead's snooze
reasons, /settings' time zones and /today's buttons. What a button may do is re-checked by the services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import LeadAction, TodayCb, ZoneCb, pack_lead
from bot.i18n import _
from bot.keyboards import OPEN_NEW, Keyboard
from bot.render import steps
from bot.render.clock import viewer
from bot.render.vocabulary import lead_label
from core.domain.dates import available
from core.domain.enums import StepKind
from core.domain.models import Lead

# /settings: common zones of a Russian/English team, in the order of the buttons (east to west, then UTC).
ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Vladivostok",
    "Europe/Minsk",
    "Asia/Almaty",
    "Asia/Tbilisi",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
)
TODAY_BUTTONS = 40  # Telegram allows 100 buttons; /today keeps to the first ones


def _cb(action: LeadAction, lead: Lead, x: str = "") -> str:
    return pack_lead(action, lead.id, lead.version, x)


def picker(
    lead: Lead, kind: StepKind, now: datetime, *, after_activity: bool = False, comment_on: int | None = None
) -> InlineKeyboardMarkup:
    """Presets for ``kind`` (one tap sets the step), the kinds (a tap re-draws the presets for that kind),
    "type a time", and Back (Skip after an activity; Clear when the lead has a step). ``comment_on``: the
    activity just logged, which gets "💬 Add a comment" first."""
    kb = Keyboard()
    sizes: list[int] = []
    if comment_on is not None:
        kb.button(text=_("💬 Add a comment"), callback_data=_cb(LeadAction.COMMENT, lead, str(comment_on)))
        sizes.append(1)
    presets = available(now, viewer().tz)
    for preset in presets:
        kb.button(text=steps.preset_name(preset), callback_data=_cb(LeadAction.STEP_SET, lead, f"{kind}.{preset}"))
    sizes += [2] * ((len(presets) + 1) // 2)
    for other in StepKind:
        mark = "• " if other == kind else ""
        kb.button(text=mark + steps.STEP_ICONS[other], callback_data=_cb(LeadAction.STEP_MENU, lead, other.value))
    sizes.append(len(StepKind))
    kb.button(text=_("✍️ Type a time"), callback_data=_cb(LeadAction.STEP_TEXT, lead, kind.value))
    sizes.append(1)
    if lead.next_step is not None and not after_activity:
        kb.button(text=_("🗑 Clear the step"), callback_data=_cb(LeadAction.STEP_CLEAR, lead))
        sizes.append(1)
    if after_activity:
        kb.button(text=_("Skip ⏭"), callback_data=_cb(LeadAction.STEP_SKIP, lead))
    else:
        kb.button(text=_("⬅️ Back to the card"), callback_data=_cb(LeadAction.OPEN, lead))
    sizes.append(1)
    kb.adjust(*sizes)
    return kb.as_markup()


def confirm(lead: Lead, kind: StepKind, due_at: datetime) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("💾 Save"), callback_data=_cb(LeadAction.STEP_SAVE, lead, f"{kind}.{int(due_at.timestamp())}"))
    kb.button(text=_("✏️ Change"), callback_data=_cb(LeadAction.STEP_TEXT, lead, kind.value))
    kb.button(text=_("⬅️ Back to the card"), callback_data=_cb(LeadAction.OPEN, lead))
    kb.adjust(2, 1)
    return kb.as_markup()


def snooze_reasons(lead: Lead) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for code, (_name, days) in steps.SNOOZE_PRESETS.items():
        label = _("{reason} · {days} d").format(reason=steps.snooze_reason_name(code), days=days)
        kb.button(text=label, callback_data=_cb(LeadAction.SNOOZE, lead, code.value))
    kb.button(
        text=_("✍️ Other reason · {days} d").format(days=steps.SNOOZE_TEXT_DAYS),
        callback_data=_cb(LeadAction.SNOOZE_TEXT, lead),
    )
    kb.button(text=_("⬅️ Back to the card"), callback_data=_cb(LeadAction.OPEN, lead))
    kb.adjust(1)
    return kb.as_markup()


def zones(current: str) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for index, name in enumerate(ZONES):
        kb.button(text=("• " if name == current else "") + name, callback_data=ZoneCb(i=index))
    kb.button(text=_("✍️ Type a zone"), callback_data=ZoneCb(i=-1))
    kb.adjust(*([2] * ((len(ZONES) + 1) // 2)), 1)
    return kb.as_markup()


def today(leads: Iterable[Lead]) -> InlineKeyboardMarkup:
    kb = Keyboard()
    seen: set[int] = set()
    for lead in leads:
        if lead.id in seen or len(seen) == TODAY_BUTTONS:
            continue
        seen.add(lead.id)
        text = lead_label(lead)
        kb.button(text=text if len(text) <= 40 else text[:39] + "…", callback_data=_cb(LeadAction.OPEN, lead, OPEN_NEW))
    kb.adjust(2)
    refresh = Keyboard()
    refresh.button(text=_("🔄 Refresh"), callback_data=TodayCb(r=1))
    kb.attach(refresh)
    return kb.as_markup()
