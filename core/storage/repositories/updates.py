"""Telegram update ids already handled (the bot skips a redelivered update). Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import User
from core.storage.models import ProcessedUpdateRow, UserRow, table
from core.storage.repositories.base import BeforeWrite
from core.storage.repositories.users import user_from_row

UPDATES = table(ProcessedUpdateRow)
USERS = table(UserRow)

_CLAIM = (
    pg_insert(UPDATES)
    .values(update_id=bindparam("update_id"))
    .on_conflict_do_nothing(index_elements=[UPDATES.c.update_id])
    .returning(UPDATES.c.update_id)
)
_CLAIMED = _CLAIM.cte("claimed")
_CLAIM_WITH_USER = (
    select(_CLAIMED.c.update_id, *USERS.c).select_from(_CLAIMED).outerjoin(USERS, USERS.c.id == bindparam("user_id"))
)


class SqlProcessedUpdateRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite, known_users: dict[int, User]) -> None:
        self.session = session
        self._before_write = before_write
        self._known = known_users

    async def tables_exist(self) -> bool:
        """False when the schema is missing (an unmigrated database); the transaction is then unusable."""
        try:
            await self.session.execute(select(UPDATES.c.update_id).limit(1))
            await self.session.execute(select(USERS.c.id).limit(1))
        except ProgrammingError:  # undefined table
            return False
        return True

    async def prune(self, older_than: datetime) -> int:
        """Forget update ids recorded before ``older_than``; returns how many."""
        await self._before_write()
        result = await self.session.execute(delete(UPDATES).where(UPDATES.c.created_at < older_than))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def claim(self, update_id: int, *, prefetch_user_id: int | None = None) -> bool:
        """Record the update id; False when it is already recorded (committed by an earlier delivery).

        The row stays locked until the transaction ends, so a concurrent redelivery waits for the first one and
        then sees it. With ``prefetch_user_id`` the same round trip loads that user (into ``known_users``), so
        authenticating costs no query. The statements are built once (bound parameters): this runs per update."""
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
