"""A reminder's buttons (bot/render/reminders.py): Done, Snooze 1 h, Snooze until tomorrow 10:00 (the presser's
zone). Each calls one next-step service with the due time the reminder was about, so a press on a reminder whose
step was done or moved since, on someone else's lead, or with forged data changes nothing: it is answered
politely (the message is left as it is). A press that acted adds what it did to the reminder and leaves it only
its "Open card" link."""

from __future__ import annotations

import html
from contextlib import suppress
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import CallbackIs, ReminderAction, ReminderCb, UnpackCallback
from bot.i18n import _
from bot.render.clock import span, use_viewer, when
from core.domain.clock import utcnow
from core.domain.errors import LeadIsFinal, LeadNotFound, StaleState
from core.domain.models import Actor, User
from core.services import next_steps
from core.services.context import Services
from core.services.ports import UnitOfWork

SNOOZE = timedelta(hours=1)
TOMORROW_AT = time(10)


def tomorrow_at(now: datetime, zone: ZoneInfo, at: time = TOMORROW_AT) -> datetime:
    """``at`` on the day after ``now``'s local day in ``zone``."""
    day = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, at, tzinfo=zone)


async def _spent(query: CallbackQuery, outcome: str) -> None:
    """The reminder says what was done with it and keeps its "Open card" link; its other buttons are spent."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = [[b for b in row if b.url] for row in message.reply_markup.inline_keyboard]
    markup = InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])
    with suppress(TelegramBadRequest):  # too old to edit: the answer above already said it
        await message.edit_text(f"{message.html_text}\n\n<i>{html.escape(outcome)}</i>", reply_markup=markup)


async def press(
    query: CallbackQuery, callback_data: ReminderCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    zone = ZoneInfo(user.timezone or services.policy.default_timezone)
    now = utcnow()
    try:
        if callback_data.a == ReminderAction.DONE:
            await next_steps.complete_next_step(uow, actor, callback_data.id, due_token=callback_data.t)
            answer = _("Done. Set the next step on the card.")
        else:
            due = now + SNOOZE if callback_data.a == ReminderAction.SNOOZE_HOUR else tomorrow_at(now, zone)
            await next_steps.snooze_next_step(uow, actor, callback_data.id, due_at=due, due_token=callback_data.t)
            with use_viewer(zone):
                answer = _("Snoozed for {duration}: until {time}.").format(duration=span(due - now), time=when(due))
    except (StaleState, LeadNotFound, LeadIsFinal):
        await query.answer(
            _("This reminder is out of date: its step was done or moved, or the lead is not yours. Nothing changed."),
            show_alert=True,
        )
        return
    await query.answer(answer)
    await _spent(query, answer)


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only,
    and tests build several)."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(ReminderCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(
        press, CallbackIs(ReminderCb, a={ReminderAction.DONE, ReminderAction.SNOOZE_HOUR, ReminderAction.TOMORROW})
    )
    return router
