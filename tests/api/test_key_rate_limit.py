"""Wrong API keys are throttled per client address: after API_KEY_MAX_FAILURES wrong keys within
API_KEY_FAILURE_WINDOW_SECONDS, that address gets 429 with Retry-After (and no database lookup); valid
keys, and other addresses, are unaffected."""

from __future__ import annotations

import httpx
import pytest

from api.app import create_app
from api.security import FailedKeyAttempts

WRONG = {"X-API-Key": "lcrm_" + "x" * 43}


@pytest.fixture
def now() -> list[float]:
    return [1000.0]


@pytest.fixture
def app(settings, session_factory, services, now):
    limited = settings.model_copy(update={"api_key_max_failures": 3, "api_key_failure_window_seconds": 60.0})
    app = create_app(limited, session_factory=session_factory, services=services, api_key_cache_seconds=0)
    app.state.failed_key_attempts = FailedKeyAttempts(3, 60.0, clock=lambda: now[0])
    return app


def client_from(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://api.test")


async def test_wrong_keys_from_one_address_are_429_with_retry_after_once_over_the_limit(app, now) -> None:
    async with client_from(app, "203.0.113.7") as client:
        for _ in range(3):
            assert (await client.get("/leads", headers=WRONG)).status_code == 401
        now[0] += 10
        response = await client.get("/leads", headers=WRONG)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "50"  # the first failure leaves the 60 s window in 50 s
    assert response.json() == {"detail": "Too many wrong API keys from this address: try again in 50 s"}


async def test_a_blocked_address_is_not_looked_up_even_with_a_valid_key(app, api_key) -> None:
    """While blocked, a right guess must look like a wrong one, or the limit would not slow guessing."""
    async with client_from(app, "203.0.113.7") as client:
        for _ in range(3):
            await client.get("/leads", headers=WRONG)
        response = await client.get("/leads", headers={"X-API-Key": api_key})
    assert response.status_code == 429


async def test_the_address_may_try_again_once_the_window_has_passed(app, api_key, now) -> None:
    async with client_from(app, "203.0.113.7") as client:
        for _ in range(3):
            await client.get("/leads", headers=WRONG)
        now[0] += 60.5
        assert (await client.get("/leads", headers={"X-API-Key": api_key})).status_code == 200
        assert (await client.get("/leads", headers=WRONG)).status_code == 401


async def test_other_addresses_and_valid_keys_are_unaffected(app, api_key) -> None:
    async with client_from(app, "203.0.113.7") as guesser, client_from(app, "198.51.100.1") as honest:
        for _ in range(100):
            assert (await honest.get("/leads", headers={"X-API-Key": api_key})).status_code == 200
        for _ in range(3):
            await guesser.get("/leads", headers=WRONG)
        assert (await guesser.get("/leads", headers=WRONG)).status_code == 429
        assert (await honest.get("/leads", headers={"X-API-Key": api_key})).status_code == 200
        assert (await honest.get("/leads", headers=WRONG)).status_code == 401


async def test_a_missing_key_is_401_and_does_not_count(app) -> None:
    async with client_from(app, "203.0.113.7") as client:
        for _ in range(10):
            assert (await client.get("/leads")).status_code == 401


async def test_the_limit_comes_from_the_settings(settings, session_factory, services) -> None:
    limited = settings.model_copy(update={"api_key_max_failures": 2, "api_key_failure_window_seconds": 30.0})
    app = create_app(limited, session_factory=session_factory, services=services, api_key_cache_seconds=0)
    async with client_from(app, "203.0.113.9") as client:
        statuses = [(await client.get("/leads", headers=WRONG)).status_code for _ in range(4)]
        retry_after = int((await client.get("/leads", headers=WRONG)).headers["Retry-After"])
    assert statuses == [401, 401, 429, 429]
    assert 1 <= retry_after <= 30


def test_memory_stays_bounded_with_many_addresses() -> None:
    now = [0.0]
    attempts = FailedKeyAttempts(3, 60.0, clock=lambda: now[0], max_addresses=100)
    for i in range(1000):
        attempts.record_failure(f"10.0.{i // 256}.{i % 256}")
    assert len(attempts._failures) <= 100
