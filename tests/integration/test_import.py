"""``leadcrm import``: CSV + TOML mapping -> leads, via COPY + upsert, against real PostgreSQL."""

import asyncio
import csv
import zlib
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from cli.reports import bad_row, row_error
from core.domain.enums import SaleStage, Stage
from core.imports.errors import FileProblem, UnreadableFile
from core.imports.mapping import MappingError, load_mapping
from core.services import importer
from core.services import leads as lead_svc
from core.services.importer import import_csv
from core.storage.models import LeadRow, SaleRow, SaleStageChangeRow, StageChangeRow

DOMAINS = frozenset({"fintech", "saas", "ecommerce"})

MAPPING = """
[csv]
missing = ["", "Select"]

[lead]
external_id = "ID"
name = "Company"
contact = "Phone"
created_at = "Created"
last_activity_at = "Last touch"
closed_at = "Closed"

[source]
column = "Channel"
attribute = "channel"
default = "manual"
values = { "Referral" = "partner", "Web" = "scanner" }

[business_domain]
column = "Industry"
attribute = "industry"
values = { "Banking" = "fintech", "Software" = "saas" }

[[attributes]]
column = "Employees"
name = "employees"
type = "numeric"

[[attributes]]
column = "City"

[activity_counts]
meeting = "Meetings"
call = "Calls"

[outcome]
column = "Result"
won = ["won", "1"]
lost = ["lost", "0"]
open = ["open"]
"""

HEADER = [
    "ID",
    "Company",
    "Phone",
    "Channel",
    "Industry",
    "Employees",
    "City",
    "Meetings",
    "Calls",
    "Created",
    "Last touch",
    "Closed",
    "Result",
]


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


def _row(
    ext,
    *,
    channel="Referral",
    industry="Banking",
    employees="50",
    city="Kazan",
    meetings="3",
    calls="1",
    created="2025-01-10T09:00:00",
    touch="2025-01-20T09:00:00",
    closed="2025-02-01T09:00:00",
    result="won",
    company="ACME",
    phone=None,
):
    if phone is None:  # a phone of its own per external id: rows sharing a contact are matched to each other
        phone = f"+7 900 {zlib.crc32(ext.encode()) % 10_000_000:07d}"
    return [ext, company, phone, channel, industry, employees, city, meetings, calls, created, touch, closed, result]


async def _lead(uow, ext: str) -> LeadRow:
    async with uow:
        row = (await uow.session.execute(select(LeadRow).where(LeadRow.external_id == ext))).scalar_one()
        uow.session.expunge(row)
        return row


async def _count(uow, stmt) -> int:
    async with uow:
        return int((await uow.session.execute(stmt)).scalar_one())


async def test_won_lost_and_open_rows_become_real_looking_leads(uow, tmp_path, mapping) -> None:
    csv_path = _write(
        tmp_path / "a.csv",
        [
            _row("w1"),
            _row("l1", channel="Web", industry="Cooking", result="lost", meetings="0"),
            _row("o1", channel="Fax", industry="Select", result="open", closed=""),
        ],
    )
    report = await import_csv(uow, DOMAINS, csv_path, mapping)
    assert (report.rows, report.inserted, report.updated, report.error_count) == (3, 3, 0, 0)
    assert (report.won, report.lost, report.open) == (1, 1, 1)

    won = await _lead(uow, "w1")
    assert (won.stage, won.source.value, won.business_domain) == (Stage.TRANSFERRED, "partner", "fintech")
    assert won.attributes == {"channel": "Referral", "industry": "Banking", "employees": 50.0, "City": "Kazan"}
    assert (won.activity_count, won.activity_counts) == (4, {"meeting": 3, "call": 1})
    assert won.created_at.isoformat() == "2025-01-10T09:00:00+00:00"
    async with uow:
        history = (
            await uow.session.execute(
                select(StageChangeRow.from_stage, StageChangeRow.to_stage, StageChangeRow.actor)
                .where(StageChangeRow.lead_id == won.id)
                .order_by(StageChangeRow.id)
            )
        ).all()
        sale = (await uow.session.execute(select(SaleRow).where(SaleRow.lead_id == won.id))).scalar_one()
        sale_steps = (
            (
                await uow.session.execute(
                    select(SaleStageChangeRow.to_stage)
                    .where(SaleStageChangeRow.sale_id == sale.id)
                    .order_by(SaleStageChangeRow.id)
                )
            )
            .scalars()
            .all()
        )
        assert sale.stage == SaleStage.PAID and sale.closed_at.isoformat() == "2025-02-01T09:00:00+00:00"
    assert [(h[0], h[1]) for h in history] == [
        (Stage.NEW, Stage.CONTACTED),
        (Stage.CONTACTED, Stage.QUALIFIED),
        (Stage.QUALIFIED, Stage.TRANSFERRED),
    ]
    assert {h[2] for h in history} == {"import"}
    assert sale_steps == [SaleStage.KYC, SaleStage.AGREEMENT, SaleStage.PAID]

    lost = await _lead(uow, "l1")
    assert (lost.stage, lost.source.value, lost.business_domain) == (Stage.LOST, "scanner", None)
    assert lost.attributes["industry"] == "Cooking"  # an unmapped domain stays an attribute only
    assert lost.lost_reason == "imported as lost"
    assert (
        await _count(uow, select(func.count()).select_from(StageChangeRow).where(StageChangeRow.lead_id == lost.id))
        == 1
    )

    still_open = await _lead(uow, "o1")
    assert (still_open.stage, still_open.source.value, still_open.business_domain) == (Stage.NEW, "manual", None)
    assert still_open.attributes["industry"] is None  # "Select" means not chosen


async def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_are_kept(uow, tmp_path, mapping) -> None:
    rows = [
        _row("g1"),
        _row("b1", employees="many"),
        _row("b2", result="maybe"),
        _row("", company="No id"),
        _row("b3", phone="call me"),
        _row("b4", created="yesterday"),
        _row("g1", company="Duplicate"),
        _row("b5", meetings="-2"),
        _row("b6", created="2025-03-01T00:00:00", closed="2025-02-01T00:00:00"),
        _row("g2", result="lost"),
        [*_row("b7"), "surplus"],
    ]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "bad.csv", rows), mapping)
    assert (report.rows, report.inserted, report.error_count) == (11, 2, 9)
    reasons = {e.line: bad_row(e.problem) for e in report.errors}
    assert "'Employees': 'many' is not a number" in reasons[3]
    assert "unknown outcome 'maybe'" in reasons[4]
    assert "external id) is empty" in reasons[5]
    assert reasons[6].startswith("contact:")
    assert "'yesterday' is not a date/time" in reasons[7]
    assert "already appears on line 2" in reasons[8]
    assert "not a whole non-negative count" in reasons[9]
    assert "closed before it was created" in reasons[10]
    assert "more cells than the header" in reasons[12]
    assert row_error(report.errors[0]).startswith("line 3: ")
    assert (await _lead(uow, "g1")).name == "ACME"
    assert (await _lead(uow, "g2")).stage == Stage.LOST


async def test_values_the_database_would_refuse_are_bad_rows_and_the_good_rows_still_land(
    uow, tmp_path, mapping
) -> None:
    rows = [
        _row("db-ok-1"),
        _row("db-nul-name", company="AC\x00ME"),
        _row("db-nul-city", city="Ka\x00zan"),
        _row("db-nul\x00id"),
        _row("db-int32", meetings="2147483648"),
        _row("db-int32-total", meetings="2000000000", calls="2000000000"),
        _row("db-year-1", created="0001-01-01T00:00:00+14:00"),
        _row("db-year-10000", touch="9999-12-31T23:59:59-14:00"),
        _row("db-nan", employees="nan"),
        _row("db-ok-2", result="lost"),
    ]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "refused.csv", rows), mapping)
    assert (report.rows, report.inserted, report.error_count) == (10, 2, 8)
    assert [e.line for e in report.errors] == [3, 4, 5, 6, 7, 8, 9, 10]
    reasons = [bad_row(e.problem) for e in report.errors]
    assert reasons[:3] == ["column 'Company': contains a NUL character (\\x00)"] + [
        f"column '{c}': contains a NUL character (\\x00)" for c in ("City", "ID")
    ]
    assert "more than 2147483647 activities" in reasons[3] and "more than 2147483647 activities" in reasons[4]
    assert "outside the years 1900..2999" in reasons[5] and "outside the years 1900..2999" in reasons[6]
    assert "not a finite number" in reasons[7]
    assert (await _lead(uow, "db-ok-1")).stage == Stage.TRANSFERRED
    assert (await _lead(uow, "db-ok-2")).stage == Stage.LOST


def _late_decode_error(path: Path) -> None:
    with path.open("ab") as fh:
        fh.write(b"late-x,Caf\xe9,,Web,,,,,,,,,open\n")


def _late_huge_field(path: Path) -> None:
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write('late-y,"' + "x" * 200_000 + '",,Web,,,,,,,,,open\r\n')


@pytest.mark.parametrize(
    ("spoil", "problem"), [(_late_decode_error, FileProblem.NOT_TEXT), (_late_huge_field, FileProblem.BROKEN_CSV)]
)
async def test_a_file_level_error_late_in_the_file_leaves_nothing_imported(
    uow, tmp_path, mapping, monkeypatch, spoil, problem
) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", 100)  # five batches are stored before the error
    path = _write(tmp_path / "late.csv", [_row(f"late-{i}", result="open", closed="") for i in range(500)])
    spoil(path)
    with pytest.raises(UnreadableFile) as err:
        await import_csv(uow, DOMAINS, path, mapping)
    assert (err.value.problem, err.value.line) == (problem, 502)
    imported = select(func.count()).select_from(LeadRow).where(LeadRow.external_id.like("late-%"))
    assert await _count(uow, imported) == 0


async def test_reimport_updates_leads_and_replaces_imported_history_without_duplicates(uow, tmp_path, mapping) -> None:
    first = _write(tmp_path / "1.csv", [_row("r1", result="lost"), _row("r2"), _row("r3", result="open", closed="")])
    await import_csv(uow, DOMAINS, first, mapping)
    before = await _lead(uow, "r1")
    # the team works the open lead in the CRM meanwhile
    opened = await _lead(uow, "r3")
    await lead_svc.change_stage(uow, _services(), _system(), opened.id, "contacted")

    second = _write(
        tmp_path / "2.csv",
        [
            _row("r1", result="won", employees="75"),
            _row("r2", result="won"),
            _row("r3", result="open", closed=""),
            _row("r4"),
        ],
    )
    report = await import_csv(uow, DOMAINS, second, mapping)
    assert (report.inserted, report.updated) == (1, 3)
    assert (
        await _count(
            uow, select(func.count()).select_from(LeadRow).where(LeadRow.external_id.in_(["r1", "r2", "r3", "r4"]))
        )
        == 4
    )

    after = await _lead(uow, "r1")
    assert after.id == before.id and after.version == before.version + 1
    assert (after.stage, after.attributes["employees"]) == (Stage.TRANSFERRED, 75.0)
    async with uow:
        steps = (
            (
                await uow.session.execute(
                    select(StageChangeRow.to_stage)
                    .where(StageChangeRow.lead_id == after.id)
                    .order_by(StageChangeRow.id)
                )
            )
            .scalars()
            .all()
        )
        sales = (
            await uow.session.execute(select(func.count()).select_from(SaleRow).where(SaleRow.lead_id == after.id))
        ).scalar_one()
    assert steps == [Stage.CONTACTED, Stage.QUALIFIED, Stage.TRANSFERRED]  # the old "lost" step is gone
    assert sales == 1
    r2 = await _lead(uow, "r2")
    assert (
        await _count(uow, select(func.count()).select_from(StageChangeRow).where(StageChangeRow.lead_id == r2.id)) == 3
    )
    assert await _count(uow, select(func.count()).select_from(SaleRow).where(SaleRow.lead_id == r2.id)) == 1
    # an open row does not pull back a lead the team has moved on, nor erase the team's history
    r3 = await _lead(uow, "r3")
    assert r3.stage == Stage.CONTACTED
    assert (
        await _count(uow, select(func.count()).select_from(StageChangeRow).where(StageChangeRow.lead_id == r3.id)) == 1
    )


def _services():
    from core.services.context import Policy, Services

    return Services(policy=Policy(domains=DOMAINS))


def _system():
    from core.domain.models import Actor

    return Actor.system("test")


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda m: m + "\n[colour]\nx = 1\n", "unknown section 'colour'"),
        (lambda m: m.replace('"Referral" = "partner"', '"Referral" = "friend"'), "'Referral' -> 'friend'"),
        (lambda m: m.replace('"Software" = "saas"', '"Software" = "astrology"'), "'Software' -> 'astrology'"),
        (lambda m: m.replace('meeting = "Meetings"', 'lunch = "Meetings"'), "'lunch' is not an activity kind"),
        (lambda m: m.replace('type = "numeric"', 'type = "money"'), "type must be 'numeric' or 'categorical'"),
        (lambda m: m.replace('external_id = "ID"', ""), "[lead] external_id: a column name is required"),
        (lambda m: m.replace('lost = ["lost", "0"]', 'lost = ["won"]'), "values in more than one list: won"),
        (lambda m: m.replace("[csv]", "[csv"), "not valid TOML"),
        (lambda m: m.replace('name = "employees"', 'name = "staff\\u0000"'), "name must be 1..50 characters, no NUL"),
        (lambda m: m.replace('attribute = "channel"', 'attribute = "\\u0000"'), "a name of 1..50 characters, no NUL"),
        (lambda m: m.replace("[csv]", '[csv]\nencoding = "base64"'), "'base64' is not a text encoding Python knows"),
    ],
)
async def test_mapping_errors_are_reported_clearly_and_nothing_is_imported(uow, tmp_path, edit, problem) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(edit(MAPPING), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        await import_csv(uow, DOMAINS, _write(tmp_path / "x.csv", [_row("m1")]), bad)
    assert problem in err.value.message
    assert await _count(uow, select(func.count()).select_from(LeadRow).where(LeadRow.external_id == "m1")) == 0


async def test_every_mapping_problem_is_listed_at_once(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(MAPPING.replace('"Web" = "scanner"', '"Web" = "robot"').replace('type = "numeric"', 'type = "x"'))
    with pytest.raises(MappingError) as err:
        load_mapping(bad, DOMAINS)
    assert len(err.value.problems) == 2


async def test_columns_missing_from_the_csv_header_are_named(uow, tmp_path, mapping) -> None:
    header = [h for h in HEADER if h not in ("City", "Result")]
    path = _write(tmp_path / "short.csv", [["x"] * len(header)], header=header)
    with pytest.raises(MappingError) as err:
        await import_csv(uow, DOMAINS, path, mapping)
    assert err.value.problems == ["column 'City' is not in the CSV header", "column 'Result' is not in the CSV header"]


def test_the_shipped_xeducation_mappings_load_and_leave_out_the_leaking_columns() -> None:
    root = Path(__file__).resolve().parents[2] / "mappings"
    from core.config import DEFAULT_DOMAINS

    base = load_mapping(root / "xeducation.toml", frozenset(DEFAULT_DOMAINS))
    extra = load_mapping(root / "xeducation_last_activity.toml", frozenset(DEFAULT_DOMAINS))
    leaking = {
        "Tags",
        "Lead Quality",
        "Lead Profile",
        "Lead Number",
        "Asymmetrique Activity Index",
        "Asymmetrique Profile Index",
        "Asymmetrique Activity Score",
        "Asymmetrique Profile Score",
    }
    assert not (base.columns() | extra.columns()) & leaking
    assert {"Last Activity", "Last Notable Activity"} & base.columns() == set()
    assert extra.columns() - base.columns() == {"Last Activity", "Last Notable Activity"}


def test_leadcrm_import_prints_the_summary_and_the_bad_lines(
    tmp_path, mapping, database_url, monkeypatch, capsys
) -> None:
    from cli.main import main

    path = _write(tmp_path / "cli.csv", [_row("cli-1"), _row("cli-2", result="perhaps")])
    monkeypatch.setenv("DATABASE_URL", database_url)
    try:
        code = main(["import", str(path), "--mapping", str(mapping)])
        out = capsys.readouterr().out
        assert code == 0
        assert (
            "2 rows read: 1 leads added, 0 updated by external id, 0 matched by contact (1 won, 0 lost, 0 open), "
            "1 bad rows and 0 conflicts skipped" in out
        )
        assert "line 3: column 'Result': unknown outcome 'perhaps'" in out
        assert main(["import", str(tmp_path / "nope.csv"), "--mapping", str(mapping)]) == 2
        assert "CSV file not found" in capsys.readouterr().out
    finally:
        asyncio.run(_delete_leads(database_url, ["cli-1"]))


async def _delete_leads(url: str, ext_ids: list[str]) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(delete(LeadRow).where(LeadRow.external_id.in_(ext_ids)))
    await engine.dispose()
