"""With REDIS_URL the dialog state lives in the real Redis: a half-finished /new survives a bot restart."""

from __future__ import annotations

import socket
import uuid

import pytest
from redis.asyncio import Redis

from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, bot_settings, register

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture
async def prefix():
    """A key prefix of this test's own; its keys are deleted afterwards."""
    value = f"leadcrm-test-{uuid.uuid4().hex[:8]}"
    yield value
    redis = Redis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(f"{value}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_a_dialog_in_progress_survives_a_restart_with_redis(
    tg, bot_runner, services, committing_factory, prefix
) -> None:
    await register(SqlUnitOfWork(committing_factory), "maria")
    settings = bot_settings(redis_url=REDIS_URL, redis_key_prefix=prefix)
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")

    first = await bot_runner(settings, services=services, session_factory=committing_factory)
    await tg.say(maria, "/new")
    await tg.say(maria, "Globex")
    assert "where does the lead come from" in tg.text(maria).lower()
    await first.stop()

    redis = Redis.from_url(REDIS_URL)
    stored = [k async for k in redis.scan_iter(f"{prefix}:fsm:*")]
    await redis.aclose()
    assert stored, "the dialog state is not in Redis"

    await bot_runner(settings, services=services, session_factory=committing_factory)
    await tg.press(maria, 0)  # the first source button of the question asked before the restart
    assert "domain" in tg.text(maria).lower()
