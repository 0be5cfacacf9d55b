"""One CSV row -> ImportedLead (core.imports.rows), and that row -> one COPY record (core.storage.bulk)."""

from datetime import UTC, datetime

import pytest

from cli.reports import bad_row
from core.domain.enums import Outcome, Source, Stage
from core.imports.mapping import parse_mapping
from core.imports.rows import BadRow, Row, parse_row
from core.storage.bulk import COLUMNS, _copy_row

MAPPING = parse_mapping(
    {
        "csv": {"missing": ["", "Select"]},
        "lead": {"external_id": "ID", "name": "Company", "created_at": "Created", "closed_at": "Closed"},
        "source": {"column": "Channel", "attribute": "channel", "values": {"Web": "scanner"}},
        "attributes": [{"column": "Employees", "name": "employees", "type": "numeric"}, {"column": "City"}],
        "activity_counts": {"call": "Calls", "meeting": "Meetings"},
        "outcome": {"column": "Result", "won": ["1"], "lost": ["0"]},
    },
    frozenset({"fintech"}),
)
ROW: Row = {
    "ID": "a-1",
    "Company": "  Acme   Ltd ",
    "Created": "2024-05-01T10:00",
    "Closed": "2024-06-01T10:00",
    "Channel": "Web",
    "Employees": "1 200",
    "City": "Select",
    "Calls": "3",
    "Meetings": "2",
    "Result": "0",
}


def test_a_row_becomes_a_typed_imported_lead() -> None:
    lead = parse_row(MAPPING, dict(ROW), line=7)
    assert lead.line == 7
    assert lead.external_id == "a-1"
    assert lead.name == "Acme Ltd"
    assert lead.source is Source.SCANNER
    assert lead.outcome is Outcome.LOST
    assert lead.stage is Stage.LOST
    assert lead.lost_reason == "imported as lost"
    assert lead.attributes == {"channel": "Web", "employees": 1200.0, "City": None}
    assert lead.activity_counts == {"call": 3, "meeting": 2}
    assert lead.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"ID": ""}, "column 'ID' (external id) is empty"),
        ({"Calls": "1.5"}, "column 'Calls': '1.5' is not a whole non-negative count"),
        ({"Closed": "2024-01-01"}, "closed before it was created"),
        ({"Result": "maybe"}, "column 'Result': unknown outcome 'maybe' (expected one of 0, 1)"),
        ({None: ["extra"]}, "more cells than the header has columns"),
        # values the database would refuse are bad rows too, never a failed COPY
        ({"Company": "Acme\x00Ltd"}, "column 'Company': contains a NUL character (\\x00)"),
        ({"City": "Ka\x00zan"}, "column 'City': contains a NUL character (\\x00)"),
        ({"ID": "a\x00"}, "column 'ID': contains a NUL character (\\x00)"),
        ({"Calls": "2147483648"}, "column 'Calls': '2147483648' is more than 2147483647 activities in all"),
        (
            {"Calls": "2000000000", "Meetings": "2000000000"},
            "column 'Meetings': '2000000000' is more than 2147483647 activities in all",
        ),
        (
            {"Created": "0001-01-01T00:00:00+14:00"},
            "column 'Created': '0001-01-01T00:00:00+14:00' is outside the years 1900..2999",
        ),
        (
            {"Closed": "9999-12-31T23:59:59-14:00"},
            "column 'Closed': '9999-12-31T23:59:59-14:00' is outside the years 1900..2999",
        ),
        ({"Created": "0001-01-01T00:00:00"}, "column 'Created': '0001-01-01T00:00:00' is outside the years 1900..2999"),
        ({"Employees": "nan"}, "column 'Employees': 'nan' is not a finite number"),
        ({"Employees": "1e400"}, "column 'Employees': '1e400' is not a finite number"),
    ],
)
def test_a_bad_row_says_why(cells: Row, reason: str) -> None:
    with pytest.raises(BadRow) as err:
        parse_row(MAPPING, {**ROW, **cells}, line=2)
    assert bad_row(err.value) == reason


def test_the_copy_record_has_one_value_per_temporary_table_column_by_name() -> None:
    lead = parse_row(MAPPING, {**ROW, "Result": "1"}, line=3)
    record = dict(zip(COLUMNS, _copy_row(lead, None), strict=True))
    assert record["external_id"] == "a-1"
    assert record["stage"] == "transferred"
    assert record["source"] == "scanner"
    assert record["activity_count"] == 5
    assert record["activity_counts"] == '{"call": 3, "meeting": 2}'
    assert record["lost_reason"] is None
    assert record["closed_at"] == datetime(2024, 6, 1, 10, tzinfo=UTC)
