"""Sales and their stage history on PostgreSQL. Never commits."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.enums import LostReason, SaleStage
from core.domain.ids import storable_id
from core.domain.models import Sale, SaleChanges, SaleStageChange, SaleTotal
from core.services.ports import SaleFilter
from core.storage.models import SaleRow, SaleStageChangeRow, table
from core.storage.repositories.base import BeforeWrite

SALES = table(SaleRow)
CHANGES = table(SaleStageChangeRow)


def _sale(row: Row[Any]) -> Sale:
    return Sale(
        row.id,
        row.lead_id,
        row.stage,
        row.created_at,
        row.updated_at,
        row.closed_at,
        row.amount,
        row.currency,
        row.expected_close_at,
        row.owner_id,
    )


def _where(stmt: Any, flt: SaleFilter) -> Any:
    if flt.stage is not None:
        stmt = stmt.where(SALES.c.stage == flt.stage)
    if flt.owner_id is not None:
        stmt = stmt.where(SALES.c.owner_id == flt.owner_id)
    return stmt


class SqlSaleRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

    async def add(self, lead_id: int, *, created_at: datetime) -> Sale:
        await self._before_write()
        stmt = (
            insert(SALES)
            .values(lead_id=lead_id, stage=SaleStage.NEW, created_at=created_at, updated_at=created_at)
            .returning(*SALES.c)
        )
        return _sale((await self.session.execute(stmt)).one())

    async def get(self, sale_id: int, *, lock: bool = False) -> Sale | None:
        if not storable_id(sale_id):
            return None
        stmt = select(SALES).where(SALES.c.id == sale_id)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).first()
        return _sale(row) if row is not None else None

    async def by_lead(self, lead_id: int) -> Sale | None:
        if not storable_id(lead_id):
            return None
        row = (await self.session.execute(select(SALES).where(SALES.c.lead_id == lead_id))).first()
        return _sale(row) if row is not None else None

    async def record_stage_change(
        self,
        sale: Sale,
        *,
        to_stage: SaleStage,
        actor: str,
        reason: str | None,
        reason_code: LostReason | None,
        now: datetime,
        closed_at: datetime | None,
    ) -> Sale:
        await self._before_write()
        values: dict[str, object] = {"stage": to_stage, "updated_at": now}
        if closed_at is not None:
            values["closed_at"] = closed_at
        await self.session.execute(update(SALES).where(SALES.c.id == sale.id).values(**values))
        await self.session.execute(
            insert(CHANGES).values(
                sale_id=sale.id,
                from_stage=sale.stage,
                to_stage=to_stage,
                actor=actor,
                reason=reason,
                reason_code=reason_code,
                created_at=now,
            )
        )
        return replace(sale, stage=to_stage, updated_at=now, closed_at=closed_at or sale.closed_at)

    async def list_stage_changes(self, sale_id: int) -> list[SaleStageChange]:
        if not storable_id(sale_id):
            return []
        stmt = select(CHANGES).where(CHANGES.c.sale_id == sale_id).order_by(CHANGES.c.id)
        return [
            SaleStageChange(r.id, r.sale_id, r.from_stage, r.to_stage, r.actor, r.reason, r.created_at, r.reason_code)
            for r in (await self.session.execute(stmt)).all()
        ]

    async def update(self, sale_id: int, changes: SaleChanges, *, now: datetime) -> Sale:
        await self._before_write()
        stmt = update(SALES).where(SALES.c.id == sale_id).values(**changes, updated_at=now).returning(*SALES.c)
        return _sale((await self.session.execute(stmt)).one())

    async def list_sales(
        self, flt: SaleFilter, *, limit: int, offset: int = 0, before_id: int | None = None
    ) -> list[Sale]:
        stmt = _where(select(SALES), flt)
        if before_id is not None:
            stmt = stmt.where(SALES.c.id < before_id)
        stmt = stmt.order_by(SALES.c.id.desc()).limit(limit).offset(offset)
        return [_sale(r) for r in (await self.session.execute(stmt)).all()]

    async def count_sales(self, flt: SaleFilter) -> int:
        return int((await self.session.execute(_where(select(func.count()).select_from(SALES), flt))).scalar_one())

    async def totals(self, owner_id: int | None = None) -> list[SaleTotal]:
        stmt = _where(
            select(SALES.c.stage, SALES.c.currency, func.count(), func.coalesce(func.sum(SALES.c.amount), 0)),
            SaleFilter(owner_id=owner_id),
        ).group_by(SALES.c.stage, SALES.c.currency)
        rows = (await self.session.execute(stmt)).all()
        return [SaleTotal(SaleStage(r[0]), r[1], int(r[2]), Decimal(r[3])) for r in rows]
