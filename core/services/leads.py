"""Lead use cases. Each lead-changing function is one transaction and commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.domain import funnel
from core.domain.enums import ActivityKind, LostReason, Source, Stage
from core.domain.errors import InvalidValue, LeadIsFinal, LeadNotFound, Rule, StaleState
from core.domain.models import Activity, Actor, Lead, Sale, StageChange
from core.domain.validation import (
    clean_attributes,
    clean_contact,
    clean_domain,
    clean_name,
    clean_reason,
    clean_text,
    parse_enum,
)
from core.scoring.inputs import scoring_input
from core.services.context import Services
from core.storage.models import ActivityRow, LeadRow, SaleRow, StageChangeRow, UserRow
from core.storage.repositories import (
    Cursor,
    LeadFilter,
    activity_to_domain,
    lead_to_domain,
    sale_to_domain,
    stage_change_to_domain,
)
from core.storage.uow import UnitOfWork

MAX_PAGE = 200


def utcnow() -> datetime:
    return datetime.now(UTC)


async def _view(uow: UnitOfWork, row: LeadRow) -> Lead:
    owner_name = None
    if row.owner_id is not None:
        owner = await uow.session.get(UserRow, row.owner_id)  # usually already in the identity map
        owner_name = owner.full_name if owner else None
    return lead_to_domain(row, owner_name)


async def _load(uow: UnitOfWork, actor: Actor, lead_id: int, *, lock: bool) -> LeadRow:
    row = await (uow.leads.get_for_update(lead_id) if lock else uow.leads.get(lead_id))
    if row is None:
        raise LeadNotFound(lead_id)
    if not actor.may_act_on(row.owner_id):
        # The same answer as a missing lead: a forged id learns nothing about other managers' leads.
        raise LeadNotFound(lead_id)
    return row


def _check_version(row: LeadRow, expected_version: int | None) -> None:
    if expected_version is not None and row.version != expected_version:
        raise StaleState()


def _touch(row: LeadRow, now: datetime) -> None:
    row.version += 1
    row.updated_at = now


async def create_lead(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    *,
    source: str,
    name: str | None = None,
    contact: str | None = None,
    business_domain: str | None = None,
    attributes: dict[str, Any] | None = None,
    owner_id: int | None = None,
) -> Lead:
    src = parse_enum(Source, source, "source")
    now = utcnow()
    row = LeadRow(
        source=src,
        stage=Stage.NEW,
        name=clean_name(name),
        contact=clean_contact(contact),
        business_domain=clean_domain(business_domain, svc.policy.domains),
        attributes=clean_attributes(attributes),
        activity_count=0,
        activity_counts={},
        owner_id=owner_id if owner_id is not None else actor.user_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    async with uow:
        uow.leads.add(row)
        await uow.session.flush()
        lead = await _view(uow, row)
        await uow.commit()
    return lead


async def get_lead(uow: UnitOfWork, actor: Actor, lead_id: int) -> Lead:
    async with uow:
        return await _view(uow, await _load(uow, actor, lead_id, lock=False))


@dataclass(frozen=True)
class LeadPage:
    items: list[Lead]
    next_cursor: Cursor | None


async def list_leads(
    uow: UnitOfWork,
    actor: Actor,
    *,
    stage: str | None = None,
    owner_id: int | None = None,
    source: str | None = None,
    limit: int = 50,
    after: Cursor | None = None,
) -> LeadPage:
    """Newest-updated first, keyset-paginated. Managers only ever see their own leads."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue("limit", Rule.OUT_OF_RANGE, minimum=1, maximum=MAX_PAGE)
    if not actor.sees_all_leads:
        owner_id = actor.user_id
    flt = LeadFilter(
        stage=parse_enum(Stage, stage, "stage") if stage is not None else None,
        owner_id=owner_id,
        source=parse_enum(Source, source, "source") if source is not None else None,
    )
    async with uow:
        rows = await uow.leads.list(flt, limit=limit + 1, after=after)
        items = [lead_to_domain(r) for r in rows[:limit]]
    nxt = Cursor(items[-1].updated_at, items[-1].id) if len(rows) > limit else None
    return LeadPage(items, nxt)


async def find_leads(uow: UnitOfWork, actor: Actor, text: str, *, limit: int = 20) -> list[Lead]:
    text = " ".join(text.split())
    if len(text) < 2:
        raise InvalidValue("query", Rule.TOO_SHORT, minimum=2)
    if len(text) > 200:
        raise InvalidValue("query", Rule.TOO_LONG, maximum=200)
    async with uow:
        rows = await uow.leads.search(text, owner_id=None if actor.sees_all_leads else actor.user_id, limit=limit)
        return [lead_to_domain(r) for r in rows]


@dataclass(frozen=True)
class StageResult:
    lead: Lead
    sale: Sale | None = None


async def change_stage(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    target: str,
    *,
    reason: str | None = None,
    reason_code: str | None = None,
    expected_version: int | None = None,
) -> StageResult:
    """Move the lead one step (or to lost). Transfer creates the Sale and queues the team-lead
    notification in the same transaction; the lead row is locked so concurrent requests serialize.
    ``reason_code`` is a preset LostReason, ``reason`` a free text; either, both or neither."""
    reason = clean_reason(reason)
    code = parse_enum(LostReason, reason_code, "reason_code") if reason_code is not None else None
    async with uow:
        row = await _load(uow, actor, lead_id, lock=True)
        return await _change_locked_stage(
            uow, svc, actor, row, target, reason=reason, reason_code=code, expected_version=expected_version
        )


async def _change_locked_stage(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    row: LeadRow,
    target: str,
    *,
    reason: str | None,
    expected_version: int | None,
    reason_code: LostReason | None = None,
) -> StageResult:
    """change_stage() on a lead row already loaded with its lock, inside the caller's ``async with uow``."""
    _check_version(row, expected_version)
    current = Stage(row.stage)
    new = funnel.ensure_transition(current.value, str(target))
    sale_row: SaleRow | None = None
    if new == Stage.TRANSFERRED:
        funnel.ensure_transfer_allowed(row.ai_score, row.business_domain, svc.policy.transfer_threshold)
    now = utcnow()
    changes: dict[str, Any] = {"stage": new, "version": row.version + 1, "updated_at": now}  # as _touch()
    if new == Stage.LOST:
        changes["lost_reason"] = reason
        changes["lost_reason_code"] = reason_code
    # One statement for the lead and its stage change (a round trip less than two flushes).
    await uow.leads.add_stage_change_and_update(
        row,
        StageChangeRow(
            lead_id=row.id, from_stage=current, to_stage=new, actor=actor.label, reason=reason,
            reason_code=reason_code, created_at=now,
        ),
        changes,
    )
    if new == Stage.TRANSFERRED:
        sale_row = uow.sales.add(SaleRow(lead_id=row.id, created_at=now, updated_at=now))
        await uow.session.flush()
        await _queue_transfer_notification(uow, svc, row, sale_row, actor)
    await uow.session.flush()
    lead = await _view(uow, row)
    sale = sale_to_domain(sale_row) if sale_row is not None else None
    await uow.commit()
    return StageResult(lead, sale)


async def _queue_transfer_notification(
    uow: UnitOfWork, svc: Services, row: LeadRow, sale: SaleRow, actor: Actor
) -> None:
    chat_id = svc.policy.notify_chat_id
    if chat_id is None:
        return
    lead = await _view(uow, row)
    await uow.outbox.enqueue(
        dedupe_key=f"lead-transferred:{row.id}",
        chat_id=chat_id,
        thread_id=svc.policy.notify_thread_id,
        payload={
            "event": "lead_transferred",
            "lead_id": lead.id,
            "sale_id": sale.id,
            "name": lead.display_name,
            "contact": lead.contact,
            "source": lead.source.value,
            "business_domain": lead.business_domain,
            "ai_score": lead.ai_score,
            "ai_reason": lead.ai_reason,
            "ai_reason_ru": lead.ai_reason_ru,
            "activity_count": lead.activity_count,
            "manager_id": lead.owner_id,
            "manager_name": lead.owner_name,
            "actor": actor.label,
        },
    )


async def advance(
    uow: UnitOfWork, svc: Services, actor: Actor, lead_id: int, *, expected_version: int | None = None
) -> StageResult:
    """One step forward from wherever the lead is now (the bot's "next stage" button). The lead is loaded
    once, with its lock, for both choosing the step and making it."""
    async with uow:
        row = await _load(uow, actor, lead_id, lock=True)
        current = Stage(row.stage)
        target = funnel.next_stage(current)
        if target is None:
            raise LeadIsFinal(lead_id, current.value)
        return await _change_locked_stage(
            uow, svc, actor, row, target.value, reason=None, expected_version=expected_version
        )


async def _scored(uow: UnitOfWork, svc: Services, row: LeadRow, now: datetime) -> dict[str, Any]:
    """Score with the current scorer: the columns to store (score, recommendation, reason en/ru, version, time)."""
    scorer = await svc.scorers.current(uow)
    result = scorer.score(scoring_input(row, now))
    return {
        "ai_score": result.score,
        "ai_recommendation": result.recommendation,
        "ai_reason": result.reason,
        "ai_reason_ru": result.reason_ru,
        "scorer_version": result.version,
        "ai_scored_at": now,
    }


async def analyze(
    uow: UnitOfWork, svc: Services, actor: Actor, lead_id: int, *, expected_version: int | None = None
) -> Lead:
    """Score the lead with the current scorer and store score, recommendation, reason, version, time."""
    async with uow:
        row = await _load(uow, actor, lead_id, lock=True)
        _check_version(row, expected_version)
        now = utcnow()
        changes = await _scored(uow, svc, row, now)
        changes.update(version=row.version + 1, updated_at=now)  # as _touch()
        await uow.leads.update_columns(row, changes)
        lead = await _view(uow, row)
        await uow.commit()
    return lead


async def log_activity(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    *,
    kind: str,
    text: str | None = None,
    expected_version: int | None = None,
) -> tuple[Lead, Activity]:
    kind_ = parse_enum(ActivityKind, kind, "kind")
    text = clean_text(text)
    async with uow:
        row = await _load(uow, actor, lead_id, lock=True)
        _check_version(row, expected_version)
        if funnel.is_final(Stage(row.stage)):
            raise LeadIsFinal(lead_id, Stage(row.stage).value)
        now = utcnow()
        act = ActivityRow(lead_id=row.id, kind=kind_, text=text, author=actor.label, created_at=now)
        counts = dict(row.activity_counts or {})
        counts[kind_.value] = counts.get(kind_.value, 0) + 1
        # One statement for the activity and the lead's counters (a round trip less than two flushes).
        await uow.leads.add_activity_and_update(
            row,
            act,
            {
                "activity_count": row.activity_count + 1,
                "activity_counts": counts,
                "first_contact_at": row.first_contact_at or now,
                "last_activity_at": now,
                "version": row.version + 1,  # as _touch()
                "updated_at": now,
            },
        )
        lead, activity = await _view(uow, row), activity_to_domain(act)
        await uow.commit()
    return lead, activity


async def update_lead(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    *,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> Lead:
    """Set name / contact / business_domain / attributes (only the keys given; None clears).

    A lead that was already scored is re-scored in the same transaction when its domain or attributes
    change, so the transfer gate never trusts a score computed for the old values."""
    allowed = {"name", "contact", "business_domain", "attributes"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidValue(", ".join(sorted(unknown)), Rule.UNKNOWN_FIELDS)
    cleaned: dict[str, Any] = {}
    if "name" in changes:
        cleaned["name"] = clean_name(changes["name"])
    if "contact" in changes:
        cleaned["contact"] = clean_contact(changes["contact"])
    if "business_domain" in changes:
        cleaned["business_domain"] = clean_domain(changes["business_domain"], svc.policy.domains)
    if "attributes" in changes:
        cleaned["attributes"] = clean_attributes(changes["attributes"])
    async with uow:
        row = await _load(uow, actor, lead_id, lock=True)
        _check_version(row, expected_version)
        if funnel.is_final(Stage(row.stage)):
            raise LeadIsFinal(lead_id, Stage(row.stage).value)
        rescore = row.ai_score is not None and any(
            getattr(row, key) != cleaned[key] for key in ("business_domain", "attributes") if key in cleaned
        )
        for key, value in cleaned.items():
            setattr(row, key, value)
        now = utcnow()
        if rescore:  # the domain and attributes feed the score: a stored score must not describe the old lead
            for key, value in (await _scored(uow, svc, row, now)).items():
                setattr(row, key, value)
        _touch(row, now)
        await uow.session.flush()
        lead = await _view(uow, row)
        await uow.commit()
    return lead


async def list_activities(uow: UnitOfWork, actor: Actor, lead_id: int, *, limit: int = 50) -> list[Activity]:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue("limit", Rule.OUT_OF_RANGE, minimum=1, maximum=MAX_PAGE)
    async with uow:
        await _load(uow, actor, lead_id, lock=False)
        return [activity_to_domain(r) for r in await uow.leads.activities(lead_id, limit=limit)]


async def stage_history(uow: UnitOfWork, actor: Actor, lead_id: int, *, limit: int = 50) -> list[StageChange]:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue("limit", Rule.OUT_OF_RANGE, minimum=1, maximum=MAX_PAGE)
    async with uow:
        await _load(uow, actor, lead_id, lock=False)
        return [stage_change_to_domain(r) for r in await uow.leads.stage_changes(lead_id, limit=limit)]
