"""API keys on PostgreSQL (hashes only). Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.models import ApiKey
from core.storage.models import ApiKeyRow, table
from core.storage.repositories.base import BeforeWrite

KEYS = table(ApiKeyRow)


def _key(row: Row[Any]) -> ApiKey:
    return ApiKey(row.id, row.name, row.prefix, row.created_at, row.revoked_at, row.source)


class SqlApiKeyRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

    async def add(
        self, *, name: str, key_hash: str, prefix: str, created_at: datetime, source: str | None = None
    ) -> ApiKey:
        await self._before_write()
        values = {"name": name, "key_hash": key_hash, "prefix": prefix, "created_at": created_at, "source": source}
        stmt = insert(KEYS).values(**values).returning(*KEYS.c)
        return _key((await self.session.execute(stmt)).one())

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        stmt = select(KEYS).where(KEYS.c.key_hash == key_hash, KEYS.c.revoked_at.is_(None))
        row = (await self.session.execute(stmt)).first()
        return _key(row) if row is not None else None

    async def by_name(self, name: str) -> ApiKey | None:
        row = (await self.session.execute(select(KEYS).where(KEYS.c.name == name))).first()
        return _key(row) if row is not None else None

    async def revoke(self, key_id: int, *, when: datetime) -> ApiKey:
        await self._before_write()
        stmt = update(KEYS).where(KEYS.c.id == key_id).values(revoked_at=when).returning(*KEYS.c)
        return _key((await self.session.execute(stmt)).one())

    async def list_keys(self) -> list[ApiKey]:
        return [_key(r) for r in (await self.session.execute(select(KEYS).order_by(KEYS.c.id))).all()]
