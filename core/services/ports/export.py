"""The export's port (``uow.exports``): leads with their deal, or deals with their lead, in id order, one keyset
batch at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain.enums import LostReason, SaleStage, Source, Stage


@dataclass(frozen=True, slots=True)
class ExportFilter:
    """Which rows: of a leads export by the lead's stage, owner, source and creation time; of a deals export by
    the deal's stage (``deal_stage``), the deal's owner, its lead's source and the deal's creation time."""

    stage: Stage | None = None
    owner_id: int | None = None
    source: Source | None = None
    created_from: datetime | None = None  # UTC, inclusive (leads.created_at; sales.created_at for deals)
    created_to: datetime | None = None  # UTC, exclusive
    deal_stage: SaleStage | None = None


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


@dataclass(frozen=True, slots=True)
class DealExportRow:
    """One line of the deals export: a deal, its owner's name and its lead."""

    id: int
    lead_id: int
    lead_name: str | None
    company: str | None
    source: Source
    stage: SaleStage
    amount: Decimal | None
    currency: str | None
    owner_id: int | None
    owner_name: str | None
    created_at: datetime
    updated_at: datetime
    expected_close_at: datetime | None
    closed_at: datetime | None


class ExportRepository(Protocol):
    async def count(self, flt: ExportFilter) -> int: ...

    async def batch(self, flt: ExportFilter, *, after_id: int, limit: int) -> list[ExportRow]:
        """The next ``limit`` leads with an id above ``after_id``, by id (keyset: no OFFSET, no long cursor)."""
        ...

    async def count_deals(self, flt: ExportFilter) -> int: ...

    async def deal_batch(self, flt: ExportFilter, *, after_id: int, limit: int) -> list[DealExportRow]:
        """The next ``limit`` deals with an id above ``after_id``, by id."""
        ...
