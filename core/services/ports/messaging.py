"""Ports of Telegram traffic: ``uow.outbox`` (messages to send) and ``uow.inbox`` (updates received)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.domain.models import (
    OutboxMessage,
)


class OutboxRepository(Protocol):
    async def enqueue(
        self,
        *,
        dedupe_key: str,
        payload: dict[str, Any],
        chat_id: int | None = None,
        thread_id: int | None = None,
        destination: str | None = None,
        method: str = "sendMessage",
    ) -> bool:
        """Queue a message once per ``dedupe_key``, for ``destination`` (resolved by the sender) or for
        ``chat_id``; False when it was already queued."""

    async def claim_due(self, now: datetime, limit: int, *, destinations: Collection[str] = ()) -> list[OutboxMessage]:
        """The oldest pending message of each destination and of each chat that is due, locked (order is
        kept per destination and per chat). Messages for destinations not in ``destinations`` (the ones
        the sender cannot resolve) are left alone."""

    async def oldest_due(self, now: datetime) -> datetime | None:
        """When the longest-waiting pending message became due (None: nothing is waiting): readiness."""

    async def pending_counts(self) -> tuple[int, int]:
        """Messages waiting to be sent, and how many of them were tried before (retrying)."""

    async def count_pending(self, destination: str) -> int:
        """How many messages for ``destination`` are still to be sent."""

    async def mark(self, message_id: int, **values: Any) -> None:
        """Write status / attempts / next_attempt_at / last_error / sent_at."""

    async def get(self, message_id: int) -> OutboxMessage | None: ...


@dataclass(frozen=True, slots=True)
class ReceivedUpdate:
    """A Telegram update as the poller received it: ``payload`` is its JSON; ``chat_key`` the chat it belongs to
    (else its user; None for updates of neither), the unit in which updates are applied in order."""

    update_id: int
    chat_key: int | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Leased:
    """What one lease pass took: the updates (oldest first), and how many of them another replica had leased
    before and let expire (killed, or stuck)."""

    updates: list[ReceivedUpdate]
    taken_over: int = 0


class InboxRepository(Protocol):
    """``uow.inbox``: the updates the bot received, stored before Telegram is told, and which are done."""

    async def tables_exist(self) -> bool: ...

    async def backlog(self) -> tuple[int, datetime | None]:
        """How many stored updates are not applied yet, and when the oldest of them was received."""

    async def store(self, updates: Sequence[ReceivedUpdate]) -> list[int]:
        """Store the updates not stored yet; returns the ids that are new."""

    async def pending(self, *, after: int | None, limit: int) -> list[ReceivedUpdate]:
        """Stored updates not done yet, oldest first."""

    async def claim(self, update_id: int, *, prefetch_user_id: int | None = None) -> bool:
        """Mark the update done in this transaction; False when an earlier delivery already did (and committed)."""

    async def finish(self, update_id: int) -> None:
        """Mark a stored update done unless it is."""

    async def prune(self, older_than: datetime) -> int: ...

    async def lease(self, worker: str, *, limit: int, lease_seconds: float) -> Leased:
        """Lease up to ``limit`` pending updates to ``worker``: only the oldest pending update of each chat,
        and only when nobody holds an unexpired lease on it (rows another transaction locks are skipped)."""

    async def renew(self, worker: str, update_ids: Sequence[int], lease_seconds: float) -> None:
        """Extend ``worker``'s leases on the updates it still applies."""

    async def release(self, worker: str) -> int:
        """Give back ``worker``'s leases on updates not done (a drain): another replica may take them at once."""
