"""The FastAPI application factory. No module-level engine: the engine lives in the app's lifespan
(or the caller passes a session factory, as the tests do)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.board import mount as board
from api.deps import DEFAULT_KEY_CACHE_SECONDS, ApiKeyCache
from api.docs import install_docs
from api.errors import BodySizeLimit, install_error_handlers, route_methods
from api.logcontext import bind_request
from api.recent import PROBE_SECONDS, Recent
from api.routers import export, health, leads, metrics, reports, sales, webhooks
from api.routers.metrics import RequestMetrics
from api.security import FailedKeyAttempts
from api.strict import reject_unknown_query
from core.config import Settings
from core.services.context import Services
from core.services.health import Readiness
from core.storage.db import make_api_engine, make_session_factory, resolve_database_url
from core.storage.migrate import code_revisions
from core.wiring import make_services

log = logging.getLogger(__name__)

# The largest valid request (50 attributes of 500 characters, or a 4,000-character note) is far below this.
MAX_BODY_BYTES = 1_000_000

DESCRIPTION = """
Leads of the Lead AI CRM: create, read, move through the funnel, score, log activities.

Every `/leads` route needs an API key in the `X-API-Key` header (`leadcrm api-key create NAME`).
Errors are `{"detail": "<message>"}`: 400 funnel rule refused, 401 key missing/wrong/revoked,
403 not allowed, 404 not found, 405 method not allowed (see `Allow`), 409 stale, 413 body too large,
422 invalid input (with `errors`: the fields; an unknown query parameter or body field is named; a body
must be sent as `Content-Type: application/json`), 429 too many wrong keys from this address (see `Retry-After`),
503 database unavailable or busy.
"""


@asynccontextmanager
async def _own_engine(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """The engine from ``resolve_database_url(settings)`` (the embedded PostgreSQL when ``DATABASE_URL`` is unset,
    migrated on start), disposed of on shutdown."""
    embedded = not settings.database_url
    url = await asyncio.to_thread(resolve_database_url, settings)  # starting the embedded server blocks
    if embedded:
        from core.storage.migrate import upgrade_async

        await upgrade_async(url)
    engine = make_api_engine(url, settings)
    app.state.session_factory = make_session_factory(engine)
    try:
        yield
    finally:
        app.state.session_factory = None
        await engine.dispose()


@asynccontextmanager
async def _redis_probe(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """With ``REDIS_URL``, ``/ready`` pings it (the bot's FSM, rate limits); the client connects on first use."""
    if not settings.redis_url:
        yield
        return
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=2.0, socket_timeout=2.0)

    async def ping() -> bool:
        try:
            return bool(await client.ping())
        except RedisError as err:  # refused, reset, timed out: not ready (the URL itself is never logged)
            log.warning("redis readiness check failed: %s", type(err).__name__)
            return False

    app.state.redis_ping = ping
    try:
        yield
    finally:
        app.state.redis_ping = None
        await client.aclose()


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    services: Services | None = None,
    api_key_cache_seconds: float = DEFAULT_KEY_CACHE_SECONDS,
    ready_cache_seconds: float = PROBE_SECONDS,
    dev_login: bool = False,
) -> FastAPI:
    """Build the API.

    With ``session_factory`` the app uses it as is (tests, or a process that shares its engine).
    Without it, the lifespan creates the engine from ``resolve_database_url(settings)`` — the embedded
    PostgreSQL when ``DATABASE_URL`` is unset, migrated on start — and disposes of it on shutdown.
    """
    settings = settings if settings is not None else Settings()
    services = services if services is not None else make_services(settings)  # learned scorer when active

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _redis_probe(app, settings):
            if app.state.session_factory is not None:
                yield
                return
            async with _own_engine(app, settings):
                yield

    app = FastAPI(
        title="Lead AI CRM",
        version="1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url=None,  # install_docs: Swagger UI from the package's own assets, not a CDN
        redoc_url=None,
        # ?typo=1 is a 422, as an unknown body field is; log lines name the route and the lead
        dependencies=[Depends(reject_unknown_query), Depends(bind_request)],
    )
    app.state.settings = settings
    app.state.services = services
    app.state.session_factory = session_factory
    app.state.schema_head, app.state.schema_known = code_revisions()
    app.state.recent_readiness = Recent[Readiness](ready_cache_seconds)
    app.state.recent_backlog = Recent[bytes](ready_cache_seconds)
    app.state.redis_ping = None
    app.state.api_key_cache = ApiKeyCache(api_key_cache_seconds)
    app.state.failed_key_attempts = FailedKeyAttempts(
        settings.api_key_max_failures, settings.api_key_failure_window_seconds
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(RequestMetrics)  # outermost: a 413 or a 422 is timed too
    install_docs(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(export.router)  # before /leads/{lead_id}: "export" is not an id
    app.include_router(leads.router)
    app.include_router(sales.router)
    app.include_router(reports.router)
    app.include_router(webhooks.router)
    board_routers = board.install(app, dev_login=dev_login)  # /app/ (the Mini App) and /app/api/
    app.state.route_methods = route_methods(
        health.router,
        metrics.router,
        export.router,
        leads.router,
        sales.router,
        reports.router,
        webhooks.router,
        *board_routers,
    )
    return app
