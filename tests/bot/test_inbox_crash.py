"""A bot killed (SIGKILL) in the middle of a batch of presses loses none of them: after a restart every press is
applied exactly once. The bot runs as ``leadcrm bot`` in a child process against the emulator in this one."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select

from core.services import leads as leads_svc
from core.storage.models import ActivityRow, LeadRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, one_tap_call, register

PRESSES = 10


@asynccontextmanager
async def leadcrm_bot(fake_tg, database_url: str, log_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """``leadcrm bot`` polling the emulator; killed at the end if still running."""
    env = {
        **os.environ,
        "BOT_TOKEN": fake_tg.token,
        "TELEGRAM_API_URL": fake_tg.url,
        "DATABASE_URL": database_url,
        "ADMIN_IDS": "",
        "TEAM_LEADS_CHAT_ID": "",
        "REDIS_URL": "",
    }
    after = len(fake_tg.calls) - 1
    with log_path.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("leadcrm")), "bot", cwd=log_path.parent, env=env, stdout=log, stderr=log
        )
    try:
        await fake_tg.wait_for(
            "getUpdates", after=after, timeout=120, finished=False
        )  # a cold start takes 40 s+ on a loaded 2-core VM
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def _counts(factory, lead_ids: list[int]) -> dict[int, int]:
    async with factory() as session:
        rows = await session.execute(select(LeadRow.id, LeadRow.activity_count).where(LeadRow.id.in_(lead_ids)))
        return {lead_id: count for lead_id, count in rows}


async def _until(condition: Callable[[], object], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():  # type: ignore[misc]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_bot_killed_mid_batch_applies_every_press_exactly_once_after_a_restart(
    fake_tg, database_url, committing_factory, services, tmp_path: Path
) -> None:
    maria = await register(SqlUnitOfWork(committing_factory), "maria", language="en")
    leads = [
        await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, maria, source="partner", name=f"L{n}")
        for n in range(PRESSES)
    ]
    lead_ids = [lead.id for lead in leads]
    user = fake_tg.user(MANAGER_ID, "Maria", language_code="en")
    log_path = tmp_path / "bot.log"

    async with leadcrm_bot(fake_tg, database_url, log_path) as first:
        cards = []
        for lead in leads:
            after = len(fake_tg.calls) - 1
            fake_tg.send_text(user, f"/lead {lead.id}")
            await fake_tg.wait_for("sendMessage", after=after, timeout=15)
            cards.append(fake_tg.last_keyboard_message(user.id).message_id)
        after = len(fake_tg.calls) - 1
        for message_id in cards:  # queued at once: one getUpdates batch
            fake_tg.press(user, message_id, one_tap_call(fake_tg.message(user.id, message_id)))
        await fake_tg.wait_for("answerCallbackQuery", after=after, timeout=15, finished=False)
        first.send_signal(signal.SIGKILL)
        await first.wait()
    applied_before_the_kill = sum((await _counts(committing_factory, lead_ids)).values())
    assert applied_before_the_kill < PRESSES, "the bot finished the batch before it was killed: nothing was tested"

    async with leadcrm_bot(fake_tg, database_url, log_path):

        async def all_applied() -> bool:
            return min((await _counts(committing_factory, lead_ids)).values()) >= 1

        await _until(all_applied, timeout=30)
        await asyncio.sleep(0.5)  # a press applied twice would show by now

    assert await _counts(committing_factory, lead_ids) == dict.fromkeys(lead_ids, 1), log_path.read_text()[-3000:]
    async with committing_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ActivityRow)) == PRESSES
