"""Export of leads to CSV and XLSX against real PostgreSQL: every lead once in id order, typed XLSX cells, the
BOM, neutralised formulas, keyset batches, filters, and who may export."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from core.domain.enums import Role, Source, Stage
from core.domain.errors import AccessDenied
from core.domain.models import Actor
from core.services import export
from core.services.ports import ExportFilter
from core.storage.models import LeadRow
from tests.report_week import MOSCOW, TINA, msk, seed_week

TEAM = Actor(label="tg:9103", user_id=TINA, role=Role.TEAM_LEAD)


@pytest.fixture
async def week(uow):
    async with uow:
        seeded = await seed_week(uow.session)
        await uow.session.execute(update(LeadRow).where(LeadRow.id == seeded.leads["L1"]).values(name="=HYPERLINK(1)"))
        await uow.session.execute(update(LeadRow).where(LeadRow.id == seeded.leads["L2"]).values(name="Иван Петров"))
        await uow.session.execute(update(LeadRow).where(LeadRow.id == seeded.leads["L3"]).values(contact="+7 900"))
        await uow.commit()
    return seeded


EVERYTHING = ExportFilter()


async def _export(uow, fmt, flt=EVERYTHING, **kw) -> tuple[bytes, int, list[tuple[int, int]]]:
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    out = io.BytesIO()
    n = await export.export_leads(uow, TEAM, flt, fmt, out, tz=MOSCOW, progress=progress, **kw)
    return out.getvalue(), n, seen


async def test_csv_has_a_bom_a_header_and_every_lead_once_in_batches(uow, week) -> None:
    data, n, seen = await _export(uow, "csv", batch=3)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "name", "company", "contact"] and len(rows[0]) == len(export.COLUMNS)
    ids = [int(r[0]) for r in rows[1:]]
    assert n == 7 and ids == sorted(week.leads.values())
    assert seen == [(3, 7), (6, 7), (7, 7)]  # three keyset batches of at most 3
    by_id = {int(r[0]): dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    l1 = by_id[week.leads["L1"]]
    assert l1["name"] == "'=HYPERLINK(1)"  # neutralised
    assert l1["created_at"] == "2026-11-02 10:00"  # Moscow time
    assert (l1["deal_stage"], l1["deal_amount"], l1["deal_currency"]) == ("paid", "1000.00", "RUB")
    assert by_id[week.leads["L2"]]["name"] == "Иван Петров"
    assert by_id[week.leads["L3"]]["contact"] == "'+7 900"


async def test_xlsx_has_typed_cells_a_bold_frozen_header_and_widths(uow, week) -> None:
    data, n, _ = await _export(uow, "xlsx")
    assert n == 7
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "id" and sheet["A1"].font.b
    assert sheet.column_dimensions["B"].width == 28
    header = [c.value for c in sheet[1]]
    first = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert first["id"].value == week.leads["L1"] and first["id"].data_type == "n"
    assert first["name"].value == "'=HYPERLINK(1)" and first["name"].data_type == "s"  # text, not a formula
    assert first["created_at"].value == datetime(2026, 11, 2, 10, 0)
    assert first["created_at"].number_format == export.DATE_FORMAT
    assert first["deal_amount"].value == 1000.0 and first["deal_amount"].number_format == export.AMOUNT_FORMAT
    assert first["ai_score"].value == 1.0
    assert sheet.max_row == 8


async def test_filters_select_the_leads_exported(uow, week) -> None:
    flt = ExportFilter(source=Source.PARTNER, stage=Stage.TRANSFERRED)
    _data, n, _ = await _export(uow, "csv", flt)
    assert n == 2  # L1 L5
    week_only = ExportFilter(created_from=msk(2, 0), created_to=msk(9, 0))
    _, n, _ = await _export(uow, "csv", week_only)
    assert n == 5  # not L4 (Sunday before) nor L7 (next Monday)


async def test_an_empty_export_still_has_its_header(uow, week) -> None:
    data, n, seen = await _export(uow, "csv", ExportFilter(owner_id=424242))
    assert n == 0 and seen == []
    assert data.decode("utf-8-sig").strip() == ",".join(c.name for c in export.COLUMNS)


async def test_a_manager_may_not_export(uow, week) -> None:
    with pytest.raises(AccessDenied):
        await export.export_leads(uow, Actor(label="tg:9101", user_id=9101, role=Role.MANAGER), ExportFilter(),
                                  "csv", io.BytesIO(), tz=MOSCOW)  # fmt: skip


@pytest.mark.parametrize("text", ["=1+1", "+7 900", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_are_neutralised(text: str) -> None:
    assert export.neutralise(text) == "'" + text


def test_ordinary_text_is_left_alone() -> None:
    assert export.neutralise("Acme (=)") == "Acme (=)"
