"""``GET /leads/export`` over HTTP: CSV with BOM and XLSX as attachments, filters, bad input as 422, the key."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.report_week import seed_week


@pytest.fixture
async def week(uow):
    async with uow:
        seeded = await seed_week(uow.session)
        await uow.commit()
    return seeded


def _temp_exports() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("tmp*.csv")} | {
        p.name for p in Path(tempfile.gettempdir()).glob("tmp*.xlsx")
    }


async def test_csv_export_is_an_attachment_with_a_bom_and_every_lead(client, week) -> None:
    before = _temp_exports()
    r = await client.get("/leads/export", params={"format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert 'attachment; filename="leads-' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [int(row[0]) for row in rows[1:]] == sorted(week.leads.values())
    assert _temp_exports() <= before  # the temporary file is gone


async def test_xlsx_export_with_filters(client, week) -> None:
    params = {"format": "xlsx", "source": "partner", "from": "2026-11-02", "to": "2026-11-08", "tz": "Europe/Moscow"}
    r = await client.get("/leads/export", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    ids = sorted(row[0].value for row in sheet.iter_rows(min_row=2))
    assert ids == sorted(week.leads[k] for k in ("L1", "L3", "L5"))  # partner, created in the Moscow week


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"format": "pdf"}, ""),
        ({"from": "2026-11-08", "to": "2026-11-02"}, "'to' must not be before 'from'"),
        ({"stage": "won"}, ""),
        ({"tz": "Nowhere/Land"}, "IANA"),
        ({"limit": "5"}, "limit"),
    ],
)
async def test_bad_export_parameters_are_a_422(client, params, detail: str) -> None:
    r = await client.get("/leads/export", params=params)
    assert r.status_code == 422, r.text
    assert detail in r.json()["detail"]


async def test_the_export_needs_an_api_key_and_does_not_shadow_lead_ids(anon, client, week) -> None:
    assert (await anon.get("/leads/export")).status_code == 401
    lead = week.leads["L1"]
    assert (await client.get(f"/leads/{lead}")).json()["id"] == lead
