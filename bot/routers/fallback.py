"""Last router: whatever nobody else handled still gets an answer (never an endless spinner)."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, render
from bot.dialog_store import DegradingStorage
from bot.filters import PrivateChat
from bot.i18n import _
from core.domain.models import User


async def unknown_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is out of date."), show_alert=True)


async def unknown_message(message: Message, state: FSMContext, user: User | None = None) -> None:
    if isinstance(state.storage, DegradingStorage) and state.storage.away:  # maybe a dialog's answer we lost
        await message.answer(render.dialogs_paused())
        return
    if await state.get_state() is not None:
        await message.answer(_("Please send text, or /cancel."))
        return
    await message.answer(
        _("I did not understand that. Choose from the menu, or see /help."), reply_markup=keyboards.main_menu(user)
    )


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only,
    and tests build several)."""
    router = Router(name=__name__)
    router.callback_query.register(unknown_button)
    router.message.register(unknown_message, PrivateChat())
    return router
