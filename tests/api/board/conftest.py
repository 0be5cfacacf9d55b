"""The board's endpoint tests: the real app over httpx, on the per-test rollback database, with a bot token so
initData can be checked; ``board_client(user_id)`` is a client that sends initData signed for that user
(``tests/initdata.py``: Telegram's recipe, written apart from the product's code)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.config import Settings
from core.domain.enums import Role
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.storage.models import UserRow
from core.storage.uow import SqlUnitOfWork
from tests.initdata import sign_init_data

BOT_TOKEN = "123456:board-test-token"
MANAGER, OTHER_MANAGER, TEAM_LEAD, ADMIN, INACTIVE = 8101, 8102, 8103, 8104, 8105

ClientFor = Callable[..., httpx.AsyncClient]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, bot_token=BOT_TOKEN)


@pytest.fixture
def app(settings, session_factory, services) -> FastAPI:
    return create_app(settings, session_factory=session_factory, services=services, api_key_cache_seconds=0)


@pytest.fixture
async def people(session_factory) -> dict[str, int]:
    async with session_factory() as session:
        session.add_all(
            [
                UserRow(id=MANAGER, full_name="Max Manager", role=Role.MANAGER, language="en"),
                UserRow(id=OTHER_MANAGER, full_name="Olga Other", role=Role.MANAGER, language="ru"),
                UserRow(id=TEAM_LEAD, full_name="Tom Lead", role=Role.TEAM_LEAD, language="en"),
                UserRow(id=ADMIN, full_name="Alice Admin", role=Role.ADMIN, language="en"),
                UserRow(id=INACTIVE, full_name="Ian Inactive", role=Role.MANAGER, is_active=False),
            ]
        )
        await session.commit()
    return {"manager": MANAGER, "other": OTHER_MANAGER, "lead": TEAM_LEAD, "admin": ADMIN, "inactive": INACTIVE}


def init_data_for(user_id: int, **kwargs: object) -> str:
    return sign_init_data(BOT_TOKEN, user_id, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def board_client(app, people) -> AsyncIterator[ClientFor]:
    """``board_client(user_id, language_code="en")``: a client whose every request carries that user's initData."""
    async with AsyncExitStack() as stack:

        def make(user_id: int, **kwargs: object) -> httpx.AsyncClient:
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://board.test",
                headers={"Authorization": f"tma {init_data_for(user_id, **kwargs)}"},
            )
            stack.push_async_callback(client.aclose)
            return client

        yield make


@pytest.fixture
async def raw(app) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends whatever headers the test gives."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://board.test") as client:
        yield client


@pytest.fixture
def make_lead(session_factory, services, people) -> Callable[..., object]:
    """``await make_lead(owner_id, name=..., **fields)``: a lead created through the service, as the bot does."""

    async def make(owner_id: int | None, name: str = "Ann Lee", source: str = "manual", **fields: Any):
        actor = Actor.system("test")
        return await leads_svc.create_lead(
            SqlUnitOfWork(session_factory), services, actor, source=source, name=name, owner_id=owner_id, **fields
        )

    return make
