"""What a simulated user does: type a message, press a button, follow a deep link, block the bot. Each action
but blocking queues the update Telegram would send the bot and returns its id (or the callback query's id)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.emulator.html import utf16_len
from sandbox.emulator.models import FakeUser, Message
from sandbox.emulator.state import ChatState


class UserActions:
    """Users acting on a ChatState. ``explain`` adds context (the recent Bot API calls) to a lookup error."""

    def __init__(self, state: ChatState, explain: Callable[[], str] = lambda: "") -> None:
        self.state = state
        self.explain = explain

    def block(self, user: FakeUser) -> None:
        """The user blocked the bot: sending to them answers 403."""
        self.state.blocked.add(user.id)

    def send_text(self, user: FakeUser, text: str, *, chat_id: int | None = None) -> int:
        """Queue a message from ``user`` (private chat unless ``chat_id``); returns its update_id."""
        chat_id = user.id if chat_id is None else chat_id
        chat = self.state.chat(chat_id)
        message_id = self.state.next_message_id(chat_id)
        now = int(time.time())
        payload: dict[str, Any] = {
            "message_id": message_id,
            "date": now,
            "chat": chat,
            "from": user.to_api(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            payload["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        self.state.add_message(
            Message(
                message_id=message_id,
                chat_id=chat_id,
                text=text,
                reply_markup=None,
                raw_text=text,
                date=now,
                from_bot=False,
                from_user_id=user.id,
            )
        )
        return self.state.queue_update({"message": payload})

    def open_link(self, user: FakeUser, link: str) -> int:
        """Follow a deep link ``https://t.me/<bot>?start=CODE`` as Telegram does: ``/start CODE``."""
        parts = urlsplit(link if "://" in link else "https://" + link)
        code = (parse_qs(parts.query).get("start") or [""])[0]
        return self.send_text(user, f"/start {code}" if code else "/start")

    def press(self, user: FakeUser, message_id: int, callback_data: str, *, chat_id: int | None = None) -> str:
        """Queue a callback_query for a button with ``callback_data`` on that message; returns the query id."""
        chat_id = user.id if chat_id is None else chat_id
        query_id = self.state.new_callback_query()
        message = self.state.find_message(chat_id, message_id)
        if message is None or message.deleted:
            message_payload: dict[str, Any] = {"message_id": message_id, "date": 0, "chat": self.state.chat(chat_id)}
        else:
            message_payload = self.state.message_payload(message)
        query = {
            "id": query_id,
            "from": user.to_api(),
            "message": message_payload,
            "chat_instance": str(abs(chat_id)),
            "data": callback_data,
        }
        self.state.queue_update({"callback_query": query})
        return query_id

    def press_button(
        self, user: FakeUser, text_or_index: str | int, *, message_id: int | None = None, chat_id: int | None = None
    ) -> str:
        """Press a callback button found by exact text or 0-based flat index on the given message
        (default: the latest bot message with an inline keyboard in the user's chat)."""
        chat_id = user.id if chat_id is None else chat_id
        if message_id is None:
            message = self.state.last_keyboard_message(chat_id)
            if message is None:
                raise LookupError(f"no bot message with an inline keyboard in chat {chat_id}\n{self.explain()}")
        else:
            message = self.state.find_message(chat_id, message_id)
            if message is None:
                raise LookupError(f"no message {message_id} in chat {chat_id}")
        buttons = message.buttons
        if isinstance(text_or_index, int):
            if not 0 <= text_or_index < len(buttons):
                raise LookupError(f"no button #{text_or_index}; buttons: {message.button_texts}")
            button = buttons[text_or_index]
        else:
            found = [b for b in buttons if b.get("text") == text_or_index]
            if not found:
                raise LookupError(f"no button {text_or_index!r}; buttons: {message.button_texts}")
            button = found[0]
        if "callback_data" not in button:
            raise LookupError(f"button {button.get('text')!r} is not a callback button: {button}")
        return self.press(user, message.message_id, button["callback_data"], chat_id=chat_id)
