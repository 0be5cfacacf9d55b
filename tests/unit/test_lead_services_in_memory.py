"""Lead use cases on the in-memory unit of work: the rules of the funnel without a database."""

from __future__ import annotations

import pytest

from core.domain.enums import Role, SaleStage, Stage
from core.domain.errors import (
    AccessDenied,
    InvalidTransition,
    LeadIsFinal,
    LeadNotFound,
    StaleState,
    TransferBlock,
    TransferNotAllowed,
)
from core.domain.models import Actor, Lead, User
from core.services import leads, sales
from core.services.context import Policy, Services
from tests.unit.fakes import FakeUnitOfWork

ANNA = User(1, Role.MANAGER, "Anna")
BORIS = User(2, Role.MANAGER, "Boris")
TINA = User(3, Role.TEAM_LEAD, "Tina")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for user in (ANNA, BORIS, TINA):
        uow.state.users[user.id] = user
    return uow


@pytest.fixture
def services() -> Services:
    return Services(policy=Policy(domains=frozenset({"fintech"}), transfer_threshold=0.6))


async def _qualified(
    uow: FakeUnitOfWork, services: Services, actor: Actor, *, business_domain: str | None = None
) -> Lead:
    lead = await leads.create_lead(uow, services, actor, source="partner", business_domain=business_domain)
    for _ in range(4):
        await leads.log_activity(uow, services, actor, lead.id, kind="call")
    await leads.advance(uow, services, actor, lead.id)
    return (await leads.advance(uow, services, actor, lead.id)).lead


async def test_a_lead_walks_the_funnel_one_step_at_a_time(uow, services) -> None:
    anna = Actor.from_user(ANNA)
    lead = await leads.create_lead(uow, services, anna, source="partner", name="ACME")
    assert (lead.stage, lead.owner_name, lead.version) == (Stage.NEW, "Anna", 1)
    with pytest.raises(InvalidTransition):
        await leads.change_stage(uow, services, anna, lead.id, "qualified")
    moved = (await leads.change_stage(uow, services, anna, lead.id, "contacted")).lead
    assert (moved.stage, moved.version) == (Stage.CONTACTED, 2)
    history = await leads.stage_history(uow, anna, lead.id)
    assert [(c.from_stage, c.to_stage, c.actor) for c in history] == [(Stage.NEW, Stage.CONTACTED, "tg:1")]


async def test_transfer_needs_a_score_and_a_domain_and_then_makes_one_sale_and_one_notice(uow, services) -> None:
    anna = Actor.from_user(ANNA)
    lead = await _qualified(uow, services, anna)
    with pytest.raises(TransferNotAllowed) as refused:
        await leads.change_stage(uow, services, anna, lead.id, "transferred")
    assert refused.value.blocks == [TransferBlock.NO_SCORE, TransferBlock.NO_DOMAIN]
    assert uow.state.sales == {} and uow.state.outbox == {}

    await leads.update_lead(uow, services, anna, lead.id, changes={"business_domain": "fintech"})
    scored = await leads.analyze(uow, services, anna, lead.id)
    assert scored.ai_score is not None and scored.ai_score >= 0.6
    result = await leads.change_stage(uow, services, anna, lead.id, "transferred")
    assert result.lead.stage == Stage.TRANSFERRED
    assert result.sale is not None and result.sale.stage == SaleStage.NEW
    assert [(m.destination, m.payload["lead_id"]) for m in uow.state.outbox.values()] == [("team_leads", lead.id)]
    assert (await sales.sale_for_lead(uow, anna, lead.id)) == result.sale


async def test_a_refused_transfer_changes_nothing(uow, services) -> None:
    anna = Actor.from_user(ANNA)
    lead = await _qualified(uow, services, anna, business_domain="fintech")
    before = uow.state.leads[lead.id]
    with pytest.raises(TransferNotAllowed):
        await leads.change_stage(uow, services, anna, lead.id, "transferred")
    assert uow.state.leads[lead.id] == before
    assert len(uow.state.stage_changes) == 2


async def test_an_old_version_is_refused_as_stale(uow, services) -> None:
    anna = Actor.from_user(ANNA)
    lead = await leads.create_lead(uow, services, anna, source="manual")
    await leads.log_activity(uow, services, anna, lead.id, kind="note", expected_version=lead.version)
    with pytest.raises(StaleState):
        await leads.log_activity(uow, services, anna, lead.id, kind="note", expected_version=lead.version)
    assert (await leads.get_lead(uow, anna, lead.id)).activity_count == 1


async def test_a_manager_cannot_see_or_change_another_managers_lead(uow, services) -> None:
    anna, boris, tina = (Actor.from_user(u) for u in (ANNA, BORIS, TINA))
    lead = await leads.create_lead(uow, services, anna, source="manual")
    with pytest.raises(LeadNotFound):
        await leads.get_lead(uow, boris, lead.id)
    with pytest.raises(LeadNotFound):
        await leads.change_stage(uow, services, boris, lead.id, "lost")
    assert (await leads.list_leads(uow, boris)).items == []
    assert [item.id for item in (await leads.list_leads(uow, tina)).items] == [lead.id]  # team leads see all


async def test_a_final_lead_takes_no_more_activities(uow, services) -> None:
    anna = Actor.from_user(ANNA)
    lead = await leads.create_lead(uow, services, anna, source="manual")
    await leads.change_stage(uow, services, anna, lead.id, "lost", reason="no budget")
    with pytest.raises(LeadIsFinal):
        await leads.log_activity(uow, services, anna, lead.id, kind="call")
    with pytest.raises(LeadIsFinal):
        await leads.advance(uow, services, anna, lead.id)


async def test_a_comment_goes_on_an_activity_of_that_lead_only_and_keeps_the_version(uow, services) -> None:
    anna, boris = Actor.from_user(ANNA), Actor.from_user(BORIS)
    lead = await leads.create_lead(uow, services, anna, source="partner")
    other = await leads.create_lead(uow, services, anna, source="partner")
    lead, call = await leads.log_activity(uow, services, anna, lead.id, kind="call", outcome="no_answer")
    _other, note = await leads.log_activity(uow, services, anna, other.id, kind="note", text="the note itself")
    same, commented = await leads.comment_activity(uow, anna, lead.id, call.id, "  busy, call after 3 pm ")
    assert (commented.text, commented.outcome, same.version) == ("busy, call after 3 pm", call.outcome, lead.version)
    with pytest.raises(StaleState):
        await leads.comment_activity(uow, anna, lead.id, note.id, "another lead's activity")
    with pytest.raises(StaleState):
        await leads.comment_activity(uow, anna, other.id, note.id, "a note's text is the note")
    with pytest.raises(LeadNotFound):
        await leads.comment_activity(uow, boris, lead.id, call.id, "not Boris's lead")
    assert [a.text for a in uow.state.activities] == ["busy, call after 3 pm", "the note itself"]
    _lead, cleared = await leads.comment_activity(uow, anna, lead.id, call.id, "")
    assert cleared.text is None


class _ByStage:
    """A model whose score depends only on the stage and the number of calls (as a learned one may)."""

    version = "by-stage-1"

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def score(self, data):
        from core.scoring.base import ScoreResult, recommend

        value = round(self.scores[data.stage] + 0.01 * data.activity_counts.get("call", 0), 4)
        return ScoreResult(value, recommend(value, bool(data.business_domain)), f"at {data.stage}", "ru", self.version)

    async def current(self, uow):
        return self


def _services_scoring(scores: dict[str, float]) -> Services:
    return Services(policy=Policy(domains=frozenset({"fintech"}), transfer_threshold=0.6), scorers=_ByStage(scores))


async def test_the_transfer_gate_refuses_when_the_fresh_score_is_low_though_the_stored_one_was_high(uow) -> None:
    services = _services_scoring({"new": 0.9, "contacted": 0.5, "qualified": 0.3, "transferred": 0.3, "lost": 0})
    anna = Actor.from_user(ANNA)
    lead = await leads.create_lead(uow, services, anna, source="partner", business_domain="fintech")
    lead = await leads.analyze(uow, services, anna, lead.id)
    assert lead.ai_score == 0.9
    for _ in range(4):
        await leads.log_activity(uow, services, anna, lead.id, kind="call")
    await leads.advance(uow, services, anna, lead.id)
    lead = (await leads.advance(uow, services, anna, lead.id)).lead
    assert (lead.stage, lead.ai_score, lead.ai_reason) == (Stage.QUALIFIED, 0.34, "at qualified")  # moved, re-scored
    with pytest.raises(TransferNotAllowed):
        await leads.change_stage(uow, services, anna, lead.id, "transferred")


async def test_a_lead_scored_low_when_new_transfers_on_its_fresh_score_without_another_analyze(uow) -> None:
    services = _services_scoring({"new": 0.2, "contacted": 0.4, "qualified": 0.8, "transferred": 0.1, "lost": 0})
    anna = Actor.from_user(ANNA)
    lead = await leads.create_lead(uow, services, anna, source="partner", business_domain="fintech")
    await leads.analyze(uow, services, anna, lead.id)
    for _ in range(4):
        lead, _activity = await leads.log_activity(uow, services, anna, lead.id, kind="call")
    assert lead.ai_score == 0.24  # each call re-scored the lead in its own transaction
    await leads.advance(uow, services, anna, lead.id)
    await leads.advance(uow, services, anna, lead.id)
    result = await leads.change_stage(uow, services, anna, lead.id, "transferred")
    assert result.sale is not None
    # the score kept with the transfer is the one the gate decided on (the lead as qualified), not "transferred"
    assert (result.lead.ai_score, result.lead.ai_reason) == (0.84, "at qualified")


async def test_a_lead_never_scored_is_not_scored_behind_the_managers_back(uow) -> None:
    services = _services_scoring({"new": 0.9, "contacted": 0.9, "qualified": 0.9, "transferred": 0.9, "lost": 0})
    anna = Actor.from_user(ANNA)
    lead = await leads.create_lead(uow, services, anna, source="partner", business_domain="fintech")
    lead, _activity = await leads.log_activity(uow, services, anna, lead.id, kind="call", to_contacted=True)
    assert (lead.stage, lead.ai_score) == (Stage.CONTACTED, None)


async def test_only_the_author_or_a_team_lead_comments_an_activity(uow, services) -> None:
    anna, tina = Actor.from_user(ANNA), Actor.from_user(TINA)
    lead = await leads.create_lead(uow, services, anna, source="partner")
    _lead, by_tina = await leads.log_activity(uow, services, tina, lead.id, kind="call")
    _lead, by_anna = await leads.log_activity(uow, services, anna, lead.id, kind="call")
    with pytest.raises(AccessDenied):
        await leads.comment_activity(uow, anna, lead.id, by_tina.id, "rewriting a colleague's call")
    assert (await leads.comment_activity(uow, anna, lead.id, by_anna.id, "mine"))[1].text == "mine"
    assert (await leads.comment_activity(uow, tina, lead.id, by_anna.id, "checked"))[1].text == "checked"
