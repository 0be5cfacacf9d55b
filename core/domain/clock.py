"""The one clock of the CRM: timezone-aware UTC. Services take ``now`` from here (tests may pass their own).

The sandbox (``:clock +2h``) and tests can move this clock forward with ``advance``: every service, the
scheduler and the outbox read the time through ``utcnow``, so a reminder due in two hours fires at once.
The product never moves it (the offset stays zero)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_listeners: list[Callable[[], None]] = []


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> timedelta:
    """Move the clock forward by ``delta`` (not backwards: time stamps must not run back); the total offset."""
    global _offset
    if delta < timedelta(0):
        raise ValueError("the clock only moves forward")
    _offset += delta
    for listener in list(_listeners):
        listener()
    return _offset


def on_advance(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` after every ``advance`` (the bot's scheduler runs at once); returns the unsubscribe."""
    _listeners.append(listener)

    def unsubscribe() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return unsubscribe


def reset() -> None:
    """Back to the real time (tests)."""
    global _offset
    _offset = timedelta(0)
