"""The Bot API methods the product calls, applied to a ChatState with Telegram's checks: offset-confirmed long
polling, "message is not modified", strict HTML parsing, the 4096-character limit, an inline keyboard removed
by an edit without ``reply_markup``, a callback query answered only once."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.emulator.html import EntityParseError, parse_html, utf16_len
from sandbox.emulator.media import edit_message_caption, edit_message_media, send_document, send_photo
from sandbox.emulator.models import ApiError, Message
from sandbox.emulator.state import ChatState, commands_key

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class BotApiMethods:
    """``await methods.call("sendMessage", params)`` returns the method's result or raises ApiError."""

    def __init__(self, state: ChatState) -> None:
        self.state = state
        self.closing = False  # set when the server stops: a waiting long poll returns at once
        self._poll_generation = 0
        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "sendphoto": lambda params: send_photo(self, params),
            "senddocument": lambda params: send_document(self, params),
            "editmessagemedia": lambda params: edit_message_media(self, params),
            "editmessagecaption": lambda params: edit_message_caption(self, params),
            "answercallbackquery": self._answer_callback_query,
            "deletemessage": self._delete_message,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "setmydescription": self._true,
            "setmyshortdescription": self._true,
            "setmyname": self._true,
            "setchatmenubutton": self._true,
            "close": self._true,
            "logout": self._true,
        }

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        handler = self._handlers.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(params)

    # ------------------------------------------------------------------ the bot and its updates

    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.state.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.state.webhook_url = ""
        if params.get("drop_pending_updates"):
            self.state.queue.clear()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.state.webhook_url = str(params.get("url", ""))
        self.state.webhook = dict(params)  # what the bot asked for: secret_token, allowed_updates, ...
        if params.get("drop_pending_updates"):
            self.state.queue.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.state.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.queue),
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        state = self.state
        if state.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = float(params.get("timeout") or 0)
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            if offset:
                state.queue = deque(q for q in state.queue if not (q.delivered and q.update["update_id"] < offset))
            allowed = params.get("allowed_updates") or None
            if allowed:
                state.queue = deque(q for q in state.queue if any(kind in q.update for kind in allowed))
            ready = [q for q in state.queue if not q.delivered or q.update["update_id"] >= offset][:limit]
            if ready:
                for queued in ready:
                    queued.delivered = True
                return [q.update for q in ready]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closing:
                return []
            changed = state.changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = str(command.get("command", ""))
            if not name or len(name) > 32 or name.lower() != name or not name.replace("_", "").isalnum():
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.state.commands[commands_key(params.get("scope"), params.get("language_code"))] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.state.commands.get(commands_key(params.get("scope"), params.get("language_code")), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.state.commands.pop(commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    # ------------------------------------------------------------------ messages and callback queries

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        self._known_chat(chat_id)  # refuses a blocked user or an unknown chat
        text, entities = self._render_text(params)
        thread_id = params.get("message_thread_id")
        markup = self._markup(params)
        message = Message(
            message_id=self.state.next_message_id(chat_id),
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            thread_id=int(thread_id) if thread_id else None,
            entities=entities,
            raw_text=str(params.get("text", "")),
            parse_mode=params.get("parse_mode"),
            date=int(time.time()),
        )
        self.state.add_message(message)
        return self.state.message_payload(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        if message.media is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._render_text(params)
        markup = self._markup(params)
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = text, entities, markup
        message.raw_text, message.parse_mode = str(params.get("text", "")), params.get("parse_mode")
        message.edit_date, message.edits = int(time.time()), message.edits + 1
        return self.state.message_payload(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        markup = self._markup(params)
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date, message.edits = int(time.time()), message.edits + 1
        return self.state.message_payload(message)

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self.state.callbacks.get(query_id, True):  # unknown or already answered
            raise ApiError(400, QUERY_INVALID)
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.state.callbacks[query_id] = True
        return True

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        message = self.state.find_message(self._chat_id(params), int(params.get("message_id") or 0))
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        message.deleted = True
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._known_chat(self._chat_id(params))
        return True

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = dict(self._known_chat(self._chat_id(params)))
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        return chat

    # ------------------------------------------------------------------ Telegram's checks of the parameters
    # (public names for sandbox/emulator/media.py)

    def chat_id_of(self, params: dict[str, Any]) -> int:
        return self._chat_id(params)

    def known_chat(self, chat_id: int) -> dict[str, Any]:
        return self._known_chat(chat_id)

    def markup_of(self, params: dict[str, Any]) -> dict[str, Any] | None:
        return self._markup(params)

    def editable(self, params: dict[str, Any]) -> Message:
        return self._editable(params)

    def state_messages(self) -> list[Message]:
        return [m for chat in self.state.chats.values() for m in chat.values()]

    def _chat_id(self, params: dict[str, Any]) -> int:
        raw = params.get("chat_id")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.state.groups.values():
                if chat.get("username") == raw[1:]:
                    return int(chat["id"])
        raise ApiError(400, "Bad Request: chat not found")

    def _known_chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        try:
            return self.state.chat(chat_id)
        except LookupError:
            raise ApiError(400, "Bad Request: chat not found") from None

    def _render_text(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get("text")
        if raw is None or str(raw).strip() == "":
            raise ApiError(400, "Bad Request: message text is empty")
        raw = str(raw)
        parse_mode = str(params.get("parse_mode") or "")
        if parse_mode.lower() == "html":
            try:
                text, entities = parse_html(raw)
            except EntityParseError as error:
                raise ApiError(400, f"Bad Request: {error}") from None
        else:
            text, entities = raw, list(params.get("entities") or [])
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise ApiError(
                    400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            for button in (b for row in rows for b in row):
                if not button.get("text"):
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not rows or not any(rows):
                return None
        return markup

    def _editable(self, params: dict[str, Any]) -> Message:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        message = self.state.find_message(self._chat_id(params), int(params.get("message_id") or 0))
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message
