"""Next steps, stalled snoozes, /today's queries and time zones on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from core.domain import clock
from core.domain.enums import LeadEventKind, Role
from core.domain.errors import InvalidValue, StaleState
from core.domain.models import Actor
from core.services import assignment, leads, next_steps, stale, today, users
from core.storage.models import LeadEventRow


@pytest.fixture(autouse=True)
def _clock():
    yield
    clock.reset()


@pytest.fixture
async def people(uow):
    made = {}
    for uid, name, role in [(11, "Anna", Role.MANAGER), (12, "Boris", Role.MANAGER), (13, "Tina", Role.TEAM_LEAD)]:
        made[name] = await users.ensure_user(uow, user_id=uid, full_name=name, role=role)
    return made


async def test_set_snooze_and_complete_write_the_lead_and_its_history(uow, services, people) -> None:
    anna = Actor.from_user(people["Anna"])
    lead = await leads.create_lead(uow, services, anna, source="partner")
    due = clock.utcnow() + timedelta(hours=1)
    lead = await next_steps.set_next_step(uow, anna, lead.id, kind="email", due_at=due, note="send the deck")
    assert (await leads.get_lead(uow, anna, lead.id)).next_step.note == "send the deck"
    lead = await next_steps.snooze_next_step(
        uow, anna, lead.id, due_at=due + timedelta(hours=2), due_token=next_steps.due_token(due)
    )
    with pytest.raises(StaleState):
        await next_steps.complete_next_step(uow, anna, lead.id, due_token=next_steps.due_token(due))
    lead = await next_steps.complete_next_step(uow, anna, lead.id, expected_version=lead.version)
    assert lead.next_step is None
    async with uow:
        kinds = (await uow.session.scalars(select(LeadEventRow.kind).order_by(LeadEventRow.id))).all()
    assert kinds == ["next_step_set", "next_step_snoozed", "next_step_done"]


async def test_a_snooze_of_a_stalled_lead_is_stored_with_its_reason(uow, services, people) -> None:
    anna = Actor.from_user(people["Anna"])
    lead = await leads.create_lead(uow, services, anna, source="partner")
    clock.advance(timedelta(days=2))
    lead = await stale.snooze_stale(uow, services, anna, lead.id, days=14, reason_code="call_later", reason="after NY")
    stored = await leads.get_lead(uow, anna, lead.id)
    assert stored.stale_snoozed_until == lead.stale_snoozed_until and not services.policy.is_stale(
        stored, clock.utcnow()
    )
    async with uow:
        event = (await uow.leads.list_events(lead.id, limit=1))[0]
    assert event.kind == LeadEventKind.STALE_SNOOZED and event.data["reason"] == "after NY"


async def test_today_queries_group_by_owner_and_skip_final_and_unowned_leads(uow, services, people, system) -> None:
    anna, boris, tina = (Actor.from_user(people[n]) for n in ("Anna", "Boris", "Tina"))
    now = clock.utcnow()
    a1 = await leads.create_lead(uow, services, anna, source="partner", name="a1")
    a2 = await leads.create_lead(uow, services, anna, source="partner", name="a2")
    await leads.create_lead(uow, services, anna, source="partner", name="a3")
    b1 = await leads.create_lead(uow, services, boris, source="partner", name="b1")
    queued = await leads.create_lead(uow, services, system, source="partner", name="queue")
    await assignment.assign_lead(uow, services, tina, queued.id, None)  # back to the queue: not in /today
    lost = await leads.create_lead(uow, services, anna, source="partner", name="lost")
    await leads.change_stage(uow, services, anna, lost.id, "lost", reason="gone")
    await next_steps.set_next_step(uow, anna, a1.id, kind="call", due_at=now + timedelta(minutes=1))
    await next_steps.set_next_step(uow, anna, a2.id, kind="call", due_at=now + timedelta(hours=2))
    await next_steps.set_next_step(uow, boris, b1.id, kind="task", due_at=now + timedelta(days=3))
    clock.advance(timedelta(minutes=5))
    later = clock.utcnow()

    mine = await today.today(uow, services, anna, people["Anna"], now=later)
    day = mine.owners[0]
    assert [x.name for x in day.overdue] == ["a1"] and [x.name for x in day.no_step] == ["a3"]
    assert day.overdue_count == 1 and day.no_step_count == 1

    team = await today.today(uow, services, tina, people["Tina"], now=later)
    counts = {d.owner_name: (d.overdue_count, d.today_count, d.no_step_count) for d in team.owners}
    assert counts["Anna"][0] == 1 and counts["Anna"][2] == 1 and counts["Boris"] == (0, 0, 0)
    assert set(counts) == {"Anna", "Boris"}


async def test_the_due_query_uses_the_owner_next_step_index(uow, services, people) -> None:
    async with uow:
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            (
                await uow.session.execute(
                    text(
                        "EXPLAIN SELECT id FROM leads WHERE owner_id = 11 AND next_step_due_at IS NOT NULL "
                        "AND next_step_due_at < now() ORDER BY next_step_due_at"
                    )
                )
            ).scalars()
        )
    assert "ix_leads_owner_next_step" in plan


async def test_a_users_time_zone_is_stored_and_validated(uow, people) -> None:
    anna = Actor.from_user(people["Anna"])
    assert (await users.set_timezone(uow, anna, "Asia/Yekaterinburg")).timezone == "Asia/Yekaterinburg"
    with pytest.raises(InvalidValue):
        await users.set_timezone(uow, anna, "Europe/Nowhere")
    async with uow:
        assert (await uow.users.get(11)).timezone == "Asia/Yekaterinburg"
