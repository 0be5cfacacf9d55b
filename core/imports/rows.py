"""One CSV row -> one :class:`~core.imports.records.ImportedLead`, or :class:`BadRow` with the reason."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.domain.enums import Outcome, Source
from core.domain.errors import DomainError, InvalidValue
from core.domain.validation import ATTRIBUTE_VALUE_MAX, clean_contact, clean_name, clean_reason
from core.imports.mapping import TIMESTAMP_FIELDS, Mapping, MappingError
from core.imports.records import AttributeValue, ImportedLead

EXTERNAL_ID_MAX = 100
LOST_REASON_DEFAULT = "imported as lost"


class BadRow(Exception):
    """The row cannot be imported; the message says why (the line number is added by the caller)."""


class FileProblem(StrEnum):
    MISSING = "missing"
    NOT_TEXT = "not_text"  # not in the mapping's encoding
    BROKEN_CSV = "broken_csv"


class UnreadableFile(DomainError):
    """The CSV file cannot be read: which file, what is wrong, and the reader's own detail."""

    code = "unreadable_file"

    def __init__(self, path: Path, problem: FileProblem, *, encoding: str | None = None, detail: str = "") -> None:
        super().__init__()
        self.path = path
        self.problem = problem
        self.encoding = encoding
        self.detail = detail


# A row by header name; cells beyond the header are a list under the key None (csv.DictReader's restkey).
Row = dict[str | None, Any]


def read_rows(path: Path, m: Mapping) -> Iterator[tuple[int, Row]]:
    """Yield (line number, row). :class:`UnreadableFile` if the file is missing, not text in the mapping's
    encoding or broken CSV; :class:`MappingError` if a mapped column is not in the header."""
    if not path.is_file():
        raise UnreadableFile(path, FileProblem.MISSING)
    try:
        with path.open(newline="", encoding=m.encoding) as fh:
            reader = csv.DictReader(fh, delimiter=m.delimiter)
            header = reader.fieldnames or []
            absent = sorted(m.columns() - set(header))
            if absent:
                raise MappingError([f"column '{c}' is not in the CSV header" for c in absent])
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as err:
        raise UnreadableFile(
            path, FileProblem.NOT_TEXT, encoding=m.encoding, detail=f"{err.reason} at byte {err.start}"
        ) from None
    except csv.Error as err:
        raise UnreadableFile(path, FileProblem.BROKEN_CSV, detail=str(err)) from None


def parse_row(m: Mapping, row: Row, line: int) -> ImportedLead:
    """Clean and type one row as the mapping says; :class:`BadRow` says why it cannot be imported."""
    if None in row:
        raise BadRow("more cells than the header has columns")

    def cell(col: str | None) -> str | None:
        if col is None:
            return None
        value: str = (row.get(col) or "").strip()
        return None if value in m.missing else value

    ext = cell(m.lead["external_id"])
    if ext is None:
        raise BadRow(f"column '{m.lead['external_id']}' (external id) is empty")
    if len(ext) > EXTERNAL_ID_MAX:
        raise BadRow(f"external id longer than {EXTERNAL_ID_MAX} characters")
    try:
        name = clean_name(cell(m.lead.get("name")))
        contact = clean_contact(cell(m.lead.get("contact")))
        lost_reason = clean_reason(cell(m.lead.get("lost_reason")))
    except InvalidValue as err:
        raise BadRow(err.message) from None

    attributes: dict[str, AttributeValue] = {}
    raw_source = cell(m.source.column)
    source = m.source.values.get(raw_source or "", m.source.default or Source.MANUAL.value)
    if m.source.attribute:
        attributes[m.source.attribute] = raw_source
    domain = None
    if m.business_domain is not None:
        raw_domain = cell(m.business_domain.column)
        domain = m.business_domain.values.get(raw_domain or "", m.business_domain.default)
        if m.business_domain.attribute:
            attributes[m.business_domain.attribute] = raw_domain
    for spec in m.attributes:
        value = cell(spec.column)
        if value is not None and spec.kind == "numeric":
            attributes[spec.name] = _number(value, spec.column)
        else:
            if value is not None and len(value) > ATTRIBUTE_VALUE_MAX:
                raise BadRow(f"column '{spec.column}': longer than {ATTRIBUTE_VALUE_MAX} characters")
            attributes[spec.name] = value

    counts: dict[str, int] = {}
    for kind, col in m.activity_counts.items():
        value = cell(col)
        if value is not None:
            counts[kind] = _count(value, col)
    stamps = {f: _timestamp(v, m.lead[f]) for f in TIMESTAMP_FIELDS if (v := cell(m.lead.get(f))) is not None}
    if "created_at" in stamps and "closed_at" in stamps and stamps["closed_at"] < stamps["created_at"]:
        raise BadRow("closed before it was created")

    outcome = _outcome(m, cell)
    return ImportedLead(
        line=line,
        external_id=ext,
        name=name,
        contact=contact,
        source=Source(source),
        outcome=outcome,
        business_domain=domain,
        attributes=attributes,
        activity_counts=counts,
        created_at=stamps.get("created_at"),
        first_contact_at=stamps.get("first_contact_at"),
        last_activity_at=stamps.get("last_activity_at"),
        closed_at=stamps.get("closed_at"),
        lost_reason=(lost_reason or LOST_REASON_DEFAULT) if outcome == Outcome.LOST else None,
    )


def _outcome(m: Mapping, cell: Callable[[str | None], str | None]) -> Outcome:
    if m.outcome is None:
        return Outcome.OPEN
    raw = cell(m.outcome.column)
    if raw is None or raw in m.outcome.open:
        return Outcome.OPEN
    if raw in m.outcome.won:
        return Outcome.WON
    if raw in m.outcome.lost:
        return Outcome.LOST
    allowed = sorted(m.outcome.won | m.outcome.lost | m.outcome.open)
    raise BadRow(f"column '{m.outcome.column}': unknown outcome '{raw}' (expected one of {', '.join(allowed)})")


def _timestamp(value: str, col: str) -> datetime:
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        expected = "expected ISO 8601, e.g. 2024-05-01T10:00"
        raise BadRow(f"column '{col}': '{value}' is not a date/time ({expected})") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _number(value: str, col: str) -> float:
    try:
        number = float(value.replace(" ", ""))
    except ValueError:
        raise BadRow(f"column '{col}': '{value}' is not a number") from None
    if not math.isfinite(number):
        raise BadRow(f"column '{col}': '{value}' is not a finite number")
    return number


def _count(value: str, col: str) -> int:
    number = _number(value, col)
    if number < 0 or not number.is_integer():
        raise BadRow(f"column '{col}': '{value}' is not a whole non-negative count")
    return int(number)
