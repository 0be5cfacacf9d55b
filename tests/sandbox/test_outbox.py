"""The outbox sender against real PostgreSQL and the Bot API emulator, through a real aiogram Bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.outbox import OutboxSender
from bot.ratelimit import RateLimiter
from core.domain.enums import Role
from core.services import outbox as outbox_service
from core.services.outbox import RetryPolicy
from core.services.users import ensure_user
from core.storage.models import OutboxRow
from core.storage.uow import SqlUnitOfWork
from sandbox.emulator import FakeTelegram

GROUP = -1001000000001
OTHER_GROUP = -1001000000002


class Clock:
    """The sender's notion of now, moved by the test instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=2)  # rows queued during the test are already due

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def render(payload: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup | None]:
    button = InlineKeyboardButton(text="Open", url=f"https://t.me/leadcrm_bot?start=lead_{payload['lead_id']}")
    return f"Lead {payload['name']} transferred", InlineKeyboardMarkup(inline_keyboard=[[button]])


async def enqueue(factory: async_sessionmaker[AsyncSession], lead_id: int, chat_id: int = GROUP, **extra: Any) -> None:
    uow = SqlUnitOfWork(factory)
    async with uow:
        await uow.outbox.enqueue(
            dedupe_key=f"lead-transferred:{lead_id}",
            chat_id=chat_id,
            thread_id=extra.pop("thread_id", None),
            payload={"event": "lead_transferred", "lead_id": lead_id, "name": f"L{lead_id}", **extra},
        )
        await uow.commit()


async def rows(factory: async_sessionmaker[AsyncSession]) -> list[OutboxRow]:
    async with factory() as session:
        return list((await session.execute(select(OutboxRow).order_by(OutboxRow.id))).scalars())


@pytest.fixture
async def bot(fake_tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fake_tg.make_bot(timeout=2)
    yield bot
    await bot.session.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def sender(bot: Bot, factory: Any, clock: Clock, **kwargs: Any) -> OutboxSender:
    kwargs.setdefault("limiter", RateLimiter.unlimited())  # the clock stands still: flood limits are tested apart
    return OutboxSender(bot, factory, render=render, clock=clock, base_backoff=2.0, **kwargs)


async def test_a_notification_survives_429_then_500_and_is_delivered_exactly_once(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, clock: Clock
) -> None:
    await enqueue(committing_factory, 1, thread_id=42)
    fake_tg.fail("sendMessage", status=429, retry_after=5)
    fake_tg.fail("sendMessage", status=500)
    outbox = sender(bot, committing_factory, clock)

    assert await outbox.drain_once() == 0
    (row,) = await rows(committing_factory)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == clock.now + timedelta(seconds=5)
    assert "429" in row.last_error

    clock.advance(4)
    assert await outbox.drain_once() == 0  # retry_after not over yet: nothing is even tried
    assert len(fake_tg.calls_of("sendMessage")) == 1

    clock.advance(1)
    assert await outbox.drain_once() == 0  # the 500
    (row,) = await rows(committing_factory)
    assert row.status == "pending" and "TelegramServerError" in row.last_error
    assert clock.now + timedelta(seconds=2) <= row.next_attempt_at <= clock.now + timedelta(seconds=4)

    clock.advance(4)
    assert await outbox.drain_once() == 1
    assert await outbox.drain_once() == 0
    (row,) = await rows(committing_factory)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert row.sent_at is not None
    assert [c.status for c in fake_tg.calls_of("sendMessage")] == [429, 500, 200]
    (message,) = fake_tg.messages(GROUP)
    assert (message.text, message.thread_id) == ("Lead L1 transferred", 42)
    assert message.buttons[0]["url"] == "https://t.me/leadcrm_bot?start=lead_1"


async def test_a_new_sender_after_a_restart_keeps_the_schedule_and_sends_nothing_twice(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, clock: Clock
) -> None:
    for lead_id in (1, 2, 3):
        await enqueue(committing_factory, lead_id)
    first = sender(bot, committing_factory, clock)
    assert await first.drain_once() == 1
    fake_tg.fail("sendMessage", status=503)
    assert await first.drain_once() == 0  # L2 failed, retry scheduled in the database
    del first

    restarted = sender(bot, committing_factory, clock)
    assert await restarted.drain_once() == 0  # the stored backoff is respected by the new instance
    clock.advance(10)
    for _ in range(5):
        await restarted.drain_once()
    assert [m.text for m in fake_tg.messages(GROUP)] == [f"Lead L{i} transferred" for i in (1, 2, 3)]
    assert [r.status for r in await rows(committing_factory)] == ["sent", "sent", "sent"]


async def test_a_sender_that_died_mid_send_leaves_the_row_to_be_retried_after_its_lease(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, clock: Clock
) -> None:
    await enqueue(committing_factory, 1)
    (claimed,) = await outbox_service.claim_due(SqlUnitOfWork(committing_factory), lease_seconds=120, now=clock())
    assert claimed.attempts == 1
    # ... and the process died before sending. Another sender must not race it while the lease holds:
    restarted = sender(bot, committing_factory, clock)
    assert await restarted.drain_once() == 0
    clock.advance(121)
    assert await restarted.drain_once() == 1
    (row,) = await rows(committing_factory)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(fake_tg.messages(GROUP)) == 1


async def test_a_later_message_for_a_chat_waits_for_the_earlier_one_while_other_chats_go_on(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, clock: Clock
) -> None:
    await enqueue(committing_factory, 1, chat_id=GROUP)
    await enqueue(committing_factory, 2, chat_id=GROUP)
    await enqueue(committing_factory, 3, chat_id=OTHER_GROUP)
    fake_tg.fail("sendMessage", status=500)  # hits L1, the oldest
    outbox = sender(bot, committing_factory, clock)

    assert await outbox.drain_once() == 1
    assert fake_tg.messages(GROUP) == []
    assert [m.text for m in fake_tg.messages(OTHER_GROUP)] == ["Lead L3 transferred"]
    assert await outbox.drain_once() == 0  # L2 is not due while L1 waits for its retry

    clock.advance(5)
    assert await outbox.drain_once() == 1
    assert await outbox.drain_once() == 1
    assert [m.text for m in fake_tg.messages(GROUP)] == ["Lead L1 transferred", "Lead L2 transferred"]


async def test_giving_up_marks_the_row_failed_and_tells_every_admin_once(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, clock: Clock
) -> None:
    await ensure_user(SqlUnitOfWork(committing_factory), user_id=501, full_name="Ada Admin", role=Role.ADMIN)
    await ensure_user(SqlUnitOfWork(committing_factory), user_id=502, full_name="Old Admin", role=Role.ADMIN)
    await ensure_user(SqlUnitOfWork(committing_factory), user_id=503, full_name="Mia Manager", role=Role.MANAGER)
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        await uow.users.update(502, is_active=False)
        await uow.commit()
    for user_id, name in ((501, "Ada"), (502, "Old"), (503, "Mia"), (777, "Env admin")):
        fake_tg.user(user_id, name)
    await enqueue(committing_factory, 1)
    fake_tg.fail("sendMessage", status=502, times=50)
    outbox = sender(bot, committing_factory, clock, give_up_after=60, admin_ids=[777, 501, 502])

    assert await outbox.drain_once() == 0
    (row,) = await rows(committing_factory)
    assert row.status == "pending"
    clock.advance(61)
    assert await outbox.drain_once() == 0
    failed, *notices = await rows(committing_factory)
    assert failed.status == "failed" and failed.last_error.startswith("gave up after 2 attempts")
    assert [n.chat_id for n in notices] == [501, 777]
    assert {n.dedupe_key for n in notices} == {f"outbox-failed:{failed.id}:501", f"outbox-failed:{failed.id}:777"}

    fake_tg.faults.clear()  # Telegram is back: the notices go out, the failed row stays failed
    assert await outbox.drain_once() == 2
    assert await outbox.drain_once() == 0
    for admin in (501, 777):
        (notice,) = fake_tg.messages(admin)
        assert f"chat {GROUP}" in notice.text and "lead #1" in notice.text
    assert fake_tg.messages(502) == [] and fake_tg.messages(503) == [] and fake_tg.messages(GROUP) == []


async def test_a_permanent_400_fails_at_once_and_tells_the_admins(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, clock: Clock
) -> None:
    fake_tg.user(777, "Env admin")
    await enqueue(committing_factory, 1, chat_id=424242)  # a private chat Telegram does not know
    outbox = sender(
        bot,
        committing_factory,
        clock,
        admin_ids=[777],
        on_give_up_text=lambda payload, error: f"lead {payload['lead_id']} lost: {error}",
    )

    assert await outbox.drain_once() == 0
    failed, notice = await rows(committing_factory)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "chat not found" in failed.last_error
    assert notice.chat_id == 777 and notice.status == "pending"
    assert await outbox.drain_once() == 1
    assert fake_tg.last_message(777).text == "lead 1 lost: TelegramBadRequest: Bad Request: chat not found"


async def test_a_failed_admin_notice_does_not_notify_again(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, clock: Clock
) -> None:
    await enqueue(committing_factory, 1, chat_id=424242)
    outbox = sender(bot, committing_factory, clock, admin_ids=[888])  # admin 888 never opened the bot
    await outbox.drain_once()
    await outbox.drain_once()
    assert [(r.chat_id, r.status) for r in await rows(committing_factory)] == [(424242, "failed"), (888, "failed")]


async def test_the_retry_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(base_backoff=1.0, max_backoff=30.0)
    for attempts, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (9, 30.0)):
        delays = [policy.backoff(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


async def test_the_run_loop_delivers_until_stopped_and_keeps_the_token_out_of_logs(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def async_render(payload: dict[str, Any]) -> tuple[str, None]:
        return f"async {payload['name']}", None

    outbox = OutboxSender(bot, committing_factory, render=async_render, poll_interval=0.05, base_backoff=0.05)
    fake_tg.fail("sendMessage", status=500)
    stop = asyncio.Event()
    caplog.set_level(logging.DEBUG, logger="bot.outbox")
    task = asyncio.create_task(outbox.run(stop))
    await enqueue(committing_factory, 1)
    await fake_tg.wait_for("sendMessage", predicate=lambda c: c.ok, timeout=5)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert [m.text for m in fake_tg.messages(GROUP)] == ["async L1"]
    assert "attempt 1 failed" in caplog.text
    assert fake_tg.token not in caplog.text and "TEST-token" not in caplog.text


async def test_the_run_loop_survives_a_broken_database_pass(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    calls = {"n": 0}

    def flaky_factory() -> AsyncSession:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionRefusedError("database is restarting")
        return committing_factory()

    await enqueue(committing_factory, 1)
    outbox = OutboxSender(bot, flaky_factory, render=render, poll_interval=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(outbox.run(stop))
    await fake_tg.wait_for("sendMessage", timeout=5)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert "outbox pass failed: ConnectionRefusedError: database is restarting" in caplog.text
    assert len(fake_tg.messages(GROUP)) == 1
