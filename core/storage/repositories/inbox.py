"""The bot's inbox: Telegram updates as received, and which of them are done. Never commits.

``store`` is the poller's one statement per batch; ``claim`` is the first statement of every update's unit
of work (it marks the update done, so the mark commits with the update's change or not at all)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import User
from core.services.ports import Leased, ReceivedUpdate
from core.storage.models import InboxRow, UserRow, table
from core.storage.repositories.base import BeforeWrite
from core.storage.repositories.users import user_from_row

INBOX = table(InboxRow)
USERS = table(UserRow)

# Insert the update as done, or mark a stored one done; nothing comes back when it was done already.
_CLAIM = (
    pg_insert(INBOX)
    .values(update_id=bindparam("update_id"), done_at=func.now())
    .on_conflict_do_update(
        index_elements=[INBOX.c.update_id], set_={"done_at": func.now()}, where=INBOX.c.done_at.is_(None)
    )
    .returning(INBOX.c.update_id)
)
_CLAIMED = _CLAIM.cte("claimed")
_CLAIM_WITH_USER = (
    select(_CLAIMED.c.update_id, *USERS.c).select_from(_CLAIMED).outerjoin(USERS, USERS.c.id == bindparam("user_id"))
)

# Webhook replicas: lease the heads of the chats' queues. ``heads`` is the oldest pending update of each chat
# (DISTINCT ON; an update of no chat is a queue of its own, hence the CASE); a head is free when nobody holds an
# unexpired lease on it. ``picked`` locks the free heads (SKIP LOCKED: another replica leasing the same head at
# this moment keeps it) and re-checks them on the row's newest version, so a head leased or done since the scan
# is left alone. ``was`` is the previous holder: not NULL means an expired lease was taken over.
_LEASE = text(
    """
    WITH heads AS (
        SELECT DISTINCT ON (chat_key, CASE WHEN chat_key IS NULL THEN update_id END) update_id, lease_until
        FROM inbox
        WHERE done_at IS NULL AND payload IS NOT NULL
        ORDER BY chat_key, CASE WHEN chat_key IS NULL THEN update_id END, update_id
    ), picked AS (
        SELECT i.update_id, i.leased_by AS was
        FROM inbox i
        WHERE i.update_id IN (
            SELECT update_id FROM heads WHERE lease_until IS NULL OR lease_until < now()
            ORDER BY update_id LIMIT :limit
        )
        AND i.done_at IS NULL AND (i.lease_until IS NULL OR i.lease_until < now())
        FOR UPDATE OF i SKIP LOCKED
    )
    UPDATE inbox SET leased_by = :worker, lease_until = now() + make_interval(secs => :seconds)
    FROM picked WHERE inbox.update_id = picked.update_id
    RETURNING inbox.update_id, inbox.chat_key, inbox.payload, picked.was
    """
)


class SqlInboxRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite, known_users: dict[int, User]) -> None:
        self.session = session
        self._before_write = before_write
        self._known = known_users

    async def tables_exist(self) -> bool:
        """False when the schema is missing (an unmigrated database); the transaction is then unusable."""
        try:
            await self.session.execute(select(INBOX.c.update_id).limit(1))
            await self.session.execute(select(USERS.c.id).limit(1))
        except ProgrammingError:  # undefined table
            return False
        return True

    async def backlog(self) -> tuple[int, datetime | None]:
        stmt = select(func.count(), func.min(INBOX.c.received_at)).where(INBOX.c.done_at.is_(None))
        count, oldest = (await self.session.execute(stmt)).one()
        return int(count), oldest

    async def store(self, updates: Sequence[ReceivedUpdate]) -> list[int]:
        """Insert the updates not stored yet (one statement); returns the ids that are new."""
        if not updates:
            return []
        await self._before_write()
        statement = (
            pg_insert(INBOX)
            .values([{"update_id": u.update_id, "chat_key": u.chat_key, "payload": u.payload} for u in updates])
            .on_conflict_do_nothing(index_elements=[INBOX.c.update_id])
            .returning(INBOX.c.update_id)
        )
        return sorted((await self.session.execute(statement)).scalars())

    async def pending(self, *, after: int | None, limit: int) -> list[ReceivedUpdate]:
        """Stored updates not done yet, by id (``after``: the last id of the previous page)."""
        query = select(INBOX.c.update_id, INBOX.c.chat_key, INBOX.c.payload).where(
            INBOX.c.done_at.is_(None), INBOX.c.payload.is_not(None)
        )
        if after is not None:
            query = query.where(INBOX.c.update_id > after)
        rows = await self.session.execute(query.order_by(INBOX.c.update_id).limit(limit))
        return [ReceivedUpdate(update_id=r.update_id, chat_key=r.chat_key, payload=r.payload) for r in rows]

    async def claim(self, update_id: int, *, prefetch_user_id: int | None = None) -> bool:
        """Mark the update done (recording it if it was never stored); False when it was done already.

        The row stays locked until the transaction ends, so a concurrent delivery of the same update waits for
        the first one and then sees it done. With ``prefetch_user_id`` the same round trip loads that user
        (into ``known_users``), so authenticating costs no query. The statements are built once (bound
        parameters): this runs per update."""
        await self._before_write()
        if prefetch_user_id is None:
            return (await self.session.execute(_CLAIM, {"update_id": update_id})).scalar() is not None
        result = await self.session.execute(_CLAIM_WITH_USER, {"update_id": update_id, "user_id": prefetch_user_id})
        row = result.first()
        if row is None:
            return False
        if row.id is not None:
            self._known[row.id] = user_from_row(row)
        return True

    async def finish(self, update_id: int) -> None:
        """Mark a stored update done if it is not (its handler failed or changed nothing)."""
        await self._before_write()
        await self.session.execute(
            update(INBOX).where(INBOX.c.update_id == update_id, INBOX.c.done_at.is_(None)).values(done_at=func.now())
        )

    async def prune(self, older_than: datetime) -> int:
        """Forget updates done before ``older_than`` (pending ones are kept); returns how many."""
        await self._before_write()
        result = await self.session.execute(delete(INBOX).where(INBOX.c.done_at < older_than))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def lease(self, worker: str, *, limit: int, lease_seconds: float) -> Leased:
        """Lease up to ``limit`` free chat heads to ``worker`` (one statement, see ``_LEASE``)."""
        await self._before_write()
        result = await self.session.execute(_LEASE, {"worker": worker, "limit": limit, "seconds": float(lease_seconds)})
        rows = sorted(result.all(), key=lambda r: r.update_id)
        updates = [ReceivedUpdate(update_id=r.update_id, chat_key=r.chat_key, payload=r.payload) for r in rows]
        return Leased(updates=updates, taken_over=sum(1 for r in rows if r.was is not None))

    async def renew(self, worker: str, update_ids: Sequence[int], lease_seconds: float) -> None:
        if not update_ids:
            return
        await self._before_write()
        await self.session.execute(
            update(INBOX)
            .where(INBOX.c.update_id.in_(list(update_ids)), INBOX.c.leased_by == worker, INBOX.c.done_at.is_(None))
            .values(lease_until=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, float(lease_seconds)))
        )

    async def release(self, worker: str) -> int:
        await self._before_write()
        result = await self.session.execute(
            update(INBOX)
            .where(INBOX.c.leased_by == worker, INBOX.c.done_at.is_(None))
            .values(leased_by=None, lease_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
