"""The scheduler's jobs on real PostgreSQL with a controllable clock (``now`` parameters): reminders, the
first-contact SLA, stalled leads and digests become outbox rows once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.domain.clock import utcnow
from core.domain.enums import LeadEventKind, Role, Stage
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services import next_steps
from core.services import scheduler as sched
from core.services.context import Policy
from core.services.outbox import TEAM_LEADS
from core.services.users import deactivate, ensure_user
from core.storage.models import LeadEventRow, OutboxRow
from core.storage.uow import SqlUnitOfWork
from tests.conftest import TEST_DOMAINS

MANAGER, OTHER, LEAD, ADMIN = 7001, 7002, 7003, 7004


@pytest.fixture
def policy() -> Policy:
    return Policy(domains=TEST_DOMAINS, transfer_threshold=0.6, default_timezone="Europe/Moscow")


async def _people(uow: Any) -> dict[str, Actor]:
    cast = {
        "manager": (MANAGER, "Maria", Role.MANAGER, "en", None),
        "other": (OTHER, "Oleg", Role.MANAGER, "ru", "Asia/Vladivostok"),
        "lead": (LEAD, "Tina", Role.TEAM_LEAD, None, None),
        "admin": (ADMIN, "Alice", Role.ADMIN, None, None),
    }
    actors = {}
    for key, (uid, name, role, language, zone) in cast.items():
        user = await ensure_user(uow, user_id=uid, full_name=name, role=role, language=language)
        if zone:
            async with uow:
                user = await uow.users.update(uid, timezone=zone)
                await uow.commit()
        actors[key] = Actor.from_user(user)
    return actors


async def _outbox(uow: Any) -> list[Any]:
    outbox = OutboxRow.__table__
    async with uow:
        return list((await uow.session.execute(select(outbox).order_by(outbox.c.id))).all())


async def _lead_with_step(uow: Any, services: Any, actor: Actor, due_at: datetime, name: str = "ACME") -> Any:
    lead = await leads_svc.create_lead(uow, services, actor, source="manual", name=name, owner_id=actor.user_id)
    return await next_steps.set_next_step(uow, actor, lead.id, kind="call", due_at=due_at, note="ask about budget")


async def test_a_reminder_is_not_queued_before_its_due_time_and_is_queued_once_at_it(uow, services, policy) -> None:
    people = await _people(uow)
    due = utcnow() + timedelta(hours=2)
    lead = await _lead_with_step(uow, services, people["manager"], due)

    assert await sched.queue_reminders(uow, policy, now=due - timedelta(seconds=1)) == 0
    assert await _outbox(uow) == []
    assert await sched.queue_reminders(uow, policy, now=due + timedelta(seconds=10)) == 1
    assert await sched.queue_reminders(uow, policy, now=due + timedelta(seconds=20)) == 0

    (row,) = await _outbox(uow)
    assert row.chat_id == MANAGER and row.destination is None
    assert row.payload["event"] == "next_step_due"
    assert row.payload["lead_id"] == lead.id and row.payload["language"] == "en"
    assert row.payload["due_token"] == next_steps.due_token(due) and row.payload["note"] == "ask about budget"
    stored = await leads_svc.get_lead(uow, people["manager"], lead.id)
    assert stored.next_step_reminded_at == due + timedelta(seconds=10)


async def test_a_snoozed_step_is_reminded_again_at_its_new_time(uow, services, policy) -> None:
    people = await _people(uow)
    due = utcnow() + timedelta(minutes=5)
    lead = await _lead_with_step(uow, services, people["manager"], due)
    assert await sched.queue_reminders(uow, policy, now=due) == 1
    later = utcnow() + timedelta(hours=1)
    await next_steps.snooze_next_step(
        uow, people["manager"], lead.id, due_at=later, due_token=next_steps.due_token(due)
    )
    assert await sched.queue_reminders(uow, policy, now=due + timedelta(minutes=30)) == 0
    assert await sched.queue_reminders(uow, policy, now=later) == 1
    assert [r.payload["due_at"] for r in await _outbox(uow)] == [due.isoformat(), later.isoformat()]


async def test_a_lead_without_an_active_owner_is_reminded_in_the_team_leads_group(uow, services, policy) -> None:
    people = await _people(uow)
    due = utcnow() + timedelta(minutes=5)
    orphan = await _lead_with_step(uow, services, people["manager"], due, name="Orphan")
    gone = await _lead_with_step(uow, services, people["other"], due, name="Gone")
    async with uow:
        await uow.leads.update(orphan, {"owner_id": None})
        await uow.commit()
    await deactivate(uow, people["admin"], OTHER)

    assert await sched.queue_reminders(uow, policy, now=due) == 2
    rows = await _outbox(uow)
    assert {(r.payload["name"], r.destination, r.chat_id) for r in rows} == {
        ("Orphan", TEAM_LEADS, None),
        ("Gone", TEAM_LEADS, None),
    }
    assert all(r.payload["to_group"] for r in rows)
    assert gone.id in {r.payload["lead_id"] for r in rows}


async def test_reminders_are_claimed_in_batches_each_step_once(uow, services, policy) -> None:
    people = await _people(uow)
    due = utcnow() + timedelta(minutes=5)
    for i in range(7):
        await _lead_with_step(uow, services, people["manager"], due + timedelta(seconds=i), name=f"L{i}")
    assert await sched.queue_reminders(uow, policy, now=due + timedelta(minutes=1), batch=3) == 7
    names = [r.payload["name"] for r in await _outbox(uow)]
    assert names == [f"L{i}" for i in range(7)]  # oldest due first


async def test_the_first_contact_sla_reminds_then_escalates_then_says_nothing_more(uow, services, policy) -> None:
    people = await _people(uow)
    lead = await leads_svc.create_lead(uow, services, people["manager"], source="partner", name="Fresh")
    created = lead.created_at
    sla = policy.first_contact_sla

    assert await sched.queue_sla(uow, policy, now=created + sla - timedelta(seconds=1)) == (0, 0)
    assert await sched.queue_sla(uow, policy, now=created + sla) == (1, 0)
    assert await sched.queue_sla(uow, policy, now=created + sla + timedelta(minutes=30)) == (0, 0)
    assert await sched.queue_sla(uow, policy, now=created + 2 * sla) == (0, 1)
    assert await sched.queue_sla(uow, policy, now=created + 10 * sla) == (0, 0)

    reminder, escalation = await _outbox(uow)
    assert (reminder.chat_id, reminder.payload["event"], reminder.payload["minutes"]) == (MANAGER, "sla_reminder", 60)
    assert (escalation.destination, escalation.payload["event"]) == (TEAM_LEADS, "sla_escalated")
    assert escalation.payload["owner_name"] == "Maria"
    async with uow:
        events = LeadEventRow.__table__
        found = (await uow.session.execute(select(events).where(events.c.lead_id == lead.id))).all()
        escalated = [e for e in found if e.kind == LeadEventKind.SLA_ESCALATED]
    assert len(escalated) == 1 and escalated[0].data == {"minutes": 60}


async def test_a_logged_activity_stops_the_first_contact_clock(uow, services, policy) -> None:
    people = await _people(uow)
    lead = await leads_svc.create_lead(uow, services, people["manager"], source="partner", name="Called")
    await leads_svc.log_activity(uow, services, people["manager"], lead.id, kind="call")
    assert await sched.queue_sla(uow, policy, now=lead.created_at + 5 * policy.first_contact_sla) == (0, 0)
    assert await _outbox(uow) == []


async def test_a_lead_found_past_twice_the_sla_gets_the_reminder_and_the_escalation(uow, services, policy) -> None:
    people = await _people(uow)
    lead = await leads_svc.create_lead(uow, services, people["manager"], source="partner", name="Late")
    assert await sched.queue_sla(uow, policy, now=lead.created_at + 3 * policy.first_contact_sla) == (1, 1)


async def _digest_rows(uow: Any) -> dict[str, dict[str, Any]]:
    return {r.dedupe_key: r.payload for r in await _outbox(uow) if "digest" in r.payload["event"]}


async def test_digests_go_out_at_the_digest_hour_in_each_users_zone_once_per_local_day(uow, services) -> None:
    policy = Policy(domains=TEST_DOMAINS, stale_days={Stage.NEW: 1, Stage.CONTACTED: 10, Stage.QUALIFIED: 10})
    people = await _people(uow)
    day = datetime.combine((utcnow() + timedelta(days=2)).date(), datetime.min.time(), tzinfo=UTC)
    maria = people["manager"]
    today = await _lead_with_step(uow, services, maria, day + timedelta(hours=12), name="Today")
    late = await _lead_with_step(uow, services, maria, day + timedelta(hours=3), name="Late")
    for lead in (today, late):
        await leads_svc.log_activity(uow, services, maria, lead.id, kind="call")
        await leads_svc.change_stage(uow, services, maria, lead.id, "contacted")
    stalled = await leads_svc.create_lead(uow, services, maria, source="manual", name="Stalled", owner_id=MANAGER)
    fresh = await leads_svc.get_lead(uow, maria, today.id)
    async with uow:
        await uow.leads.update(fresh, {"assigned_at": day - timedelta(hours=1)})
        await uow.commit()
    await leads_svc.create_lead(uow, services, people["other"], source="manual", name="Oleg's", owner_id=OTHER)

    # Moscow is UTC+3, Vladivostok UTC+10: 09:00 there is 06:00 UTC / 23:00 UTC of the day before.
    assert await sched.queue_digests(uow, policy, now=day - timedelta(hours=2)) == 0  # the first run sets the mark
    assert await sched.queue_digests(uow, policy, now=day - timedelta(minutes=59, seconds=30)) == 1
    assert list(await _digest_rows(uow)) == [f"digest:{OTHER}:{(day + timedelta(days=0)).date()}"]
    assert await sched.queue_digests(uow, policy, now=day + timedelta(hours=5, minutes=59)) == 0
    assert await sched.queue_digests(uow, policy, now=day + timedelta(hours=6, seconds=10)) == 2
    assert await sched.queue_digests(uow, policy, now=day + timedelta(hours=12)) == 0
    assert await sched.queue_digests(uow, policy, now=day + timedelta(hours=23, seconds=5)) == 1

    rows = await _digest_rows(uow)
    date = day.date().isoformat()
    assert set(rows) == {
        f"digest:{OTHER}:{date}",
        f"digest:{MANAGER}:{date}",
        f"team-digest:{date}",
        f"digest:{OTHER}:{(day + timedelta(days=1)).date()}",
    }  # the team lead and the admin own no leads: no digest for them
    mine = rows[f"digest:{MANAGER}:{date}"]
    assert (mine["language"], mine["timezone"], mine["open_leads"]) == ("en", "Europe/Moscow", 3)
    assert [(lead["name"], lead["kind"]) for lead in mine["today"]["leads"]] == [("Today", "call")]
    assert [lead["name"] for lead in mine["overdue"]["leads"]] == ["Late"]
    assert (mine["stale"]["count"], mine["stale"]["leads"][0]["id"]) == (1, stalled.id)
    assert [lead["name"] for lead in mine["assigned"]["leads"]] == ["Today"]
    olegs = rows[f"digest:{OTHER}:{date}"]
    assert (olegs["language"], olegs["timezone"]) == ("ru", "Asia/Vladivostok")
    team = rows[f"team-digest:{date}"]["rows"]
    assert {(r["owner_id"], r["open"], r["overdue"], r["today"], r["stale"]) for r in team} == {
        (MANAGER, 3, 1, 1, 1),
        (OTHER, 1, 0, 0, 1),
    }


async def test_stalled_is_counted_per_stage_from_the_last_touch_unless_snoozed(uow, services, policy) -> None:
    people = await _people(uow)
    maria = people["manager"]
    leads = {}
    for stage in ("new", "contacted", "qualified"):
        lead = await leads_svc.create_lead(uow, services, maria, source="manual", name=stage, owner_id=MANAGER)
        await leads_svc.log_activity(uow, services, maria, lead.id, kind="call")
        if stage != "new":
            await leads_svc.change_stage(uow, services, maria, lead.id, "contacted")
        if stage == "qualified":
            await leads_svc.change_stage(uow, services, maria, lead.id, "qualified")
        leads[stage] = await leads_svc.get_lead(uow, maria, lead.id)
    touched = max(lead.last_touched_at or utcnow() for lead in leads.values())

    async def stale_after(days: float) -> set[str]:
        now = touched + timedelta(days=days)
        span = sched.window(policy, now, sched.zone_of(None, policy), now)
        async with uow:
            digest = await uow.schedule.digest(MANAGER, span, sample=10)
        by_sql = {lead.name for lead in digest.stale.leads}
        assert by_sql == {name for name, lead in leads.items() if policy.is_stale(lead, now)}  # the same rule
        return by_sql

    assert await stale_after(0.9) == set()
    assert await stale_after(1.01) == {"new"}
    assert await stale_after(3.01) == {"new", "contacted"}
    assert await stale_after(5.01) == {"new", "contacted", "qualified"}
    async with uow:
        await uow.leads.update(leads["new"], {"stale_snoozed_until": touched + timedelta(days=6)})
        await uow.commit()
    leads["new"] = await leads_svc.get_lead(uow, maria, leads["new"].id)
    assert await stale_after(5.5) == {"contacted", "qualified"}
    assert await stale_after(6.5) == {"new", "contacted", "qualified"}


async def test_two_schedulers_at_once_queue_each_reminder_exactly_once(committing_factory, services, policy) -> None:
    people = await _people(SqlUnitOfWork(committing_factory))
    due = utcnow() + timedelta(minutes=5)
    for i in range(60):
        await _lead_with_step(SqlUnitOfWork(committing_factory), services, people["manager"], due, name=f"L{i}")
    now = due + timedelta(seconds=1)
    counts = await asyncio.gather(
        *(sched.run_due(SqlUnitOfWork(committing_factory), policy, now=now, batch=7) for _ in range(2))
    )
    rows = await _outbox(SqlUnitOfWork(committing_factory))
    reminders = [r for r in rows if r.payload["event"] == "next_step_due"]
    assert sum(c.reminders for c in counts) == 60 == len(reminders)
    assert len({r.payload["lead_id"] for r in reminders}) == 60
