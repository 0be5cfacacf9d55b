"""The outbox sender under the Bot API's bad days (faults injected by the emulator, sandbox/emulator/faults.py):
undecodable answers are ordinary retryable failures, and duplicates only come from the at-least-once window
the README describes (an acceptance Telegram sends after the client gave up, or a death right after it)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot

from bot.outbox import OutboxSender
from bot.ratelimit import RateLimiter
from sandbox.emulator import FakeTelegram
from sandbox.emulator.faults import Garbage
from tests.sandbox.test_outbox import GROUP, Clock, enqueue, render, rows


@pytest.fixture
async def bot(fake_tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fake_tg.make_bot(timeout=10)
    yield bot
    await bot.session.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.mark.parametrize("garbage", ["html", "bytes", "shape"])
async def test_an_undecodable_answer_is_a_retryable_failure_with_the_normal_backoff(
    fake_tg: FakeTelegram,
    bot: Bot,
    committing_factory: Any,
    clock: Clock,
    garbage: Garbage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await enqueue(committing_factory, 1)
    await enqueue(committing_factory, 2)
    fake_tg.fail("sendMessage", status=502, garbage=garbage)
    outbox = OutboxSender(
        bot, committing_factory, render=render, clock=clock, base_backoff=2.0, limiter=RateLimiter.unlimited()
    )

    assert await outbox.drain_once() == 0  # no exception out of the pass: the message failed, not the sender
    first, second = await rows(committing_factory)
    assert (first.status, first.attempts) == ("pending", 1)
    assert (second.status, second.attempts) == ("pending", 0)  # waits behind it, in order
    assert first.last_error.startswith("undecodable answer")
    # the normal backoff (1-2 s after a first failure with base 2 s), not the 120 s lease of a crashed pass
    assert clock.now + timedelta(seconds=1) <= first.next_attempt_at <= clock.now + timedelta(seconds=2)
    assert "outbox pass failed" not in caplog.text

    clock.advance(2)
    assert await outbox.drain_once() == 1
    assert await outbox.drain_once() == 1
    assert [m.text for m in fake_tg.messages(GROUP)] == ["Lead L1 transferred", "Lead L2 transferred"]


async def test_an_html_502_answer_does_not_stall_the_running_sender(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any
) -> None:
    await enqueue(committing_factory, 1)
    fake_tg.fail("sendMessage", status=502, garbage="html", times=2)
    outbox = OutboxSender(bot, committing_factory, render=render, poll_interval=0.05, base_backoff=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(outbox.run(stop))
    try:
        await fake_tg.wait_for("sendMessage", predicate=lambda c: c.ok, timeout=5)  # seconds, not 120
    finally:
        stop.set()
        await asyncio.wait_for(task, 2)
    assert [c.status for c in fake_tg.calls_of("sendMessage")] == [502, 502, 200]


def test_the_send_timeout_stays_inside_the_lease(fake_tg: FakeTelegram) -> None:
    with pytest.raises(ValueError, match="lease"):
        OutboxSender(object(), None, render=render, send_timeout=60, lease_seconds=60)  # type: ignore[arg-type]


async def test_fifty_notifications_under_faults_are_all_delivered_and_doubled_only_in_the_window(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: Any, clock: Clock
) -> None:
    """The measurement the README quotes. The client gives up after 1 s (the product's 30 s, scaled down);
    of 50 notifications, 5 are accepted slowly but in time, 5 get an HTML 502, 5 a JSON 500, 4 are accepted
    only after the client gave up, and for 3 the sender dies right after Telegram accepted them."""
    total, late, killed = 50, {7, 19, 30, 44}, {11, 25, 38}
    slow, html_502, server_500 = {3, 15, 27, 35, 48}, {5, 17, 29, 40, 46}, {9, 21, 33, 42, 49}
    for lead_id in range(1, total + 1):
        await enqueue(committing_factory, lead_id)

    # Faults are queued per call, in order: one entry per first attempt of each notification.
    def plan(lead_id: int) -> None:
        if lead_id in slow:
            fake_tg.accept_late("sendMessage", delay=0.4)
        elif lead_id in late:
            fake_tg.accept_late("sendMessage", delay=1.5)
        elif lead_id in html_502:
            fake_tg.fail("sendMessage", status=502, garbage="html")
        elif lead_id in server_500:
            fake_tg.fail("sendMessage", status=500)

    current: dict[str, Any] = {}

    def kill_after_acceptance(call: Any) -> None:
        text = str(call.params.get("text", ""))
        if call.ok and any(text == f"Lead L{k} transferred" for k in killed) and text not in current["killed"]:
            current["killed"].add(text)
            current["task"].cancel()  # Telegram accepted; the sender dies before it hears so

    current["killed"] = set()
    fake_tg.http.listeners.append(kill_after_acceptance)
    outbox = OutboxSender(
        bot, committing_factory, render=render, clock=clock, send_timeout=1, give_up_after=10**7, base_backoff=1.0
    )
    planned: set[int] = set()
    deaths = 0
    for _ in range(total * 3):
        pending = [r for r in await rows(committing_factory) if r.status == "pending"]
        if not pending:
            break
        head = pending[0].payload["lead_id"]
        if head not in planned:
            planned.add(head)
            plan(head)
        current["task"] = asyncio.create_task(outbox.drain_once())
        try:
            await current["task"]
        except asyncio.CancelledError:
            deaths += 1
            outbox = OutboxSender(  # the restarted bot
                bot, committing_factory, render=render, clock=clock, send_timeout=1, give_up_after=10**7
            )
        clock.advance(130)  # past any backoff and the 120 s lease of a claim that died
    await asyncio.sleep(1.6)  # let the last late acceptance land
    delivered = Counter(m.text for m in fake_tg.messages(GROUP))

    assert {r.status for r in await rows(committing_factory)} == {"sent"}
    assert set(delivered) == {f"Lead L{i} transferred" for i in range(1, total + 1)}  # nothing lost
    duplicates = {text: n - 1 for text, n in delivered.items() if n > 1}
    print(f"\noutbox under faults: {total} notifications, {sum(duplicates.values())} duplicates: {sorted(duplicates)}")
    assert deaths == len(killed)
    assert duplicates == {f"Lead L{i} transferred": 1 for i in sorted(late | killed)}  # 7 of 50, all in the window
