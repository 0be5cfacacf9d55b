"""What Telegram holds for one bot: its users and groups, each chat's messages (edits applied), the updates
waiting for getUpdates, the callback queries not yet answered and the command menus.

The Bot API methods (``methods.py``) and the simulated users (``actions.py``) both change this state;
``changed`` wakes whoever waits for a change (a long poll, a test's ``wait_for``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.emulator.models import FakeUser, Message, StoredFile

DEFAULT_GROUP_TITLE = "Team leads"


@dataclass
class QueuedUpdate:
    """An update waiting in the getUpdates queue; ``delivered`` once a poll returned it (it stays queued
    until a later poll's offset confirms it, as with Telegram)."""

    update: dict[str, Any]
    delivered: bool = False


def commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    """The key of one command menu: its scope (default scope when none) and language."""
    return json.dumps(scope or {"type": "default"}, sort_keys=True), str(language_code or "")


class ChatState:
    """The emulated Telegram's records for one bot. Not thread-safe: use it from one event loop."""

    def __init__(
        self, *, bot_id: int, bot_username: str, bot_first_name: str = "Lead CRM", first_update_id: int | None = None
    ) -> None:
        """``first_update_id`` defaults to a number that grows with the clock: like Telegram's, update ids
        never repeat across runs, so a bot that remembers processed update ids (in a database that
        outlives the emulator, as the sandbox's does) never mistakes a new update for a redelivery."""
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self.chats: dict[int, dict[int, Message]] = {}  # chat id -> message id -> message
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}  # commands_key -> menu
        self.webhook_url = ""
        self.webhook: dict[str, Any] = {}  # the parameters of the last setWebhook
        self.queue: deque[QueuedUpdate] = deque()
        self.updates_by_id: dict[int, dict[str, Any]] = {}
        self.callbacks: dict[str, bool] = {}  # callback query id -> answered
        self._message_ids: dict[int, itertools.count[int]] = {}
        if first_update_id is None:
            first_update_id = int((time.time() - 1_700_000_000) * 100_000)  # ~1e13, far below 2**53
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.files_dir: Path | None = None  # where uploaded photos and documents are saved (the sandbox sets it)
        self._file_ids = itertools.count(1)

    # ------------------------------------------------------------------ change notification

    @property
    def changed(self) -> asyncio.Event:
        """Set at the next change. Take it before checking a condition, then wait on it."""
        return self._changed

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ users and chats

    def add_user(self, user: FakeUser) -> FakeUser:
        self.users[user.id] = user
        self.chats.setdefault(user.id, {})
        return user

    def add_group(self, chat_id: int, title: str = DEFAULT_GROUP_TITLE, *, is_forum: bool = False) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "supergroup" if str(chat_id).startswith("-100") else "group", "title": title}
        if is_forum:
            chat["is_forum"] = True
        self.groups[chat_id] = chat
        self.chats.setdefault(chat_id, {})
        return chat

    def chat(self, chat_id: int) -> dict[str, Any]:
        """The Bot API ``Chat`` object; a negative id not seen before becomes a group."""
        if chat_id in self.users:
            return self.users[chat_id].private_chat()
        if chat_id < 0:
            return self.groups.get(chat_id) or self.add_group(chat_id)
        raise LookupError(f"unknown chat {chat_id}: create the user with FakeTelegram.user() first")

    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    # ------------------------------------------------------------------ messages

    def next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def add_message(self, message: Message) -> None:
        self.chats.setdefault(message.chat_id, {})[message.message_id] = message

    def find_message(self, chat_id: int, message_id: int) -> Message | None:
        """The message as it is now (edits applied, deleted ones too), or None."""
        return self.chats.get(chat_id, {}).get(message_id)

    def bot_messages(self, chat_id: int) -> list[Message]:
        """Bot messages in the chat, oldest first, deleted ones left out."""
        return [m for m in self.chats.get(chat_id, {}).values() if m.from_bot and not m.deleted]

    def last_keyboard_message(self, chat_id: int) -> Message | None:
        """The latest bot message in the chat with an inline keyboard, or None."""
        return next((m for m in reversed(self.bot_messages(chat_id)) if m.buttons), None)

    def message_payload(self, message: Message) -> dict[str, Any]:
        """The Bot API ``Message`` object."""
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self.chat(message.chat_id),
        }
        if message.media is None:
            payload["text"] = message.text
        else:
            payload.update(media_payload(message.media))
            if message.text:
                payload["caption"] = message.text
        if message.from_bot:
            payload["from"] = self.bot_user()
        elif message.from_user_id in self.users:
            payload["from"] = self.users[message.from_user_id].to_api()
        if message.entities:
            payload["entities" if message.media is None else "caption_entities"] = message.entities
        if message.reply_markup:
            payload["reply_markup"] = message.reply_markup
        if message.thread_id:
            payload["message_thread_id"] = message.thread_id
            payload["is_topic_message"] = True
        if message.edit_date:
            payload["edit_date"] = message.edit_date
        return payload

    def store_file(self, kind: str, filename: str, mime_type: str, data: bytes, chat_id: int) -> StoredFile:
        """A new file with fresh ids; written to ``files_dir`` when set (the sandbox prints its path)."""
        number = next(self._file_ids)
        stored = StoredFile(kind, f"F{kind[0].upper()}{number:06d}", f"u{number:06d}", filename, mime_type, data)
        if self.files_dir is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename) or kind
            path = self.files_dir / f"{abs(chat_id)}-{number}-{safe}"
            path.write_bytes(data)
            stored.path = str(path)
        return stored

    # ------------------------------------------------------------------ updates and callback queries

    def queue_update(self, body: dict[str, Any]) -> int:
        """Queue an update (``{"message": ...}`` or ``{"callback_query": ...}``) with the next id; returns it."""
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **body}
        self.updates_by_id[update_id] = update
        self.queue.append(QueuedUpdate(update=update))
        self.notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Queue an already sent update again with the same update_id (Telegram may do this)."""
        self.queue.append(QueuedUpdate(update=self.updates_by_id[update_id]))
        self.notify()

    @property
    def last_update_id(self) -> int:
        """The id of the latest update queued (0 if none)."""
        return max(self.updates_by_id, default=0)

    def new_callback_query(self) -> str:
        """A fresh callback query id, not answered yet."""
        query_id = f"cq{next(self._callback_ids)}"
        self.callbacks[query_id] = False
        return query_id

    def forget_history(self, *, keep_messages: int, keep_unanswered: bool) -> None:
        """Forget sent updates, answered callback queries (all of them unless ``keep_unanswered``) and all but
        the latest ``keep_messages`` messages of each chat."""
        self.updates_by_id.clear()
        if keep_unanswered:
            self.callbacks = {query_id: answered for query_id, answered in self.callbacks.items() if not answered}
        else:
            self.callbacks.clear()
        for chat in self.chats.values():
            if len(chat) > keep_messages:
                for message_id in sorted(chat)[: len(chat) - keep_messages]:
                    del chat[message_id]


def media_payload(media: StoredFile) -> dict[str, Any]:
    """The ``photo`` (one size: the emulator does not scale) or ``document`` field of a Bot API Message."""
    if media.kind == "photo":
        size = {"file_id": media.file_id, "file_unique_id": media.file_unique_id, "file_size": media.size}
        return {"photo": [{**size, "width": 900, "height": 600}]}
    return {
        "document": {
            "file_id": media.file_id,
            "file_unique_id": media.file_unique_id,
            "file_name": media.filename,
            "mime_type": media.mime_type,
            "file_size": media.size,
        }
    }
