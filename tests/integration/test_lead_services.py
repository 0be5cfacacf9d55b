"""Lead use cases against real PostgreSQL (each test rolled back)."""

import pytest
from sqlalchemy import func, select

from api.words import describe
from core.domain.enums import Role, Stage
from core.domain.errors import (
    InvalidTransition,
    InvalidValue,
    LeadIsFinal,
    LeadNotFound,
    StaleState,
    TransferNotAllowed,
)
from core.domain.models import Actor
from core.services import leads as svc
from core.storage.models import OutboxRow, SaleRow, StageChangeRow, UserRow


async def _qualified_lead(uow, services, actor, **kw):
    lead = await svc.create_lead(uow, services, actor, source="partner", **kw)
    for _ in range(4):
        await svc.log_activity(uow, services, actor, lead.id, kind="call")
    await svc.change_stage(uow, services, actor, lead.id, "contacted")
    await svc.change_stage(uow, services, actor, lead.id, "qualified")
    return lead


async def test_new_lead_starts_at_new_with_no_score(uow, services, system) -> None:
    lead = await svc.create_lead(
        uow, services, system, source="scanner", name="  ACME   Ltd ", contact="+7 900 123-45-67"
    )
    assert (lead.stage, lead.activity_count, lead.ai_score) == (Stage.NEW, 0, None)
    assert lead.name == "ACME Ltd"
    assert lead.created_at is not None and lead.version == 1
    again = await svc.get_lead(uow, system, lead.id)
    assert again == lead


async def test_lead_without_name_is_shown_by_its_id(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual")
    assert lead.display_name == f"Lead #{lead.id}"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("source", {"source": "cold-call"}),
        ("business_domain", {"source": "manual", "business_domain": "astrology"}),
        ("contact", {"source": "manual", "contact": "call me maybe"}),
        ("name", {"source": "manual", "name": "x" * 201}),
        ("attributes", {"source": "manual", "attributes": {"nested": {"a": 1}}}),
    ],
)
async def test_bad_input_is_refused_with_the_field_named(uow, services, system, field, kwargs) -> None:
    with pytest.raises(InvalidValue) as err:
        await svc.create_lead(uow, services, system, **kwargs)
    assert err.value.field == field


async def test_logging_an_activity_updates_counters_in_the_same_transaction(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual")
    lead, act = await svc.log_activity(uow, services, system, lead.id, kind="meeting", text="Demo went well")
    lead, _ = await svc.log_activity(uow, services, system, lead.id, kind="call")
    assert lead.activity_count == 2
    assert lead.activity_counts == {"meeting": 1, "call": 1}
    assert lead.first_contact_at == act.created_at
    assert lead.last_activity_at >= act.created_at
    listed = await svc.list_activities(uow, system, lead.id)
    assert [a.kind.value for a in listed] == ["call", "meeting"]
    assert listed[1].text == "Demo went well"


async def test_activity_text_over_4000_chars_is_refused_and_nothing_changes(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual")
    with pytest.raises(InvalidValue):
        await svc.log_activity(uow, services, system, lead.id, kind="note", text="x" * 4001)
    assert (await svc.get_lead(uow, system, lead.id)).activity_count == 0


async def test_activity_on_a_final_lead_is_refused(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual")
    await svc.change_stage(uow, services, system, lead.id, "lost", reason="no budget")
    with pytest.raises(LeadIsFinal):
        await svc.log_activity(uow, services, system, lead.id, kind="call")


async def test_every_stage_change_is_recorded_with_actor_and_reason(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual")
    await svc.change_stage(uow, services, system, lead.id, "contacted")
    res = await svc.change_stage(uow, services, system, lead.id, "lost", reason="went silent")
    assert res.lead.lost_reason == "went silent"
    hist = await svc.stage_history(uow, system, lead.id)
    assert [(h.from_stage, h.to_stage, h.reason) for h in hist] == [
        (Stage.CONTACTED, Stage.LOST, "went silent"),
        (Stage.NEW, Stage.CONTACTED, None),
    ]
    assert {h.actor for h in hist} == {"test"}


async def test_skipping_a_stage_is_an_invalid_transition(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual")
    with pytest.raises(InvalidTransition) as err:
        await svc.change_stage(uow, services, system, lead.id, "qualified")
    assert describe(err.value) == "Invalid stage transition from 'new' to 'qualified'"


async def test_analyze_stores_score_recommendation_reason_version_and_time(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="partner", business_domain="FinTech")
    assert lead.business_domain == "fintech"
    scored = await svc.analyze(uow, services, system, lead.id)
    assert scored.ai_score == 0.6  # .7 - .2 (no activity) + 0 + .1
    assert scored.ai_recommendation.value == "continue_qualification"
    assert scored.scorer_version == "rules-v1" and scored.ai_scored_at is not None
    assert "0.60" in scored.ai_reason and "0.60" in scored.ai_reason_ru
    assert scored.version == lead.version + 1 and scored.updated_at == scored.ai_scored_at
    assert await svc.get_lead(uow, system, lead.id) == scored  # what was stored, read back in a new transaction


async def test_transfer_without_score_says_so_and_changes_nothing(uow, services, system) -> None:
    lead = await _qualified_lead(uow, services, system, business_domain="saas")
    with pytest.raises(TransferNotAllowed) as err:
        await svc.change_stage(uow, services, system, lead.id, "transferred")
    assert "no AI score" in describe(err.value)
    assert (await svc.get_lead(uow, system, lead.id)).stage == Stage.QUALIFIED


async def test_transfer_without_domain_names_the_domain(uow, services, system) -> None:
    lead = await _qualified_lead(uow, services, system)
    await svc.analyze(uow, services, system, lead.id)  # capped at .55 without a domain
    with pytest.raises(TransferNotAllowed) as err:
        await svc.change_stage(uow, services, system, lead.id, "transferred")
    assert "business_domain is not set" in describe(err.value)
    assert "0.55 is below" in describe(err.value)


async def test_transfer_creates_a_sale_history_and_one_notification(uow, services, system) -> None:
    lead = await _qualified_lead(uow, services, system, business_domain="saas")
    await svc.analyze(uow, services, system, lead.id)
    res = await svc.change_stage(uow, services, system, lead.id, "transferred")
    assert res.lead.stage == Stage.TRANSFERRED
    assert res.sale is not None and res.sale.lead_id == lead.id and res.sale.stage.value == "new"
    async with uow:
        s = uow.session
        assert await s.scalar(select(func.count()).select_from(SaleRow).where(SaleRow.lead_id == lead.id)) == 1
        # (the intake's "nobody to assign it to" message, there being no manager, is not counted)
        outbox = (
            (await s.execute(select(OutboxRow).where(OutboxRow.dedupe_key.like("lead-transferred:%")))).scalars().all()
        )
        assert len(outbox) == 1 and (outbox[0].destination, outbox[0].chat_id) == ("team_leads", None)
        assert outbox[0].payload["lead_id"] == lead.id and outbox[0].payload["sale_id"] == res.sale.id
        n = await s.scalar(select(func.count()).select_from(StageChangeRow).where(StageChangeRow.lead_id == lead.id))
        assert n == 3


async def test_a_stale_version_acts_on_nothing(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual")
    await svc.log_activity(uow, services, system, lead.id, kind="call", expected_version=lead.version)
    with pytest.raises(StaleState):
        await svc.log_activity(uow, services, system, lead.id, kind="call", expected_version=lead.version)
    assert (await svc.get_lead(uow, system, lead.id)).activity_count == 1


async def test_managers_see_only_their_own_leads(uow, services, system) -> None:
    async with uow:
        uow.session.add_all(
            [UserRow(id=1, full_name="Ann", role=Role.MANAGER), UserRow(id=2, full_name="Bob", role=Role.MANAGER)]
        )
        await uow.commit()
    ann = Actor(label="tg:1", user_id=1, role=Role.MANAGER)
    bob = Actor(label="tg:2", user_id=2, role=Role.MANAGER)
    lead = await svc.create_lead(uow, services, ann, source="manual", name="Ann's")
    assert lead.owner_id == 1 and lead.owner_name == "Ann"
    with pytest.raises(LeadNotFound):
        await svc.get_lead(uow, services and bob, lead.id)
    with pytest.raises(LeadNotFound):
        await svc.change_stage(uow, services, bob, lead.id, "contacted")
    assert (await svc.list_leads(uow, bob)).items == []
    assert [x.id for x in (await svc.list_leads(uow, ann)).items] == [lead.id]
    assert [x.id for x in (await svc.find_leads(uow, ann, "ann")).items] == [lead.id]
    assert (await svc.find_leads(uow, bob, "ann")).items == []


async def test_list_is_keyset_paginated_newest_first(uow, services, system) -> None:
    ids = [(await svc.create_lead(uow, services, system, source="manual", name=f"L{i}")).id for i in range(7)]
    seen: list[int] = []
    before: int | None = None
    while True:
        page = await svc.list_leads(uow, system, limit=3, before_id=before)
        seen += [x.id for x in page.items]
        if page.next_before_id is None:
            break
        before = page.next_before_id
    assert seen == list(reversed(ids))


async def test_unknown_lead_is_not_found(uow, services, system) -> None:
    with pytest.raises(LeadNotFound):
        await svc.analyze(uow, services, system, 987654)


async def test_setting_the_domain_rescores_a_scored_lead_in_the_same_change(uow, services, system) -> None:
    lead = await _qualified_lead(uow, services, system)
    capped = await svc.analyze(uow, services, system, lead.id)
    assert capped.ai_score == 0.55  # no domain: capped
    updated = await svc.update_lead(uow, services, system, lead.id, changes={"business_domain": "saas"})
    assert updated.ai_score == 1.0 and "saas" in updated.ai_reason
    res = await svc.change_stage(uow, services, system, lead.id, "transferred")
    assert res.sale is not None


async def test_changing_only_the_contact_keeps_the_stored_score(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual", business_domain="saas")
    scored = await svc.analyze(uow, services, system, lead.id)
    updated = await svc.update_lead(uow, services, system, lead.id, changes={"contact": "@someone_new"})
    assert (updated.ai_score, updated.ai_scored_at) == (scored.ai_score, scored.ai_scored_at)


async def test_an_unscored_lead_stays_unscored_when_its_domain_is_set(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual")
    updated = await svc.update_lead(uow, services, system, lead.id, changes={"business_domain": "saas"})
    assert updated.ai_score is None


async def test_the_first_call_on_a_new_lead_can_move_it_to_contacted_in_one_transaction(uow, services, system) -> None:
    lead = await svc.create_lead(uow, services, system, source="manual", name="First call")
    moved, activity = await svc.log_activity(
        uow, services, system, lead.id, kind="call", outcome="reached", to_contacted=True, expected_version=lead.version
    )
    assert moved.stage == "contacted" and activity.outcome == "reached" and moved.activity_count == 1
    changes = await svc.stage_history(uow, system, lead.id)
    assert [(c.from_stage, c.to_stage) for c in changes] == [("new", "contacted")]
    again, _ = await svc.log_activity(
        uow, services, system, lead.id, kind="call", outcome="no_answer", to_contacted=True
    )
    assert again.stage == "contacted" and len(await svc.stage_history(uow, system, lead.id)) == 1
