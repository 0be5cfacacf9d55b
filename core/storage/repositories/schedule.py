"""The scheduler's due work on PostgreSQL (``uow.schedule``). Rows in, domain objects out; never commits.

Every claim is one statement: ``WITH due AS (SELECT id ... ORDER BY <indexed column> LIMIT n FOR UPDATE SKIP
LOCKED) UPDATE leads SET <stamp> FROM due ... RETURNING``, joined to the owner. The ``due`` part walks one of
the partial indexes of migration 0005 (``ix_leads_next_step_due``, ``ix_leads_first_contact_due``), whose
predicates it repeats; rows another scheduler holds are skipped, not waited for, and a stamped row no longer
matches, so each step or breach is claimed once. bench/scheduler.py times the reminders' claim at 1 M leads.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.enums import LeadEventKind, Stage, StepKind
from core.domain.funnel import LEAD_FINAL
from core.domain.models import User
from core.services.ports import (
    Addressee,
    Digest,
    DigestLead,
    DigestPart,
    DueStep,
    DueWindow,
    QueuedMessage,
    SlaBreach,
    TeamLine,
)
from core.storage.models import LeadEventRow, LeadRow, OutboxRow, TeamSettingRow, UserRow, table
from core.storage.repositories.base import BeforeWrite
from core.storage.repositories.users import user_from_row

LEADS = table(LeadRow)
USERS = table(UserRow)
OUTBOX = table(OutboxRow)
EVENTS = table(LeadEventRow)
SETTINGS = table(TeamSettingRow)
OPEN = [s for s in Stage if s not in LEAD_FINAL]
# A merged lead (a tombstone, migration 0011) is no one's work: every job leaves it out. Its next step is
# cleared when it is merged, so the reminders' claim would skip it anyway; the SLA and the digests would not.
LIVE = LEADS.c.merged_into_id.is_(None)
SCHEDULER_ACTOR = "system:scheduler"


def _owner(row: Row[Any]) -> Addressee:
    return Addressee(
        user_id=row.owner_id,
        name=row.owner_name,
        language=row.owner_language,
        timezone=row.owner_timezone,
        active=bool(row.owner_active),
    )


def _with_owner(stamped: Any) -> Any:
    """``SELECT stamped.*, <owner columns> FROM stamped LEFT JOIN users``."""
    return select(
        stamped,
        USERS.c.full_name.label("owner_name"),
        USERS.c.language.label("owner_language"),
        USERS.c.timezone.label("owner_timezone"),
        USERS.c.is_active.label("owner_active"),
    ).select_from(stamped.outerjoin(USERS, USERS.c.id == stamped.c.owner_id))


def _uncontacted(created_before: datetime) -> list[ColumnElement[bool]]:
    # the predicate of ix_leads_first_contact_due, then its column
    return [
        LEADS.c.stage == Stage.NEW,
        LEADS.c.first_contact_at.is_(None),
        LEADS.c.sla_escalated_at.is_(None),
        LEADS.c.created_at <= created_before,
        LIVE,
    ]


def stale_condition(window: DueWindow) -> ColumnElement[bool]:
    """``Policy.is_stale`` in SQL: last touched (the later of the last activity and entering the stage) before
    the stage's cut-off, and not snoozed."""
    touched = func.greatest(LEADS.c.last_activity_at, LEADS.c.stage_entered_at)
    per_stage = [and_(LEADS.c.stage == stage, touched <= before) for stage, before in window.stale_before.items()]
    if not per_stage:
        return literal(False)
    snoozed = LEADS.c.stale_snoozed_until.is_not(None) & (LEADS.c.stale_snoozed_until > window.now)
    return and_(or_(*per_stage), ~snoozed)


def due_steps_query(now: datetime, limit: int) -> Any:
    """The reminders' due work (what bench/scheduler.py times): the oldest due, unreminded steps, locked."""
    return (
        select(LEADS.c.id)
        .where(
            LEADS.c.next_step_due_at.is_not(None),
            LEADS.c.next_step_reminded_at.is_(None),
            LEADS.c.next_step_due_at <= now,
            LIVE,
        )
        .order_by(LEADS.c.next_step_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


class SqlScheduleRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

    async def try_lock(self, key: int) -> bool:
        result = await self.session.execute(select(func.pg_try_advisory_xact_lock(key)))
        return bool(result.scalar_one())

    async def next_due(self) -> datetime | None:
        # min() over the partial index ix_leads_next_step_due: one index probe
        stmt = select(func.min(LEADS.c.next_step_due_at)).where(
            LEADS.c.next_step_due_at.is_not(None), LEADS.c.next_step_reminded_at.is_(None), LIVE
        )
        due: datetime | None = (await self.session.execute(stmt)).scalar()
        return due

    async def claim_due_steps(self, now: datetime, limit: int) -> list[DueStep]:
        await self._before_write()
        due = due_steps_query(now, limit).cte("due")
        stamped = (
            update(LEADS)
            .where(LEADS.c.id == due.c.id)
            .values(next_step_reminded_at=now)
            .returning(
                LEADS.c.id,
                LEADS.c.name,
                LEADS.c.version,
                LEADS.c.next_step_kind,
                LEADS.c.next_step_due_at,
                LEADS.c.next_step_note,
                LEADS.c.owner_id,
            )
            .cte("stamped")
        )
        rows = (await self.session.execute(_with_owner(stamped).order_by(stamped.c.next_step_due_at))).all()
        return [
            DueStep(
                lead_id=r.id,
                lead_name=r.name,
                version=r.version,
                kind=StepKind(r.next_step_kind),
                due_at=r.next_step_due_at,
                note=r.next_step_note,
                owner=_owner(r),
            )
            for r in rows
        ]

    async def _claim_breaches(self, where: list[ColumnElement[bool]], stamps: dict[str, Any], limit: int) -> Any:
        due = (
            select(LEADS.c.id)
            .where(*where)
            .order_by(LEADS.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        return (
            update(LEADS)
            .where(LEADS.c.id == due.c.id)
            .values(**stamps)
            .returning(LEADS.c.id, LEADS.c.name, LEADS.c.created_at, LEADS.c.owner_id)
            .cte("stamped")
        )

    @staticmethod
    def _breaches(rows: Sequence[Row[Any]]) -> list[SlaBreach]:
        return [SlaBreach(r.id, r.name, r.created_at, _owner(r)) for r in rows]

    async def claim_sla_reminders(self, created_before: datetime, now: datetime, limit: int) -> list[SlaBreach]:
        await self._before_write()
        where = [*_uncontacted(created_before), LEADS.c.sla_reminded_at.is_(None)]
        stamped = await self._claim_breaches(where, {"sla_reminded_at": now}, limit)
        rows = (await self.session.execute(_with_owner(stamped).order_by(stamped.c.created_at))).all()
        return self._breaches(rows)

    async def claim_sla_escalations(
        self, created_before: datetime, now: datetime, limit: int, *, event_data: dict[str, Any]
    ) -> list[SlaBreach]:
        await self._before_write()
        stamps = {"sla_escalated_at": now, "sla_reminded_at": func.coalesce(LEADS.c.sla_reminded_at, now)}
        stamped = await self._claim_breaches(_uncontacted(created_before), stamps, limit)
        events = (
            pg_insert(EVENTS)
            .from_select(
                ["lead_id", "kind", "actor", "data", "created_at"],
                select(
                    stamped.c.id,
                    literal(LeadEventKind.SLA_ESCALATED.value),
                    literal(SCHEDULER_ACTOR),
                    literal(event_data, JSONB),
                    literal(now, LEADS.c.created_at.type),
                ),
            )
            .cte("events")
        )
        stmt = _with_owner(stamped).add_cte(events).order_by(stamped.c.created_at)
        return self._breaches((await self.session.execute(stmt)).all())

    async def enqueue_many(self, messages: Sequence[QueuedMessage]) -> int:
        if not messages:
            return 0
        await self._before_write()
        values = [
            {
                "dedupe_key": m.dedupe_key,
                "payload": m.payload,
                "chat_id": m.chat_id,
                "destination": m.destination,
                "method": m.method,
            }
            for m in messages
        ]
        stmt = (
            pg_insert(OUTBOX)
            .values(values)
            .on_conflict_do_nothing(index_elements=[OUTBOX.c.dedupe_key])
            .returning(OUTBOX.c.id)
        )
        return len((await self.session.execute(stmt)).all())

    async def existing_keys(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        stmt = select(OUTBOX.c.dedupe_key).where(OUTBOX.c.dedupe_key.in_(list(keys)))
        return set((await self.session.execute(stmt)).scalars())

    async def checked_at(self, job: str, now: datetime) -> datetime | None:
        await self._before_write()
        key = f"scheduler:{job}"
        row = (
            await self.session.execute(select(SETTINGS.c.value).where(SETTINGS.c.key == key).with_for_update())
        ).first()
        previous = row.value.get("checked_at") if row is not None else None
        value = {"checked_at": now.isoformat()}
        stmt = pg_insert(SETTINGS).values(key=key, value=value, updated_at=now, updated_by=SCHEDULER_ACTOR)
        stmt = stmt.on_conflict_do_update(
            index_elements=[SETTINGS.c.key], set_={"value": value, "updated_at": now, "updated_by": SCHEDULER_ACTOR}
        )
        await self.session.execute(stmt)
        return datetime.fromisoformat(previous) if previous else None

    async def digest_users(self) -> list[tuple[User, int]]:
        open_leads = (
            select(func.count())
            .where(LEADS.c.owner_id == USERS.c.id, LEADS.c.stage.in_(OPEN), LIVE)
            .correlate(USERS)
            .scalar_subquery()
        )
        stmt = select(USERS, open_leads.label("open_leads")).where(USERS.c.is_active)
        rows = (await self.session.execute(stmt)).all()
        return [(user_from_row(r), int(r.open_leads)) for r in rows]

    async def _part(self, where: list[ColumnElement[bool]], at: Any, sample: int) -> DigestPart:
        stmt = (
            select(LEADS.c.id, LEADS.c.name, LEADS.c.stage, LEADS.c.next_step_kind, at.label("at"), func.count().over())
            .where(*where)
            .order_by(at, LEADS.c.id)
            .limit(sample)
        )
        rows = (await self.session.execute(stmt)).all()
        leads = [
            DigestLead(r.id, r.name, Stage(r.stage), r.at, StepKind(r.next_step_kind) if r.next_step_kind else None)
            for r in rows
        ]
        return DigestPart(count=int(rows[0][-1]) if rows else 0, leads=leads)

    async def digest(self, owner_id: int, window: DueWindow, *, sample: int) -> Digest:
        mine = [LEADS.c.owner_id == owner_id, LEADS.c.stage.in_(OPEN), LIVE]
        due = LEADS.c.next_step_due_at
        touched = func.greatest(LEADS.c.last_activity_at, LEADS.c.stage_entered_at)
        count = select(func.count()).where(*mine)
        assigned = LEADS.c.assigned_at
        return Digest(
            today=await self._part([*mine, due > window.now, due < window.day_end], due, sample),
            overdue=await self._part([*mine, due <= window.now], due, sample),
            stale=await self._part([*mine, stale_condition(window)], touched, sample),
            assigned=await self._part([*mine, assigned > window.assigned_since], assigned, sample),
            open_leads=int((await self.session.execute(count)).scalar_one()),
        )

    async def team_summary(self, window: DueWindow) -> list[TeamLine]:
        due = LEADS.c.next_step_due_at
        owner_id = case((USERS.c.is_active, LEADS.c.owner_id), else_=None)  # inactive owners: the queue
        stmt = (
            select(
                owner_id.label("owner_id"),
                func.max(USERS.c.full_name).label("owner_name"),
                func.count().label("open_leads"),
                func.count().filter(due <= window.now).label("overdue"),
                func.count().filter(and_(due > window.now, due < window.day_end)).label("today"),
                func.count().filter(stale_condition(window)).label("stale"),
            )
            .select_from(LEADS.outerjoin(USERS, USERS.c.id == LEADS.c.owner_id))
            .where(LEADS.c.stage.in_(OPEN), LIVE)
            .group_by(owner_id)
            .order_by(owner_id.nulls_first())
        )
        rows = (await self.session.execute(stmt)).all()
        return [
            TeamLine(r.owner_id, r.owner_name if r.owner_id else None, r.open_leads, r.overdue, r.today, r.stale)
            for r in rows
        ]
