"""bot.session.BotSession: JSON bodies; results and errors exactly as aiogram's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    SendDocument,
    SendMessage,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeDefault,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
)
from pydantic import SecretStr

from bot.app import create_bot
from bot.session import BotSession
from core.config import Settings
from sandbox.emulator import FakeTelegram

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="📞 Звонок", callback_data="ld:a:1:2:call")]]
)


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


# Every Bot API method the bot uses (bot.app.USED_METHODS), with the option combinations it sends.
SAME_AS_FORM: list[TelegramMethod] = [
    GetUpdates(offset=10, timeout=25, allowed_updates=["message", "callback_query"]),
    SetMyCommands(
        commands=[BotCommand(command="start", description="Меню")], scope=BotCommandScopeDefault(), language_code="ru"
    ),
    SendMessage(chat_id=42, text="a <b>card</b>", reply_markup=KEYBOARD),
    SendMessage(chat_id=-100500, message_thread_id=7, text="group", parse_mode=None, disable_notification=False),
    SendMessage(chat_id=42, text="x", link_preview_options=LinkPreviewOptions(is_disabled=True)),
    EditMessageText(chat_id=42, message_id=5, text="", reply_markup=KEYBOARD),
    EditMessageReplyMarkup(chat_id=42, message_id=5, reply_markup=None),
    AnswerCallbackQuery(callback_query_id="17", text="Logged: call.", show_alert=True),
    AnswerCallbackQuery(callback_query_id="18"),
    DeleteMessage(chat_id=42, message_id=0),
]


@pytest.mark.parametrize("method", SAME_AS_FORM, ids=lambda m: type(m).__name__)
def test_the_json_body_says_what_aiogram_s_form_says(bot: Bot, method: TelegramMethod) -> None:
    """Field by field the same values as aiogram's own form: the same defaults resolved (parse_mode), the
    same fields left out (None, empty strings), nested objects as their JSON. Guards an aiogram upgrade."""
    session = bot.session
    assert isinstance(session, BotSession)
    body = session.build_json_body(bot, method)
    assert body is not None
    as_json = json.loads(body)
    form = {
        name: value
        for (options, _headers, value) in session.build_form_data(bot, method)._fields
        for name in [options["name"]]
    }
    assert set(as_json) == set(form)
    for name, value in as_json.items():
        assert (form[name] if isinstance(value, str) else json.loads(form[name])) == value, name


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


async def test_a_successful_edit_returns_the_edited_message(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_message(ann.id, "old", reply_markup=KEYBOARD)
    result = await bot.edit_message_text("new", chat_id=ann.id, message_id=sent.message_id, reply_markup=KEYBOARD)
    assert isinstance(result, Message)  # what aiogram promises for a chat message, parsed as aiogram parses it
    assert (result.message_id, result.text) == (sent.message_id, "new")
    assert result.reply_markup is not None and result.reply_markup.model_dump() == KEYBOARD.model_dump()
    assert fake_tg.last_message(ann.id).text == "new"
    markup_only = await bot.edit_message_reply_markup(chat_id=ann.id, message_id=sent.message_id, reply_markup=None)
    assert isinstance(markup_only, Message) and markup_only.reply_markup is None
    assert fake_tg.last_message(ann.id).button_texts == []


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
