"""Engine and session factory, plus the embedded PostgreSQL used when DATABASE_URL is unset."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine, AsyncSession

from core.config import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB_NAME = "leadcrm"


def start_embedded_postgres(data_dir: Path, database: str = EMBEDDED_DB_NAME) -> str:
    """Start (or reuse) a PostgreSQL shipped in the ``pgserver`` wheel; return an asyncpg URL.

    The server listens on a Unix socket only and keeps its data under ``data_dir/pg``.
    """
    import pgserver  # heavy import, only needed for the embedded default

    pgdata = (data_dir / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    uri = server.get_uri(database)  # postgresql://postgres:@/db?host=/socket/dir
    parts = urlsplit(uri)
    log.info("embedded PostgreSQL running, data in %s", pgdata)
    return f"postgresql+asyncpg://postgres@/{database}?{parts.query}"


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL if set, else the embedded server (started on first use)."""
    if settings.database_url:
        return settings.database_url
    url = start_embedded_postgres(settings.data_dir)
    settings.database_url = url
    return url


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False, echo=echo)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
