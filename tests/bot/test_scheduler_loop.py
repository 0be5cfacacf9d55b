"""The bot's scheduler loop: it does not wait a whole poll interval when a reminder falls due sooner."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import select

from bot.scheduler import Scheduler
from core.domain.clock import utcnow
from core.domain.enums import Role
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services import next_steps
from core.services.users import ensure_user
from core.storage.models import OutboxRow
from core.storage.uow import SqlUnitOfWork


async def _reminders(factory) -> list[str]:
    async with factory() as session:
        rows = await session.execute(select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.like("reminder:%")))
        return list(rows.scalars())


async def test_a_step_due_in_a_second_is_queued_at_its_time_not_at_the_next_poll(committing_factory, services) -> None:
    uow = SqlUnitOfWork(committing_factory)
    maria = Actor.from_user(await ensure_user(uow, user_id=7101, full_name="Maria", role=Role.MANAGER))
    lead = await leads_svc.create_lead(uow, services, maria, source="manual", name="Soon")
    due = utcnow() + timedelta(seconds=1.5)
    await next_steps.set_next_step(uow, maria, lead.id, kind="call", due_at=due)
    scheduler = Scheduler(committing_factory, services.policy, poll_interval=60)
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    started = time.monotonic()
    try:
        await scheduler.wait_passes(1)
        assert await _reminders(committing_factory) == []  # not before its time
        while not await _reminders(committing_factory):
            assert time.monotonic() - started < 10, "the reminder waited for the 60 s poll"
            await asyncio.sleep(0.1)
        assert utcnow() >= due
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert len(await _reminders(committing_factory)) == 1
