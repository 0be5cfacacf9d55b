"""Errors in one place: domain errors become a polite localized reply or alert; bugs are logged and
the user still gets an answer (a callback is never left spinning)."""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import ExceptionTypeFilter, MagicData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent

from bot import keyboards, render, screens
from bot.callbacks import LeadAction, LeadCb, SaleCb, pack_lead
from bot.dialog_store import DialogsUnavailable
from bot.i18n import _
from bot.render import merge as render_merge
from core.domain.errors import DomainError, LeadMerged, StaleState
from core.domain.models import Actor, User
from core.services import leads as leads_svc
from core.services.ports import UnitOfWork

log = logging.getLogger(__name__)


async def _alert(query: CallbackQuery, text: str) -> None:
    # The handler may have answered already before failing; Telegram accepts one answer only.
    with suppress(TelegramBadRequest):
        await query.answer(render.plain(text), show_alert=True)


async def stale(event: ErrorEvent, uow: UnitOfWork, actor: Actor | None, user: User | None) -> None:
    """A double press or an old card: say so and show the card as it is now."""
    query = event.update.callback_query
    text = render.error_text(event.exception)  # type: ignore[arg-type]
    if query is None:
        if event.update.message is not None:
            await event.update.message.answer(text)
        return
    await _alert(query, text)
    if actor is None or user is None or not query.data:
        return
    try:
        if query.data.startswith(LeadCb.__prefix__ + ":"):
            lead = await leads_svc.get_lead(uow, actor, LeadCb.unpack(query.data).id)
            await screens.show_card(query, lead, user)
        elif query.data.startswith(SaleCb.__prefix__ + ":"):
            await screens.show_sale(query, uow, actor, user, SaleCb.unpack(query.data).id)
    except (ValueError, TypeError, DomainError):
        return  # the alert said enough; a card we cannot show now is not worth a second error


async def merged(event: ErrorEvent) -> None:
    """A merged lead's id (a card's button, /lead 5, /start lead_5...): where it went, with a button to open it."""
    err = event.exception
    assert isinstance(err, LeadMerged)
    text = render_merge.merged_notice(err.lead_id, err.merged_into)
    kb = keyboards.Keyboard()
    kb.button(
        text=render_merge.open_merged_button(err.merged_into),
        callback_data=pack_lead(LeadAction.OPEN, err.merged_into, 0, keyboards.OPEN_NEW),
    )
    update = event.update
    if update.callback_query is not None:
        with suppress(TelegramBadRequest):
            await update.callback_query.answer(text)
        with suppress(TelegramBadRequest):  # the card of a lead that is gone becomes the notice
            await screens.show(update.callback_query, text, kb.as_markup())
    elif update.message is not None:
        await update.message.answer(text, reply_markup=kb.as_markup())


async def domain_error(event: ErrorEvent, state: FSMContext | None = None) -> None:
    text = render.error_text(event.exception)  # type: ignore[arg-type]
    update = event.update
    if update.callback_query is not None:
        await _alert(update.callback_query, text)
    elif update.message is not None:
        if state is not None and await state.get_state() is not None and "/cancel" not in text:
            text += "\n" + _("Try again, or /cancel.")
        await update.message.answer(text)


async def dialogs_paused(event: ErrorEvent) -> None:
    """The dialog store (Redis) is away: the step could not be kept (bot.dialog_store)."""
    await _answer(event, render.dialogs_paused())


async def _answer(event: ErrorEvent, text: str) -> None:
    update = event.update
    if update.callback_query is not None:
        await _alert(update.callback_query, text)
    elif update.message is not None and update.message.chat.type == "private":
        await update.message.answer(text)


async def not_modified(event: ErrorEvent) -> None:
    if event.update.callback_query is not None:
        with suppress(TelegramBadRequest):
            await event.update.callback_query.answer()


async def unexpected(event: ErrorEvent) -> None:
    """A bug: log it with the traceback, and still answer the user."""
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    text = _("Something went wrong on our side. Please try again a bit later.")
    update = event.update
    if update.callback_query is not None:
        await _alert(update.callback_query, text)
    elif update.message is not None and update.message.chat.type == "private":
        with suppress(Exception):  # the failure may be Telegram itself; the log above has the cause
            await update.message.answer(text)


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only,
    and tests build several)."""
    router = Router(name=__name__)
    router.errors.register(stale, ExceptionTypeFilter(StaleState))
    router.errors.register(merged, ExceptionTypeFilter(LeadMerged))
    router.errors.register(domain_error, ExceptionTypeFilter(DomainError))
    router.errors.register(dialogs_paused, ExceptionTypeFilter(DialogsUnavailable))
    router.errors.register(
        not_modified,
        ExceptionTypeFilter(TelegramBadRequest),
        MagicData(F.event.exception.message.contains("message is not modified")),
    )
    router.errors.register(unexpected)
    return router
