"""REST API benchmark (not a test): latency of the lead reads and throughput of lead creation at scale.

    .venv/bin/python bench/api.py                 # 1,000,000 leads (several minutes)
    .venv/bin/python bench/api.py --leads 50000   # a quick run

What it does, on the PostgreSQL server of DATABASE_URL (or 127.0.0.1:5432 when unset):
1. creates a throw-away database, migrates it (alembic), seeds N leads with COPY spread over 200 owners
   and 5 stages, ANALYZEs it; the database is dropped at the end;
2. serves the real app (``api.app.create_app``) under uvicorn on 127.0.0.1 in this process and measures over
   real HTTP with httpx: p50/p99 of ``GET /leads?stage=..&owner_id=..&limit=50`` and of ``GET /leads/{id}``
   (sequential requests) and req/s of ``POST /leads/`` from 32 concurrent clients (one keep-alive connection each);
3. serves a bare FastAPI endpoint doing one asyncpg INSERT with the same uvicorn and client set-up and
   prints the POST throughput ratio (ours / bare).
Both servers run with the access log off; client and servers share one event loop, so the numbers include
the client's own cost (equally for both sides of the ratio).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from api.app import create_app
from core.config import Settings
from core.services.api_keys import create_api_key
from core.storage.db import make_engine, make_session_factory
from core.storage.migrate import upgrade_async
from core.storage.uow import SqlUnitOfWork

STAGES = ["new", "contacted", "qualified", "transferred", "lost"]
SOURCES = ["scanner", "partner", "manual"]
DOMAINS = ["fintech", "ecommerce", "edtech", "healthcare", "saas", None]
OWNERS = 200
FIRST_OWNER = 5_000_001


# --- database set-up ---------------------------------------------------------------------------------------


def _server_url(settings: Settings) -> str:
    return settings.database_url or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _asyncpg_dsn(sqlalchemy_url: str, database: str) -> str:
    url = make_url(sqlalchemy_url).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(server_url, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _rows(start: int, count: int, rng: random.Random, now: datetime):
    for i in range(start, start + count):
        updated = now - timedelta(seconds=rng.randrange(365 * 24 * 3600))
        created = updated - timedelta(seconds=rng.randrange(30 * 24 * 3600))
        stage = STAGES[i % 5]
        acts = rng.randrange(12)
        yield (
            SOURCES[i % 3],
            stage,
            FIRST_OWNER + rng.randrange(OWNERS),
            DOMAINS[i % len(DOMAINS)],
            '{"country": "DE"}' if i % 4 == 0 else "{}",
            acts,
            json.dumps({"call": acts}) if acts else "{}",
            f"Company {i}",
            f"lead{i}@example.com" if i % 2 else None,
            1,
            created,
            updated,
        )


LEAD_COLUMNS = [
    "source",
    "stage",
    "owner_id",
    "business_domain",
    "attributes",
    "activity_count",
    "activity_counts",
    "name",
    "contact",
    "version",
    "created_at",
    "updated_at",
]


async def seed(dsn: str, leads: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "users",
            records=[(FIRST_OWNER + i, f"Manager {i}", "manager", True, now, now) for i in range(OWNERS)],
            columns=["id", "full_name", "role", "is_active", "created_at", "updated_at"],
        )
        rng = random.Random(42)
        chunk = 100_000
        t0 = time.perf_counter()
        for start in range(0, leads, chunk):
            await conn.copy_records_to_table(
                "leads", records=_rows(start, min(chunk, leads - start), rng, now), columns=LEAD_COLUMNS
            )
            done = min(start + chunk, leads)
            print(f"\r  seeded {done:,}/{leads:,} leads ({time.perf_counter() - t0:.0f}s)", end="", flush=True)
        print()
        await conn.execute("VACUUM ANALYZE leads")
        await conn.execute("ANALYZE users")
    finally:
        await conn.close()


# --- servers -----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def running(app: FastAPI):
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(600):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError("uvicorn did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


class BareLead(BaseModel):
    source: str


def bare_app(dsn: str, pool_size: int) -> FastAPI:
    """The yardstick: FastAPI + one asyncpg INSERT, no ORM, no auth, no domain rules."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size * 2)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/leads/", status_code=201)
    async def create(body: BareLead) -> dict:
        lead_id = await app.state.pool.fetchval(
            "INSERT INTO leads (source, stage, version, created_at, updated_at)"
            " VALUES ($1, 'new', 1, now(), now()) RETURNING id",
            body.source,
        )
        return {"id": lead_id, "source": body.source, "stage": "new"}

    return app


# --- measurements ------------------------------------------------------------------------------------------


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def latencies(client: httpx.AsyncClient, make_url_: Callable[[], str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        url = make_url_()
        t0 = time.perf_counter()
        response = await client.get(url)
        out.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} -> {response.status_code} {response.text[:200]}")
    return out


async def throughput(base_url: str, key: str, total: int, concurrency: int) -> float:
    """req/s of ``POST /leads/`` from ``concurrency`` clients, each with its own keep-alive connection."""
    left = total
    body = [{"source": s} for s in SOURCES]

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            response = await client.post("/leads/", json=body[left % 3])
            if response.status_code != 201:
                raise RuntimeError(f"POST /leads/ -> {response.status_code} {response.text[:200]}")

    clients = [_client(base_url, key) for _ in range(concurrency)]
    try:
        for client in clients:  # open the connections before the clock starts
            await client.get("/health")
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in clients))
        return total / (time.perf_counter() - t0)
    finally:
        for client in clients:
            await client.aclose()


def _client(base_url: str, key: str) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}, limits=limits, timeout=60)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0))
    return (
        f"{os.cpu_count()} CPUs ({usable} usable), {model}; {platform.platform()}; Python {platform.python_version()}"
    )


async def run(args: argparse.Namespace) -> None:
    base = Settings(_env_file=None) if args.no_env_file else Settings()
    server_url = _server_url(base)
    name = f"leadcrm_bench_{uuid.uuid4().hex[:8]}"
    db_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    dsn = _asyncpg_dsn(server_url, name)
    print(f"machine: {machine()}")
    print(f"database: {make_url(db_url).render_as_string(hide_password=True)}")
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        conn = await asyncpg.connect(dsn)
        print(
            f"postgres: {await conn.fetchval('SHOW server_version')}, "
            f"shared_buffers {await conn.fetchval('SHOW shared_buffers')}"
        )
        await conn.close()
        t0 = time.perf_counter()
        await upgrade_async(db_url)
        await seed(dsn, args.leads)
        print(f"  set-up took {time.perf_counter() - t0:.0f}s")

        engine = make_engine(db_url, pool_size=1)
        _, key = await create_api_key(SqlUnitOfWork(make_session_factory(engine)), "bench")
        await engine.dispose()

        settings = base.model_copy(update={"database_url": db_url})
        rng = random.Random(7)
        results: list[tuple[str, str]] = []
        async with running(create_app(settings)) as url, _client(url, key) as client:
            await latencies(client, lambda: f"/leads/{rng.randrange(1, args.leads + 1)}", 200)  # warm-up
            lst = await latencies(
                client,
                lambda: f"/leads?stage={rng.choice(STAGES)}&owner_id={FIRST_OWNER + rng.randrange(OWNERS)}&limit=50",
                args.requests,
            )
            one = await latencies(client, lambda: f"/leads/{rng.randrange(1, args.leads + 1)}", args.requests)
            for label, samples in (("GET /leads?stage&owner_id&limit=50", lst), ("GET /leads/{id}", one)):
                results.append((label, f"p50 {_pct(samples, 50):6.2f} ms   p99 {_pct(samples, 99):6.2f} ms"))
            async with running(bare_app(dsn, settings.db_pool_size)) as bare_url:
                ours, bare = [], []
                await throughput(url, key, 300, args.concurrency)  # warm-up
                await throughput(bare_url, key, 300, args.concurrency)
                for _ in range(args.rounds):  # alternate, so background load on the machine hits both sides alike
                    ours.append(await throughput(url, key, args.posts, args.concurrency))
                    bare.append(await throughput(bare_url, key, args.posts, args.concurrency))
        ours_rps, bare_rps = statistics.median(ours), statistics.median(bare)
        results.append(
            (
                f"POST /leads/ x{args.concurrency} concurrent",
                f"{ours_rps:7.0f} req/s  (median of runs: {', '.join(f'{r:.0f}' for r in ours)})",
            )
        )
        results.append(
            (
                "bare FastAPI + 1 asyncpg INSERT",
                f"{bare_rps:7.0f} req/s  (median of runs: {', '.join(f'{r:.0f}' for r in bare)})",
            )
        )
        results.append(("POST ratio ours / bare", f"{ours_rps / bare_rps:7.2f}   (target >= 0.5)"))

        print()
        print(
            f"Lead AI CRM API benchmark: {args.leads:,} leads, {OWNERS} owners, 5 stages, "
            f"{args.requests} sequential GETs each, {args.posts} POSTs per run"
        )
        width = max(len(label) for label, _ in results)
        print("-" * (width + 50))
        for label, value in results:
            print(f"{label:<{width}}  {value}")
        print("-" * (width + 50))
        print("target: p99 < 20 ms at 1M leads; POST ratio >= 0.5")
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads to seed (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=2000, help="sequential GETs per measurement")
    parser.add_argument("--posts", type=int, default=3000, help="POSTs per throughput run")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent POST clients")
    parser.add_argument("--rounds", type=int, default=3, help="alternating POST runs per app (median is shown)")
    parser.add_argument("--no-env-file", action="store_true", help="ignore ./.env")
    args = parser.parse_args()
    if args.leads < 1:
        parser.error("--leads must be at least 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
