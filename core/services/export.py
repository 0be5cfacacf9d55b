"""Export of leads (with their deal) or of deals (with their lead) to CSV or XLSX, streamed to a file in keyset
batches: never the whole export in memory, whatever its size.

- **CSV**: UTF-8 with a BOM (Excel then opens Cyrillic correctly), comma-separated, a header row.
- **XLSX**: openpyxl's write-only mode (rows go to a temporary file inside openpyxl as they come; ``save`` zips
  it): typed cells (numbers as numbers, times as Excel dates in the reader's zone, amounts as numbers with two
  decimals), a bold header row, the pane frozen under it, column widths set per column (write-only mode writes
  widths before the rows, so "auto" width is the column's kind: a date 17, a name 28 …, not a second pass).
- Text cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a leading ``'``: a
  spreadsheet would run them as formulas (CSV/formula injection). Numbers are not touched.

Column names are stable codes (``id``, ``stage``, ``deal_amount`` …) and stage/source values their codes, as
the REST API spells them: an export is a data contract that other tools read back. Each batch is its own read
(``async with uow`` per batch: a statement of its own, keyset on the id, so a lead created meanwhile lands in a
later batch or not at all, none twice) and is written in a worker thread, so the event loop keeps serving while
a large export runs.

Team leads, admins and API keys may export; managers may not (their own leads are in /leads).
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from core.domain.enums import Role
from core.domain.errors import AccessDenied, AccessRule
from core.domain.models import Actor, User
from core.services.ports import DealExportRow, ExportFilter, ExportRow, UnitOfWork

BATCH = 2000
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd hh:mm"
AMOUNT_FORMAT = "#,##0.00"
SCORE_FORMAT = "0.00"


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportKind(StrEnum):
    LEADS = "leads"
    DEALS = "deals"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str  # "int", "float", "decimal", "datetime", "text"
    width: int
    value: Callable[[Any], Any]  # the cell's value from an ExportRow / DealExportRow


COLUMNS: tuple[Column, ...] = (
    Column("id", "int", 9, lambda r: r.id),
    Column("name", "text", 28, lambda r: r.name),
    Column("company", "text", 24, lambda r: r.company),
    Column("contact", "text", 22, lambda r: r.contact),
    Column("source", "text", 10, lambda r: r.source.value),
    Column("business_domain", "text", 16, lambda r: r.business_domain),
    Column("stage", "text", 12, lambda r: r.stage.value),
    Column("owner_id", "int", 12, lambda r: r.owner_id),
    Column("owner", "text", 20, lambda r: r.owner_name),
    Column("ai_score", "float", 9, lambda r: r.ai_score),
    Column("activities", "int", 11, lambda r: r.activity_count),
    Column("lost_reason_code", "text", 17, lambda r: r.lost_reason_code.value if r.lost_reason_code else None),
    Column("lost_reason", "text", 30, lambda r: r.lost_reason),
    Column("created_at", "datetime", 17, lambda r: r.created_at),
    Column("updated_at", "datetime", 17, lambda r: r.updated_at),
    Column("deal_id", "int", 9, lambda r: r.sale_id),
    Column("deal_stage", "text", 11, lambda r: r.sale_stage.value if r.sale_stage else None),
    Column("deal_amount", "decimal", 14, lambda r: r.sale_amount),
    Column("deal_currency", "text", 9, lambda r: r.sale_currency),
    Column("deal_closed_at", "datetime", 17, lambda r: r.sale_closed_at),
)


DEAL_COLUMNS: tuple[Column, ...] = (
    Column("id", "int", 9, lambda r: r.id),
    Column("lead_id", "int", 9, lambda r: r.lead_id),
    Column("lead_name", "text", 28, lambda r: r.lead_name),
    Column("company", "text", 24, lambda r: r.company),
    Column("source", "text", 10, lambda r: r.source.value),
    Column("stage", "text", 11, lambda r: r.stage.value),
    Column("amount", "decimal", 14, lambda r: r.amount),
    Column("currency", "text", 9, lambda r: r.currency),
    Column("owner_id", "int", 12, lambda r: r.owner_id),
    Column("owner", "text", 20, lambda r: r.owner_name),
    Column("created_at", "datetime", 17, lambda r: r.created_at),
    Column("updated_at", "datetime", 17, lambda r: r.updated_at),
    Column("expected_close_at", "datetime", 17, lambda r: r.expected_close_at),
    Column("closed_at", "datetime", 17, lambda r: r.closed_at),
)
COLUMNS_OF = {ExportKind.LEADS: COLUMNS, ExportKind.DEALS: DEAL_COLUMNS}


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(DANGEROUS) else text


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None, microsecond=0)  # Excel has no zones: the reader's wall time


class CsvSink:
    def __init__(self, out: BinaryIO, tz: ZoneInfo, columns: tuple[Column, ...] = COLUMNS, sheet: str = "") -> None:
        out.write(codecs.BOM_UTF8)
        self._text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self._csv = csv.writer(self._text)
        self._tz = tz
        self._columns = columns
        self._csv.writerow([c.name for c in columns])

    def _cell(self, column: Column, value: Any) -> Any:
        if value is None:
            return ""
        if column.kind == "datetime":
            return _local(value, self._tz).isoformat(sep=" ", timespec="minutes")
        if column.kind == "text":
            return neutralise(str(value))
        return value

    def write(self, rows: Sequence[ExportRow | DealExportRow]) -> None:
        self._csv.writerows([[self._cell(c, c.value(row)) for c in self._columns] for row in rows])

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # the caller owns (and closes) ``out``


class XlsxSink:
    """openpyxl (and numpy, which it imports) load with the first XLSX export, not at every process start: the
    API starts without them (tests/api/test_startup_imports.py)."""

    def __init__(
        self, out: BinaryIO, tz: ZoneInfo, columns: tuple[Column, ...] = COLUMNS, sheet: str = "leads"
    ) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._new_cell = WriteOnlyCell
        self._out = out
        self._tz = tz
        self._book = Workbook(write_only=True)
        self._columns = columns
        self._sheet = self._book.create_sheet(sheet)
        for index, column in enumerate(columns, start=1):
            self._sheet.column_dimensions[get_column_letter(index)].width = column.width
        self._sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in columns:
            cell = self._new_cell(self._sheet, value=column.name)
            cell.font = bold
            header.append(cell)
        self._sheet.append(header)

    def _cell(self, column: Column, value: Any) -> Any:
        if value is None:
            return None
        if column.kind == "datetime":
            cell = self._new_cell(self._sheet, value=_local(value, self._tz))
            cell.number_format = DATE_FORMAT
            return cell
        if column.kind == "decimal":
            cell = self._new_cell(self._sheet, value=float(Decimal(value)))
            cell.number_format = AMOUNT_FORMAT
            return cell
        if column.kind == "float":
            cell = self._new_cell(self._sheet, value=float(value))
            cell.number_format = SCORE_FORMAT
            return cell
        if column.kind == "text":
            return neutralise(str(value))
        return value

    def write(self, rows: Sequence[ExportRow | DealExportRow]) -> None:
        for row in rows:
            self._sheet.append([self._cell(c, c.value(row)) for c in self._columns])

    def close(self) -> None:
        self._book.save(self._out)


Sink = CsvSink | XlsxSink
Progress = Callable[[int, int], Awaitable[None]]  # (rows written so far, rows in the export)


def check_may_export(actor: Actor) -> None:
    """AccessDenied unless the actor may export (team leads, admins, API keys)."""
    if not actor.sees_all_leads:
        raise AccessDenied(AccessRule.EXPORT_NEEDS_TEAM_LEAD)


OWNER_ROLES = {
    ExportKind.LEADS: (Role.MANAGER, Role.TEAM_LEAD),  # who owns leads
    ExportKind.DEALS: (Role.TEAM_LEAD, Role.ADMIN),  # who owns deals (core.services.deals)
}


async def owner_choices(uow: UnitOfWork, actor: Actor, kind: ExportKind | str) -> list[User]:
    """Whom an export of ``kind`` can be filtered by: the active users who own such rows, by name."""
    check_may_export(actor)
    roles = OWNER_ROLES[ExportKind(kind)]
    async with uow:
        users = await uow.users.list_users(include_inactive=False)
    return sorted((u for u in users if u.role in roles), key=lambda u: ((u.full_name or "").lower(), u.id))


async def export_leads(
    uow: UnitOfWork,
    actor: Actor,
    flt: ExportFilter,
    fmt: ExportFormat | str,
    out: BinaryIO,
    *,
    tz: ZoneInfo,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> int:
    """Write the leads ``flt`` selects to ``out`` as ``fmt``; the number of rows written."""
    return await export(uow, actor, ExportKind.LEADS, flt, fmt, out, tz=tz, batch=batch, progress=progress)


async def export(
    uow: UnitOfWork,
    actor: Actor,
    kind: ExportKind | str,
    flt: ExportFilter,
    fmt: ExportFormat | str,
    out: BinaryIO,
    *,
    tz: ZoneInfo,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> int:
    """Write the leads or deals ``flt`` selects to ``out`` as ``fmt``; the number of rows written."""
    check_may_export(actor)
    fmt, kind = ExportFormat(fmt), ExportKind(kind)
    deals = kind == ExportKind.DEALS
    async with uow:
        total = await (uow.exports.count_deals(flt) if deals else uow.exports.count(flt))
    sink_type = CsvSink if fmt == ExportFormat.CSV else XlsxSink
    sink: Sink = await asyncio.to_thread(sink_type, out, tz, COLUMNS_OF[kind], kind.value)
    written, after = 0, 0
    while True:
        async with uow:
            if deals:
                rows: Sequence[ExportRow | DealExportRow] = await uow.exports.deal_batch(
                    flt, after_id=after, limit=batch
                )
            else:
                rows = await uow.exports.batch(flt, after_id=after, limit=batch)
        if not rows:
            break
        await asyncio.to_thread(sink.write, rows)
        written += len(rows)
        after = rows[-1].id
        if progress is not None:
            await progress(written, max(total, written))
        if len(rows) < batch:
            break
    await asyncio.to_thread(sink.close)
    return written
