"""Photos and documents: sendPhoto, sendDocument, editMessageMedia and editMessageCaption, with Telegram's
checks: a caption of at most 1024 characters (after HTML parsing), a photo that is an image (PNG, JPEG, GIF,
WebP) of at most 10 MB, a non-empty document of at most 50 MB, ``attach://<field>`` naming an uploaded form
field, an existing file reused by its ``file_id``, media edited only on a message that has media, and "message
is not modified" for an edit that changes nothing.

A message with media keeps its caption in ``Message.text`` (what the user reads) and the file in
``Message.media``; with ``ChatState.files_dir`` set (the sandbox) every upload is also written to disk.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from sandbox.emulator.html import EntityParseError, parse_html, utf16_len
from sandbox.emulator.models import ApiError, Message, StoredFile, UploadedFile
from sandbox.emulator.state import ChatState


class BotApiMethods(Protocol):
    """What these methods use of ``sandbox.emulator.methods.BotApiMethods`` (its checks of the parameters)."""

    state: ChatState

    def chat_id_of(self, params: dict[str, Any]) -> int: ...
    def known_chat(self, chat_id: int) -> dict[str, Any]: ...
    def markup_of(self, params: dict[str, Any]) -> dict[str, Any] | None: ...
    def editable(self, params: dict[str, Any]) -> Message: ...
    def state_messages(self) -> list[Message]: ...


MAX_CAPTION = 1024
MAX_PHOTO = 10 * 2**20
MAX_DOCUMENT = 50 * 2**20
IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
NOT_MODIFIED = "Bad Request: message is not modified"


def caption(params: dict[str, Any], key: str = "caption") -> tuple[str, list[dict[str, Any]]]:
    """The caption as the user reads it (HTML parsed) and its entities; may be empty."""
    raw = str(params.get(key) or "")
    entities: list[dict[str, Any]] = list(params.get("caption_entities") or [])
    if str(params.get("parse_mode") or "").lower() == "html":
        try:
            raw, entities = parse_html(raw)
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: {error}") from None
    if utf16_len(raw) > MAX_CAPTION:
        raise ApiError(400, "Bad Request: message caption is too long")
    return raw, entities


def _file(api: BotApiMethods, kind: str, value: Any, params: dict[str, Any], chat_id: int) -> StoredFile:
    """The file ``value`` names: an upload, ``attach://<field>`` (an uploaded field) or a known file_id."""
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value[len("attach://") :])
        if not isinstance(value, UploadedFile):
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
    if isinstance(value, str):
        known = next((m.media for m in api.state_messages() if m.media and m.media.file_id == value), None)
        if known is None or known.kind != kind:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return known
    if not isinstance(value, UploadedFile):
        raise ApiError(400, f"Bad Request: there is no {kind} in the request")
    if not value.data:
        raise ApiError(400, "Bad Request: file must be non-empty")
    if kind == "photo":
        if len(value.data) > MAX_PHOTO:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        if not value.data.startswith(IMAGE_SIGNATURES):
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
    elif len(value.data) > MAX_DOCUMENT:
        raise ApiError(413, "Request Entity Too Large")
    return api.state.store_file(kind, value.filename, value.content_type, value.data, chat_id)


async def _send(api: BotApiMethods, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    chat_id = api.chat_id_of(params)
    api.known_chat(chat_id)
    text, entities = caption(params)
    media = _file(api, kind, params.get(kind), params, chat_id)
    thread_id = params.get("message_thread_id")
    message = Message(
        message_id=api.state.next_message_id(chat_id),
        chat_id=chat_id,
        text=text,
        reply_markup=api.markup_of(params),
        thread_id=int(thread_id) if thread_id else None,
        entities=entities,
        raw_text=str(params.get("caption") or ""),
        parse_mode=params.get("parse_mode"),
        date=int(time.time()),
        media=media,
    )
    api.state.add_message(message)
    return api.state.message_payload(message)


async def send_photo(api: BotApiMethods, params: dict[str, Any]) -> dict[str, Any]:
    return await _send(api, "photo", params)


async def send_document(api: BotApiMethods, params: dict[str, Any]) -> dict[str, Any]:
    return await _send(api, "document", params)


async def edit_message_media(api: BotApiMethods, params: dict[str, Any]) -> dict[str, Any]:
    message = api.editable(params)
    if message.media is None:
        raise ApiError(400, "Bad Request: there is no media in the message to edit")
    media = params.get("media")
    if not isinstance(media, dict) or media.get("type") not in ("photo", "document"):
        raise ApiError(400, "Bad Request: can't parse InputMedia: media not found")
    stored = _file(api, str(media["type"]), media.get("media"), params, message.chat_id)
    text, entities = caption(media)
    markup = api.markup_of(params)
    same = stored.file_id == message.media.file_id and (text, entities, markup) == (
        message.text,
        message.entities,
        message.reply_markup,
    )
    if same:
        raise ApiError(400, NOT_MODIFIED)
    message.media, message.text, message.entities, message.reply_markup = stored, text, entities, markup
    message.raw_text, message.parse_mode = str(media.get("caption") or ""), media.get("parse_mode")
    message.edit_date, message.edits = int(time.time()), message.edits + 1
    return api.state.message_payload(message)


async def edit_message_caption(api: BotApiMethods, params: dict[str, Any]) -> dict[str, Any]:
    message = api.editable(params)
    if message.media is None:
        raise ApiError(400, "Bad Request: there is no caption in the message to edit")
    text, entities = caption(params)
    markup = api.markup_of(params)
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise ApiError(400, NOT_MODIFIED)
    message.text, message.entities, message.reply_markup = text, entities, markup
    message.raw_text, message.parse_mode = str(params.get("caption") or ""), params.get("parse_mode")
    message.edit_date, message.edits = int(time.time()), message.edits + 1
    return api.state.message_payload(message)
