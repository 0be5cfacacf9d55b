"""The emulator's photos and documents, driven by a real aiogram Bot over HTTP (multipart uploads): sendPhoto,
sendDocument, editMessageMedia and editMessageCaption with Telegram's checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto

from sandbox.emulator import FakeTelegram

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OTHER_PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 80


def buttons(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=label.lower())] for label in labels]
    )


@pytest.fixture
async def bot(fake_tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fake_tg.make_bot()
    yield bot
    await bot.session.close()


async def test_a_photo_is_stored_with_its_caption_and_buttons(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_photo(
        ann.id, BufferedInputFile(PNG, "chart.png"), caption="<b>Funnel</b> · week", parse_mode="HTML",
        reply_markup=buttons("Week"),
    )  # fmt: skip
    assert sent.photo and sent.photo[-1].file_size == len(PNG)
    assert sent.caption == "Funnel · week" and sent.text is None
    message = fake_tg.last_message(ann.id)
    assert message.media is not None and message.media.data == PNG and message.media.kind == "photo"
    assert message.text == "Funnel · week" and message.button_texts == ["Week"]


async def test_edit_message_media_replaces_the_photo_caption_and_keyboard(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_photo(ann.id, BufferedInputFile(PNG, "a.png"), caption="one", reply_markup=buttons("A"))
    edited = await bot.edit_message_media(
        media=InputMediaPhoto(media=BufferedInputFile(OTHER_PNG, "b.png"), caption="<i>two</i>", parse_mode="HTML"),
        chat_id=ann.id,
        message_id=sent.message_id,
        reply_markup=buttons("B"),
    )
    assert not isinstance(edited, bool) and edited.caption == "two"
    message = fake_tg.message(ann.id, sent.message_id)
    assert message.media is not None and message.media.data == OTHER_PNG
    assert (message.text, message.button_texts, message.edits) == ("two", ["B"], 1)
    assert len(fake_tg.messages(ann.id)) == 1  # the same message, not a new one


async def test_the_same_file_id_caption_and_keyboard_is_not_modified(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_photo(ann.id, BufferedInputFile(PNG, "a.png"), caption="one")
    assert sent.photo
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_media(
            media=InputMediaPhoto(media=sent.photo[-1].file_id, caption="one"),
            chat_id=ann.id,
            message_id=sent.message_id,
        )


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ("caption_too_long", "caption is too long"),
        ("not_an_image", "IMAGE_PROCESS_FAILED"),
        ("media_on_text", "no media in the message"),
        ("text_on_photo", "no text in the message"),
        ("unknown_file_id", "wrong file identifier"),
    ],
)
async def test_telegrams_checks_refuse_bad_media_calls(fake_tg: FakeTelegram, bot: Bot, call: str, error: str) -> None:
    ann = fake_tg.user(101, "Ann")
    with pytest.raises(TelegramBadRequest, match=error):
        if call == "caption_too_long":
            await bot.send_photo(ann.id, BufferedInputFile(PNG, "a.png"), caption="x" * 1025)
        elif call == "not_an_image":
            await bot.send_photo(ann.id, BufferedInputFile(b"hello", "a.png"))
        elif call == "media_on_text":
            text = await bot.send_message(ann.id, "text")
            await bot.edit_message_media(
                media=InputMediaPhoto(media=BufferedInputFile(PNG, "a.png")), chat_id=ann.id, message_id=text.message_id
            )
        elif call == "text_on_photo":
            photo = await bot.send_photo(ann.id, BufferedInputFile(PNG, "a.png"), caption="c")
            await bot.edit_message_text("new", chat_id=ann.id, message_id=photo.message_id)
        else:
            await bot.send_photo(ann.id, "FP999999")


async def test_a_document_keeps_its_name_and_bytes_and_the_sandbox_saves_it(
    fake_tg: FakeTelegram, bot: Bot, tmp_path: Path
) -> None:
    fake_tg.state.files_dir = tmp_path
    ann = fake_tg.user(101, "Ann")
    data = "\ufeffid;name\n1;Иван\n".encode()
    sent = await bot.send_document(ann.id, BufferedInputFile(data, "leads.csv"), caption="12 leads")
    assert sent.document and sent.document.file_name == "leads.csv" and sent.document.file_size == len(data)
    stored = fake_tg.last_message(ann.id).media
    assert stored is not None and stored.path is not None
    saved = await asyncio.to_thread(Path(stored.path).read_bytes)
    assert saved == data and saved.startswith(b"\xef\xbb\xbf") and str(tmp_path) in stored.path


async def test_an_empty_document_is_refused(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    with pytest.raises(TelegramBadRequest, match="non-empty"):
        await bot.send_document(ann.id, BufferedInputFile(b"", "empty.csv"))


async def test_edit_message_caption_changes_only_the_caption(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_photo(ann.id, BufferedInputFile(PNG, "a.png"), caption="one")
    await bot.edit_message_caption(chat_id=ann.id, message_id=sent.message_id, caption="two")
    message = fake_tg.message(ann.id, sent.message_id)
    assert message.text == "two" and message.media is not None and message.media.data == PNG
