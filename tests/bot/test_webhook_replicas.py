"""Two webhook replicas as real processes (``leadcrm bot --webhook``) on one PostgreSQL, Telegram (the emulator)
posting to both in turn. One is killed with SIGKILL while it holds leases on updates it has not finished: its
leases expire, the other replica takes them over, and every press is applied exactly once, in order per chat."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select

from bot.callbacks import LeadAction, pack_lead
from core.services import leads as leads_svc
from core.storage.models import ActivityRow, InboxRow, LeadRow
from core.storage.uow import SqlUnitOfWork
from sandbox.emulator.webhook import WebhookPusher
from tests.bot.support import CAST, register

SECRET = "replica-test-secret"
PRESSES_EACH = 6
PEOPLE = ("maria", "oleg", "tina")
LEASE_SECONDS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Replica:
    def __init__(self, fake_tg, database_url: str, log_path: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram"
        self.fake_tg = fake_tg
        self.database_url = database_url
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Replica]:
        env = {
            **os.environ,
            "BOT_TOKEN": self.fake_tg.token,
            "TELEGRAM_API_URL": self.fake_tg.url,
            "DATABASE_URL": self.database_url,
            "WEBHOOK_URL": self.url,
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_HOST": "127.0.0.1",
            "WEBHOOK_PORT": str(self.port),
            "INBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "INBOX_POLL_SECONDS": "0.1",
            "DB_POOL_SIZE": "4",
            "ADMIN_IDS": "",
            "TEAM_LEADS_CHAT_ID": "",
            "REDIS_URL": "",
        }
        after = len(self.fake_tg.calls) - 1
        leadcrm = str(Path(sys.executable).with_name("leadcrm"))
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                leadcrm, "bot", "--webhook", cwd=self.log_path.parent, env=env, stdout=log, stderr=log
            )
        try:
            await self.fake_tg.wait_for(
                "setWebhook", after=after, timeout=120, predicate=lambda c: c.params.get("url") == self.url
            )
            yield self
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()


def _tail(log_path: Path) -> str:
    return log_path.read_text()[-3000:]


async def _until(condition, timeout: float, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{_tail(log_path)}"
        await asyncio.sleep(0.05)


async def _held_by(factory, pid: int) -> list[int]:
    """Updates leased by the replica with that pid and not done."""
    async with factory() as session:
        rows = await session.execute(
            select(InboxRow.update_id).where(InboxRow.leased_by.like(f"%:{pid}:%"), InboxRow.done_at.is_(None))
        )
        return sorted(rows.scalars())


async def test_a_replica_killed_while_holding_leases_loses_nothing_and_doubles_nothing(
    fake_tg, database_url, committing_factory, services, tmp_path: Path
) -> None:
    leads_of: dict[int, list[int]] = {}
    for who in PEOPLE:
        actor = await register(SqlUnitOfWork(committing_factory), who, language="en")
        uow = SqlUnitOfWork(committing_factory)
        leads = [
            await leads_svc.create_lead(uow, services, actor, source="partner", name=f"L{n}")
            for n in range(PRESSES_EACH)
        ]
        user_id = CAST[who][0]
        leads_of[user_id] = [lead.id for lead in leads]
        user = fake_tg.user(user_id, CAST[who][1], language_code="en")
        for lead in leads:
            fake_tg.press(user, 1, pack_lead(LeadAction.LOG_OUTCOME, lead.id, lead.version, "call.no_answer"))
    every_lead = [lead_id for ids in leads_of.values() for lead_id in ids]
    first_of_each_chat = [ids[0] for ids in leads_of.values()]
    log_path = tmp_path / "replicas.log"
    doomed, survivor = Replica(fake_tg, database_url, log_path), Replica(fake_tg, database_url, log_path)

    # The first press of each chat will block inside its transaction (its lead row is locked here), so the
    # replica that leased it holds the lease, uncommitted, when it is killed.
    async with committing_factory() as blocker, blocker.begin():
        await blocker.execute(select(LeadRow.id).where(LeadRow.id.in_(first_of_each_chat)).with_for_update())
        async with (
            doomed.running(),
            WebhookPusher(fake_tg, [doomed.url, survivor.url], SECRET, retry_delay=0.05) as pusher,
        ):

            async def doomed_holds_every_head() -> bool:
                return pusher.waiting == 0 and len(await _held_by(committing_factory, doomed.pid)) == len(PEOPLE)

            await _until(doomed_holds_every_head, 30, "the first replica to lease the chats' heads", log_path)
            held, killed_pid = await _held_by(committing_factory, doomed.pid), doomed.pid
            doomed.proc.send_signal(signal.SIGKILL)
            await doomed.proc.wait()
            assert pusher.answers["error"] > 0  # the survivor was not up yet: those posts went to the doomed one
    # the blocker's locks are gone: the killed replica's transactions roll back as its connections drop

    async with committing_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ActivityRow)) == 0  # nothing applied yet
        stored = await session.scalar(select(func.count()).select_from(InboxRow))
    assert stored == len(every_lead)  # every press was stored (200) before any was applied

    async with survivor.running(), doomed.running():  # the other replica, and the killed one restarted

        async def all_applied() -> bool:
            async with committing_factory() as session:
                done = await session.scalar(
                    select(func.count()).select_from(InboxRow).where(InboxRow.done_at.is_not(None))
                )
            return done == len(every_lead)

        await _until(all_applied, 60, "every press applied", log_path)
        await asyncio.sleep(0.5)  # a press applied twice would show by now

    async with committing_factory() as session:
        rows = (await session.execute(select(ActivityRow.lead_id).order_by(ActivityRow.id))).scalars().all()
        counts = dict((await session.execute(select(LeadRow.id, LeadRow.activity_count))).all())
        taken = await session.execute(
            select(InboxRow.update_id, InboxRow.leased_by).where(InboxRow.update_id.in_(held))
        )
        takers = {update_id: leased_by for update_id, leased_by in taken}
    assert sorted(rows) == sorted(every_lead), _tail(log_path)  # 0 lost, 0 doubled
    assert counts == dict.fromkeys(every_lead, 1)
    for ids in leads_of.values():  # per chat, in the order pressed
        assert [lead_id for lead_id in rows if lead_id in ids] == ids
    assert all(f":{killed_pid}:" not in (taker or "") for taker in takers.values()), takers  # taken over
    answered = [c.params.get("callback_query_id") for c in fake_tg.calls_of("answerCallbackQuery") if c.ok]
    assert len(answered) == len(set(answered))  # no press answered twice
