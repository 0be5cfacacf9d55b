"""The export's reads on PostgreSQL (``uow.exports``): keyset batches by ``leads.id`` (the primary key) with the
owner's name and the deal joined; the filters are the list's (stage, owner, source) and the creation period
(``ix_leads_created_cover``). Deals likewise by ``sales.id``, with the deal owner's name and the lead joined.
Read-only; never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.services.ports.export import DealExportRow, ExportFilter, ExportRow
from core.storage.models import LeadRow, SaleRow, UserRow, table
from core.storage.repositories.base import BeforeWrite

LEADS = table(LeadRow)
USERS = table(UserRow)
SALES = table(SaleRow)
COLUMNS = (
    LEADS.c.id,
    LEADS.c.name,
    LEADS.c.company,
    LEADS.c.contact,
    LEADS.c.source,
    LEADS.c.business_domain,
    LEADS.c.stage,
    LEADS.c.owner_id,
    USERS.c.full_name.label("owner_name"),
    LEADS.c.ai_score,
    LEADS.c.activity_count,
    LEADS.c.lost_reason_code,
    LEADS.c.lost_reason,
    LEADS.c.created_at,
    LEADS.c.updated_at,
    SALES.c.id.label("sale_id"),
    SALES.c.stage.label("sale_stage"),
    SALES.c.amount.label("sale_amount"),
    SALES.c.currency.label("sale_currency"),
    SALES.c.closed_at.label("sale_closed_at"),
)
DEAL_COLUMNS = (
    SALES.c.id,
    SALES.c.lead_id,
    LEADS.c.name.label("lead_name"),
    LEADS.c.company,
    LEADS.c.source,
    SALES.c.stage,
    SALES.c.amount,
    SALES.c.currency,
    SALES.c.owner_id,
    USERS.c.full_name.label("owner_name"),
    SALES.c.created_at,
    SALES.c.updated_at,
    SALES.c.expected_close_at,
    SALES.c.closed_at,
)
DEALS_FROM = SALES.join(LEADS, LEADS.c.id == SALES.c.lead_id).outerjoin(USERS, USERS.c.id == SALES.c.owner_id)
FROM = LEADS.outerjoin(USERS, USERS.c.id == LEADS.c.owner_id).outerjoin(SALES, SALES.c.lead_id == LEADS.c.id)


def _where(stmt: Any, flt: ExportFilter) -> Any:
    stmt = stmt.where(LEADS.c.merged_into_id.is_(None))  # a merged-away lead is part of its survivor now
    if flt.stage is not None:
        stmt = stmt.where(LEADS.c.stage == flt.stage)
    if flt.owner_id is not None:
        stmt = stmt.where(LEADS.c.owner_id == flt.owner_id)
    if flt.source is not None:
        stmt = stmt.where(LEADS.c.source == flt.source)
    if flt.created_from is not None:
        stmt = stmt.where(LEADS.c.created_at >= flt.created_from)
    if flt.created_to is not None:
        stmt = stmt.where(LEADS.c.created_at < flt.created_to)
    return stmt


def _deal_where(stmt: Any, flt: ExportFilter) -> Any:
    stmt = stmt.where(LEADS.c.merged_into_id.is_(None))
    if flt.deal_stage is not None:
        stmt = stmt.where(SALES.c.stage == flt.deal_stage)
    if flt.owner_id is not None:
        stmt = stmt.where(SALES.c.owner_id == flt.owner_id)
    if flt.source is not None:
        stmt = stmt.where(LEADS.c.source == flt.source)
    if flt.created_from is not None:
        stmt = stmt.where(SALES.c.created_at >= flt.created_from)
    if flt.created_to is not None:
        stmt = stmt.where(SALES.c.created_at < flt.created_to)
    return stmt


class SqlExportRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write  # never called: the export only reads

    async def count(self, flt: ExportFilter) -> int:
        return int((await self.session.execute(_where(select(func.count()).select_from(LEADS), flt))).scalar_one())

    async def batch(self, flt: ExportFilter, *, after_id: int, limit: int) -> list[ExportRow]:
        stmt = _where(select(*COLUMNS).select_from(FROM).where(LEADS.c.id > after_id), flt)
        rows = (await self.session.execute(stmt.order_by(LEADS.c.id).limit(limit))).all()
        return [ExportRow(**row._mapping) for row in rows]

    async def count_deals(self, flt: ExportFilter) -> int:
        stmt = _deal_where(select(func.count()).select_from(SALES.join(LEADS, LEADS.c.id == SALES.c.lead_id)), flt)
        return int((await self.session.execute(stmt)).scalar_one())

    async def deal_batch(self, flt: ExportFilter, *, after_id: int, limit: int) -> list[DealExportRow]:
        stmt = _deal_where(select(*DEAL_COLUMNS).select_from(DEALS_FROM).where(SALES.c.id > after_id), flt)
        rows = (await self.session.execute(stmt.order_by(SALES.c.id).limit(limit))).all()
        return [DealExportRow(**row._mapping) for row in rows]
