"""Pipeline board benchmark (not a test): latency of the Mini App's endpoints (``/app/api/``) at scale.

    .venv/bin/python bench/board.py                 # 1,000,000 leads (several minutes)
    .venv/bin/python bench/board.py --leads 50000   # a quick run

What it does, on the PostgreSQL server of DATABASE_URL (or 127.0.0.1:5432 when unset):
1. creates a throw-away database, migrates it, seeds N leads over 200 managers and 5 stages the way
   ``bench/api.py`` does (COPY), a deal for every 10th transferred lead, a team lead; the database is dropped at
   the end;
2. serves the real app (``api.app.create_app`` with a bot token) under uvicorn in this process and measures over
   real HTTP, sequential requests, every one authenticated by signed initData (HMAC check + user lookup):
   the board of a manager (~N/200 leads), of a team lead (every lead: counts stop at 10,000), a team lead's board
   filtered by one manager, a search, a card's detail, a drag (POST move, one step, a new lead each time), the
   deals board;
3. the REST API's ``GET /leads?stage&owner_id&limit=50`` in the same run, as the yardstick (ratio).
Client and server share one event loop, so the numbers include the client's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import httpx
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from api.app import create_app
from api.board.auth import sign_init_data
from bench.api import (
    FIRST_OWNER,
    OWNERS,
    STAGES,
    _admin,
    _asyncpg_dsn,
    _pct,
    _server_url,
    latencies,
    machine,
    running,
    seed,
)
from core.config import Settings
from core.services.api_keys import create_api_key
from core.storage.db import make_engine, make_session_factory
from core.storage.migrate import upgrade_async
from core.storage.uow import SqlUnitOfWork

BOT_TOKEN = "1000001:bench-board-token"
TEAM_LEAD = 4_000_001
TARGET_MS = 50.0


async def seed_board(dsn: str) -> int:
    """A team lead, and deals for every 10th transferred lead (spread over the deal stages)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO users (id, full_name, role, is_active) VALUES ($1, 'Bench Lead', 'team_lead', true)",
            TEAM_LEAD,
        )
        await conn.execute(
            """
            INSERT INTO sales (lead_id, stage, amount, currency)
            SELECT id, (ARRAY['new','kyc','agreement','paid','lost'])[1 + id % 5]::sale_stage,
                   (id % 1000 + 1) * 10, 'USD'
            FROM leads WHERE stage = 'transferred' AND id % 50 = 4
            """
        )
        await conn.execute("ANALYZE sales")
        return int(await conn.fetchval("SELECT count(*) FROM sales"))
    finally:
        await conn.close()


def board_client(base_url: str, user_id: int) -> httpx.AsyncClient:
    init_data = sign_init_data(BOT_TOKEN, {"id": user_id, "first_name": "Bench", "language_code": "en"})
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"tma {init_data}"}, limits=limits, timeout=60
    )


async def moves(client: httpx.AsyncClient, lead_ids: list[int], n: int) -> list[float]:
    """``n`` drags new -> contacted, each on a lead not moved before (version 1 as seeded)."""
    out = []
    for lead_id in lead_ids[:n]:
        t0 = time.perf_counter()
        response = await client.post(f"/app/api/leads/{lead_id}/move", json={"to": "contacted", "version": 1})
        out.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"move {lead_id} -> {response.status_code} {response.text[:200]}")
    return out


async def run(args: argparse.Namespace) -> None:
    base = Settings(_env_file=None) if args.no_env_file else Settings()
    server_url = _server_url(base)
    name = f"leadcrm_bench_board_{uuid.uuid4().hex[:8]}"
    db_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    dsn = _asyncpg_dsn(server_url, name)
    print(f"machine: {machine()}")
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        t0 = time.perf_counter()
        await upgrade_async(db_url)
        await seed(dsn, args.leads)
        deals = await seed_board(dsn)
        print(f"  set-up took {time.perf_counter() - t0:.0f}s ({deals:,} deals)")
        engine = make_engine(db_url, pool_size=1)
        _, key = await create_api_key(SqlUnitOfWork(make_session_factory(engine)), "bench")
        await engine.dispose()
        conn = await asyncpg.connect(dsn)
        new_leads = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM leads WHERE stage = 'new' ORDER BY random() LIMIT $1", args.requests + 50
            )
        ]
        manager = int(
            await conn.fetchval("SELECT owner_id FROM leads GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1")
        )
        per_manager = int(await conn.fetchval("SELECT count(*) FROM leads WHERE owner_id = $1", manager))
        await conn.close()

        settings = base.model_copy(update={"database_url": db_url, "bot_token": SecretStr(BOT_TOKEN)})
        rng = random.Random(7)
        results: list[tuple[str, list[float]]] = []
        async with (
            running(create_app(settings)) as url,
            board_client(url, manager) as as_manager,
            board_client(url, TEAM_LEAD) as as_lead,
            httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=60) as rest,
        ):
            await latencies(as_lead, lambda: "/app/api/board", 30)  # warm-up
            await latencies(as_manager, lambda: "/app/api/board", 30)
            await latencies(rest, lambda: "/leads?limit=50", 30)
            n = args.requests

            def owner() -> int:
                return FIRST_OWNER + rng.randrange(OWNERS)

            def stage() -> str:
                return rng.choice(STAGES)

            plan = [
                (f"board, manager ({per_manager:,} leads)", as_manager, lambda: "/app/api/board"),
                ("board, team lead (all leads)", as_lead, lambda: "/app/api/board"),
                ("board, team lead, ?owner=", as_lead, lambda: f"/app/api/board?owner={owner()}"),
                ("board, team lead, ?source=partner", as_lead, lambda: "/app/api/board?source=partner"),
                (
                    "board, team lead, ?q=<company>",
                    as_lead,
                    lambda: f"/app/api/board?q=Company%20{rng.randrange(args.leads)}",
                ),
                ("column 'show more' (offset 100)", as_lead, lambda: "/app/api/board/column/new?offset=100"),
                ("lead detail", as_lead, lambda: f"/app/api/leads/{rng.randrange(1, args.leads + 1)}"),
                ("deals board (team lead)", as_lead, lambda: "/app/api/deals"),
                (
                    "REST GET /leads?stage&owner_id&limit=50",
                    rest,
                    lambda: f"/leads?stage={stage()}&owner_id={owner()}&limit=50",
                ),
            ]
            for label, client, make in plan:
                count = max(20, n // 5) if "?q=" in label else n
                results.append((label, await latencies(client, make, count)))
            results.append(("drag new -> contacted (POST move)", await moves(as_lead, new_leads, n)))

        yardstick = _pct(next(s for label, s in results if label.startswith("REST")), 50)
        print()
        print(f"Pipeline board benchmark: {args.leads:,} leads, {OWNERS} managers, {n} sequential requests each")
        width = max(len(label) for label, _ in results)
        print("-" * (width + 62))
        for label, samples in results:
            p50, p99 = _pct(samples, 50), _pct(samples, 99)
            mark = "" if label.startswith("REST") else ("  ok" if p99 < TARGET_MS else "  OVER")
            print(f"{label:<{width}}  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  p50/REST {p50 / yardstick:5.1f}x{mark}")
        print("-" * (width + 62))
        print(f"target: p99 < {TARGET_MS:.0f} ms at 1M leads (the REST list is the yardstick, same run)")
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads to seed (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests per measurement")
    parser.add_argument("--no-env-file", action="store_true", help="ignore ./.env")
    args = parser.parse_args()
    if args.leads < 1000:
        parser.error("--leads must be at least 1000")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
