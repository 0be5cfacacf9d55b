"""Reminders in the running bot: the scheduler queues a due step, the outbox delivers it to the owner with its
buttons, and the buttons act once; stale or forged presses change nothing and are answered politely.
Real Dispatcher + HTTP to the emulator + PostgreSQL with real commits; the clock is moved, not waited for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from core.domain import clock
from core.domain.clock import utcnow
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services import next_steps
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, OTHER_MANAGER_ID, alert_text, bot_settings, register


@pytest.fixture(autouse=True)
def real_time() -> Iterator[None]:
    yield
    clock.reset()


async def _lead(factory: Any, services: Any, owner: Actor, name: str, due_in: timedelta) -> Any:
    lead = await leads_svc.create_lead(SqlUnitOfWork(factory), services, owner, source="manual", name=name)
    return await next_steps.set_next_step(
        SqlUnitOfWork(factory), owner, lead.id, kind="call", due_at=utcnow() + due_in, note="budget?"
    )


async def _reminder(fake: Any, chat_id: int, name: str) -> Any:
    await fake.wait_for(
        "sendMessage",
        predicate=lambda c: c.params.get("chat_id") == chat_id and name in str(c.params.get("text")),
        timeout=10,
    )
    return next(m for m in fake.messages(chat_id) if name in m.text)


async def _step(factory: Any, actor: Actor, lead_id: int) -> Any:
    return (await leads_svc.get_lead(SqlUnitOfWork(factory), actor, lead_id)).next_step


async def test_a_due_step_reaches_its_owner_and_done_then_a_second_press_change_nothing(
    tg, bot_runner, services, committing_factory
) -> None:
    maria = await register(SqlUnitOfWork(committing_factory), "maria", language="en")
    oleg = await register(SqlUnitOfWork(committing_factory), "oleg", language="en")
    first = await _lead(committing_factory, services, maria, "Acme", timedelta(hours=2))
    second = await _lead(committing_factory, services, maria, "Globex", timedelta(hours=2, minutes=1))
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    stranger = tg.fake.user(OTHER_MANAGER_ID, "Oleg", language_code="en")
    await bot_runner(bot_settings(scheduler_poll_seconds=0.2), services=services, session_factory=committing_factory)
    assert not [m for m in tg.fake.messages(MANAGER_ID) if "Next step" in m.text]  # not before it is due

    clock.advance(timedelta(hours=2, minutes=5))
    reminder = await _reminder(tg.fake, MANAGER_ID, "Acme")
    assert "Call" in reminder.text and "budget?" in reminder.text and "Overdue by 5 min" in reminder.text
    labels = [b["text"] for b in reminder.buttons]
    assert labels == ["✅ Done", "⏰ In 1 h", "Tomorrow 10:00", "Open card"]
    done_data = reminder.buttons[0]["callback_data"]

    answer = await tg.press_data(user, reminder.message_id, done_data)
    assert alert_text(answer).startswith("Done")
    assert await _step(committing_factory, maria, first.id) is None
    spent = next(m for m in tg.fake.messages(MANAGER_ID) if m.message_id == reminder.message_id)
    assert [b["text"] for b in spent.buttons] == ["Open card"]  # the spent buttons are gone
    assert "Acme" in spent.text and spent.text.rstrip().endswith("Done. Set the next step on the card.")

    again = await tg.press_data(user, reminder.message_id, done_data)  # a second tap, or another device
    assert again.params.get("show_alert") is True and "out of date" in alert_text(again)

    other = await _reminder(tg.fake, MANAGER_ID, "Globex")
    other_done, other_snooze = (b["callback_data"] for b in other.buttons[:2])
    forged = await tg.press_data(stranger, other.message_id, other_done)  # not his lead
    assert "out of date" in alert_text(forged)
    wrong_time = f"rm:d:{second.id}:{next_steps.due_token(second.next_step_due_at) + 60}"
    assert "out of date" in alert_text(await tg.press_data(user, other.message_id, wrong_time))
    assert await _step(committing_factory, maria, second.id) == second.next_step  # nothing changed

    snooze = await tg.press_data(user, other.message_id, other_snooze)
    assert alert_text(snooze).startswith("Snoozed for 1 h")
    moved = await _step(committing_factory, maria, second.id)
    assert timedelta(minutes=59) < moved.due_at - utcnow() <= timedelta(hours=1)
    assert oleg.user_id == OTHER_MANAGER_ID
