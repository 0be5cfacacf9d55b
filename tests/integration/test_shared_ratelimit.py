"""Telegram's flood limits shared by bot replicas through real Redis (127.0.0.1:6379): two limiters on the same
keys behave as one, on Redis's clock. Each test uses its own key prefix and deletes it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.ratelimit import Limit
from bot.shared_ratelimit import RedisLimiter


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    client = Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"leadcrm-test:rate:{uuid.uuid4().hex[:10]}"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match="{" + prefix + "}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def _pair(redis: tuple[Redis, str], **limits: Limit) -> tuple[RedisLimiter, RedisLimiter]:
    client, prefix = redis
    return RedisLimiter(client, prefix, **limits), RedisLimiter(client, prefix, **limits)


async def test_one_message_per_second_per_chat_across_replicas(redis) -> None:
    first, second = _pair(redis)
    assert await first.take(5001) == 0
    wait = await second.take(5001)  # the other replica sees the same chat's window
    assert 0.9 < wait <= 1.0
    assert await second.take(5002) == 0  # another chat goes at once


async def test_thirty_messages_per_second_per_bot_whichever_replica_sends(redis) -> None:
    first, second = _pair(redis)
    results = await asyncio.gather(
        *(limiter.take(chat) for chat, limiter in zip(range(1, 41), [first, second] * 20, strict=True))
    )
    assert sum(1 for r in results if r == 0) == 30
    assert await first.bot_capacity() == 0 and await second.bot_wait() > 0


async def test_twenty_messages_a_minute_to_a_group_with_direct_replies_counted(redis) -> None:
    fast_chat = Limit(1000, 1.0)
    first, second = _pair(redis, per_chat=fast_chat)
    for _ in range(15):
        await first.note(-100)  # replies a handler sent: counted, never refused
    allowed = [await second.take(-100) for _ in range(10)]
    assert allowed.count(0) == 5
    assert 50 < max(allowed) <= 60  # the group's window is a minute


async def test_windows_expire_with_their_period(redis) -> None:
    first, second = _pair(redis, per_chat=Limit(1, 0.2))
    assert await first.take(7) == 0
    assert await second.take(7) > 0
    await asyncio.sleep(0.25)
    assert await second.take(7) == 0
    client, prefix = redis
    assert 0 < await client.pttl("{" + prefix + "}:chat:7") <= 200  # nothing is kept longer than its window


async def test_a_reply_is_not_an_error_when_redis_is_away() -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        await RedisLimiter(client, "leadcrm-test:rate:away").note(5001)  # logged, not raised
    finally:
        await client.aclose()
