"""What a log line is about: the update, user, lead and route in hand.

A ``ContextVar``, so each update of the bot and each request of the API (each its own task) carries its own;
``cli.logs`` copies the fields into every record (``JsonFormatter`` writes them, ``LOG_FORMAT=json``). Plain
values only: ids and a route template, never a text a user typed, a token or a key."""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

FIELDS = ("update_id", "user_id", "lead_id", "route")

_current: ContextVar[dict[str, Any] | None] = ContextVar("leadcrm_log_context", default=None)


def bind(**fields: Any) -> Token[dict[str, Any] | None]:
    """Add ``fields`` (None values are left out) to this task's context; ``reset`` with the token undoes it."""
    merged = {**(_current.get() or {}), **{k: v for k, v in fields.items() if v is not None}}
    return _current.set(merged)


def reset(token: Token[dict[str, Any] | None]) -> None:
    _current.reset(token)


def current() -> dict[str, Any]:
    return dict(_current.get() or {})
