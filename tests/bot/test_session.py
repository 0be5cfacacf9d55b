"""bot.session.BotSession: JSON bodies, edited messages not re-parsed, errors exactly as aiogram's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, Message
from pydantic import SecretStr

from bot.app import create_bot
from bot.emulator import FakeTelegram
from bot.session import BotSession
from core.config import Settings

KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="📞 Звонок", callback_data="ld:a:1:2:call")]])


@pytest.fixture
async def bot(fake_tg: FakeTelegram) -> AsyncIterator[Bot]:
    settings = Settings(_env_file=None, bot_token=SecretStr(fake_tg.token), telegram_api_url=fake_tg.url)
    bot = create_bot(settings)
    yield bot
    await bot.session.close()


def test_the_product_bot_uses_it(bot: Bot) -> None:
    assert isinstance(bot.session, BotSession)


def test_a_call_without_files_is_one_json_document(bot: Bot) -> None:
    session = bot.session
    assert isinstance(session, BotSession)
    body = session.build_json_body(bot, SendMessage(chat_id=42, text="Привет <b>мир</b>", reply_markup=KEYBOARD))
    assert body is not None
    assert json.loads(body) == {
        "chat_id": 42,
        "text": "Привет <b>мир</b>",
        "parse_mode": "HTML",  # the bot's default, resolved as aiogram's form does
        "reply_markup": {"inline_keyboard": [[{"text": "📞 Звонок", "callback_data": "ld:a:1:2:call"}]]},
    }


def test_a_call_with_a_file_keeps_aiograms_multipart_form(bot: Bot) -> None:
    session = bot.session
    assert isinstance(session, BotSession)
    method = SendDocument(chat_id=42, document=BufferedInputFile(b"report", filename="report.txt"))
    assert session.build_json_body(bot, method) is None


async def test_messages_sent_as_json_arrive_whole(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_message(ann.id, "Карточка <b>лида</b>", reply_markup=KEYBOARD)
    assert isinstance(sent, Message)  # results other than edits are parsed as usual
    shown = fake_tg.last_message(ann.id)
    assert shown.text == "Карточка лида"
    assert shown.button_texts == ["📞 Звонок"]


async def test_a_successful_edit_returns_true_without_parsing_the_message(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_message(ann.id, "old", reply_markup=KEYBOARD)
    result = await bot.edit_message_text("new", chat_id=ann.id, message_id=sent.message_id, reply_markup=KEYBOARD)
    assert result is True
    assert fake_tg.last_message(ann.id).text == "new"


async def test_edit_errors_raise_as_aiogram_raises_them(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_message(ann.id, "same", reply_markup=KEYBOARD)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("same", chat_id=ann.id, message_id=sent.message_id, reply_markup=KEYBOARD)
    fake_tg.fail("editMessageText", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.edit_message_text("x", chat_id=ann.id, message_id=sent.message_id)
    assert retry.value.retry_after == 3
    fake_tg.fail("editMessageText", status=502)
    with pytest.raises(TelegramServerError):
        await bot.edit_message_text("y", chat_id=ann.id, message_id=sent.message_id)
    assert fake_tg.last_message(ann.id).text == "same"  # none of the failed edits was applied
