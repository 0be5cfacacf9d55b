"""Webhook mode's front door: Telegram POSTs each update here, and it is stored in the inbox before it is answered.

``POST <path of WEBHOOK_URL>``:

- ``X-Telegram-Bot-Api-Secret-Token`` is compared with ``WEBHOOK_SECRET`` in constant time
  (``hmac.compare_digest``); wrong or missing -> 401, counted (``leadcrm_webhook_requests{outcome="unauthorized"}``),
  and nothing is read or stored;
- the update is stored in the durable inbox (``core.services.inbox.receive``, one statement; ``update_id`` is
  unique, so a redelivery stores nothing) and answered 200 at once: the workers of every replica apply it
  (bot/inbox_workers.py), not this request;
- the database away -> 503, so Telegram delivers the update again later; a body that is not an update -> 400.

``GET /health``: liveness of the replica (the compose healthcheck). Nothing here calls ``deleteWebhook``: a
replica that stops leaves the webhook to the others (a rolling restart must not silence the bot).
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inbox import received
from bot.middlewares.db import database_unavailable
from core import metrics
from core.services import inbox as inbox_svc
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookReceiver:
    """The aiohttp handler of Telegram's posts; ``on_stored`` wakes this replica's workers for a new update."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        secret: str,
        *,
        on_stored: Callable[[], None] = lambda: None,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self.session_factory = session_factory
        self._secret = secret.encode()
        self._on_stored = on_stored

    async def handle(self, request: web.Request) -> web.Response:
        token = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(token, self._secret):
            metrics.WEBHOOK_REQUESTS.labels("unauthorized").inc()
            return _answer(401, "wrong or missing secret token")
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            metrics.WEBHOOK_REQUESTS.labels("bad_request").inc()
            return _answer(400, "the body is not JSON")
        update = received(payload)  # None (logged): no usable update_id
        if update is None:
            metrics.WEBHOOK_REQUESTS.labels("bad_request").inc()
            return _answer(400, "not a Telegram update (no usable update_id)")
        try:
            new = await inbox_svc.receive(SqlUnitOfWork(self.session_factory), [update])
        except Exception as error:
            if not database_unavailable(error):
                raise
            metrics.WEBHOOK_REQUESTS.labels("unavailable").inc()
            log.warning("update %s not stored (database unavailable): 503, Telegram will retry", update.update_id)
            return _answer(503, "the database is unavailable; retry later")
        metrics.WEBHOOK_REQUESTS.labels("stored" if new else "redelivered").inc()
        if new:
            self._on_stored()
        return web.json_response({"ok": True})


def _answer(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@contextlib.asynccontextmanager
async def serve(host: str, port: int, path: str, receiver: WebhookReceiver) -> AsyncIterator[int]:
    """Serve ``POST path`` (and ``GET /health``) on ``host:port`` while the block runs; yields the bound port."""
    app = web.Application(client_max_size=2**20)  # Telegram's updates are a few KB
    app.router.add_post(path, receiver.handle)
    if path != "/health":
        app.router.add_get("/health", _health)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    log.info("webhook: listening on %s:%s%s", host, bound, path)
    try:
        yield bound
    finally:
        await runner.cleanup()
