"""Repositories: queries and row <-> domain mapping. They never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core.domain.enums import Role, Source, Stage
from core.domain.models import Activity, Lead, Sale, SaleStageChange, StageChange, User
from core.storage.models import (
    ActivityRow,
    ApiKeyRow,
    InviteRow,
    LeadRow,
    OutboxRow,
    ProcessedUpdateRow,
    SaleRow,
    SaleStageChangeRow,
    StageChangeRow,
    UserRow,
)


def lead_to_domain(row: LeadRow, owner_name: str | None = None) -> Lead:
    return Lead(
        id=row.id,
        source=Source(row.source),
        stage=Stage(row.stage),
        name=row.name,
        contact=row.contact,
        business_domain=row.business_domain,
        attributes=dict(row.attributes or {}),
        activity_count=row.activity_count,
        activity_counts=dict(row.activity_counts or {}),
        ai_score=row.ai_score,
        ai_recommendation=row.ai_recommendation,
        ai_reason=row.ai_reason,
        ai_reason_ru=row.ai_reason_ru,
        ai_scored_at=row.ai_scored_at,
        scorer_version=row.scorer_version,
        owner_id=row.owner_id,
        owner_name=owner_name,
        lost_reason=row.lost_reason,
        lost_reason_code=row.lost_reason_code,
        external_id=row.external_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        first_contact_at=row.first_contact_at,
        last_activity_at=row.last_activity_at,
    )


def activity_to_domain(row: ActivityRow) -> Activity:
    return Activity(row.id, row.lead_id, row.kind, row.text, row.author, row.created_at)


def stage_change_to_domain(row: StageChangeRow) -> StageChange:
    return StageChange(
        row.id, row.lead_id, row.from_stage, row.to_stage, row.actor, row.reason, row.created_at, row.reason_code
    )


def sale_to_domain(row: SaleRow) -> Sale:
    return Sale(row.id, row.lead_id, row.stage, row.created_at, row.updated_at, row.closed_at)


def sale_change_to_domain(row: SaleStageChangeRow) -> SaleStageChange:
    return SaleStageChange(
        row.id, row.sale_id, row.from_stage, row.to_stage, row.actor, row.reason, row.created_at, row.reason_code
    )


def user_to_domain(row: UserRow) -> User:
    return User(row.id, Role(row.role), row.full_name, row.username, row.language, row.is_active)


@dataclass(frozen=True, slots=True)
class LeadFilter:
    stage: Stage | None = None
    owner_id: int | None = None
    source: Source | None = None
    unassigned: bool = False


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset position: (updated_at, id) of the last row of the previous page."""

    updated_at: datetime
    id: int


class LeadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: LeadRow) -> LeadRow:
        self.session.add(row)
        return row

    async def get(self, lead_id: int) -> LeadRow | None:
        """Always one SELECT (a prebuilt statement), even when the lead is already in the session: cheaper than
        ``session.get``'s machinery on the bot's hot path, where a lead is read once per update."""
        return (await self.session.execute(_LEAD, {"lead_id": lead_id})).scalar_one_or_none()

    async def get_for_update(self, lead_id: int) -> LeadRow | None:
        """Lock the lead row until the transaction ends (stage changes, transfer, activities)."""
        return (await self.session.execute(_LEAD_FOR_UPDATE, {"lead_id": lead_id})).scalar_one_or_none()

    async def owner_name(self, owner_id: int | None) -> str | None:
        if owner_id is None:
            return None
        return (await self.session.execute(select(UserRow.full_name).where(UserRow.id == owner_id))).scalar()

    async def list(
        self, flt: LeadFilter, *, limit: int, after: Cursor | None = None, offset: int = 0
    ) -> list[LeadRow]:
        stmt: Select[tuple[LeadRow]] = select(LeadRow)
        if flt.stage is not None:
            stmt = stmt.where(LeadRow.stage == flt.stage)
        if flt.owner_id is not None:
            stmt = stmt.where(LeadRow.owner_id == flt.owner_id)
        elif flt.unassigned:
            stmt = stmt.where(LeadRow.owner_id.is_(None))
        if flt.source is not None:
            stmt = stmt.where(LeadRow.source == flt.source)
        if after is not None:
            stmt = stmt.where(
                or_(
                    LeadRow.updated_at < after.updated_at,
                    and_(LeadRow.updated_at == after.updated_at, LeadRow.id < after.id),
                )
            )
        stmt = stmt.order_by(LeadRow.updated_at.desc(), LeadRow.id.desc()).limit(limit)
        if offset:
            stmt = stmt.offset(offset)  # page numbers for chat lists (◀ ▶); the API uses the keyset cursor
        return list((await self.session.execute(stmt)).scalars())

    async def count(self, flt: LeadFilter) -> int:
        stmt = select(func.count()).select_from(LeadRow)
        if flt.stage is not None:
            stmt = stmt.where(LeadRow.stage == flt.stage)
        if flt.owner_id is not None:
            stmt = stmt.where(LeadRow.owner_id == flt.owner_id)
        if flt.source is not None:
            stmt = stmt.where(LeadRow.source == flt.source)
        return int((await self.session.execute(stmt)).scalar_one())

    async def search(self, text: str, *, owner_id: int | None, limit: int) -> list[LeadRow]:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = select(LeadRow).where(or_(LeadRow.name.ilike(pattern), LeadRow.contact.ilike(pattern)))
        if owner_id is not None:
            stmt = stmt.where(LeadRow.owner_id == owner_id)
        stmt = stmt.order_by(LeadRow.updated_at.desc(), LeadRow.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    def add_activity(self, row: ActivityRow) -> None:
        self.session.add(row)

    async def add_activity_and_update(self, lead: LeadRow, activity: ActivityRow, changes: dict[str, Any]) -> None:
        """Insert ``activity`` and write ``changes`` to its (locked, loaded) lead in one round trip."""
        activity.id = await self._insert_updating_lead(lead, activity, changes)

    def add_stage_change(self, row: StageChangeRow) -> None:
        self.session.add(row)

    async def add_stage_change_and_update(self, lead: LeadRow, change: StageChangeRow, changes: dict[str, Any]) -> None:
        """Insert the stage ``change`` and write ``changes`` to its (locked, loaded) lead in one round trip."""
        change.id = await self._insert_updating_lead(lead, change, changes)

    async def update_columns(self, lead: LeadRow, changes: dict[str, Any]) -> None:
        """Write ``changes`` to a (locked, loaded) lead with one prebuilt UPDATE; the lead in the session takes
        them as its committed state (no ORM flush needed for them)."""
        stmt = _update_lead_stmt(tuple(changes))
        params = {f"u_{key}": value for key, value in changes.items()}
        params["lead_id"] = lead.id
        await self.session.execute(stmt, params)
        for key, value in changes.items():
            set_committed_value(lead, key, value)

    async def _insert_updating_lead(
        self, lead: LeadRow, row: ActivityRow | StageChangeRow, changes: dict[str, Any]
    ) -> int:
        """``WITH touched AS (UPDATE leads ...) INSERT INTO <row's table> ... RETURNING id``: one round trip.
        The lead in the session takes ``changes`` as its committed state, so no later flush writes it again;
        the inserted row stays out of the session and its id is returned. Columns left None are omitted, so
        their server defaults apply. The statement is built once per shape (see ``_insert_updating_lead_stmt``)
        and run with bound parameters: this runs for every logged activity and stage change."""
        table = type(row).__table__
        values = {c.key: getattr(row, c.key) for c in table.columns if c.key != "id" and getattr(row, c.key) is not None}
        stmt = _insert_updating_lead_stmt(table.name, tuple(values), tuple(changes))
        params = {f"i_{key}": value for key, value in values.items()}
        params.update({f"u_{key}": value for key, value in changes.items()})
        params["lead_id"] = lead.id
        new_id = (await self.session.execute(stmt, params)).scalar_one()
        for key, value in changes.items():
            set_committed_value(lead, key, value)
        return new_id

    async def activities(self, lead_id: int, *, limit: int, before_id: int | None = None) -> list[ActivityRow]:
        stmt = select(ActivityRow).where(ActivityRow.lead_id == lead_id)
        if before_id is not None:
            stmt = stmt.where(ActivityRow.id < before_id)
        stmt = stmt.order_by(ActivityRow.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def stage_changes(self, lead_id: int, *, limit: int) -> list[StageChangeRow]:
        stmt = (
            select(StageChangeRow)
            .where(StageChangeRow.lead_id == lead_id)
            .order_by(StageChangeRow.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())


_LEAD = select(LeadRow).where(LeadRow.id == bindparam("lead_id"))
_LEAD_FOR_UPDATE = (
    select(LeadRow)
    .where(LeadRow.id == bindparam("lead_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


@lru_cache(maxsize=64)
def _update_lead_stmt(change_keys: tuple[str, ...]) -> Any:
    """``UPDATE leads SET <column> = :u_<column>, ... WHERE id = :lead_id``, built once per set of columns."""
    leads = LeadRow.__table__
    return (
        update(leads)
        .where(leads.c.id == bindparam("lead_id"))
        .values({key: bindparam(f"u_{key}", type_=leads.c[key].type) for key in change_keys})
    )


@lru_cache(maxsize=64)
def _insert_updating_lead_stmt(table_name: str, insert_keys: tuple[str, ...], change_keys: tuple[str, ...]) -> Any:
    """The Core statement of ``LeadRepository._insert_updating_lead`` for one shape (which columns are inserted
    and which lead columns change), with bound parameters ``i_<column>``, ``u_<column>`` and ``lead_id``.
    Built once per shape, so SQLAlchemy reuses its memoized cache key and compiled form on every run."""
    target = LeadRow.metadata.tables[table_name]
    touched = _update_lead_stmt(change_keys).returning(LeadRow.__table__.c.id).cte("touched")
    return (
        pg_insert(target)
        .values({key: bindparam(f"i_{key}", type_=target.c[key].type) for key in insert_keys})
        .returning(target.c.id)
        .add_cte(touched)
    )


class SaleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: SaleRow) -> SaleRow:
        self.session.add(row)
        return row

    async def get(self, sale_id: int) -> SaleRow | None:
        return await self.session.get(SaleRow, sale_id)

    async def get_for_update(self, sale_id: int) -> SaleRow | None:
        stmt = select(SaleRow).where(SaleRow.id == sale_id).with_for_update()
        return (await self.session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()

    async def by_lead(self, lead_id: int) -> SaleRow | None:
        return (await self.session.execute(select(SaleRow).where(SaleRow.lead_id == lead_id))).scalar_one_or_none()

    def add_stage_change(self, row: SaleStageChangeRow) -> None:
        self.session.add(row)

    async def stage_changes(self, sale_id: int) -> list[SaleStageChangeRow]:
        stmt = select(SaleStageChangeRow).where(SaleStageChangeRow.sale_id == sale_id).order_by(SaleStageChangeRow.id)
        return list((await self.session.execute(stmt)).scalars())


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> UserRow | None:
        return await self.session.get(UserRow, user_id)

    def add(self, row: UserRow) -> UserRow:
        self.session.add(row)
        return row

    async def list(self, *, include_inactive: bool = True) -> list[UserRow]:
        stmt = select(UserRow).order_by(UserRow.created_at, UserRow.id)
        if not include_inactive:
            stmt = stmt.where(UserRow.is_active.is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def active_ids_with_role(self, role: Role) -> list[int]:
        stmt = select(UserRow.id).where(UserRow.role == role, UserRow.is_active.is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def insert_if_missing(self, *, user_id: int, full_name: str, role: Role, username: str | None,
                                language: str | None) -> None:
        """Create the user row unless it exists (concurrent first updates of a bootstrap admin)."""
        stmt = (
            pg_insert(UserRow)
            .values(id=user_id, full_name=full_name, role=role, username=username, language=language)
            .on_conflict_do_nothing(index_elements=[UserRow.id])
        )
        await self.session.execute(stmt)

    def add_invite(self, row: InviteRow) -> None:
        self.session.add(row)

    async def invite_for_update(self, code: str) -> InviteRow | None:
        stmt = select(InviteRow).where(InviteRow.code == code).with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: ApiKeyRow) -> ApiKeyRow:
        self.session.add(row)
        return row

    async def by_hash(self, key_hash: str) -> ApiKeyRow | None:
        stmt = select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash, ApiKeyRow.revoked_at.is_(None))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def by_name(self, name: str) -> ApiKeyRow | None:
        return (await self.session.execute(select(ApiKeyRow).where(ApiKeyRow.name == name))).scalar_one_or_none()

    async def list(self) -> list[ApiKeyRow]:
        return list((await self.session.execute(select(ApiKeyRow).order_by(ApiKeyRow.id))).scalars())


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(
        self, *, dedupe_key: str, chat_id: int, thread_id: int | None, payload: dict[str, Any], method: str = "sendMessage"
    ) -> bool:
        """Queue a message once per ``dedupe_key``; returns False if it was already queued."""
        stmt = (
            pg_insert(OutboxRow)
            .values(dedupe_key=dedupe_key, chat_id=chat_id, thread_id=thread_id, payload=payload, method=method)
            .on_conflict_do_nothing(index_elements=[OutboxRow.dedupe_key])
            .returning(OutboxRow.id)
        )
        return (await self.session.execute(stmt)).scalar() is not None

    async def claim_due(self, now: datetime, limit: int) -> list[OutboxRow]:
        """The oldest pending message of each chat that is due, locked (order per chat is kept)."""
        oldest = (
            select(func.min(OutboxRow.id))
            .where(OutboxRow.status == "pending")
            .group_by(OutboxRow.chat_id)
            .scalar_subquery()
        )
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.id.in_(oldest), OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def mark(self, row_id: int, **values: Any) -> None:
        await self.session.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(**values))

    async def get(self, row_id: int) -> OutboxRow | None:
        return await self.session.get(OutboxRow, row_id)


class ProcessedUpdateRepository:
    """Telegram update ids already handled (the bot skips a redelivered update)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tables_exist(self) -> bool:
        """False when the schema is missing (an unmigrated database); the transaction is then unusable."""
        from sqlalchemy.exc import ProgrammingError

        try:
            await self.session.execute(select(ProcessedUpdateRow.update_id).limit(1))
            await self.session.execute(select(UserRow.id).limit(1))
        except ProgrammingError:  # undefined table
            return False
        return True

    async def prune(self, older_than: datetime) -> int:
        """Forget update ids recorded before ``older_than``; returns how many."""
        result = await self.session.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.created_at < older_than)
        )
        return result.rowcount or 0

    async def claim(self, update_id: int, *, prefetch_user_id: int | None = None) -> bool:
        """Record the update id; False when it is already recorded (committed by an earlier delivery).

        The row stays locked until the transaction ends, so a concurrent redelivery waits for the
        first one and then sees it. With ``prefetch_user_id`` the same round trip also loads that user's
        row into the session (kept referenced in ``session.info``), so authenticating costs no query.
        The statements are built once (bound parameters): this runs for every bot update."""
        if prefetch_user_id is None:
            result = await self.session.execute(_CLAIM, {"update_id": update_id})
            return result.scalar() is not None
        result = await self.session.execute(_CLAIM_WITH_USER, {"update_id": update_id, "user_id": prefetch_user_id})
        row = result.first()
        if row is None:
            return False
        if row[1] is not None:
            self.session.info["prefetched_user_row"] = row[1]
        return True


_CLAIM = (
    pg_insert(ProcessedUpdateRow)
    .values(update_id=bindparam("update_id"))
    .on_conflict_do_nothing(index_elements=[ProcessedUpdateRow.update_id])
    .returning(ProcessedUpdateRow.update_id)
)
_CLAIMED = _CLAIM.cte("claimed")
_CLAIM_WITH_USER = (
    select(_CLAIMED.c.update_id, UserRow)
    .select_from(_CLAIMED)
    .outerjoin(UserRow, UserRow.id == bindparam("user_id"))
)
