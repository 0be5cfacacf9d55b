"""Unit of work: one session, one transaction. Rolls back unless a service commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.storage.bulk import ImportRepository
from core.storage.ml import MlRepository
from core.storage.repositories import (
    ApiKeyRepository,
    LeadRepository,
    OutboxRepository,
    ProcessedUpdateRepository,
    SaleRepository,
    UserRepository,
)


class UnitOfWork:
    session: AsyncSession

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._depth = 0

    async def __aenter__(self) -> UnitOfWork:
        if self._depth == 0:
            self.session = self._session_factory()
            self.leads = LeadRepository(self.session)
            self.sales = SaleRepository(self.session)
            self.users = UserRepository(self.session)
            self.api_keys = ApiKeyRepository(self.session)
            self.outbox = OutboxRepository(self.session)
            self.ml = MlRepository(self.session)
            self.updates = ProcessedUpdateRepository(self.session)
            self.imports = ImportRepository(self.session)
        self._depth += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth == 0:
            try:
                await self.session.rollback()
            finally:
                await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
