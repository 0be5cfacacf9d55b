"""A database that hangs (accepts the connection, never answers) must not hang the API: /ready answers 503
within its 3 s budget, a /leads request answers 503 within the configured timeouts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from core.config import Settings
from core.services.api_keys import create_api_key
from core.storage.uow import SqlUnitOfWork

HEALTH_BUDGET = 3.0


@asynccontextmanager
async def serving(app, **client_kwargs) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own engine (built from its settings in the lifespan) and a client on it."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://api.test", **client_kwargs) as client,
    ):
        yield client


@pytest.fixture
async def hung_database() -> AsyncIterator[str]:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte; its asyncpg URL."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # keep the socket open, say nothing

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"postgresql+asyncpg://postgres:secret@127.0.0.1:{port}/leadcrm"
    finally:
        for writer in held:
            writer.close()
        server.close()


class FreezingProxy:
    """A TCP proxy to the real PostgreSQL that can freeze: from then on it forwards nothing in either
    direction (the database "hangs" on connections that are already open, as a stopped server does)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.frozen = asyncio.Event()
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if self.frozen.is_set():
                continue  # swallowed: the other side waits for an answer that never comes
            writer.write(data)
            await writer.drain()

    async def stop(self) -> None:
        for writer in self._writers:
            writer.close()
        if self._server is not None:
            self._server.close()


@pytest.fixture
async def api_on_hung_database(hung_database, services) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(_env_file=None, database_url=hung_database, db_connect_timeout=1.0, db_pool_timeout=1.0)
    async with serving(create_app(settings, services=services)) as client:
        yield client


async def test_ready_answers_503_within_its_budget_when_the_database_hangs(api_on_hung_database) -> None:
    started = time.monotonic()
    response = await api_on_hung_database.get("/ready")
    elapsed = time.monotonic() - started
    assert (response.status_code, response.json()["checks"]["database"]) == (503, "unavailable")
    assert elapsed < HEALTH_BUDGET + 0.5, f"/ready took {elapsed:.1f} s"
    assert (await api_on_hung_database.get("/health")).status_code == 200  # liveness: the process still serves


async def test_ready_with_the_default_timeouts_answers_within_its_budget(hung_database, services) -> None:
    async with serving(create_app(Settings(_env_file=None, database_url=hung_database), services=services)) as client:
        started = time.monotonic()
        response = await client.get("/ready")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < HEALTH_BUDGET + 0.5, f"/ready took {elapsed:.1f} s"


async def test_a_request_is_503_within_the_connect_timeout_when_the_database_hangs(api_on_hung_database) -> None:
    started = time.monotonic()
    response = await api_on_hung_database.get("/leads", headers={"X-API-Key": "whatever"})
    elapsed = time.monotonic() - started
    assert (response.status_code, response.json()) == (503, {"detail": "Database unavailable, try again later"})
    assert elapsed < 2.5, f"the request took {elapsed:.1f} s"


async def test_api_sessions_carry_the_statement_timeout(settings, services) -> None:
    """Every connection of the API's engine runs with DB_STATEMENT_TIMEOUT (PostgreSQL cancels a longer one)."""
    from sqlalchemy import text

    app = create_app(settings.model_copy(update={"db_statement_timeout": 0.5}), services=services)
    async with app.router.lifespan_context(app), app.state.session_factory() as session:
        shown = (await session.execute(text("SHOW statement_timeout"))).scalar()
    assert shown == "500ms"


async def test_a_request_stuck_behind_a_lock_is_503_once_the_statement_timeout_passes(
    settings, services, committing_factory
) -> None:
    from sqlalchemy import text

    _, api_key = await create_api_key(SqlUnitOfWork(committing_factory), "lock-test")
    app = create_app(settings.model_copy(update={"db_statement_timeout": 0.5}), services=services)
    async with serving(app, headers={"X-API-Key": api_key}) as client:
        lead = (await client.post("/leads/", json={"source": "manual"})).json()
        async with committing_factory() as holder, holder.begin():
            await holder.execute(text("SELECT 1 FROM leads WHERE id = :id FOR UPDATE"), {"id": lead["id"]})
            started = time.monotonic()
            response = await client.patch(f"/leads/{lead['id']}", json={"name": "Ann"})
            elapsed = time.monotonic() - started
    assert (response.status_code, response.json()) == (503, {"detail": "Database busy, try again later"})
    assert elapsed < 2.0


async def test_ready_answers_503_within_its_budget_when_an_open_connection_hangs(database_url, services) -> None:
    from sqlalchemy.engine import make_url

    real = make_url(database_url)
    proxy = FreezingProxy(real.host or "127.0.0.1", real.port or 5432)
    port = await proxy.start()
    url = real.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    app = create_app(Settings(_env_file=None, database_url=url), services=services, ready_cache_seconds=0)
    try:
        async with serving(app) as client:
            assert (await client.get("/ready")).status_code == 200  # a pooled connection is open now
            proxy.frozen.set()
            started = time.monotonic()
            response = await client.get("/ready")
            elapsed = time.monotonic() - started
            assert response.status_code == 503
            assert elapsed < HEALTH_BUDGET + 0.5, f"/ready took {elapsed:.1f} s"
            started = time.monotonic()
            response = await client.get("/ready")  # and again: the hung connection is not reused
            assert response.status_code == 503
            assert time.monotonic() - started < HEALTH_BUDGET + 0.5
    finally:
        await proxy.stop()
