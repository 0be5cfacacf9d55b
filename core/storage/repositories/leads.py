"""Leads, their activities and stage history on PostgreSQL. Rows in, domain objects out; never commits.

Leads are read and written with SQLAlchemy Core statements over the ORM tables (no ORM objects in the
session): a use case reads the lead once, decides, and writes its changes with one statement. The statements
that run on every bot update are built once per shape with bound parameters (``update_lead_stmt``,
``_insert_touching_lead_stmt``), so SQLAlchemy reuses their compiled form instead of walking a new statement
each call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Insert,
    Select,
    Update,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.contacts import Contact, ContactKind
from core.domain.enums import ActivityKind, ActivityOutcome, LeadEventKind, LostReason, Stage
from core.domain.funnel import LEAD_FINAL
from core.domain.ids import storable_id
from core.domain.models import Activity, Lead, LeadChanges, LeadEvent, StageChange
from core.domain.search import Fuzzy, SearchPosition, SearchTerms, Tier
from core.services.ports import Cursor, DayCounts, Found, LeadFilter, MovedHistory, NewLead
from core.storage.models import ActivityRow, LeadContactRow, LeadEventRow, LeadRow, StageChangeRow, UserRow, table
from core.storage.repositories import search
from core.storage.repositories.base import BeforeWrite

LEADS = table(LeadRow)
ACTIVITIES = table(ActivityRow)
STAGE_CHANGES = table(StageChangeRow)
EVENTS = table(LeadEventRow)
USERS = table(UserRow)
CONTACTS = table(LeadContactRow)
# Not merged into another lead (migration 0011): lists, searches, counts, the duplicate guard and every job
# leave tombstones out; ``get`` still returns them, so a service can answer "merged into #N".
LIVE = LEADS.c.merged_into_id.is_(None)

# A lead's contacts as one JSON array of [id, kind, value, normal], oldest first (ix_lead_contacts_lead_id).
_CONTACTS_OF_LEAD = (
    select(
        func.coalesce(
            func.jsonb_agg(
                aggregate_order_by(
                    func.jsonb_build_array(CONTACTS.c.id, CONTACTS.c.kind, CONTACTS.c.value, CONTACTS.c.normal),
                    CONTACTS.c.id,
                ),
                type_=JSONB,
            ),
            literal_column("'[]'::jsonb"),
            type_=JSONB,
        )
    )
    .where(CONTACTS.c.lead_id == LEADS.c.id)
    .correlate(LEADS)
    .scalar_subquery()
    .label("contacts")
)
# Every column of a lead plus its owner's name and its contacts: exactly the fields of ``Lead``.
_LEAD_COLUMNS = (*LEADS.c, USERS.c.full_name.label("owner_name"), _CONTACTS_OF_LEAD)
_FROM = LEADS.outerjoin(USERS, USERS.c.id == LEADS.c.owner_id)


def lead_from_row(row: RowMapping | dict[str, Any]) -> Lead:
    """A ``lead_columns()`` row as a Lead."""
    data = dict(row)
    data["attributes"] = dict(data["attributes"] or {})
    data["activity_counts"] = dict(data["activity_counts"] or {})
    data["contacts"] = tuple(
        Contact(ContactKind(kind), value, normal, int(id_)) for id_, kind, value, normal in data.get("contacts") or ()
    )
    return Lead(**data)


def lead_columns(*extra: Any) -> Select[Any]:
    """``SELECT <every lead column>, owner_name[, extra] FROM leads LEFT JOIN users``."""
    return select(*_LEAD_COLUMNS, *extra).select_from(_FROM)


_GET = lead_columns().where(LEADS.c.id == bindparam("lead_id"))
_GET_FOR_UPDATE = _GET.with_for_update(of=LEADS)  # the owner's row is not locked

_ADD_KEYS = (
    "source",
    "stage",
    "name",
    "contact",
    "company",
    "business_domain",
    "attributes",
    "activity_count",
    "activity_counts",
    "owner_id",
    "version",
    "created_at",
    "updated_at",
    "stage_entered_at",
    "assigned_at",
)
_ADDED = (
    insert(LEADS)
    .values({key: bindparam(key, type_=LEADS.c[key].type) for key in _ADD_KEYS})
    .returning(*LEADS.c)
    .cte("added")
)
# INSERT ... RETURNING the new lead with its owner's name: one round trip.
_ADD = select(*_ADDED.c, USERS.c.full_name.label("owner_name")).select_from(
    _ADDED.outerjoin(USERS, USERS.c.id == _ADDED.c.owner_id)
)
_EVENT_KEYS = ("lead_id", "kind", "actor", "data", "created_at")
_ADD_EVENT = (
    insert(EVENTS).values({key: bindparam(key, type_=EVENTS.c[key].type) for key in _EVENT_KEYS}).returning(EVENTS.c.id)
)


@lru_cache(maxsize=64)
def update_lead_stmt(keys: tuple[str, ...]) -> Update:
    """``UPDATE leads SET <column> = :u_<column>, ... WHERE id = :lead_id``, built once per set of columns."""
    return (
        update(LEADS)
        .where(LEADS.c.id == bindparam("lead_id"))
        .values({key: bindparam(f"u_{key}", type_=LEADS.c[key].type) for key in keys})
    )


@lru_cache(maxsize=64)
def _insert_touching_lead_stmt(table_name: str, insert_keys: tuple[str, ...], change_keys: tuple[str, ...]) -> Insert:
    """``WITH touched AS (UPDATE leads ...) INSERT INTO <table> ... RETURNING id``: a history row (activity or
    stage change) and its lead's new columns in one round trip. Parameters: ``i_<column>`` for the inserted row,
    ``u_<column>`` for the lead, ``lead_id``."""
    target = LEADS.metadata.tables[table_name]
    touched = update_lead_stmt(change_keys).returning(LEADS.c.id).cte("touched")
    return (
        insert(target)
        .values({key: bindparam(f"i_{key}", type_=target.c[key].type) for key in insert_keys})
        .returning(target.c.id)
        .add_cte(touched)
    )


def update_params(lead_id: int, changes: LeadChanges, inserted: dict[str, Any] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {f"u_{key}": value for key, value in changes.items()}
    params["lead_id"] = lead_id
    for key, value in (inserted or {}).items():
        params[f"i_{key}"] = value
    return params


class SqlLeadRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

    async def get(self, lead_id: int, *, lock: bool = False) -> Lead | None:
        if not storable_id(lead_id):
            return None
        row = (await self.session.execute(_GET_FOR_UPDATE if lock else _GET, {"lead_id": lead_id})).mappings().first()
        return lead_from_row(row) if row is not None else None

    async def get_many(self, lead_ids: Sequence[int]) -> dict[int, Lead]:
        ids = sorted({i for i in lead_ids if storable_id(i)})
        if not ids:
            return {}
        rows = (await self.session.execute(lead_columns().where(LEADS.c.id.in_(ids)))).mappings()
        return {lead.id: lead for lead in map(lead_from_row, rows)}

    async def add(self, lead: NewLead) -> Lead:
        await self._before_write()
        params = {
            "source": lead.source,
            "stage": Stage.NEW,
            "name": lead.name,
            "contact": lead.contact,
            "company": lead.company,
            "business_domain": lead.business_domain,
            "attributes": lead.attributes,
            "activity_count": 0,
            "activity_counts": {},
            "owner_id": lead.owner_id,
            "version": 1,
            "created_at": lead.created_at,
            "updated_at": lead.created_at,
            "stage_entered_at": lead.created_at,
            "assigned_at": lead.created_at if lead.owner_id is not None else None,
        }
        added = lead_from_row((await self.session.execute(_ADD, params)).mappings().one())
        if not lead.contacts:
            return added
        return replace(added, contacts=await self.replace_contacts(added.id, lead.contacts))

    async def replace_contacts(self, lead_id: int, contacts: Sequence[Contact]) -> tuple[Contact, ...]:
        """Make the lead's contacts exactly ``contacts`` (by normal form): the others are deleted, the new ones
        added; those already there keep their id and typed form. Returns them as stored, oldest first."""
        await self._before_write()
        keys = [(c.kind.value, c.normal) for c in contacts]
        gone = delete(CONTACTS).where(CONTACTS.c.lead_id == lead_id)
        if keys:
            gone = gone.where(tuple_(CONTACTS.c.kind, CONTACTS.c.normal).not_in(keys))
        await self.session.execute(gone)
        if contacts:
            rows = [{"lead_id": lead_id, "kind": c.kind.value, "value": c.value, "normal": c.normal} for c in contacts]
            await self.session.execute(pg_insert(CONTACTS).values(rows).on_conflict_do_nothing())
        stmt = select(CONTACTS).where(CONTACTS.c.lead_id == lead_id).order_by(CONTACTS.c.id)
        return tuple(
            Contact(ContactKind(r.kind), r.value, r.normal, r.id) for r in (await self.session.execute(stmt)).all()
        )

    async def with_contacts(self, keys: Sequence[tuple[ContactKind, str]], *, limit: int) -> list[Lead]:
        if not keys:
            return []
        ids = (
            select(CONTACTS.c.lead_id)
            .where(tuple_(CONTACTS.c.kind, CONTACTS.c.normal).in_([(k.value, n) for k, n in keys]))
            .distinct()
        )
        stmt = lead_columns().where(LEADS.c.id.in_(ids), LIVE).order_by(LEADS.c.id).limit(limit)
        return [lead_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    async def write(self, lead_id: int, changes: LeadChanges) -> None:
        """Write ``changes`` to the lead with one prebuilt UPDATE."""
        await self._before_write()
        if changes:
            await self.session.execute(update_lead_stmt(tuple(changes)), update_params(lead_id, changes))

    async def update(self, lead: Lead, changes: LeadChanges) -> Lead:
        await self.write(lead.id, changes)
        if "owner_id" in changes and changes["owner_id"] != lead.owner_id:
            stored = await self.get(lead.id)  # the new owner's name
            assert stored is not None
            return stored
        return lead.changed(changes)

    async def record_activity(
        self,
        lead: Lead,
        *,
        kind: ActivityKind,
        text: str | None,
        author: str,
        created_at: datetime,
        changes: LeadChanges,
        outcome: ActivityOutcome | None = None,
    ) -> tuple[Lead, Activity]:
        values = {
            "lead_id": lead.id,
            "kind": kind,
            "text": text,
            "author": author,
            "created_at": created_at,
            "outcome": outcome.value if outcome else None,
        }
        activity_id = await self._insert_touching_lead(ACTIVITIES.name, values, lead, changes)
        return lead.changed(changes), Activity(activity_id, lead.id, kind, text, author, created_at, outcome)

    async def attribute_keys(self, *, recent: int, limit: int) -> list[str]:
        newest = select(LEADS.c.attributes).where(LIVE).order_by(LEADS.c.id.desc()).limit(recent).subquery()
        key = func.jsonb_object_keys(newest.c.attributes).table_valued("value").render_derived()
        stmt = (
            select(key.c.value)
            .select_from(newest)
            .join(key, literal_column("true"))
            .group_by(key.c.value)
            .order_by(func.count().desc(), key.c.value)
            .limit(limit)
        )
        return [str(k) for k in (await self.session.execute(stmt)).scalars()]

    async def set_activity_text(self, lead_id: int, activity_id: int, text: str | None) -> Activity | None:
        if not (storable_id(lead_id) and storable_id(activity_id)):
            return None
        await self._before_write()
        stmt = (
            update(ACTIVITIES)
            .where(ACTIVITIES.c.id == activity_id, ACTIVITIES.c.lead_id == lead_id)
            .values(text=text)
            .returning(*ACTIVITIES.c)
        )
        row = (await self.session.execute(stmt)).one_or_none()
        if row is None:
            return None
        outcome = ActivityOutcome(row.outcome) if row.outcome else None
        return Activity(row.id, row.lead_id, row.kind, row.text, row.author, row.created_at, outcome)

    async def record_stage_change(
        self,
        lead: Lead,
        *,
        to_stage: Stage,
        actor: str,
        reason: str | None,
        reason_code: LostReason | None,
        created_at: datetime,
        changes: LeadChanges,
    ) -> tuple[Lead, StageChange]:
        values = {
            "lead_id": lead.id,
            "from_stage": lead.stage,
            "to_stage": to_stage,
            "actor": actor,
            "reason": reason,
            "reason_code": reason_code,
            "created_at": created_at,
            "from_entered_at": lead.stage_entered_at or lead.created_at,  # the funnel's time in the stage
        }
        change_id = await self._insert_touching_lead(STAGE_CHANGES.name, values, lead, changes)
        change = StageChange(change_id, lead.id, lead.stage, to_stage, actor, reason, created_at, reason_code)
        return lead.changed(changes), change

    async def _insert_touching_lead(
        self, table_name: str, values: dict[str, Any], lead: Lead, changes: LeadChanges
    ) -> int:
        await self._before_write()
        inserted = {key: value for key, value in values.items() if value is not None}  # None: server default
        stmt = _insert_touching_lead_stmt(table_name, tuple(inserted), tuple(changes))
        return int((await self.session.execute(stmt, update_params(lead.id, changes, inserted))).scalar_one())

    async def list_leads(
        self, flt: LeadFilter, *, limit: int, after: Cursor | None = None, offset: int = 0
    ) -> list[Lead]:
        stmt = _filtered(lead_columns(), flt)
        if after is not None:
            stmt = stmt.where(
                or_(
                    LEADS.c.updated_at < after.updated_at,
                    and_(LEADS.c.updated_at == after.updated_at, LEADS.c.id < after.id),
                )
            )
        stmt = stmt.order_by(LEADS.c.updated_at.desc(), LEADS.c.id.desc()).limit(limit)
        if offset:
            stmt = stmt.offset(offset)  # page numbers for chat lists (◀ ▶); the API uses the keyset cursor
        return [lead_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    async def list_leads_by_id(self, flt: LeadFilter, *, limit: int, before_id: int | None = None) -> list[Lead]:
        stmt = _filtered(lead_columns(), flt)
        if before_id is not None:
            stmt = stmt.where(LEADS.c.id < before_id)
        stmt = stmt.order_by(LEADS.c.id.desc()).limit(limit)
        return [lead_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    async def count_leads(self, flt: LeadFilter) -> int:
        stmt = _filtered(select(func.count()).select_from(LEADS), flt)
        return int((await self.session.execute(stmt)).scalar_one())

    async def count_leads_upto(self, flt: LeadFilter, cap: int) -> int:
        capped = _filtered(select(literal(1)).select_from(LEADS), flt).limit(cap).subquery()
        return int((await self.session.execute(select(func.count()).select_from(capped))).scalar_one())

    async def stage_counts_upto(self, flt: LeadFilter, stages: Sequence[Stage], cap: int) -> dict[Stage, int]:
        if not stages:
            return {}
        parts = [
            select(literal(stage.value).label("stage"), func.count().label("n")).select_from(
                _filtered(select(literal(1)).select_from(LEADS), replace(flt, stage=stage)).limit(cap).subquery()
            )
            for stage in stages
        ]
        rows = (await self.session.execute(union_all(*parts))).all()
        return {Stage(row.stage): int(row.n) for row in rows}

    async def search_leads(
        self, terms: SearchTerms, flt: LeadFilter, *, limit: int, after: SearchPosition | None = None
    ) -> list[Found]:
        """Two phases (``core.storage.repositories.search``): found as typed; only when nothing is, and the
        text may have a typo, the similar ones."""
        where = _conditions(flt)
        await self.session.execute(search.SET_SEARCH)
        if after is None or after.tier == Tier.FOUND:
            ids = search.found_ids(terms, where, limit=limit, before_id=after.id if after else None)
            stmt = lead_columns().where(LEADS.c.id.in_(ids)).order_by(LEADS.c.id.desc())
            rows = (await self.session.execute(stmt)).mappings().all()
            if rows or after is not None or terms.fuzzy is Fuzzy.NONE:
                return [Found(lead_from_row(r), SearchPosition(Tier.FOUND, 0, r["id"])) for r in rows]
        if terms.fuzzy is Fuzzy.NONE:
            return []
        similar = search.similar_ids(terms, where, limit=limit, after=after).subquery("similar")
        stmt = (
            lead_columns(similar.c.score)
            .join(similar, similar.c.id == LEADS.c.id)
            .order_by(similar.c.score.desc(), LEADS.c.id.desc())
        )
        found = []
        for row in (await self.session.execute(stmt)).mappings():
            data = dict(row)
            score = int(data.pop("score"))
            found.append(Found(lead_from_row(data), SearchPosition(Tier.SIMILAR, score, data["id"])))
        return found

    async def list_activities(self, lead_id: int, *, limit: int) -> list[Activity]:
        if not storable_id(lead_id):
            return []
        stmt = select(ACTIVITIES).where(ACTIVITIES.c.lead_id == lead_id).order_by(ACTIVITIES.c.id.desc()).limit(limit)
        return [
            Activity(
                r.id,
                r.lead_id,
                r.kind,
                r.text,
                r.author,
                r.created_at,
                ActivityOutcome(r.outcome) if r.outcome else None,
            )
            for r in (await self.session.execute(stmt)).all()
        ]

    async def list_stage_changes(self, lead_id: int, *, limit: int) -> list[StageChange]:
        if not storable_id(lead_id):
            return []
        stmt = (
            select(STAGE_CHANGES)
            .where(STAGE_CHANGES.c.lead_id == lead_id)
            .order_by(STAGE_CHANGES.c.id.desc())
            .limit(limit)
        )
        return [
            StageChange(r.id, r.lead_id, r.from_stage, r.to_stage, r.actor, r.reason, r.created_at, r.reason_code)
            for r in (await self.session.execute(stmt)).all()
        ]

    async def add_event(
        self, lead_id: int, *, kind: LeadEventKind, actor: str, data: dict[str, Any], created_at: datetime
    ) -> LeadEvent:
        await self._before_write()
        params = {"lead_id": lead_id, "kind": kind.value, "actor": actor, "data": data, "created_at": created_at}
        event_id = int((await self.session.execute(_ADD_EVENT, params)).scalar_one())
        return LeadEvent(event_id, lead_id, kind, actor, dict(data), created_at)

    async def list_events(self, lead_id: int, *, limit: int, kind: LeadEventKind | None = None) -> list[LeadEvent]:
        stmt = select(EVENTS).where(EVENTS.c.lead_id == lead_id)
        if kind is not None:
            stmt = stmt.where(EVENTS.c.kind == kind.value)
        stmt = stmt.order_by(EVENTS.c.id.desc()).limit(limit)
        return [
            LeadEvent(row.id, row.lead_id, LeadEventKind(row.kind), row.actor, dict(row.data or {}), row.created_at)
            for row in (await self.session.execute(stmt)).all()
        ]

    async def move_history(self, from_id: int, to_id: int) -> MovedHistory:
        await self._before_write()
        counts = {}
        for name, target in (("activities", ACTIVITIES), ("stage_changes", STAGE_CHANGES), ("events", EVENTS)):
            moved = await self.session.execute(
                update(target).where(target.c.lead_id == from_id).values(lead_id=to_id).returning(target.c.id)
            )
            counts[name] = len(moved.all())
        repointed = await self.session.execute(
            update(LEADS).where(LEADS.c.merged_into_id == from_id).values(merged_into_id=to_id).returning(LEADS.c.id)
        )
        return MovedHistory(**counts, repointed=len(repointed.all()))

    async def steps_due(self, owner_id: int | None, *, before: datetime, per_owner: int) -> list[Lead]:
        # next_step_due_at IS NOT NULL matches the partial index ix_leads_owner_next_step (owner_id, due)
        where = and_(_owned(owner_id), LEADS.c.next_step_due_at.is_not(None), LEADS.c.next_step_due_at < before, _OPEN)
        stmt = _per_owner(where, LEADS.c.next_step_due_at, per_owner)
        return [lead_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    async def without_step(self, owner_id: int | None, *, per_owner: int) -> list[Lead]:
        where = and_(_owned(owner_id), LEADS.c.next_step_due_at.is_(None), _OPEN)
        stmt = _per_owner(where, LEADS.c.updated_at, per_owner)
        return [lead_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    async def day_counts(self, owner_id: int | None, *, now: datetime, before: datetime) -> list[DayCounts]:
        due = LEADS.c.next_step_due_at
        stmt = (
            select(
                LEADS.c.owner_id,
                func.count().filter(due < now).label("overdue"),
                func.count().filter(and_(due >= now, due < before)).label("today"),
                func.count().filter(due.is_(None)).label("no_step"),
            )
            .where(_owned(owner_id), _OPEN)
            .group_by(LEADS.c.owner_id)
            .order_by(LEADS.c.owner_id)
        )
        return [DayCounts(r.owner_id, r.overdue, r.today, r.no_step) for r in (await self.session.execute(stmt)).all()]


_OPEN = and_(LEADS.c.stage.not_in([s.value for s in LEAD_FINAL]), LIVE)


def _per_owner(where: Any, order: Any, per_owner: int) -> Select[Any]:
    """The leads matching ``where``, ``order``-first, at most ``per_owner`` of each owner (a window)."""
    rank = func.row_number().over(partition_by=LEADS.c.owner_id, order_by=(order, LEADS.c.id)).label("rank")
    ranked = lead_columns(rank).where(where).subquery()
    fields = [ranked.c[c.name] for c in _LEAD_COLUMNS]
    return select(*fields).where(ranked.c.rank <= per_owner).order_by(ranked.c.owner_id, ranked.c.rank)


def _owned(owner_id: int | None) -> Any:
    return LEADS.c.owner_id.is_not(None) if owner_id is None else LEADS.c.owner_id == owner_id


def _filtered(stmt: Select[Any], flt: LeadFilter) -> Select[Any]:
    return stmt.where(*_conditions(flt))


def _conditions(flt: LeadFilter) -> list[Any]:
    """``flt`` as conditions on ``leads``."""
    where: list[Any] = [LIVE]  # merged-away leads are nowhere
    if flt.stage is not None:
        where.append(LEADS.c.stage == flt.stage)
    if flt.owner_id is not None:
        where.append(LEADS.c.owner_id == flt.owner_id)
    if flt.source is not None:
        where.append(LEADS.c.source == flt.source)
    if flt.unassigned:
        where.append(LEADS.c.owner_id.is_(None))
    if flt.updated_since is not None:
        where.append(LEADS.c.updated_at >= flt.updated_since)
    return where
