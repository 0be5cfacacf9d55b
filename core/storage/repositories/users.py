"""Bot users and invites on PostgreSQL. Never commits.

The bot reads its user on every update; ``SqlInboxRepository.claim`` can load that user in the same
round trip as the update id and leave it in the unit of work's ``known_users``, where ``get`` finds it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.enums import Role
from core.domain.ids import storable_id
from core.domain.models import Invite, User
from core.storage.models import InviteRow, UserRow, table
from core.storage.repositories.base import BeforeWrite

USERS = table(UserRow)
INVITES = table(InviteRow)


def user_from_row(row: Row[Any]) -> User:
    return User(row.id, Role(row.role), row.full_name, row.username, row.language, row.is_active, row.timezone)


def _invite(row: Row[Any]) -> Invite:
    return Invite(row.code, row.role, row.created_by, row.expires_at, row.used_by, row.used_at)


class SqlUserRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite, known_users: dict[int, User]) -> None:
        self.session = session
        self._before_write = before_write
        self._known = known_users
        self._pending: dict[int, dict[str, Any]] = {}

    async def get(self, user_id: int) -> User | None:
        if user_id in self._known:
            return self._known[user_id]
        if not storable_id(user_id):
            return None
        row = (await self.session.execute(select(USERS).where(USERS.c.id == user_id))).first()
        return self._remember(user_from_row(row)) if row is not None else None

    async def insert_if_missing(
        self, *, user_id: int, full_name: str, role: Role, username: str | None, language: str | None
    ) -> None:
        await self._before_write()
        stmt = (
            pg_insert(USERS)
            .values(id=user_id, full_name=full_name, role=role, username=username, language=language)
            .on_conflict_do_nothing(index_elements=[USERS.c.id])
        )
        await self.session.execute(stmt)
        self._known.pop(user_id, None)

    async def add(self, user: User) -> User:
        await self._before_write()
        stmt = (
            insert(USERS)
            .values(
                id=user.id,
                full_name=user.full_name,
                username=user.username,
                role=user.role,
                language=user.language,
                timezone=user.timezone,
                is_active=user.is_active,
            )
            .returning(*USERS.c)
        )
        return self._remember(user_from_row((await self.session.execute(stmt)).one()))

    async def update(self, user_id: int, **values: Any) -> User:
        await self._before_write()
        stmt = update(USERS).where(USERS.c.id == user_id).values(**values).returning(*USERS.c)
        return self._remember(user_from_row((await self.session.execute(stmt)).one()))

    def update_on_commit(self, user_id: int, **values: Any) -> User:
        user = self._known.get(user_id)
        assert user is not None, "update_on_commit needs a user read in this unit of work"
        self._pending.setdefault(user_id, {}).update(values)
        return self._remember(replace(user, **values))

    async def write_pending(self) -> None:
        """Write what ``update_on_commit`` kept (the unit of work calls this just before it commits)."""
        pending, self._pending = self._pending, {}
        for user_id, values in pending.items():
            await self.session.execute(update(USERS).where(USERS.c.id == user_id).values(**values))

    def forget(self) -> None:
        """After a rollback: what was read or kept may no longer hold."""
        self._known.clear()
        self._pending.clear()

    async def list_users(self, *, include_inactive: bool = True) -> list[User]:
        stmt = select(USERS).order_by(USERS.c.created_at, USERS.c.id)
        if not include_inactive:
            stmt = stmt.where(USERS.c.is_active.is_(True))
        return [user_from_row(r) for r in (await self.session.execute(stmt)).all()]

    async def active_ids_with_role(self, role: Role) -> list[int]:
        stmt = select(USERS.c.id).where(USERS.c.role == role, USERS.c.is_active.is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def add_invite(self, invite: Invite) -> None:
        await self._before_write()
        await self.session.execute(
            insert(INVITES).values(
                code=invite.code, role=invite.role, created_by=invite.created_by, expires_at=invite.expires_at
            )
        )

    async def get_invite(self, code: str, *, lock: bool = False) -> Invite | None:
        stmt = select(INVITES).where(INVITES.c.code == code)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).first()
        return _invite(row) if row is not None else None

    async def spend_invite(self, code: str, *, used_by: int, used_at: datetime) -> None:
        await self._before_write()
        await self.session.execute(
            update(INVITES).where(INVITES.c.code == code).values(used_by=used_by, used_at=used_at)
        )

    def _remember(self, user: User) -> User:
        self._known[user.id] = user
        return user
