"""Last router: whatever nobody else handled still gets an answer (never an endless spinner)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.i18n import _

router = Router(name=__name__)


@router.callback_query()
async def unknown_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is out of date."), show_alert=True)


@router.message(F.chat.type == "private")
async def unknown_message(message: Message, state: FSMContext) -> None:
    if await state.get_state() is not None:
        await message.answer(_("Please send text, or /cancel."))
        return
    await message.answer(_("I did not understand that. Choose from the menu, or see /help."), reply_markup=keyboards.main_menu())
