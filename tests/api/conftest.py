"""API test fixtures: the real app over httpx's ASGI transport, on the per-test rollback database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.config import Settings
from core.domain.enums import Role
from core.services.api_keys import create_api_key
from core.storage.models import UserRow
from core.storage.uow import SqlUnitOfWork


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url)


@pytest.fixture
def app(settings, session_factory, services) -> FastAPI:
    # No key cache here, so revocation is visible at once; the cache has its own tests.
    return create_app(settings, session_factory=session_factory, services=services, api_key_cache_seconds=0)


@pytest.fixture
async def api_key(session_factory) -> str:
    _, secret = await create_api_key(SqlUnitOfWork(session_factory), "test-client")
    return secret


@pytest.fixture
async def anon(app) -> AsyncIterator[httpx.AsyncClient]:
    """A client without an API key."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
        yield client


@pytest.fixture
async def client(app, api_key) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers={"X-API-Key": api_key}
    ) as c:
        yield c


@pytest.fixture
async def managers(session_factory) -> list[int]:
    """Two users that leads can be assigned to."""
    async with session_factory() as session:
        session.add_all(
            [
                UserRow(id=7001, full_name="Anna", role=Role.MANAGER),
                UserRow(id=7002, full_name="Boris", role=Role.MANAGER),
            ]
        )
        await session.commit()
    return [7001, 7002]
