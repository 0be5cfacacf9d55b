"""Intake assignment's rules on the in-memory unit of work: who gets a lead created without an owner."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from core.domain.enums import AssignmentRule, LeadEventKind, Role, Stage
from core.domain.errors import AccessDenied, InvalidValue
from core.domain.models import Actor, User
from core.services import assignment, leads
from core.services.context import Policy, Services
from core.services.ports import AssignmentState
from tests.unit.fakes import FakeUnitOfWork

ANNA = User(1, Role.MANAGER, "Anna", language="ru")
BORIS = User(2, Role.MANAGER, "Boris")
CARL = User(3, Role.MANAGER, "Carl")
GONE = User(4, Role.MANAGER, "Gone", is_active=False)
TINA = User(5, Role.TEAM_LEAD, "Tina")
API = Actor.api("partner")


def _uow(*users: User) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for user in users:
        uow.state.users[user.id] = user
    return uow


def _services(rule: AssignmentRule = AssignmentRule.ROUND_ROBIN) -> Services:
    return Services(policy=Policy(domains=frozenset({"saas"}), assignment_rule=rule))


async def _create(uow: FakeUnitOfWork, svc: Services, actor: Actor = API, **kw: object):
    return await leads.create_lead(uow, svc, actor, source="partner", name="ACME", **kw)  # type: ignore[arg-type]


async def test_round_robin_goes_through_active_managers_in_id_order_and_wraps() -> None:
    uow = _uow(ANNA, BORIS, GONE, CARL, TINA)
    owners = [(await _create(uow, _services())).owner_id for _ in range(7)]
    assert owners == [1, 2, 3, 1, 2, 3, 1]  # Gone (inactive) and Tina (team lead) are never picked


async def test_round_robin_takes_the_next_turn_of_the_shared_counter() -> None:
    uow = _uow(ANNA, BORIS, CARL)
    uow.state.turns = 4  # another process took four turns: 1 2 3 1
    assert (await _create(uow, _services())).owner_id == 2
    assert uow.state.turns == 5


async def test_the_admins_choice_overrides_the_settings_default() -> None:
    uow = _uow(ANNA, BORIS)
    uow.state.assignment = AssignmentState(rule=AssignmentRule.MANUAL)
    lead = await _create(uow, _services(AssignmentRule.ROUND_ROBIN))
    assert lead.owner_id is None


async def test_manual_leaves_the_lead_in_the_queue_without_telling_anyone() -> None:
    uow = _uow(ANNA, BORIS)
    lead = await _create(uow, _services(AssignmentRule.MANUAL))
    assert lead.owner_id is None and lead.assigned_at is None
    assert uow.state.outbox == {} and uow.state.events == []


async def test_least_loaded_picks_the_manager_with_fewest_open_leads() -> None:
    uow = _uow(ANNA, BORIS, CARL)
    svc = _services(AssignmentRule.LEAST_LOADED)
    for owner in (1, 1, 2):
        await _create(uow, svc, owner_id=owner)
    lost = await _create(uow, svc, owner_id=3)  # closed leads are not load
    uow.state.leads[lost.id] = replace(uow.state.leads[lost.id], stage=Stage.LOST)
    assert (await _create(uow, svc)).owner_id == 3
    assert (await _create(uow, svc)).owner_id in (2, 3)


async def test_least_loaded_breaks_ties_fairly_over_1000_leads() -> None:
    """Each lead is created while the three managers are tied (it is dropped right after), so every pick is a
    tie-break. A fair one gives each manager Binomial(1000, 1/3): mean 333.3, sd sqrt(1000·1/3·2/3) ≈ 14.9.
    ±75 is 5 sd: a fair coin fails it with probability < 1e-6, a rule that always favours one never passes."""
    uow = _uow(ANNA, BORIS, CARL)
    svc = _services(AssignmentRule.LEAST_LOADED)
    counts = {1: 0, 2: 0, 3: 0}
    for _ in range(1000):
        lead = await _create(uow, svc)
        assert lead.owner_id is not None
        counts[lead.owner_id] += 1
        uow.state.leads.clear()  # back to a tie (and a small state: the fake copies it per transaction)
        uow.state.events.clear()
        uow.state.outbox.clear()
    assert all(abs(n - 1000 / 3) <= 75 for n in counts.values()), counts


def test_planned_least_loaded_owners_even_out_the_loads() -> None:
    plan = assignment.plan_owners(
        AssignmentRule.LEAST_LOADED,
        [1, 2, 3],
        loads={1: 5, 2: 0, 3: 2},
        count=9,
        rng=random.Random(1),
    )
    loads = {1: 5 + plan.count(1), 2: plan.count(2), 3: 2 + plan.count(3)}
    assert max(loads.values()) - min(loads.values()) <= 1 and plan.count(1) == 0


async def test_with_no_active_manager_the_lead_waits_and_the_team_leads_are_told() -> None:
    uow = _uow(GONE, TINA)
    lead = await _create(uow, _services())
    assert lead.owner_id is None
    [message] = uow.state.outbox.values()
    assert message.destination == "team_leads" and message.payload["event"] == "lead_unassigned"
    assert message.payload["lead_id"] == lead.id


async def test_the_new_owner_is_told_in_their_language_and_the_assignment_is_recorded() -> None:
    uow = _uow(ANNA)
    lead = await _create(uow, _services())
    [message] = uow.state.outbox.values()
    assert message.chat_id == ANNA.id and message.dedupe_key == f"assigned:{lead.id}:{lead.version}"
    assert message.payload["event"] == "lead_assigned" and message.payload["language"] == "ru"
    [event] = uow.state.events
    assert event.kind == LeadEventKind.ASSIGNED and event.data["to_id"] == ANNA.id
    assert event.data["rule"] == "round_robin" and lead.assigned_at is not None


async def test_a_managers_own_lead_stays_theirs_without_a_message() -> None:
    uow = _uow(ANNA, BORIS)
    lead = await _create(uow, _services(), Actor.from_user(BORIS))
    assert lead.owner_id == BORIS.id and uow.state.outbox == {}


async def test_a_team_lead_creates_for_the_queue_and_the_rule_assigns_it() -> None:
    uow = _uow(ANNA, TINA)
    lead = await _create(uow, _services(), Actor.from_user(TINA), for_queue=True)
    assert lead.owner_id == ANNA.id


async def test_a_manager_cannot_create_for_the_queue_or_for_someone_else() -> None:
    uow = _uow(ANNA, BORIS)
    with pytest.raises(AccessDenied):
        await _create(uow, _services(), Actor.from_user(ANNA), for_queue=True)
    with pytest.raises(AccessDenied):
        await _create(uow, _services(), Actor.from_user(ANNA), owner_id=BORIS.id)


@pytest.mark.parametrize("owner_id", [GONE.id, 999, 0])
async def test_an_owner_must_be_an_active_manager_or_team_lead(owner_id: int) -> None:
    uow = _uow(ANNA, GONE)
    with pytest.raises(InvalidValue) as refused:
        await _create(uow, _services(), owner_id=owner_id)
    assert refused.value.field == "owner_id" and uow.state.leads == {}
