"""Proof under faults: 200 transfers and 200 reminders are produced while the Bot API answers 429 with
``retry_after``, 500s, hangs past the client's timeout and dropped connections, for the team leads' group and for
the managers' private chats. Two senders (two replicas) share one flood limiter in real Redis; two schedulers
queue the reminders. The count at the end: every notification delivered exactly once, in order per chat, within
the test's limits, which bind: tighter than one chat's chain of sends (a chat has one message in flight at a
time), faster than Telegram's (200 group messages at 20 a minute take 10 minutes), so the test takes a minute.

Every fault here is one Telegram did not apply. A call Telegram applies but answers too late (or a sender killed
between the answer and its commit) is the at-least-once window: tests/sandbox/test_outbox_faults.py counts those."""

from __future__ import annotations

import asyncio
import functools
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import delete, select

from bot.outbox import OutboxSender
from bot.ratelimit import Limit
from bot.render import outbox_message
from bot.scheduler import Scheduler
from bot.shared_ratelimit import RedisLimiter
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
from sandbox.emulator.models import Call
from tests.conftest import TEST_DOMAINS
from tests.journeys import qualify
from tests.sandbox.test_outbox import GROUP

MANAGERS = range(8201, 8211)  # 10 managers
PER_MANAGER = 20  # 20 transfers and 20 reminders each: 200 + 200
PER_CHAT = Limit(1, 0.25)
PER_GROUP = Limit(5, 1.0)  # a group's chain runs at ≈ 7/s here: two replicas counting apart would send up to 10/s
PER_BOT = Limit(15, 1.0)
CLIENT_TIMEOUT = 1  # seconds: the product's 30 s, scaled down (a hang of 1.5 s outlasts it)
FAULT_RATE = 0.15  # of the sendMessage calls, the next one fails
FAULTS = 80  # at most; then Telegram is well again and the queue drains

render = functools.partial(outbox_message, bot_username="leadcrm_bot", locale="en")


@pytest.fixture
async def limiters() -> AsyncIterator[tuple[RedisLimiter, RedisLimiter]]:
    """Two replicas' limiters on the same keys of the real Redis (127.0.0.1:6379), deleted afterwards."""
    client = Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"leadcrm-test:faults:{uuid.uuid4().hex[:10]}"
    limits = {"per_bot": PER_BOT, "per_chat": PER_CHAT, "per_group": PER_GROUP}
    try:
        yield RedisLimiter(client, prefix, **limits), RedisLimiter(client, prefix, **limits)
    finally:
        keys = [key async for key in client.scan_iter(match="{" + prefix + "}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def team(fake_tg: FakeTelegram, committing_factory: Any, services: Any) -> AsyncIterator[dict[str, Any]]:
    """Per manager: 20 qualified leads ready to transfer, and 20 open leads whose next step is due (the clock
    then moves 2 minutes on, so the schedulers find them due)."""
    ready: list[tuple[Actor, int, str]] = []
    for manager in MANAGERS:
        user = await ensure_user(
            SqlUnitOfWork(committing_factory),
            user_id=manager,
            full_name=f"M{manager}",
            role=Role.MANAGER,
            language="en",
        )
        fake_tg.user(manager, f"M{manager}", language_code="en")
        actor = Actor.from_user(user)
        for i in range(PER_MANAGER):
            lead = await _create(committing_factory, services, actor, f"T{manager}-{i:02}")
            await qualify(SqlUnitOfWork(committing_factory), services, actor, lead.id)
            ready.append((actor, lead.id, lead.display_name))
            lead = await _create(committing_factory, services, actor, f"R{manager}-{i:02}")
            await next_steps.set_next_step(
                SqlUnitOfWork(committing_factory), actor, lead.id, kind="call", due_at=utcnow()
            )
    clock.advance(timedelta(minutes=2))
    yield {"ready": ready}
    clock.reset()
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        await uow.session.execute(delete(TeamSettingRow).where(TeamSettingRow.key.like("scheduler:%")))
        await uow.commit()


async def _create(factory: Any, services: Any, actor: Actor, name: str) -> Any:
    return await leads_svc.create_lead(
        SqlUnitOfWork(factory), services, actor, source="partner", business_domain="fintech", name=name
    )


class FaultPlan:
    """After each finished sendMessage, the next one fails with probability FAULT_RATE (seeded), taking turns
    through the four kinds; records which chats the faults hit."""

    KINDS = ("429", "500", "hang", "drop")

    def __init__(self, fake: FakeTelegram, seed: int = 15) -> None:
        self.fake = fake
        self.random = random.Random(seed)
        self.queued = 0
        self.hit: Counter[tuple[str, str]] = Counter()  # (kind of fault, "group" | "private")

    def __call__(self, call: Call) -> None:
        if call.method.lower() != "sendmessage":
            return
        if not call.ok:
            kind = (
                "429" if call.status == 429 else "hang" if call.status == 504 else "drop" if call.status == 0 else "500"
            )
            self.hit[kind, "group" if int(call.params["chat_id"]) < 0 else "private"] += 1
        if self.queued >= FAULTS or self.random.random() >= FAULT_RATE:
            return
        kind = self.KINDS[self.queued % len(self.KINDS)]
        self.queued += 1
        if kind == "429":
            self.fake.fail("sendMessage", status=429, retry_after=1)
        elif kind == "500":
            self.fake.fail("sendMessage", status=500)
        elif kind == "hang":  # a hang longer than the client waits, then a 504 nobody hears: not applied
            self.fake.fail("sendMessage", status=504, delay=CLIENT_TIMEOUT + 0.5)
        else:
            self.fake.drop("sendMessage")


def _windows_kept(times: list[float], limit: Limit) -> bool:
    """No ``limit.count + 1`` sends inside one window (less 10 % for the time between the limiter's answer and
    the request's arrival, which the event loop may stretch by a few milliseconds)."""
    span = limit.per * 0.9
    return all(later - earlier >= span for earlier, later in zip(times, times[limit.count :], strict=False))


async def _outbox(factory: Any) -> list[OutboxRow]:
    async with factory() as session:
        return list((await session.execute(select(OutboxRow).order_by(OutboxRow.id))).scalars())


async def test_two_hundred_transfers_and_reminders_under_faults_arrive_once_in_order_within_limits(
    fake_tg: FakeTelegram,
    committing_factory: Any,
    services: Any,
    team: dict[str, Any],
    limiters: tuple[RedisLimiter, RedisLimiter],
) -> None:
    faults = FaultPlan(fake_tg)
    fake_tg.http.listeners.append(faults)
    bots = [fake_tg.make_bot(timeout=CLIENT_TIMEOUT) for _ in limiters]
    senders = [
        OutboxSender(
            bot,
            committing_factory,
            render=render,
            poll_interval=0.05,
            base_backoff=0.2,
            max_backoff=1.0,
            give_up_after=10**6,
            send_timeout=CLIENT_TIMEOUT,
            team_leads_chat_id=GROUP,
            limiter=limiter,
        )
        for bot, limiter in zip(bots, limiters, strict=True)
    ]
    schedulers = [Scheduler(committing_factory, Policy(domains=TEST_DOMAINS), batch=7) for _ in range(2)]
    stop = asyncio.Event()

    async def transfers(share: list[tuple[Actor, int, str]]) -> None:
        for actor, lead_id, _ in share:
            await leads_svc.change_stage(SqlUnitOfWork(committing_factory), services, actor, lead_id, "transferred")
            await asyncio.sleep(0)

    async def scheduling(scheduler: Scheduler) -> None:
        while not stop.is_set():
            await scheduler.tick()
            await asyncio.sleep(0.2)

    ready = team["ready"]
    running = [asyncio.create_task(s.run(stop)) for s in senders]
    running += [asyncio.create_task(scheduling(s)) for s in schedulers]
    try:
        await asyncio.gather(*(transfers(ready[k::4]) for k in range(4)))  # four managers' taps at a time
        expected = 2 * len(ready)
        for _ in range(2400):  # at most 2 minutes
            rows = await _outbox(committing_factory)
            ours = [r for r in rows if r.payload.get("event") in {"lead_transferred", "next_step_due"}]
            if len(ours) == expected and all(r.status == "sent" for r in ours):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*running)
        for bot in bots:
            await bot.session.close()

    rows = await _outbox(committing_factory)
    assert {r.status for r in rows} == {"sent"}, Counter(r.status for r in rows)
    accepted = [c for c in fake_tg.http.calls if c.method.lower() == "sendmessage" and c.ok]

    # exactly once: every transfer in the group, every reminder in its manager's chat, nothing twice
    names = [name for _, _, name in ready]
    group_texts = [c.params["text"] for c in accepted if int(c.params["chat_id"]) == GROUP]
    assert sorted(_names(group_texts, "T")) == sorted(names)
    for manager in MANAGERS:
        texts = [c.params["text"] for c in accepted if int(c.params["chat_id"]) == manager]
        assert sorted(_names(texts, "R")) == [f"R{manager}-{i:02}" for i in range(PER_MANAGER)], manager

    # in order per chat: each chat got its notifications in the order they were queued
    for chat, prefix in [(GROUP, "T"), *((manager, "R") for manager in MANAGERS)]:
        queued = _names([render(r.payload)[0] for r in rows if _chat(r) == chat], prefix)
        delivered = _names([c.params["text"] for c in accepted if int(c.params["chat_id"]) == chat], prefix)
        assert delivered == queued, chat

    # within the limits, across both replicas (the emulator's arrival times of the accepted calls)
    assert _windows_kept([c.received_at for c in accepted], PER_BOT)
    assert _windows_kept([c.received_at for c in accepted if int(c.params["chat_id"]) == GROUP], PER_GROUP)
    for manager in MANAGERS:
        assert _windows_kept([c.received_at for c in accepted if int(c.params["chat_id"]) == manager], PER_CHAT)

    # the faults did happen, of every kind, to the group and to private chats
    kinds = {kind for kind, _ in faults.hit}
    chats = {chat for _, chat in faults.hit}
    print(f"\nunder faults: {len(accepted)} delivered, faults {dict(faults.hit)}")
    assert kinds == set(FaultPlan.KINDS) and chats == {"group", "private"}, faults.hit
    assert sum(faults.hit.values()) >= 40


def _names(texts: list[str], prefix: str) -> list[str]:
    """The lead names (T8201-00 …) the messages carry."""
    found = []
    for text in texts:
        words = [w.strip("«»\"'.,:()<>/") for w in text.replace(">", " ").replace("<", " ").split()]
        found += [w for w in words if w.startswith(prefix) and "-" in w and w[1:5].isdigit()]
    return found


def _chat(row: OutboxRow) -> int:
    return GROUP if row.destination == "team_leads" else int(row.chat_id or 0)
