"""Queries for the learned scorer: closed leads with their close time, model versions, open-lead batches.
Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.enums import SaleStage, Stage
from core.storage.models import LeadRow, ModelVersionRow, SaleRow, StageChangeRow


@dataclass(frozen=True)
class ClosedLeadRow:
    lead: LeadRow
    sale_stage: SaleStage | None
    closed_at: datetime  # when the outcome became known


class MlRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def closed_leads(self) -> list[ClosedLeadRow]:
        """Leads lost, or whose sale is paid or lost, with the moment that happened."""
        lost_at = (
            select(func.max(StageChangeRow.created_at))
            .where(StageChangeRow.lead_id == LeadRow.id, StageChangeRow.to_stage == Stage.LOST)
            .correlate(LeadRow)
            .scalar_subquery()
        )
        stmt = (
            select(LeadRow, SaleRow.stage, SaleRow.closed_at, lost_at)
            .outerjoin(SaleRow, SaleRow.lead_id == LeadRow.id)
            .where(or_(LeadRow.stage == Stage.LOST, SaleRow.stage.in_([SaleStage.PAID, SaleStage.LOST])))
            .order_by(LeadRow.id)
        )
        out = []
        for lead, sale_stage, sale_closed, lost in (await self.session.execute(stmt)).all():
            if lead.stage == Stage.LOST:
                closed = lost or lead.updated_at
            else:
                closed = sale_closed or lead.updated_at
            out.append(ClosedLeadRow(lead, SaleStage(sale_stage) if sale_stage else None, closed))
        return out

    async def active_id(self) -> tuple[int, str] | None:
        """The active version's (id, version): a cheap check before using a cached model."""
        stmt = select(ModelVersionRow.id, ModelVersionRow.version).where(ModelVersionRow.is_active.is_(True))
        row = (await self.session.execute(stmt)).first()
        return (row[0], row[1]) if row else None

    async def get(self, version_id: int) -> ModelVersionRow | None:
        return await self.session.get(ModelVersionRow, version_id)

    async def active(self) -> ModelVersionRow | None:
        stmt = select(ModelVersionRow).where(ModelVersionRow.is_active.is_(True))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock_activation(self) -> None:
        """Serialise activations (one active version at a time) until the transaction ends."""
        await self.session.execute(select(func.pg_advisory_xact_lock(0x1EAD5C0E)))

    async def deactivate_all(self) -> None:
        await self.session.execute(
            update(ModelVersionRow).where(ModelVersionRow.is_active.is_(True)).values(is_active=False)
        )

    def add(self, row: ModelVersionRow) -> ModelVersionRow:
        self.session.add(row)
        return row

    async def open_leads_after(self, after_id: int, limit: int) -> list[LeadRow]:
        """The next batch of open leads by id, locked for this transaction."""
        stmt = (
            select(LeadRow)
            .where(LeadRow.id > after_id, LeadRow.stage.not_in([Stage.TRANSFERRED, Stage.LOST]))
            .order_by(LeadRow.id)
            .limit(limit)
            .with_for_update()
        )
        return list((await self.session.execute(stmt.execution_options(populate_existing=True))).scalars())
