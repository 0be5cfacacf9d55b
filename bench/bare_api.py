"""The yardstick of ``bench/api_wrk.py``: FastAPI + one asyncpg statement per request, no ORM, no auth, no rules,
on the product's server stack (uvicorn, uvloop, httptools, no access log), one process.

    python -m bench.bare_api --dsn postgresql://postgres@127.0.0.1/db --port 8100
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

POOL = 20  # as DB_POOL_SIZE


class BareLead(BaseModel):
    source: str
    name: str | None = None


def bare_app(dsn: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=POOL, max_size=POOL)
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/leads/", status_code=201)
    async def create(body: BareLead) -> dict[str, object]:
        lead_id = await app.state.pool.fetchval(
            "INSERT INTO leads (source, stage, name, version, created_at, updated_at)"
            " VALUES ($1, 'new', $2, 1, now(), now()) RETURNING id",
            body.source,
            body.name,
        )
        return {"id": lead_id, "source": body.source, "name": body.name, "stage": "new"}

    @app.get("/leads/{lead_id}")
    async def one(lead_id: int) -> dict[str, object]:
        row = await app.state.pool.fetchrow("SELECT id, source, stage, name FROM leads WHERE id = $1", lead_id)
        if row is None:
            raise HTTPException(404, "not found")
        return dict(row)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(bare_app(args.dsn), host=args.host, port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
