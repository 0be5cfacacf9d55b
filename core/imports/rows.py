"""One CSV row -> one :class:`~core.imports.records.ImportedLead`, or :class:`BadRow` with the reason."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.domain.contacts import Contact, parse_contact, try_parse
from core.domain.enums import Outcome, Source
from core.domain.errors import DomainError, InvalidValue
from core.domain.validation import ATTRIBUTE_VALUE_MAX, clean_contact, clean_name, clean_reason
from core.imports.mapping import TIMESTAMP_FIELDS, Mapping
from core.imports.records import AttributeValue, ImportedLead

EXTERNAL_ID_MAX = 100
LOST_REASON_DEFAULT = "imported as lost"
# What the database would refuse is a bad row here, before COPY: one failed value would fail the whole file.
ACTIVITY_COUNT_MAX = 2**31 - 1  # leads.activity_count is an integer column (int32); it holds the sum
# PostgreSQL holds far more, but asyncpg moves timestamps as UTC datetimes: 0001-01-01T00:00+14:00 fails COPY
# (OverflowError), 0001-01-01 UTC comes back naive. No real lead is dated outside this range.
TIMESTAMP_MIN = datetime(1900, 1, 1, tzinfo=UTC)
TIMESTAMP_MAX = datetime(3000, 1, 1, tzinfo=UTC)  # exclusive


class RowProblem(StrEnum):
    """Why a row cannot be imported (``BadRow.problem``); ``cli/reports.py`` says it in words."""

    EXTRA_CELLS = "extra_cells"  # more cells than the header has columns
    NO_EXTERNAL_ID = "no_external_id"  # column
    EXTERNAL_ID_TOO_LONG = "external_id_too_long"  # limit
    INVALID_VALUE = "invalid_value"  # error: the domain's own refusal (a name, contact or reason)
    TOO_LONG = "too_long"  # column, limit
    CLOSED_BEFORE_CREATED = "closed_before_created"
    UNKNOWN_OUTCOME = "unknown_outcome"  # column, value, allowed
    NOT_A_TIMESTAMP = "not_a_timestamp"  # column, value
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"  # column, value (TIMESTAMP_MIN..TIMESTAMP_MAX)
    NOT_A_NUMBER = "not_a_number"  # column, value
    NOT_FINITE = "not_finite"  # column, value
    NOT_A_COUNT = "not_a_count"  # column, value
    COUNT_TOO_LARGE = "count_too_large"  # column, value, limit: the row's activities add up to more than limit
    NUL_CHARACTER = "nul_character"  # column: a U+0000, which PostgreSQL text cannot hold
    DUPLICATE = "duplicate"  # value (the external id), other_line


class BadRow(Exception):
    """The row cannot be imported: which problem, in which column, with which value (the caller adds the line)."""

    def __init__(
        self,
        problem: RowProblem,
        *,
        column: str | None = None,
        value: str | None = None,
        limit: int | None = None,
        allowed: Sequence[str] = (),
        error: DomainError | None = None,
        other_line: int | None = None,
    ) -> None:
        super().__init__(problem, column, value)
        self.problem = problem
        self.column = column
        self.value = value
        self.limit = limit
        self.allowed = tuple(allowed)
        self.error = error
        self.other_line = other_line


# A row by header name; cells beyond the header are a list under the key None (csv.DictReader's restkey).
Row = dict[str | None, Any]


def parse_row(m: Mapping, row: Row, line: int, region: str = "RU") -> ImportedLead:
    """Clean and type one row as the mapping says; :class:`BadRow` says why it cannot be imported. Phones
    typed without a country code are in ``region`` (the team's ``DEFAULT_PHONE_REGION``)."""
    if None in row:
        raise BadRow(RowProblem.EXTRA_CELLS)

    def cell(col: str | None) -> str | None:
        if col is None:
            return None
        value: str = (row.get(col) or "").strip()
        if "\x00" in value:
            raise BadRow(RowProblem.NUL_CHARACTER, column=col)
        return None if value in m.missing else value

    ext = cell(m.lead["external_id"])
    if ext is None:
        raise BadRow(RowProblem.NO_EXTERNAL_ID, column=m.lead["external_id"])
    if len(ext) > EXTERNAL_ID_MAX:
        raise BadRow(RowProblem.EXTERNAL_ID_TOO_LONG, limit=EXTERNAL_ID_MAX)
    try:
        name = clean_name(cell(m.lead.get("name")))
        contact = clean_contact(cell(m.lead.get("contact")))
        lost_reason = clean_reason(cell(m.lead.get("lost_reason")))
        contacts = _contacts(contact, [(col, cell(col)) for col in m.contact_columns], region)
    except InvalidValue as err:
        raise BadRow(RowProblem.INVALID_VALUE, error=err) from None

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
                raise BadRow(RowProblem.TOO_LONG, column=spec.column, limit=ATTRIBUTE_VALUE_MAX)
            attributes[spec.name] = value

    counts: dict[str, int] = {}
    for kind, col in m.activity_counts.items():
        value = cell(col)
        if value is not None:
            counts[kind] = _count(value, col)
            if sum(counts.values()) > ACTIVITY_COUNT_MAX:
                raise BadRow(RowProblem.COUNT_TOO_LARGE, column=col, value=value, limit=ACTIVITY_COUNT_MAX)
    stamps = {f: _timestamp(v, m.lead[f]) for f in TIMESTAMP_FIELDS if (v := cell(m.lead.get(f))) is not None}
    if "created_at" in stamps and "closed_at" in stamps and stamps["closed_at"] < stamps["created_at"]:
        raise BadRow(RowProblem.CLOSED_BEFORE_CREATED)

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
        contacts=contacts,
    )


def _contacts(primary: str | None, more: list[tuple[str, str | None]], region: str) -> tuple[Contact, ...]:
    """The row's contacts with a normal form, one per normal form, the primary first. A primary contact that
    ``clean_contact`` takes but that has no normal form (a short number) stays on the lead only, as before;
    a value of a ``contacts`` column must be a phone, an e-mail or a @username."""
    found: dict[tuple[str, str], Contact] = {}
    first = try_parse(primary, region)
    if first is not None:
        found[first.kind.value, first.normal] = first
    for col, value in more:
        if value is not None:
            contact = parse_contact(value, region, field=col)
            found.setdefault((contact.kind.value, contact.normal), contact)
    return tuple(found.values())


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
    raise BadRow(RowProblem.UNKNOWN_OUTCOME, column=m.outcome.column, value=raw, allowed=allowed)


def _timestamp(value: str, col: str) -> datetime:
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise BadRow(RowProblem.NOT_A_TIMESTAMP, column=col, value=value) from None
    ts = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    if not TIMESTAMP_MIN <= ts < TIMESTAMP_MAX:  # compared as instants; no conversion that could overflow
        raise BadRow(RowProblem.TIMESTAMP_OUT_OF_RANGE, column=col, value=value)
    return ts


def _number(value: str, col: str) -> float:
    try:
        number = float(value.replace(" ", ""))
    except ValueError:
        raise BadRow(RowProblem.NOT_A_NUMBER, column=col, value=value) from None
    if not math.isfinite(number):
        raise BadRow(RowProblem.NOT_FINITE, column=col, value=value)
    return number


def _count(value: str, col: str) -> int:
    number = _number(value, col)
    if number < 0 or not number.is_integer():
        raise BadRow(RowProblem.NOT_A_COUNT, column=col, value=value)
    return int(number)
