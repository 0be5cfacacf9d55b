"""Idempotency keys on PostgreSQL (``idempotency_keys``). Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.services.ports.idempotency import StoredResponse
from core.storage.models import IdempotencyKeyRow, table
from core.storage.repositories.base import BeforeWrite

KEYS = table(IdempotencyKeyRow)


class SqlIdempotencyRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

    async def claim(
        self, scope: str, key: str, *, now: datetime, expired_before: datetime, body_hash: str | None = None
    ) -> bool:
        await self._before_write()
        # The unique key makes a concurrent claim wait for the holder's commit (or rollback). DO NOTHING takes no
        # lock on the row it meets (DO UPDATE would, even when its WHERE fails, and hold up the holder's answer).
        fresh = insert(KEYS).values(scope=scope, key=key, created_at=now, body_hash=body_hash).on_conflict_do_nothing()
        if (await self.session.execute(fresh.returning(KEYS.c.key))).first() is not None:
            return True
        expired = (  # a key last used more than a day ago is taken over in place
            update(KEYS)
            .where(KEYS.c.scope == scope, KEYS.c.key == key, KEYS.c.created_at < expired_before)
            .values(created_at=now, status_code=None, response=None, body_hash=body_hash)
            .returning(KEYS.c.key)
        )
        return (await self.session.execute(expired)).first() is not None

    async def store(self, scope: str, key: str, response: StoredResponse) -> None:
        await self._before_write()
        await self.session.execute(
            update(KEYS)
            .where(KEYS.c.scope == scope, KEYS.c.key == key)
            .values(status_code=response.status, response=response.body)
        )

    async def body_hash(self, scope: str, key: str) -> str | None:
        stmt = select(KEYS.c.body_hash).where(KEYS.c.scope == scope, KEYS.c.key == key)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def response(self, scope: str, key: str) -> StoredResponse | None:
        stmt = select(KEYS.c.status_code, KEYS.c.response).where(KEYS.c.scope == scope, KEYS.c.key == key)
        row = (await self.session.execute(stmt)).first()
        if row is None or row.status_code is None:
            return None
        return StoredResponse(row.status_code, row.response)
