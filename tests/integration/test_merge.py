"""Merging leads on real PostgreSQL: everything of both is kept, in one transaction, and two merges of one pair
at once make one merge. A merged lead is left out of lists, counts, the duplicate guard and the scheduler."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core.domain.clock import utcnow
from core.domain.enums import LeadEventKind, Role
from core.domain.errors import LeadMerged, MergeRefused
from core.domain.models import Actor
from core.services import contacts, merge, next_steps
from core.services import leads as leads_svc
from core.services import scheduler as sched
from core.services.users import ensure_user
from core.storage.models import ActivityRow, LeadContactRow, LeadEventRow, LeadRow, StageChangeRow
from core.storage.repositories.leads import SqlLeadRepository
from core.storage.uow import SqlUnitOfWork

MANAGER, LEAD = 7101, 7102


async def _people(uow: Any) -> dict[str, Actor]:
    maria = await ensure_user(uow, user_id=MANAGER, full_name="Maria", role=Role.MANAGER)
    tina = await ensure_user(uow, user_id=LEAD, full_name="Tina", role=Role.TEAM_LEAD)
    return {"maria": Actor.from_user(maria), "tina": Actor.from_user(tina)}


async def _count(session: Any, row: Any, lead_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(row).where(row.lead_id == lead_id)))


async def _history_counts(factory: Any, lead_id: int) -> tuple[int, int, int, int]:
    async with factory() as s:
        return (
            await _count(s, ActivityRow, lead_id),
            await _count(s, StageChangeRow, lead_id),
            await _count(s, LeadEventRow, lead_id),
            await _count(s, LeadContactRow, lead_id),
        )


async def _two_leads(uow: Any, services: Any, people: dict[str, Actor]) -> tuple[Any, Any]:
    maria = people["maria"]
    keep = await leads_svc.create_lead(
        uow, services, maria, source="partner", name="Acme", contacts=["+7 900 000-00-01", "a@acme.example"]
    )
    gone = await leads_svc.create_lead(
        uow,
        services,
        maria,
        source="manual",
        company="Acme LLC",
        business_domain="saas",
        contacts=["8 900 000 00 01", "@acme_ceo"],
        allow_duplicate=True,
    )
    for kind in ("call", "meeting"):
        await leads_svc.log_activity(uow, services, maria, gone.id, kind=kind)
    await leads_svc.log_activity(uow, services, maria, keep.id, kind="note", text="first")
    await leads_svc.advance(uow, services, maria, gone.id)
    await next_steps.set_next_step(uow, maria, gone.id, kind="call", due_at=utcnow() + timedelta(hours=2))
    return await leads_svc.get_lead(uow, maria, keep.id), await leads_svc.get_lead(uow, maria, gone.id)


async def test_a_merge_keeps_every_activity_stage_change_event_and_contact_of_both(uow, services) -> None:
    people = await _people(uow)
    keep, gone = await _two_leads(uow, services, people)
    async with uow:
        s = uow.session
        before_keep = [await _count(s, r, keep.id) for r in (ActivityRow, StageChangeRow, LeadEventRow)]
        before_gone = [await _count(s, r, gone.id) for r in (ActivityRow, StageChangeRow, LeadEventRow)]

    result = await merge.merge_leads(
        uow, services, people["tina"], keep.id, gone.id, expected_version=keep.version, other_version=gone.version
    )

    lead = result.lead
    assert lead.version == keep.version + 1
    assert (lead.name, lead.company, lead.business_domain) == ("Acme", "Acme LLC", "saas")
    assert lead.activity_count == 3 and lead.activity_counts == {"note": 1, "call": 1, "meeting": 1}
    assert lead.next_step is not None
    assert sorted(c.normal for c in lead.contacts) == ["+79000000001", "a@acme.example", "acme_ceo"]
    async with uow:
        s = uow.session
        after_keep = [await _count(s, r, keep.id) for r in (ActivityRow, StageChangeRow, LeadEventRow)]
        assert [await _count(s, r, gone.id) for r in (ActivityRow, StageChangeRow, LeadEventRow)] == [0, 0, 0]
        assert await _count(s, LeadContactRow, gone.id) == 0
        tomb = (await s.execute(select(LeadRow.__table__).where(LeadRow.id == gone.id))).one()
        stored = (await s.execute(select(LeadRow.__table__).where(LeadRow.id == keep.id))).one()
    # every row of both, plus the merge's own event
    assert after_keep == [
        before_keep[0] + before_gone[0],
        before_keep[1] + before_gone[1],
        before_keep[2] + before_gone[2] + 1,
    ]
    assert (tomb.merged_into_id, tomb.merged_by) == (keep.id, people["tina"].label) and tomb.merged_at is not None
    assert tomb.next_step_due_at is None and tomb.version == gone.version + 1
    assert stored.version == lead.version and stored.activity_count == 3
    history = await leads_svc.lead_events(uow, people["tina"], keep.id)
    assert history[0].kind == LeadEventKind.MERGED
    assert history[0].data["merged_id"] == gone.id and history[0].data["contacts"] == 1


async def test_a_merge_that_fails_half_way_changes_nothing(committing_factory, services, monkeypatch) -> None:
    uow = SqlUnitOfWork(committing_factory)
    people = await _people(uow)
    keep, gone = await _two_leads(uow, services, people)
    before = (await _history_counts(committing_factory, keep.id), await _history_counts(committing_factory, gone.id))

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(SqlLeadRepository, "add_event", broken)  # the merge's last write
    with pytest.raises(RuntimeError):
        await merge.merge_leads(SqlUnitOfWork(committing_factory), services, people["tina"], keep.id, gone.id)
    monkeypatch.undo()

    after = (await _history_counts(committing_factory, keep.id), await _history_counts(committing_factory, gone.id))
    assert after == before
    again = await leads_svc.get_lead(SqlUnitOfWork(committing_factory), people["tina"], gone.id)
    assert again.merged_into_id is None and again.version == gone.version


@pytest.mark.parametrize("direction", ["same", "opposite"])
async def test_two_merges_of_one_pair_at_once_make_exactly_one_merge(committing_factory, services, direction) -> None:
    uow = SqlUnitOfWork(committing_factory)
    people = await _people(uow)
    for _round in range(5):
        a = await leads_svc.create_lead(uow, services, people["tina"], source="partner", name="A")
        b = await leads_svc.create_lead(uow, services, people["tina"], source="partner", name="B")
        for _ in range(3):
            await leads_svc.log_activity(uow, services, people["tina"], b.id, kind="call")
        pairs = [(a.id, b.id), (a.id, b.id) if direction == "same" else (b.id, a.id)]

        async def run(pair: tuple[int, int]) -> Any:
            return await merge.merge_leads(SqlUnitOfWork(committing_factory), services, people["tina"], *pair)

        results = await asyncio.gather(*(run(p) for p in pairs), return_exceptions=True)
        done = [r for r in results if isinstance(r, merge.MergeResult)]
        refused = [r for r in results if isinstance(r, MergeRefused | LeadMerged)]
        assert len(done) == 1 and len(refused) == 1, results
        async with committing_factory() as s:
            merged = await s.scalar(
                select(func.count())
                .select_from(LeadRow)
                .where(LeadRow.id.in_([a.id, b.id]), LeadRow.merged_into_id.is_not(None))
            )
            events = await s.scalar(
                select(func.count()).select_from(LeadEventRow).where(LeadEventRow.kind == LeadEventKind.MERGED.value)
            )
            calls = await s.scalar(
                select(func.count()).select_from(ActivityRow).where(ActivityRow.lead_id.in_([a.id, b.id]))
            )
        assert merged == 1 and events == _round + 1 and calls == 3


async def test_a_merged_lead_is_left_out_of_lists_counts_duplicates_and_the_scheduler(uow, services, policy) -> None:
    people = await _people(uow)
    maria = people["maria"]
    keep = await leads_svc.create_lead(uow, services, maria, source="partner", name="Keep")
    await leads_svc.log_activity(uow, services, maria, keep.id, kind="call")  # contacted: no SLA of its own
    gone = await leads_svc.create_lead(uow, services, maria, source="partner", name="Gone", contact="g@example.com")
    await merge.merge_leads(uow, services, people["tina"], keep.id, gone.id)

    page = await leads_svc.list_leads(uow, people["tina"])
    assert gone.id not in [lead.id for lead in page.items]
    assert gone.id not in [lead.id for lead in (await leads_svc.find_leads(uow, people["tina"], "Gone")).items]
    duplicate = await contacts.check_new_contact(uow, policy, people["tina"], "g@example.com")
    assert duplicate is not None and duplicate.lead_id == keep.id
    async with uow:
        counts = await uow.team.open_lead_counts([MANAGER])
    assert counts == {MANAGER: 1}
    # the tombstone is still "new" and never contacted: the first-contact SLA must not chase it
    assert await sched.queue_sla(uow, policy, now=utcnow() + 5 * policy.first_contact_sla) == (0, 0)
    with pytest.raises(LeadMerged):
        await leads_svc.get_lead(uow, maria, gone.id)


async def test_the_database_refuses_a_lead_merged_into_itself_or_half_a_merge(uow, services, system) -> None:
    lead = await leads_svc.create_lead(uow, services, system, source="partner")
    async with uow:
        with pytest.raises(IntegrityError):
            async with uow.session.begin_nested():
                await uow.session.execute(
                    text("UPDATE leads SET merged_into_id = id, merged_at = now(), merged_by = 'x' WHERE id = :id"),
                    {"id": lead.id},
                )
        with pytest.raises(IntegrityError):
            async with uow.session.begin_nested():
                await uow.session.execute(text("UPDATE leads SET merged_at = now() WHERE id = :id"), {"id": lead.id})


async def test_the_external_id_of_the_merged_lead_moves_to_a_survivor_without_one(uow, services, system) -> None:
    keep = await leads_svc.create_lead(uow, services, system, source="partner")
    gone = await leads_svc.create_lead(uow, services, system, source="partner")
    async with uow:
        await uow.session.execute(text("UPDATE leads SET external_id = 'crm-77' WHERE id = :id"), {"id": gone.id})
        await uow.commit()
    result = await merge.merge_leads(uow, services, system, keep.id, gone.id)
    assert result.lead.external_id == "crm-77" and result.merged.external_id is None
    async with uow:
        rows = (await uow.session.execute(text("SELECT id, external_id FROM leads ORDER BY id"))).all()
    assert [tuple(r) for r in rows] == [(keep.id, "crm-77"), (gone.id, None)]


async def test_a_merge_queues_a_lead_merged_webhook_in_its_transaction(uow, services) -> None:
    from core.services import webhooks as hooks_svc

    people = await _people(uow)
    await hooks_svc.add_webhook(uow, "http://127.0.0.1:9/hook", ["lead.merged"])
    keep = await leads_svc.create_lead(uow, services, people["tina"], source="partner", name="Keep")
    gone = await leads_svc.create_lead(uow, services, people["tina"], source="partner", name="Gone")
    await merge.merge_leads(uow, services, people["tina"], keep.id, gone.id)
    async with uow:
        rows = (await uow.session.execute(text("SELECT event, lead_id, payload FROM webhook_deliveries"))).all()
    assert [(r.event, r.lead_id, r.payload["merged_id"]) for r in rows] == [("lead.merged", keep.id, gone.id)]


async def test_the_merged_leads_owner_is_told_where_it_went_in_their_language(uow, services) -> None:
    from bot.render.notifications import outbox_message

    people = await _people(uow)
    oleg = Actor.from_user(await ensure_user(uow, user_id=7103, full_name="Oleg", role=Role.MANAGER, language="ru"))
    keep = await leads_svc.create_lead(uow, services, people["maria"], source="partner", name="Keep")
    gone = await leads_svc.create_lead(uow, services, oleg, source="partner", name="Gone")
    mine = await leads_svc.create_lead(uow, services, people["maria"], source="partner", name="Mine too")
    await merge.merge_leads(uow, services, people["tina"], keep.id, gone.id)
    await merge.merge_leads(uow, services, people["tina"], keep.id, mine.id)  # the same owner: nothing to tell
    async with uow:
        rows = (
            await uow.session.execute(text("SELECT chat_id, payload FROM outbox WHERE dedupe_key LIKE 'merged:%'"))
        ).all()
    assert [(r.chat_id, r.payload["merged_id"], r.payload["lead_id"]) for r in rows] == [(7103, gone.id, keep.id)]
    message, _markup = outbox_message(rows[0].payload, bot_username="leadcrm_bot")
    assert f"Tina объединил(а) ваш лид #{gone.id} «Gone» с лидом #{keep.id}" in message
