"""The bot's side of ``/metrics``: every update counted by type and outcome and timed (``UpdateMetrics``, the
first outer middleware), and a small HTTP server for the scrape (``serve``, on METRICS_PORT) that renders
``core.metrics`` (the outbox sender records its sends, retries, give-ups and flood-limit waits there)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from time import perf_counter
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from aiohttp import web

from core import metrics

log = logging.getLogger(__name__)


class UpdateMetrics(BaseMiddleware):
    """``leadcrm_updates_total{type, outcome}`` (handled / unhandled / error) and ``leadcrm_update_seconds``."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        started = perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            metrics.UPDATES.labels(kind, outcome).inc()
            metrics.UPDATE_SECONDS.labels(kind).observe(perf_counter() - started)


@contextlib.asynccontextmanager
async def serve(host: str, port: int | None, render: Callable[[], Awaitable[bytes]]) -> AsyncIterator[int | None]:
    """``GET /metrics`` on ``host:port`` while the block runs (None: no server); yields the bound port.
    ``render``: the exposition (``core.metrics.exposition`` over the bot's database, built by ``run_bot``)."""
    if port is None:
        yield None
        return

    async def scrape(request: web.Request) -> web.Response:
        return web.Response(body=await render(), headers={"Content-Type": metrics.CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("metrics on http://%s:%s/metrics", host, bound)
    try:
        yield bound
    finally:
        await runner.cleanup()
