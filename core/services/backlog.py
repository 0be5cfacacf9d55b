"""What is waiting, for ``/metrics``: stored Telegram updates not applied yet and notifications not sent yet, with
the age of the oldest of each. Read from the database, so any process (the API, each bot replica) reports the
same numbers for the whole deployment."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.clock import utcnow
from core.services.ports import UnitOfWork


@dataclass(frozen=True)
class Backlog:
    inbox_pending: int
    inbox_oldest_seconds: float  # 0 when nothing waits
    outbox_pending: int
    outbox_retrying: int  # pending messages tried before
    outbox_oldest_due_seconds: float  # how long the longest-waiting due message has waited (0: none)


async def backlog(uow: UnitOfWork) -> Backlog:
    now = utcnow()
    async with uow:
        inbox_pending, inbox_oldest = await uow.inbox.backlog()
        outbox_pending, retrying = await uow.outbox.pending_counts()
        oldest_due = await uow.outbox.oldest_due(now)
    return Backlog(
        inbox_pending=inbox_pending,
        inbox_oldest_seconds=max(0.0, (now - inbox_oldest).total_seconds()) if inbox_oldest else 0.0,
        outbox_pending=outbox_pending,
        outbox_retrying=retrying,
        outbox_oldest_due_seconds=max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0,
    )
