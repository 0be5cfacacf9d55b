"""The export's port (``uow.exports``): leads with their deal, in id order, one keyset batch at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain.enums import LostReason, SaleStage, Source, Stage


@dataclass(frozen=True, slots=True)
class ExportFilter:
    stage: Stage | None = None
    owner_id: int | None = None
    source: Source | None = None
    created_from: datetime | None = None  # UTC, inclusive (leads.created_at)
    created_to: datetime | None = None  # UTC, exclusive


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One line of the export: a lead, its owner's name and its deal (if transferred)."""

    id: int
    name: str | None
    company: str | None
    contact: str | None
    source: Source
    business_domain: str | None
    stage: Stage
    owner_id: int | None
    owner_name: str | None
    ai_score: float | None
    activity_count: int
    lost_reason_code: LostReason | None
    lost_reason: str | None
    created_at: datetime
    updated_at: datetime
    sale_id: int | None
    sale_stage: SaleStage | None
    sale_amount: Decimal | None
    sale_currency: str | None
    sale_closed_at: datetime | None


class ExportRepository(Protocol):
    async def count(self, flt: ExportFilter) -> int: ...

    async def batch(self, flt: ExportFilter, *, after_id: int, limit: int) -> list[ExportRow]:
        """The next ``limit`` leads with an id above ``after_id``, by id (keyset: no OFFSET, no long cursor)."""
        ...
