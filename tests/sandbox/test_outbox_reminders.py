"""Reminders exactly once across two schedulers, two senders and a sender killed mid-pass: real PostgreSQL,
the Bot API emulator, the product's renderer. (Delivery is at least once only in the window between Telegram's
answer and the commit that marks the row sent; a kill before the send, tested here, never duplicates.)"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from bot.outbox import OutboxSender
from bot.ratelimit import RateLimiter
from bot.render import outbox_message
from bot.scheduler import Scheduler
from core.domain import clock
from core.domain.clock import utcnow
from core.domain.enums import Role
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services import next_steps
from core.services.context import Policy
from core.services.users import ensure_user
from core.storage.models import OutboxRow, TeamSettingRow
from core.storage.uow import SqlUnitOfWork
from sandbox.emulator import FakeTelegram
from tests.conftest import TEST_DOMAINS

OWNERS = range(8101, 8105)
PER_OWNER = 4
render = functools.partial(outbox_message, bot_username="leadcrm_bot", locale="en")


@pytest.fixture
async def due_reminders(fake_tg: FakeTelegram, committing_factory: Any, services: Any) -> Any:
    for owner in OWNERS:
        user = await ensure_user(
            SqlUnitOfWork(committing_factory), user_id=owner, full_name=f"M{owner}", role=Role.MANAGER, language="en"
        )
        fake_tg.user(owner, f"M{owner}", language_code="en")
        actor = Actor.from_user(user)
        for i in range(PER_OWNER):
            lead = await leads_svc.create_lead(
                SqlUnitOfWork(committing_factory), services, actor, source="manual", name=f"L{owner}-{i}"
            )
            await next_steps.set_next_step(
                SqlUnitOfWork(committing_factory), actor, lead.id, kind="call", due_at=utcnow()
            )
    clock.advance(timedelta(minutes=2))
    yield len(OWNERS) * PER_OWNER
    clock.reset()
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        await uow.session.execute(delete(TeamSettingRow).where(TeamSettingRow.key.like("scheduler:%")))
        await uow.commit()


async def _sent(factory: Any) -> int:
    async with factory() as session:
        return int((await session.execute(select(func.count()).where(OutboxRow.status == "sent"))).scalar_one())


def _delivered(fake: FakeTelegram) -> Counter[str]:
    return Counter(m.text.splitlines()[1] for owner in OWNERS for m in fake.messages(owner))


def _sender(fake: FakeTelegram, factory: Any, **kwargs: Any) -> OutboxSender:
    bot = fake.make_bot(timeout=2)
    return OutboxSender(bot, factory, render=render, poll_interval=0.05, limiter=RateLimiter.scaled(20), **kwargs)


async def test_two_schedulers_and_two_senders_deliver_each_reminder_once(
    fake_tg: FakeTelegram, committing_factory: Any, due_reminders: int
) -> None:
    policy = Policy(domains=TEST_DOMAINS)
    schedulers = [Scheduler(committing_factory, policy, batch=3) for _ in range(2)]
    queued = await asyncio.gather(*(s.tick() for s in schedulers))
    assert sum(q.reminders for q in queued) == due_reminders

    senders = [_sender(fake_tg, committing_factory) for _ in range(2)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.run(stop)) for s in senders]
    try:
        for _ in range(400):
            if await _sent(committing_factory) == due_reminders:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for sender in senders:
            await sender.bot.session.close()
    delivered = _delivered(fake_tg)
    assert sum(delivered.values()) == due_reminders and set(delivered.values()) == {1}, delivered


async def test_a_sender_killed_after_its_claim_loses_nothing_and_its_successor_sends_each_once(
    fake_tg: FakeTelegram, committing_factory: Any, due_reminders: int
) -> None:
    await Scheduler(committing_factory, Policy(domains=TEST_DOMAINS)).tick()
    doomed = _sender(fake_tg, committing_factory)
    claimed = asyncio.Event()

    async def hang(item: Any) -> bool:  # the process dies here: after the claim, before the send and the mark
        claimed.set()
        await asyncio.Event().wait()
        return False

    doomed._deliver = hang  # type: ignore[method-assign]
    task = asyncio.create_task(doomed.drain_once())
    await asyncio.wait_for(claimed.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await doomed.bot.session.close()
    assert fake_tg.calls_of("sendMessage") == []

    # the restarted process, once the dead one's lease ran out
    successor = _sender(fake_tg, committing_factory, clock=lambda: utcnow() + timedelta(seconds=121))
    try:
        for _ in range(200):
            await successor.drain_once()
            if await _sent(committing_factory) == due_reminders:
                break
            await asyncio.sleep(0.02)
    finally:
        await successor.bot.session.close()
    delivered = _delivered(fake_tg)
    assert sum(delivered.values()) == due_reminders and set(delivered.values()) == {1}, delivered
