"""API keys guard every /leads route; /health (liveness) and /ready (database, schema, outbox, Redis) are open."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from api.app import create_app
from api.deps import ApiKeyCache
from core.domain.models import Actor
from core.services.api_keys import create_api_key, revoke_api_key
from core.storage.uow import SqlUnitOfWork

LEAD_ROUTES = [
    ("GET", "/leads"),
    ("GET", "/leads/"),
    ("POST", "/leads/"),
    ("POST", "/leads"),
    ("GET", "/leads/1"),
    ("PATCH", "/leads/1"),
    ("PATCH", "/leads/1/stage"),
    ("POST", "/leads/1/analyze"),
    ("GET", "/leads/1/activities"),
    ("POST", "/leads/1/activities"),
    ("GET", "/leads/1/history"),
]


@pytest.mark.parametrize(("method", "path"), LEAD_ROUTES)
async def test_every_leads_route_needs_an_api_key(anon, method, path) -> None:
    response = await anon.request(method, path, json={"source": "manual"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Missing API key: send it in the X-API-Key header"}


@pytest.mark.parametrize("key", ["wrong", "lcrm_" + "x" * 43, "k" * 500])
async def test_a_wrong_key_is_401(anon, api_key, key) -> None:
    response = await anon.get("/leads", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked API key"}


async def test_a_valid_key_is_accepted(anon, api_key) -> None:
    response = await anon.get("/leads", headers={"X-API-Key": api_key})
    assert response.status_code == 200


async def test_a_revoked_key_is_401(anon, api_key, session_factory) -> None:
    assert (await anon.get("/leads", headers={"X-API-Key": api_key})).status_code == 200
    await revoke_api_key(SqlUnitOfWork(session_factory), "test-client")
    response = await anon.get("/leads", headers={"X-API-Key": api_key})
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid or revoked API key"})


async def test_with_the_key_cache_a_revoked_key_stops_working_once_the_ttl_passes(
    settings, session_factory, services
) -> None:
    now = [1000.0]
    app = create_app(settings, session_factory=session_factory, services=services)
    app.state.api_key_cache = ApiKeyCache(5.0, clock=lambda: now[0])
    _, secret = await create_api_key(SqlUnitOfWork(session_factory), "cached-client")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers={"X-API-Key": secret}
    ) as client:
        assert (await client.get("/leads")).status_code == 200
        await revoke_api_key(SqlUnitOfWork(session_factory), "cached-client")
        now[0] += 4.9
        assert (await client.get("/leads")).status_code == 200  # still inside the documented window
        now[0] += 0.2
        assert (await client.get("/leads")).status_code == 401


def test_the_key_cache_never_remembers_anything_with_ttl_zero() -> None:
    cache = ApiKeyCache(0)
    cache.put("hash", Actor.api("name"))
    assert cache.get("hash") is None


async def test_the_actor_is_named_after_the_key(client) -> None:
    lead = (await client.post("/leads/", json={"source": "manual"})).json()
    await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "contacted"})
    history = (await client.get(f"/leads/{lead['id']}/history")).json()["items"]
    assert history[0]["actor"] == "api:test-client"


async def test_health_is_open_and_ok_when_the_database_answers(anon) -> None:
    response = await anon.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_is_open_and_names_every_check_when_all_pass(anon) -> None:
    response = await anon.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "schema": "ok", "outbox": "off", "redis": "not_configured"},
        "outbox_wait_seconds": None,
    }


async def test_health_is_liveness_only_and_ready_is_503_when_the_database_does_not_answer(settings, services) -> None:
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/x")
    app = create_app(settings, session_factory=async_sessionmaker(engine), services=services)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
            assert (await client.get("/health")).json() == {"status": "ok"}  # the process serves
            response = await client.get("/ready")
            assert response.status_code == 503
            assert response.json()["status"] == "unavailable"
            assert response.json()["checks"] == {
                "database": "unavailable",
                "schema": "unknown",
                "outbox": "unknown",
                "redis": "not_configured",
            }
            # A /leads request while the database is down is a 503 with a message too, never a 500.
            leads = await client.get("/leads", headers={"X-API-Key": "whatever"})
            assert leads.status_code == 503
            assert leads.json() == {"detail": "Database unavailable, try again later"}
    finally:
        await engine.dispose()


async def test_ready_is_503_while_a_due_notification_waits_longer_than_the_setting(
    settings, services, committing_factory
) -> None:
    from datetime import timedelta

    from core.domain.clock import utcnow
    from core.storage.models import OutboxRow

    async with committing_factory() as session, session.begin():
        session.add(
            OutboxRow(dedupe_key="stuck-1", chat_id=1, payload={}, next_attempt_at=utcnow() - timedelta(hours=1))
        )
    app = create_app(
        settings.model_copy(update={"ready_outbox_max_wait_seconds": 600}),
        session_factory=committing_factory,
        services=services,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
        response = await client.get("/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["outbox"] == "stuck"
        assert 3500 < response.json()["outbox_wait_seconds"] < 3700
    off = create_app(
        settings.model_copy(update={"ready_outbox_max_wait_seconds": 0}),
        session_factory=committing_factory,
        services=services,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=off), base_url="http://api.test") as client:
        response = await client.get("/ready")
        assert response.status_code == 200 and response.json()["checks"]["outbox"] == "off"


@pytest.mark.parametrize(
    ("url", "status", "word"), [("redis://127.0.0.1:6379/0", 200, "ok"), ("redis://127.0.0.1:1/0", 503, "unavailable")]
)
async def test_ready_pings_redis_when_one_is_configured(settings, services, session_factory, url, status, word) -> None:
    app = create_app(settings.model_copy(update={"redis_url": url}), session_factory=session_factory, services=services)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/ready")
    assert (response.status_code, response.json()["checks"]["redis"]) == (status, word)


async def test_the_app_runs_its_own_engine_from_settings_in_the_lifespan(settings, api_key) -> None:
    app = create_app(settings)
    assert app.state.session_factory is None
    async with app.router.lifespan_context(app):
        assert app.state.session_factory is not None
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
            assert (await client.get("/health")).json() == {"status": "ok"}
    assert app.state.session_factory is None


async def test_swagger_ui_is_served_from_the_package_not_a_cdn(anon) -> None:
    page = await anon.get("/docs")
    assert page.status_code == 200
    assert "cdn.jsdelivr.net" not in page.text and "fastapi.tiangolo.com" not in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 3 and all(url.startswith("/static/swagger-ui/") for url in assets)
    for url in assets:
        response = await anon.get(url)
        assert response.status_code == 200 and len(response.content) > 500, url
    script = next(url for url in assets if ".js" in url)
    assert "SwaggerUIBundle" in (await anon.get(script)).text


async def test_swagger_and_openapi_are_served(anon) -> None:
    assert (await anon.get("/docs")).status_code == 200
    spec = (await anon.get("/openapi.json")).json()
    assert {"/leads", "/leads/", "/leads/{lead_id}", "/leads/{lead_id}/stage", "/health"} <= set(spec["paths"])


async def test_an_unmigrated_database_is_a_503_that_says_to_migrate(settings, services, database_url) -> None:
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"leadcrm_empty_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_async_engine(make_url(database_url).set(database=name))
    try:
        app = create_app(settings, session_factory=async_sessionmaker(engine), services=services)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
            response = await client.get("/leads", headers={"X-API-Key": "anything"})
            ready = await client.get("/ready")
        assert response.status_code == 503
        assert "leadcrm migrate" in response.json()["detail"]
        assert (ready.status_code, ready.json()["checks"]["schema"]) == (503, "not_migrated")
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_a_flood_of_ready_probes_asks_the_database_once_per_two_seconds(
    settings, services, session_factory
) -> None:
    calls = 0
    app = create_app(settings, session_factory=session_factory, services=services)
    real = app.state.recent_readiness.get

    async def counting(compute):
        async def counted():
            nonlocal calls
            calls += 1
            return await compute()

        return await real(counted)

    app.state.recent_readiness.get = counting
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
        answers = [(await client.get("/ready")).status_code for _ in range(20)]
    assert answers == [200] * 20 and calls == 1
