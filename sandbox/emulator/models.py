"""Plain records the emulator keeps: calls, users and bot messages, and the error a Bot API method answers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One Bot API method call as the emulator received it (``params`` JSON-decoded)."""

    method: str
    params: dict[str, Any]
    ok: bool
    index: int
    status: int = 0
    description: str | None = None
    done: bool = False
    result: Any = None
    received_at: float = field(default_factory=time.monotonic)  # when the request arrived (monotonic seconds)

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items()}
        text = repr(shown)
        if len(text) > 240:
            text = text[:237] + "..."
        if not self.done:
            mark = "in flight"
        else:
            mark = "ok" if self.ok else f"ERR {self.status} {self.description or ''}".rstrip()
        return f"#{self.index} {self.method} [{mark}] {text}"


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user who talks to the bot in a private chat whose id equals the user id."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str = "ru"
    last_name: str | None = None

    @property
    def user_id(self) -> int:
        return self.id

    @property
    def chat_id(self) -> int:
        return self.id

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart form field (sendPhoto, sendDocument, editMessageMedia)."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:  # a call's record shows the file, not its bytes
        return f"<file {self.filename} {len(self.data)} bytes>"


@dataclass
class StoredFile:
    """A photo or a document of a message: its Telegram ids, what it is and, in the sandbox, where it was saved."""

    kind: str  # "photo" or "document"
    file_id: str
    file_unique_id: str
    filename: str
    mime_type: str
    data: bytes = field(repr=False)
    path: str | None = None  # saved to disk (ChatState.files_dir) for a person to open

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Message:
    """The current state of a message in a chat (edits applied).

    ``text`` is what the user sees (HTML/Markdown already turned into plain text + ``entities``, as
    Telegram does); ``raw_text`` is the string the bot sent.
    """

    message_id: int
    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None
    thread_id: int | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    raw_text: str = ""
    parse_mode: str | None = None
    date: int = 0
    edit_date: int | None = None
    from_bot: bool = True
    from_user_id: int | None = None
    deleted: bool = False
    edits: int = 0
    media: StoredFile | None = None  # a photo or a document; ``text`` is then its caption

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline keyboard buttons, flattened row by row."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def button_texts(self) -> list[str]:
        return [button.get("text", "") for button in self.buttons]


class ApiError(Exception):
    """A Bot API error answer: HTTP ``status``, Telegram's ``description`` and, for 429, ``retry_after``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
