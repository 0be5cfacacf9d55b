"""The unit of work on PostgreSQL: one session, one transaction; nested levels are savepoints.

``async with uow`` opens the transaction; it rolls back unless a service commits. An inner ``async with uow``
(a service called inside the bot's per-update unit of work) is a SAVEPOINT: leaving it without a commit rolls
back to the savepoint, so an inner failure can never be committed by a later commit. ``commit()`` at any level
commits the whole transaction — the bot's update id, recorded by the outer level, lands with the change.

The savepoint is taken lazily, just before the inner level's first write (repositories call ``before_write``):
a level that only reads has nothing to undo and costs no extra round trip; a level that writes costs one
(``SAVEPOINT``; the ``COMMIT`` ends it, PostgreSQL needs no ``RELEASE``).
"""

from __future__ import annotations

import logging
from types import TracebackType

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.domain.models import User
from core.storage.bulk import SqlImportRepository
from core.storage.repositories.api_keys import SqlApiKeyRepository
from core.storage.repositories.export import SqlExportRepository
from core.storage.repositories.idempotency import SqlIdempotencyRepository
from core.storage.repositories.inbox import SqlInboxRepository
from core.storage.repositories.leads import SqlLeadRepository
from core.storage.repositories.ml import SqlMlRepository
from core.storage.repositories.outbox import SqlOutboxRepository
from core.storage.repositories.reports import SqlReportRepository
from core.storage.repositories.sales import SqlSaleRepository
from core.storage.repositories.schedule import SqlScheduleRepository
from core.storage.repositories.team import SqlTeamRepository
from core.storage.repositories.users import SqlUserRepository
from core.storage.repositories.webhooks import SqlWebhookRepository

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    session: AsyncSession

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._levels: list[str | None] = []  # per open level: its savepoint's name once taken (outer: None)
        self._taken = 0  # savepoints named so far in this transaction

    async def __aenter__(self) -> SqlUnitOfWork:
        if not self._levels:
            self.session = self._session_factory()
            self._known_users: dict[int, User] = {}
            self._taken = 0
            self.leads = SqlLeadRepository(self.session, self.before_write)
            self.sales = SqlSaleRepository(self.session, self.before_write)
            self.users = SqlUserRepository(self.session, self.before_write, self._known_users)
            self.api_keys = SqlApiKeyRepository(self.session, self.before_write)
            self.outbox = SqlOutboxRepository(self.session, self.before_write)
            self.ml = SqlMlRepository(self.session, self.before_write)
            self.inbox = SqlInboxRepository(self.session, self.before_write, self._known_users)
            self.imports = SqlImportRepository(self.session, self.before_write)
            self.team = SqlTeamRepository(self.session, self.before_write)
            self.schedule = SqlScheduleRepository(self.session, self.before_write)
            self.idempotency = SqlIdempotencyRepository(self.session, self.before_write)
            self.webhooks = SqlWebhookRepository(self.session, self.before_write)
            self.reports = SqlReportRepository(self.session, self.before_write)
            self.exports = SqlExportRepository(self.session, self.before_write)
        self._levels.append(None)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        savepoint = self._levels.pop()
        if self._levels:  # an inner level
            if savepoint is not None and self.session.in_transaction():  # wrote and did not commit: undo it
                self.users.forget()
                await self.session.execute(text(f"ROLLBACK TO SAVEPOINT {savepoint}"))
            return
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def before_write(self) -> None:
        """Called by repositories before they change anything: an inner level takes its savepoint now."""
        if len(self._levels) > 1 and self._levels[-1] is None:
            self._taken += 1
            name = f"uow_{self._taken}"
            await self.session.execute(text(f"SAVEPOINT {name}"))
            self._levels[-1] = name

    async def commit(self) -> None:
        """Commit the whole transaction; the savepoints of the levels still open end with it."""
        await self.users.write_pending()
        await self.session.commit()
        self._levels = [None] * len(self._levels)
        self._taken = 0

    async def rollback(self) -> None:
        self.users.forget()
        await self.session.rollback()
        self._levels = [None] * len(self._levels)
        self._taken = 0

    async def schema_revision(self) -> str | None:
        """``alembic_version``'s one row; None when the table does not exist (a database never migrated)."""
        exists = (await self.session.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL"))).scalar()
        if not exists:
            return None
        return (await self.session.execute(text("SELECT version_num FROM alembic_version"))).scalar()

    async def ping(self) -> bool:
        """``SELECT 1``; False (logged) when the database refuses or fails."""
        try:
            return (await self.session.execute(select(1))).scalar() == 1
        except SQLAlchemyError as err:
            log.warning("database health check failed: %s", type(err).__name__)
            return False
