"""Owners on real PostgreSQL: intake assignment under concurrent creates, reassignment, deactivation hand-over,
the importer's new open leads."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from core.domain.enums import AssignmentRule, LeadEventKind, Role
from core.domain.errors import AccessDenied, InvalidValue, StaleState
from core.domain.models import Actor
from core.services import assignment, leads, users
from core.services.assignment import Handover
from core.services.context import Services
from core.services.importer import import_csv
from core.storage.models import LeadRow, OutboxRow
from core.storage.uow import SqlUnitOfWork

ADMIN, TEAM_LEAD, M1, M2, M3, GONE = 5001, 5002, 5011, 5012, 5013, 5019
API = Actor.api("partner-intake")


async def _team(uow) -> dict[int, Actor]:
    actors = {}
    for user_id, role in ((ADMIN, Role.ADMIN), (TEAM_LEAD, Role.TEAM_LEAD), (M1, Role.MANAGER), (M2, Role.MANAGER)):
        user = await users.ensure_user(uow, user_id=user_id, full_name=f"U{user_id}", role=role, language="en")
        actors[user_id] = Actor.from_user(user)
    await users.ensure_user(uow, user_id=M3, full_name="Manager Three", role=Role.MANAGER, language="ru")
    await users.ensure_user(uow, user_id=GONE, full_name="Gone", role=Role.MANAGER)
    await users.deactivate(uow, actors[ADMIN], GONE)
    return actors


async def _outbox(uow, prefix: str) -> list[OutboxRow]:
    async with uow:
        stmt = select(OutboxRow).where(OutboxRow.dedupe_key.like(prefix + "%")).order_by(OutboxRow.id)
        rows = list((await uow.session.execute(stmt)).scalars())
        for row in rows:
            uow.session.expunge(row)
        return rows


@pytest.mark.parametrize("rule", [AssignmentRule.ROUND_ROBIN, AssignmentRule.LEAST_LOADED])
async def test_100_concurrent_api_creates_spread_over_active_managers_within_one(
    committing_factory, services: Services, rule: AssignmentRule
) -> None:
    await _team(SqlUnitOfWork(committing_factory))
    svc = replace(services, policy=replace(services.policy, assignment_rule=rule))

    async def create(n: int):
        return await leads.create_lead(SqlUnitOfWork(committing_factory), svc, API, source="partner", name=f"L{n}")

    created = await asyncio.gather(*(create(n) for n in range(100)))
    counts = Counter(lead.owner_id for lead in created)
    assert set(counts) == {M1, M2, M3}  # the inactive manager and the team lead never get one
    assert max(counts.values()) - min(counts.values()) <= 1, counts
    async with committing_factory() as s:
        stored = Counter((await s.execute(select(LeadRow.owner_id))).scalars())
    assert stored == counts


async def test_a_team_lead_reassigns_and_the_history_and_the_new_owner_know(uow, services) -> None:
    actors = await _team(uow)
    lead = await leads.create_lead(uow, services, actors[M1], source="manual", name="ACME")
    moved = await assignment.assign_lead(uow, services, actors[TEAM_LEAD], lead.id, M3, expected_version=lead.version)
    assert moved.owner_id == M3 and moved.owner_name == "Manager Three" and moved.version == lead.version + 1
    assert moved.assigned_at is not None and moved.assigned_at >= (lead.assigned_at or moved.assigned_at)
    [event] = await leads.lead_events(uow, actors[TEAM_LEAD], lead.id)
    assert event.kind == LeadEventKind.ASSIGNED and event.actor == f"tg:{TEAM_LEAD}"
    assert (event.data["from_id"], event.data["to_id"], event.data["to_name"]) == (M1, M3, "Manager Three")
    [told] = await _outbox(uow, "assigned:")
    assert told.chat_id == M3 and told.dedupe_key == f"assigned:{lead.id}:{moved.version}"
    assert told.payload["language"] == "ru" and told.payload["by"] == f"U{TEAM_LEAD}"


async def test_assigning_to_oneself_sends_no_message_and_back_to_the_queue_clears_the_owner(uow, services) -> None:
    actors = await _team(uow)
    lead = await leads.create_lead(uow, services, actors[M1], source="manual", name="ACME")
    mine = await assignment.assign_lead(uow, services, actors[TEAM_LEAD], lead.id, TEAM_LEAD)
    assert mine.owner_id == TEAM_LEAD and await _outbox(uow, "assigned:") == []
    queued = await assignment.assign_lead(uow, services, actors[TEAM_LEAD], lead.id, None)
    assert queued.owner_id is None and queued.assigned_at is None
    page = await leads.list_leads(uow, actors[TEAM_LEAD], unassigned=True)
    assert [item.id for item in page.items] == [lead.id]


async def test_reassignment_is_refused_for_managers_inactive_targets_and_old_cards(uow, services) -> None:
    actors = await _team(uow)
    lead = await leads.create_lead(uow, services, actors[M1], source="manual", name="ACME")
    with pytest.raises(AccessDenied):
        await assignment.assign_lead(uow, services, actors[M1], lead.id, M2)
    with pytest.raises(InvalidValue):
        await assignment.assign_lead(uow, services, actors[TEAM_LEAD], lead.id, GONE)
    with pytest.raises(InvalidValue):
        await assignment.assign_lead(uow, services, actors[TEAM_LEAD], lead.id, ADMIN)
    with pytest.raises(StaleState):
        await assignment.assign_lead(uow, services, actors[TEAM_LEAD], lead.id, M2, expected_version=lead.version + 5)
    assert (await leads.get_lead(uow, actors[ADMIN], lead.id)).owner_id == M1


@pytest.mark.parametrize(
    ("handover", "to_user_id", "expected"),
    [(Handover.QUEUE, None, {None}), (Handover.USER, M3, {M3}), (Handover.RULE, None, {M2, M3})],
)
async def test_deactivation_hands_every_open_lead_over_in_its_transaction(
    uow, services, handover: Handover, to_user_id: int | None, expected: set[int | None]
) -> None:
    actors = await _team(uow)
    made = [await leads.create_lead(uow, services, actors[M1], source="manual", name=f"L{n}") for n in range(4)]
    await users.deactivate(uow, actors[ADMIN], M1, policy=services.policy, leads_to=handover, to_user_id=to_user_id)
    after = [await leads.get_lead(uow, actors[ADMIN], lead.id) for lead in made]
    assert {lead.owner_id for lead in after} <= expected and all(lead.owner_id != M1 for lead in after)
    if handover == Handover.RULE:
        assert Counter(lead.owner_id for lead in after) == {M2: 2, M3: 2}
    for lead in after:
        [event] = await leads.lead_events(uow, actors[ADMIN], lead.id)
        assert event.kind == LeadEventKind.ASSIGNED and event.data["from_id"] == M1
        assert event.data["to_id"] == lead.owner_id and lead.version == 2
    told = await _outbox(uow, "assigned:")
    assert len(told) == (0 if handover == Handover.QUEUE else 4)


async def test_deactivation_refuses_to_hand_over_to_the_user_themselves(uow, services) -> None:
    actors = await _team(uow)
    await leads.create_lead(uow, services, actors[M1], source="manual", name="ACME")
    with pytest.raises(InvalidValue):
        await users.deactivate(uow, actors[ADMIN], M1, leads_to=Handover.USER, to_user_id=M1)
    assert (await users.get_user(uow, actors[ADMIN], M1)).is_active


async def test_with_no_active_manager_an_api_lead_waits_and_the_team_leads_hear_of_it(uow, services) -> None:
    lead = await leads.create_lead(uow, services, API, source="partner", name="ACME")
    assert lead.owner_id is None
    [told] = await _outbox(uow, "unassigned:")
    assert told.destination == "team_leads" and told.payload["event"] == "lead_unassigned"


async def test_an_admin_sets_the_rule_and_intake_follows_it(uow, services) -> None:
    actors = await _team(uow)
    with pytest.raises(AccessDenied):
        await assignment.set_rule(uow, services, actors[TEAM_LEAD], "manual")
    info = await assignment.set_rule(uow, services, actors[ADMIN], "manual")
    assert (info.rule, info.chosen) == (AssignmentRule.MANUAL, True)
    assert (await assignment.get_rule(uow, services, actors[TEAM_LEAD])).rule == AssignmentRule.MANUAL
    lead = await leads.create_lead(uow, services, API, source="partner", name="ACME")
    assert lead.owner_id is None and await _outbox(uow, "unassigned:") == []


async def test_the_importer_assigns_its_new_open_leads_by_the_rule_in_one_go(uow, services, tmp_path: Path) -> None:
    await _team(uow)
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[lead]\nexternal_id = "ID"\nname = "Company"\n\n[source]\ncolumn = "Channel"\ndefault = "partner"\n\n'
        '[outcome]\ncolumn = "Result"\nwon = ["won"]\nlost = ["lost"]\nopen = ["open"]\n',
        encoding="utf-8",
    )
    rows = ["ID,Company,Channel,Result"] + [f"o{n},Open {n},,open" for n in range(6)] + ["w1,Won,,won", "l1,Lost,,lost"]
    csv_path = tmp_path / "a.csv"
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = await import_csv(uow, services.policy.domains, csv_path, mapping, policy=services.policy)
    assert report.inserted == 8 and report.assigned == 6
    async with uow:
        owners = dict((await uow.session.execute(select(LeadRow.external_id, LeadRow.owner_id))).all())
    assert Counter(owners[f"o{n}"] for n in range(6)) == {M1: 2, M2: 2, M3: 2}
    assert owners["w1"] is None and owners["l1"] is None  # closed history is nobody's work
    again = await import_csv(uow, services.policy.domains, csv_path, mapping, policy=services.policy)
    assert again.assigned == 0  # a re-import updates, it does not deal the leads again


async def test_an_intake_reads_rule_managers_and_turn_in_one_statement_and_tells_the_owner_in_their_language(
    engine, committing_factory, services: Services
) -> None:
    from tests.bot.test_round_trips import counting, statements

    await _team(SqlUnitOfWork(committing_factory))
    with counting(engine) as trips:
        first = await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner")
    owners = [int(first.owner_id or 0)]
    for _ in range(2):
        lead = await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner")
        owners.append(int(lead.owner_id or 0))

    assert sorted(owners) == [M1, M2, M3]  # round robin: each active manager in turn
    # the intake's reads in one statement, then the lead, its ASSIGNED row, the owner's message, the webhook event
    assert [" ".join(s.split()[:3]) for s in statements(trips)] == [
        "WITH s AS",
        "WITH added AS",
        "INSERT INTO lead_events",
        "INSERT INTO outbox",
        "INSERT INTO webhook_deliveries",
    ]
    messages = await _outbox(SqlUnitOfWork(committing_factory), "assigned:")
    languages = {M1: "en", M2: "en", M3: "ru"}  # as _team made them
    assert [(m.chat_id, m.payload["language"]) for m in messages] == [(owner, languages[owner]) for owner in owners]
