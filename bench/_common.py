"""Shared helpers for the benchmarks: a throw-away database, percentiles, process resources."""

from __future__ import annotations

import os
import resource
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url

from core.config import Settings

LOCAL_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def server_url(settings: Settings) -> str:
    """DATABASE_URL's server, or PostgreSQL on 127.0.0.1:5432."""
    return settings.database_url or LOCAL_SERVER


def asyncpg_dsn(sqlalchemy_url: str, database: str) -> str:
    url = make_url(sqlalchemy_url).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


def database_url(sqlalchemy_url: str, database: str) -> str:
    return make_url(sqlalchemy_url).set(database=database).render_as_string(hide_password=False)


async def admin_sql(server: str, sql: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(server, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def server_version(server: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(server, "postgres"))
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(server: str, prefix: str) -> AsyncIterator[str]:
    """Create a uniquely named database on ``server``; yield its SQLAlchemy URL; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await admin_sql(server, f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server, name)
    finally:
        await admin_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pct(samples: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``samples``; NaN when empty."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)"
    except OSError:
        return "n/a"
