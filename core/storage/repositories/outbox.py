"""The outbox of Telegram messages on PostgreSQL. Never commits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import OutboxMessage
from core.storage.models import OutboxRow, table
from core.storage.repositories.base import BeforeWrite

OUTBOX = table(OutboxRow)
_ENQUEUED = ("dedupe_key", "payload", "chat_id", "thread_id", "destination", "method")
# Built once: every notification of a change (a lead assigned through the API among them) runs it.
_ENQUEUE = (
    pg_insert(OUTBOX)
    .values({c: bindparam(c, type_=OUTBOX.c[c].type) for c in _ENQUEUED})
    .on_conflict_do_nothing(index_elements=[OUTBOX.c.dedupe_key])
    .returning(OUTBOX.c.id)
)


def _message(row: Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        dedupe_key=row.dedupe_key,
        chat_id=row.chat_id,
        thread_id=row.thread_id,
        method=row.method,
        payload=dict(row.payload),
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
        destination=row.destination,
    )


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

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
        await self._before_write()
        params = {
            "dedupe_key": dedupe_key,
            "payload": payload,
            "chat_id": chat_id,
            "thread_id": thread_id,
            "destination": destination,
            "method": method,
        }
        return (await self.session.execute(_ENQUEUE, params)).scalar() is not None

    async def claim_due(self, now: datetime, limit: int, *, destinations: Collection[str] = ()) -> list[OutboxMessage]:
        # One queue per destination (its rows have no chat until sent) and one per chat for direct messages; a
        # queue's head is its oldest pending row (DISTINCT ON, in the order of ix_outbox_pending; NULLs of each
        # column together). The due heads are found with one scan and no join, then locked by id. Written
        # either as ``id IN (SELECT min(id) … GROUP BY …)`` or as a join with the heads, the planner (the
        # outbox's statistics lag behind a burst of rows) picked a nested loop over them: one claim took
        # seconds with 20,000 rows pending (bench/scheduler.py: 5 messages/s delivered instead of 30). A head
        # another sender took meanwhile is skipped (SKIP LOCKED), or no longer pending and filtered out.
        heads = (
            select(OUTBOX.c.id, OUTBOX.c.next_attempt_at, OUTBOX.c.destination)
            .where(OUTBOX.c.status == "pending")
            .ext(distinct_on(OUTBOX.c.destination, OUTBOX.c.chat_id))
            .order_by(OUTBOX.c.destination, OUTBOX.c.chat_id, OUTBOX.c.id)
            .subquery("heads")
        )
        addressable = or_(heads.c.destination.is_(None), heads.c.destination.in_(list(destinations)))
        due = select(heads.c.id).where(heads.c.next_attempt_at <= now, addressable).order_by(heads.c.id).limit(limit)
        ids = list((await self.session.execute(due)).scalars())
        if not ids:
            return []
        stmt = (
            select(OUTBOX)
            .where(OUTBOX.c.id.in_(ids), OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now)
            .order_by(OUTBOX.c.id)
            .with_for_update(skip_locked=True)
        )
        return [_message(r) for r in (await self.session.execute(stmt)).all()]

    async def oldest_due(self, now: datetime) -> datetime | None:
        # ix_outbox_pending is partial (status = 'pending'): only the waiting rows are read
        stmt = select(func.min(OUTBOX.c.next_attempt_at)).where(
            OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now
        )
        oldest: datetime | None = (await self.session.execute(stmt)).scalar_one()
        return oldest

    async def pending_counts(self) -> tuple[int, int]:
        # only the waiting rows (ix_outbox_pending is partial): sent ones pile up and are counted by the sender
        stmt = select(func.count(), func.count().filter(OUTBOX.c.attempts > 0)).where(OUTBOX.c.status == "pending")
        pending, retrying = (await self.session.execute(stmt)).one()
        return int(pending), int(retrying)

    async def count_pending(self, destination: str) -> int:
        stmt = select(func.count()).where(OUTBOX.c.status == "pending", OUTBOX.c.destination == destination)
        return int((await self.session.execute(stmt)).scalar_one())

    async def mark(self, message_id: int, **values: Any) -> None:
        await self._before_write()
        await self.session.execute(update(OUTBOX).where(OUTBOX.c.id == message_id).values(**values))

    async def get(self, message_id: int) -> OutboxMessage | None:
        row = (await self.session.execute(select(OUTBOX).where(OUTBOX.c.id == message_id))).first()
        return _message(row) if row is not None else None
