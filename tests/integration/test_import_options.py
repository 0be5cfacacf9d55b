"""The mapping options that import a real CRM export without a preprocessing script: ids derived from the row,
a date format and missing markers per column, the outcome joined from a second file, raw source values kept,
domains outside the catalogue — against real PostgreSQL, through ``import_csv``."""

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli.reports import import_details, import_summary, row_error
from core.domain.enums import Source, Stage
from core.imports.errors import FileProblem, UnreadableFile
from core.imports.mapping import MappingError, load_mapping
from core.services.importer import import_csv
from core.storage.models import LeadRow, SaleRow

DOMAINS = frozenset({"fintech", "saas"})

# An export shaped like a public marketing-funnel dataset: no id column of its own that we map, day-first
# dates, 999 meaning "never", the origin in the team's own words, and the deals closed in another file.
LEADS_HEADER = ["mql_id", "first_contact_date", "origin", "segment", "days_to_reply", "email"]
LEADS = [
    ["m1", "03-02-2024", "organic_search", "Banking", "2", "a@example.com"],
    ["m2", "15-02-2024", "referral", "pet shop", "999", "b@example.com"],
    ["m3", "29-02-2024", "paid_search", "", "5", "c@example.com"],
    ["m4", "01-03-2024", "unknown", "Home Decor", "999", "d@example.com"],
]
DEALS_HEADER = ["mql_id", "seller_id", "won_date"]
DEALS = [["m2", "s9", "2024-03-01"], ["m4", "s7", "2024-04-02"], ["zz", "s1", "2024-01-01"]]

MAPPING = """
[lead]
id_columns = ["email", "first_contact_date"]
contact = "email"
created_at = "first_contact_date"

[columns."first_contact_date"]
format = "%d-%m-%Y"

[columns."days_to_reply"]
missing = ["999"]

[source]
column = "origin"
attribute = "origin"
default = "manual"
values = { "referral" = "partner" }

[business_domain]
column = "segment"
attribute = "segment"
values = { "Banking" = "fintech" }
extend_catalogue = true

[[attributes]]
column = "days_to_reply"
type = "numeric"

[outcome]
join = { file = "closed_deals.csv", key = "mql_id" }
"""


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, Path]:
    _write(tmp_path / "closed_deals.csv", DEALS_HEADER, DEALS)
    mapping = tmp_path / "funnel.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return _write(tmp_path / "leads.csv", LEADS_HEADER, LEADS), mapping


async def _leads(uow) -> dict[str, LeadRow]:
    """The stored leads by their contact (the file has no id of its own)."""
    async with uow:
        rows = (await uow.session.execute(select(LeadRow))).scalars().all()
        for row in rows:
            uow.session.expunge(row)
        return {str(r.contact): r for r in rows}


async def test_a_file_without_an_id_column_gets_stable_derived_ids_and_a_reimport_updates_them(uow, export) -> None:
    csv_path, mapping = export
    first = await import_csv(uow, DOMAINS, csv_path, mapping)
    ids = {c: lead.external_id for c, lead in (await _leads(uow)).items()}
    again = await import_csv(uow, DOMAINS, csv_path, mapping)

    assert (first.inserted, first.updated) == (4, 0)
    assert (again.inserted, again.updated) == (0, 4)  # the same rows matched themselves
    assert {c: lead.external_id for c, lead in (await _leads(uow)).items()} == ids
    assert all(str(i).startswith("row-") and len(str(i)) == 24 for i in ids.values())  # 20 hex digits
    assert first.id_columns == ("email", "first_contact_date")
    assert "external ids derived from the columns email, first_contact_date" in import_details(first, 5)[0]


async def test_rows_that_look_alike_without_an_id_are_separate_leads_and_a_reimport_updates_each(uow, tmp_path) -> None:
    _write(tmp_path / "closed_deals.csv", DEALS_HEADER, [])
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.replace('["email", "first_contact_date"]', '["first_contact_date"]'), encoding="utf-8")
    twin = [*LEADS[0][:5], "other@example.com"]  # the same identity cells, another person
    csv_path = _write(tmp_path / "leads.csv", LEADS_HEADER, [LEADS[0], LEADS[1], twin])

    first = await import_csv(uow, DOMAINS, csv_path, mapping)
    again = await import_csv(uow, DOMAINS, csv_path, mapping)

    assert (first.inserted, first.error_count, again.inserted, again.updated) == (3, 0, 0, 3)
    async with uow:
        ids = (await uow.session.execute(select(LeadRow.external_id).order_by(LeadRow.id))).scalars().all()
    assert ids[2] == f"{ids[0]}-2"  # the second row with the same cells


async def test_day_first_dates_and_a_never_marker_are_read_per_column(uow, export) -> None:
    csv_path, mapping = export
    await import_csv(uow, DOMAINS, csv_path, mapping)
    leads = await _leads(uow)

    assert leads["c@example.com"].created_at.date().isoformat() == "2024-02-29"
    assert leads["a@example.com"].attributes["days_to_reply"] == 2.0
    assert leads["b@example.com"].attributes["days_to_reply"] is None  # 999 means never, not 999 days


async def test_the_outcome_comes_from_whether_the_id_is_in_the_closed_deals_file(uow, export) -> None:
    csv_path, mapping = export
    report = await import_csv(uow, DOMAINS, csv_path, mapping)
    leads = await _leads(uow)

    assert {c: lead.stage for c, lead in leads.items()} == {
        "a@example.com": Stage.LOST,
        "b@example.com": Stage.TRANSFERRED,
        "c@example.com": Stage.LOST,
        "d@example.com": Stage.TRANSFERRED,
    }
    assert (report.won, report.lost, report.joined_keys) == (2, 2, 3)
    async with uow:
        sales = await uow.session.execute(select(func.count()).select_from(SaleRow))
        assert sales.scalar_one() == 2


async def test_source_values_outside_the_three_are_mapped_where_they_map_and_kept_raw(uow, export) -> None:
    csv_path, mapping = export
    await import_csv(uow, DOMAINS, csv_path, mapping)
    leads = await _leads(uow)

    assert leads["b@example.com"].source == Source.PARTNER
    assert leads["a@example.com"].source == Source.MANUAL
    assert {lead.attributes["origin"] for lead in leads.values()} == {
        "organic_search",
        "referral",
        "paid_search",
        "unknown",
    }


async def test_extend_catalogue_gives_leads_the_files_own_domains_and_the_report_names_them(uow, export) -> None:
    csv_path, mapping = export
    report = await import_csv(uow, DOMAINS, csv_path, mapping)
    leads = await _leads(uow)

    assert leads["a@example.com"].business_domain == "fintech"
    assert leads["b@example.com"].business_domain == "pet shop"
    assert leads["d@example.com"].business_domain == "home decor"
    assert leads["c@example.com"].business_domain is None
    assert report.new_domains == ("home decor", "pet shop")
    assert "new business domains: home decor, pet shop" in "\n".join(import_details(report, 5))


async def test_without_extend_catalogue_unknown_domains_stay_attributes_only(uow, export) -> None:
    csv_path, mapping = export
    mapping.write_text(MAPPING.replace("extend_catalogue = true", ""), encoding="utf-8")
    report = await import_csv(uow, DOMAINS, csv_path, mapping)
    leads = await _leads(uow)

    assert leads["b@example.com"].business_domain is None
    assert leads["b@example.com"].attributes["segment"] == "pet shop"
    assert report.new_domains == ()


async def test_a_date_not_in_the_columns_format_is_a_bad_row_with_its_line(uow, export) -> None:
    csv_path, mapping = export
    _write(csv_path, LEADS_HEADER, [LEADS[0], ["m9", "2024-02-03", "referral", "", "1", "e@example.com"]])
    report = await import_csv(uow, DOMAINS, csv_path, mapping)

    assert report.inserted == 1
    assert [row_error(e) for e in report.errors] == [
        "line 3: column 'first_contact_date': '2024-02-03' is not a date/time in the format %d-%m-%Y"
    ]


async def test_a_missing_joined_file_stores_nothing_and_names_the_file(uow, export) -> None:
    csv_path, mapping = export
    (csv_path.parent / "closed_deals.csv").unlink()
    with pytest.raises(UnreadableFile) as err:
        await import_csv(uow, DOMAINS, csv_path, mapping)
    assert err.value.problem is FileProblem.MISSING
    assert err.value.path.name == "closed_deals.csv"
    assert await _leads(uow) == {}


async def test_a_broken_joined_file_names_its_line(uow, export) -> None:
    csv_path, mapping = export
    (csv_path.parent / "closed_deals.csv").write_bytes(b"mql_id,seller_id\nm2,s1\nm4,s\xff2\n")
    with pytest.raises(UnreadableFile) as err:
        await import_csv(uow, DOMAINS, csv_path, mapping)
    assert (err.value.problem, err.value.line, err.value.path.name) == (FileProblem.NOT_TEXT, 3, "closed_deals.csv")


async def test_a_joined_file_without_the_key_column_is_a_mapping_error(uow, export) -> None:
    csv_path, mapping = export
    _write(csv_path.parent / "closed_deals.csv", ["lead", "seller_id"], [["m2", "s1"]])
    with pytest.raises(MappingError) as err:
        await import_csv(uow, DOMAINS, csv_path, mapping)
    assert err.value.problems == ["column 'mql_id' is not in the header of closed_deals.csv"]
    assert await _leads(uow) == {}


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda m: m.replace('id_columns = ["email", "first_contact_date"]', ""), "or id_columns = [...]"),
        (lambda m: m.replace("[lead]", '[lead]\nexternal_id = "mql_id"'), "only without external_id"),
        (lambda m: m.replace('format = "%d-%m-%Y"', 'format = "dd-mm-yyyy"'), "expected a strptime format"),
        (lambda m: m.replace('missing = ["999"]', "missing = 999"), "missing: expected a list of texts"),
        (lambda m: m + '\n[columns."nope"]\nmissing = ["x"]\n', "[columns] 'nope' is not a mapped column"),
        (lambda m: m.replace('key = "mql_id" }', 'key = "mql_id", found = "paid" }'), "found must be one of"),
        (lambda m: m.replace("join = {", 'column = "origin"\njoin = {'), "not both"),
        (lambda m: m.replace('file = "closed_deals.csv", ', ""), "join: file is required"),
        (lambda m: m.replace('attribute = "origin"', 'attribute = "origin"\nextend_catalogue = true'), "only in"),
    ],
)
def test_mapping_option_errors_are_named(tmp_path, edit, problem) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(edit(MAPPING), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        load_mapping(path, DOMAINS)
    assert problem in err.value.message


def test_id_columns_mapped_derives_from_every_column_that_does_not_move(tmp_path) -> None:
    path = tmp_path / "m.toml"
    text = MAPPING.replace('id_columns = ["email", "first_contact_date"]', 'id_columns = "mapped"')
    path.write_text(text + '\n[activity_counts]\ncall = "days_to_reply"\n', encoding="utf-8")
    mapping = load_mapping(path, DOMAINS)
    # the join column stays (it is a key); counts, close time and outcome columns would change on re-export
    assert mapping.id_columns == ("email", "first_contact_date", "mql_id", "origin", "segment")


async def test_the_summary_line_still_reads_as_before(uow, export) -> None:
    csv_path, mapping = export
    report = await import_csv(uow, DOMAINS, csv_path, mapping)
    assert import_summary(report).startswith("4 rows read: 4 leads added, 0 updated by external id")
