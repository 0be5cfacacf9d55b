"""Merging leads on the in-memory unit of work: what the survivor keeps and takes, what is refused, and that a
merged lead answers "merged into #N" and is left out of lists, searches and the duplicate guard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.clock import utcnow
from core.domain.enums import LeadEventKind, Role, Stage
from core.domain.errors import (
    AccessDenied,
    DuplicateLead,
    LeadMerged,
    LeadNotFound,
    MergeBlock,
    MergeRefused,
    StaleState,
)
from core.domain.models import Actor, User
from core.services import contacts, leads, merge, next_steps
from core.services.context import Policy, Services
from tests.unit.fakes import FakeUnitOfWork

ANNA = User(1, Role.MANAGER, "Anna")
TINA = User(3, Role.TEAM_LEAD, "Tina")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for user in (ANNA, TINA):
        uow.state.users[user.id] = user
    return uow


@pytest.fixture
def services() -> Services:
    return Services(policy=Policy(domains=frozenset({"fintech", "saas"}), transfer_threshold=0.6))


@pytest.fixture
def tina() -> Actor:
    return Actor.from_user(TINA)


@pytest.fixture
def anna() -> Actor:
    return Actor.from_user(ANNA)


async def test_the_survivor_keeps_its_fields_fills_empty_ones_and_takes_everything_of_the_other(
    uow, services, tina, anna
) -> None:
    keep = await leads.create_lead(
        uow, services, anna, source="partner", name="Acme", attributes={"country": "RU"}, contact="+7 900 000-00-01"
    )
    gone = await leads.create_lead(
        uow,
        services,
        anna,
        source="manual",
        name="Acme (dup)",
        company="Acme LLC",
        business_domain="saas",
        attributes={"country": "DE", "segment": "smb"},
        contacts=["+7 900 000-00-01", "ceo@acme.example"],
        allow_duplicate=True,
    )
    await leads.log_activity(uow, services, anna, gone.id, kind="call")
    await leads.log_activity(uow, services, anna, keep.id, kind="note", text="hello")
    await leads.advance(uow, services, anna, gone.id)
    await next_steps.set_next_step(uow, anna, gone.id, kind="call", due_at=utcnow() + timedelta(days=1))
    keep = await leads.get_lead(uow, anna, keep.id)

    result = await merge.merge_leads(uow, services, tina, keep.id, gone.id, expected_version=keep.version)

    lead = result.lead
    assert lead.version == keep.version + 1 and lead.name == "Acme" and lead.stage == Stage.NEW
    assert lead.company == "Acme LLC" and lead.business_domain == "saas"
    assert lead.attributes == {"country": "RU", "segment": "smb"}
    assert sorted(c.normal for c in lead.contacts) == ["+79000000001", "ceo@acme.example"]
    assert lead.activity_count == 2 and lead.activity_counts == {"note": 1, "call": 1}
    assert lead.next_step is not None and lead.next_step.kind.value == "call"
    assert {a.kind.value for a in await leads.list_activities(uow, tina, keep.id)} == {"note", "call"}
    assert [c.to_stage for c in await leads.stage_history(uow, tina, keep.id)] == [Stage.CONTACTED]
    events = await leads.lead_events(uow, tina, keep.id)
    assert events[0].kind == LeadEventKind.MERGED and events[0].actor == tina.label
    assert events[0].data["merged_id"] == gone.id and events[0].data["activities"] == 1
    assert LeadEventKind.NEXT_STEP_SET in {e.kind for e in events}  # the other's history came along
    tomb = uow.state.leads[gone.id]
    assert tomb.merged_into_id == keep.id and tomb.merged_by == tina.label and tomb.merged_at is not None
    assert tomb.next_step is None and tomb.contacts == ()


async def test_a_merged_lead_answers_merged_into_and_is_left_out_of_lists_searches_and_duplicates(
    uow, services, tina
) -> None:
    keep = await leads.create_lead(uow, services, tina, source="partner", name="Keep")
    gone = await leads.create_lead(uow, services, tina, source="partner", name="Gone", contact="gone@example.com")
    await merge.merge_leads(uow, services, tina, keep.id, gone.id)

    with pytest.raises(LeadMerged) as err:
        await leads.get_lead(uow, tina, gone.id)
    assert err.value.merged_into == keep.id
    with pytest.raises(LeadMerged):
        await leads.log_activity(uow, services, tina, gone.id, kind="call")
    with pytest.raises(LeadMerged):
        await leads.change_stage(uow, services, tina, gone.id, "contacted")
    page = await leads.list_leads(uow, tina)
    assert [lead.id for lead in page.items] == [keep.id]
    assert [lead.id for lead in (await leads.find_leads(uow, tina, "gone@example.com")).items] == [keep.id]
    assert await contacts.check_new_contact(uow, services.policy, tina, "gone@example.com") is not None
    assert (await contacts.check_new_contact(uow, services.policy, tina, "gone@example.com")).lead_id == keep.id


async def test_a_chain_of_merges_points_every_tombstone_at_the_last_survivor(uow, services, tina) -> None:
    a, b, c = [await leads.create_lead(uow, services, tina, source="partner", name=n) for n in "ABC"]
    await merge.merge_leads(uow, services, tina, b.id, a.id)
    await merge.merge_leads(uow, services, tina, c.id, b.id)
    with pytest.raises(LeadMerged) as err:
        await leads.get_lead(uow, tina, a.id)
    assert err.value.merged_into == c.id


@pytest.mark.parametrize("case", ["same", "merged", "transferred"])
async def test_a_merge_is_refused_with_the_reason(uow, services, tina, case) -> None:
    keep = await leads.create_lead(uow, services, tina, source="partner", name="Keep")
    other = await leads.create_lead(uow, services, tina, source="partner", name="Other", business_domain="saas")
    if case == "merged":
        third = await leads.create_lead(uow, services, tina, source="partner")
        await merge.merge_leads(uow, services, tina, third.id, other.id)
    if case == "transferred":
        for _ in range(7):
            await leads.log_activity(uow, services, tina, other.id, kind="meeting")
        await leads.advance(uow, services, tina, other.id)
        await leads.advance(uow, services, tina, other.id)
        await leads.analyze(uow, services, tina, other.id)
        await leads.change_stage(uow, services, tina, other.id, "transferred")
    before = uow.commits
    with pytest.raises(MergeRefused) as err:
        await merge.merge_leads(uow, services, tina, keep.id, keep.id if case == "same" else other.id)
    expected = {
        "same": MergeBlock.SAME_LEAD,
        "merged": MergeBlock.ALREADY_MERGED,
        "transferred": MergeBlock.TRANSFERRED,
    }
    assert err.value.block == expected[case]
    assert uow.commits == before


async def test_a_merge_with_a_stale_version_or_by_a_manager_changes_nothing(uow, services, tina, anna) -> None:
    keep = await leads.create_lead(uow, services, anna, source="partner")
    other = await leads.create_lead(uow, services, anna, source="partner")
    with pytest.raises(StaleState):
        await merge.merge_leads(uow, services, tina, keep.id, other.id, expected_version=keep.version + 1)
    with pytest.raises(StaleState):
        await merge.merge_leads(uow, services, tina, keep.id, other.id, other_version=other.version + 5)
    with pytest.raises(AccessDenied):
        await merge.merge_leads(uow, services, anna, keep.id, other.id)
    with pytest.raises(LeadNotFound):
        await merge.merge_leads(uow, services, tina, keep.id, 999)
    assert not uow.state.leads[other.id].is_merged


async def test_merging_into_a_merged_lead_says_where_it_went(uow, services, tina) -> None:
    a, b, c = [await leads.create_lead(uow, services, tina, source="partner") for _ in range(3)]
    await merge.merge_leads(uow, services, tina, b.id, a.id)
    with pytest.raises(LeadMerged) as err:
        await merge.merge_leads(uow, services, tina, a.id, c.id)
    assert err.value.merged_into == b.id


async def test_adding_a_contact_another_lead_has_is_refused_unless_allowed(uow, services, anna) -> None:
    other = await leads.create_lead(uow, services, anna, source="partner", contact="+7 999 123-45-67")
    lead = await leads.create_lead(uow, services, anna, source="partner", contact="me@example.com")
    with pytest.raises(DuplicateLead) as err:
        await contacts.add_contact(uow, services.policy, anna, lead.id, "8 999 123 45 67")
    assert err.value.lead_id == other.id and err.value.adding_to == lead.id
    shown = await contacts.add_contact_or_show(uow, services.policy, anna, lead.id, "+79991234567")
    assert shown.duplicate is not None and shown.duplicate.lead_id == other.id
    assert len(uow.state.leads[lead.id].contacts) == 1
    added = await contacts.add_contact(uow, services.policy, anna, lead.id, "+79991234567", allow_duplicate=True)
    assert len(added.contacts) == 2
    # the lead's own contact again is no duplicate of itself
    again = await contacts.add_contact(uow, services.policy, anna, lead.id, "me@example.com")
    assert len(again.contacts) == 2
    third = await leads.create_lead(uow, services, anna, source="partner", contact="third@example.com")
    with pytest.raises(DuplicateLead) as err:
        changes = {"contacts": ["third@example.com", "8999123 4567"]}
        await leads.update_lead(uow, services, anna, third.id, changes=changes)
    assert err.value.lead_id == other.id and err.value.adding_to == third.id
    edited = await leads.update_lead(
        uow, services, anna, third.id, changes={"contacts": ["third@example.com", "+79991234567"]}, allow_duplicate=True
    )
    assert len(edited.contacts) == 2


async def test_candidates_are_the_live_leads_sharing_a_contact(uow, services, tina) -> None:
    lead = await leads.create_lead(uow, services, tina, source="partner", contacts=["a@x.example", "b@x.example"])
    one = await leads.create_lead(uow, services, tina, source="partner", contact="a@x.example", allow_duplicate=True)
    two = await leads.create_lead(uow, services, tina, source="partner", contact="b@x.example", allow_duplicate=True)
    await leads.create_lead(uow, services, tina, source="partner", contact="c@x.example")
    _lead, found = await merge.candidates(uow, tina, lead.id)
    assert [o.id for o in found] == [one.id, two.id]
    await merge.merge_leads(uow, services, tina, lead.id, one.id)
    _lead, found = await merge.candidates(uow, tina, lead.id)
    assert [o.id for o in found] == [two.id]


async def test_when_both_have_a_next_step_the_survivor_keeps_its_own_and_the_other_is_recorded(
    uow, services, tina
) -> None:
    keep = await leads.create_lead(uow, services, tina, source="partner")
    gone = await leads.create_lead(uow, services, tina, source="partner")
    soon, later = utcnow() + timedelta(hours=1), utcnow() + timedelta(days=2)
    await next_steps.set_next_step(uow, tina, keep.id, kind="call", due_at=later)
    await next_steps.set_next_step(uow, tina, gone.id, kind="meeting", due_at=soon, note="demo")
    result = await merge.merge_leads(uow, services, tina, keep.id, gone.id)
    assert result.lead.next_step is not None and result.lead.next_step.kind.value == "call"
    event = (await leads.lead_events(uow, tina, keep.id))[0]
    assert event.data["dropped_next_step"]["kind"] == "meeting" and event.data["dropped_next_step"]["note"] == "demo"


async def test_a_scored_survivor_that_gets_a_domain_from_the_other_is_scored_again(uow, services, tina) -> None:
    keep = await leads.create_lead(uow, services, tina, source="partner")
    keep = await leads.analyze(uow, services, tina, keep.id)
    gone = await leads.create_lead(uow, services, tina, source="manual", business_domain="saas")
    result = await merge.merge_leads(uow, services, tina, keep.id, gone.id)
    assert result.lead.business_domain == "saas"
    assert result.lead.ai_score is not None and keep.ai_score is not None
    assert result.lead.ai_score > keep.ai_score  # a known domain counts in rules-v1


async def test_a_scored_survivor_that_gains_the_others_activities_is_scored_again(uow, services, tina) -> None:
    keep = await leads.create_lead(uow, services, tina, source="partner", business_domain="fintech")
    keep = await leads.analyze(uow, services, tina, keep.id)  # no activity: -0.2 in rules-v1
    gone = await leads.create_lead(uow, services, tina, source="partner")
    for _ in range(3):
        await leads.log_activity(uow, services, tina, gone.id, kind="call")
    result = await merge.merge_leads(uow, services, tina, keep.id, gone.id)
    assert result.lead.activity_count == 3
    assert keep.ai_score is not None and result.lead.ai_score == pytest.approx(keep.ai_score + 0.35)  # 3: +0.15


async def test_a_merge_that_would_pass_the_attribute_limit_is_refused_and_changes_nothing(uow, services, tina) -> None:
    from core.domain.errors import InvalidValue

    keep = await leads.create_lead(uow, services, tina, source="partner", attributes={f"a{i}": i for i in range(30)})
    gone = await leads.create_lead(uow, services, tina, source="partner", attributes={f"b{i}": i for i in range(30)})
    with pytest.raises(InvalidValue) as err:
        await merge.merge_leads(uow, services, tina, keep.id, gone.id)
    assert err.value.field == "attributes"
    assert (await leads.get_lead(uow, tina, gone.id)).id == gone.id  # not merged: it still opens
