"""Next steps, stalled-lead snoozes, /today and time zones on the in-memory unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.domain import clock
from core.domain.enums import LeadEventKind, Role, Stage, StepKind
from core.domain.errors import InvalidValue, LeadIsFinal, LeadNotFound, Rule, StaleState
from core.domain.models import Actor, User
from core.services import leads, next_steps, stale, today, users
from core.services.context import Policy, Services
from tests.unit.fakes import FakeUnitOfWork

ANNA = User(1, Role.MANAGER, "Anna")
BORIS = User(2, Role.MANAGER, "Boris")
TINA = User(3, Role.TEAM_LEAD, "Tina", timezone="Asia/Vladivostok")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for user in (ANNA, BORIS, TINA):
        uow.state.users[user.id] = user
    return uow


@pytest.fixture
def services() -> Services:
    return Services(policy=Policy(domains=frozenset({"fintech"}), default_timezone="Europe/Moscow"))


@pytest.fixture(autouse=True)
def _clock():
    yield
    clock.reset()


def anna() -> Actor:
    return Actor.from_user(ANNA)


async def _lead(uow, services, actor, **kw):
    return await leads.create_lead(uow, services, actor, source="partner", **kw)


async def test_a_step_is_set_replaced_and_completed_with_history_events(uow, services) -> None:
    lead = await _lead(uow, services, anna())
    due = clock.utcnow() + timedelta(hours=2)
    lead = await next_steps.set_next_step(uow, anna(), lead.id, kind="call", due_at=due, note=" ask for budget ")
    assert (
        lead.next_step is not None and lead.next_step.kind == StepKind.CALL and lead.next_step.note == "ask for budget"
    )
    lead = await next_steps.set_next_step(uow, anna(), lead.id, kind="meeting", due_at=due + timedelta(days=1))
    assert lead.next_step.kind == StepKind.MEETING and lead.next_step.note is None
    done = await next_steps.complete_next_step(uow, anna(), lead.id, expected_version=lead.version)
    assert done.next_step is None and done.version == lead.version + 1
    kinds = [e.kind for e in await uow.leads.list_events(lead.id, limit=10)]
    assert kinds == [LeadEventKind.NEXT_STEP_DONE, LeadEventKind.NEXT_STEP_SET, LeadEventKind.NEXT_STEP_SET]


async def test_a_time_in_the_past_naive_or_beyond_a_year_is_refused(uow, services) -> None:
    lead = await _lead(uow, services, anna())
    now = clock.utcnow()
    for due, rule in [
        (now - timedelta(minutes=5), Rule.IN_THE_PAST),
        (now.replace(tzinfo=None) + timedelta(hours=1), Rule.BAD_FORMAT),
        (now + timedelta(days=400), Rule.OUT_OF_RANGE),
    ]:
        with pytest.raises(InvalidValue) as err:
            await next_steps.set_next_step(uow, anna(), lead.id, kind="call", due_at=due)
        assert err.value.rule == rule
    assert (await uow.leads.get(lead.id)).next_step is None


async def test_another_managers_lead_and_a_final_lead_get_no_step(uow, services) -> None:
    lead = await _lead(uow, services, Actor.from_user(BORIS))
    due = clock.utcnow() + timedelta(hours=1)
    with pytest.raises(LeadNotFound):
        await next_steps.set_next_step(uow, anna(), lead.id, kind="call", due_at=due)
    mine = await _lead(uow, services, anna())
    await leads.change_stage(uow, services, anna(), mine.id, Stage.LOST.value, reason="no budget")
    with pytest.raises(LeadIsFinal):
        await next_steps.set_next_step(uow, anna(), mine.id, kind="call", due_at=due)


async def test_a_reminder_button_for_a_step_that_moved_changes_nothing(uow, services) -> None:
    lead = await _lead(uow, services, anna())
    first = clock.utcnow() + timedelta(hours=1)
    lead = await next_steps.set_next_step(uow, anna(), lead.id, kind="call", due_at=first)
    old_token = next_steps.due_token(first)
    lead = await next_steps.snooze_next_step(
        uow, anna(), lead.id, due_at=first + timedelta(days=1), due_token=old_token
    )
    assert lead.next_step.due_at == first + timedelta(days=1) and lead.next_step_reminded_at is None
    with pytest.raises(StaleState):  # the reminder's Done was about the old time
        await next_steps.complete_next_step(uow, anna(), lead.id, due_token=old_token)
    with pytest.raises(StaleState):
        await next_steps.snooze_next_step(uow, anna(), lead.id, due_at=first + timedelta(days=2), due_token=old_token)
    assert (await uow.leads.get(lead.id)).next_step.due_at == first + timedelta(days=1)
    done = await next_steps.complete_next_step(
        uow, anna(), lead.id, due_token=next_steps.due_token(lead.next_step.due_at)
    )
    assert done.next_step is None
    with pytest.raises(StaleState):  # a second tap: nothing left to complete
        await next_steps.complete_next_step(uow, anna(), lead.id)


async def test_a_stalled_lead_is_snoozed_with_a_reason_and_flagged_again_afterwards(uow, services) -> None:
    lead = await _lead(uow, services, anna())
    clock.advance(timedelta(days=2))  # new: stalled after 1 day
    assert services.policy.is_stale(await uow.leads.get(lead.id), clock.utcnow())
    lead = await stale.snooze_stale(uow, services, anna(), lead.id, days=3, reason_code="waiting_reply")
    assert not services.policy.is_stale(lead, clock.utcnow())
    event = (await uow.leads.list_events(lead.id, limit=1))[0]
    assert event.kind == LeadEventKind.STALE_SNOOZED
    assert event.data["reason_code"] == "waiting_reply" and event.data["days"] == 3 and event.data["was_stale"]
    clock.advance(timedelta(days=3, minutes=1))
    assert services.policy.is_stale(await uow.leads.get(lead.id), clock.utcnow())


async def test_a_snooze_needs_a_reason_and_sane_days(uow, services) -> None:
    lead = await _lead(uow, services, anna())
    cases: list[tuple[dict[str, Any], Rule]] = [
        ({"days": 3}, Rule.REQUIRED),
        ({"days": 0, "reason": "x"}, Rule.OUT_OF_RANGE),
        ({"days": 3, "reason_code": "bored"}, Rule.NOT_ONE_OF),
    ]
    for kwargs, rule in cases:
        with pytest.raises(InvalidValue) as err:
            await stale.snooze_stale(uow, services, anna(), lead.id, **kwargs)
        assert err.value.rule == rule
    lead = await stale.snooze_stale(uow, services, anna(), lead.id, days=7, reason="client on vacation")
    assert lead.stale_snoozed_until is not None


async def test_today_lists_my_overdue_then_today_then_leads_without_a_step_in_my_zone(uow, services) -> None:
    # 20:00 Moscow: a step at 23:00 Moscow is today, one at 01:00 tomorrow is not
    now = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    late, tonight, tomorrow, _bare = [
        await _lead(uow, services, anna(), name=n) for n in ("late", "tonight", "tmrw", "bare")
    ]
    for lead, due in [
        (late, now - timedelta(hours=3)),
        (tonight, now + timedelta(hours=3)),
        (tomorrow, now + timedelta(hours=5)),
    ]:
        await uow.leads.update(lead, {"next_step_kind": StepKind.CALL, "next_step_due_at": due})
    await _lead(uow, services, Actor.from_user(BORIS), name="boris's")

    mine = await today.today(uow, services, anna(), ANNA, now=now)
    assert not mine.team and [d.owner_id for d in mine.owners] == [ANNA.id]
    day = mine.owners[0]
    assert [lead.name for lead in day.overdue] == ["late"] and [lead.name for lead in day.today] == ["tonight"]
    assert [lead.name for lead in day.no_step] == ["bare"]
    assert (day.overdue_count, day.today_count, day.no_step_count) == (1, 1, 1)

    team = await today.today(uow, services, Actor.from_user(TINA), TINA, now=now)  # Vladivostok: 03:00 on the 4th
    assert team.team and {d.owner_id for d in team.owners} == {ANNA.id, BORIS.id}
    anna_day = next(d for d in team.owners if d.owner_id == ANNA.id)
    assert (anna_day.overdue_count, anna_day.today_count) == (1, 2)  # her day runs to midnight Vladivostok


async def test_a_user_sets_their_own_time_zone_and_a_bad_name_is_refused(uow) -> None:
    user = await users.set_timezone(uow, anna(), "Asia/Novosibirsk")
    assert user.timezone == "Asia/Novosibirsk" and uow.state.users[ANNA.id].timezone == "Asia/Novosibirsk"
    with pytest.raises(InvalidValue) as err:
        await users.set_timezone(uow, anna(), "Mars/Olympus")
    assert err.value.rule == Rule.TIMEZONE
    assert (await users.set_timezone(uow, anna(), None)).timezone is None
