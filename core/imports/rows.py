"""One CSV row -> one :class:`~core.imports.records.ImportedLead`, or :class:`BadRow` with the reason."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.domain.contacts import Contact, parse_contact, try_parse
from core.domain.enums import Outcome, Source
from core.domain.errors import DomainError, InvalidValue
from core.domain.validation import ATTRIBUTE_VALUE_MAX, clean_contact, clean_name, clean_reason
from core.imports.mapping import DOMAIN_MAX, TIMESTAMP_FIELDS, Mapping, ValueMap, normal_domain
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
    """Clean and type one row (by header name) as the mapping says; :class:`BadRow` says why it cannot be
    imported. Phones typed without a country code are in ``region`` (the team's ``DEFAULT_PHONE_REGION``).
    The importer itself uses a :class:`RowParser` (columns found once per file, rows as lists)."""
    if None in row:
        raise BadRow(RowProblem.EXTRA_CELLS)
    cells = {c: "" for c in m.columns()} | {str(k): "" if v is None else str(v) for k, v in row.items()}
    return RowParser(m, list(cells), region).parse(list(cells.values()), line)


class RowParser:
    """Parses the rows of one file: the mapping's columns are looked up in the header once, so a row is a list
    of cells (``csv.reader``'s), not a dict. ``joined``: the keys of ``[outcome] join``'s file."""

    def __init__(
        self, m: Mapping, header: Sequence[str], region: str = "RU", joined: frozenset[str] = frozenset()
    ) -> None:
        self.m = m
        self.region = region
        self.joined = joined
        self.width = len(header)
        index = {name: i for i, name in reversed(list(enumerate(header)))}  # the first of equal names
        opts = m.column_options
        # column -> (index, that column's missing markers)
        cols = sorted(m.columns(), key=index.__getitem__)  # in the file's order: the first NUL is named
        self._cols = {c: (index[c], m.missing | opts[c].missing if c in opts else m.missing) for c in cols}
        self._items = tuple(self._cols.items())
        self._indexes = tuple(i for i, _ in self._cols.values())
        self._formats = {c: o.format for c, o in opts.items() if o.format}
        self._lead = {f: c for f, c in m.lead.items() if f != "external_id"}
        self._occurrences: dict[str, int] = {}  # derived ids: how many rows of the file had these cells
        self._stamps = tuple((f, m.lead[f]) for f in TIMESTAMP_FIELDS if f in m.lead)

    def cells_of(self, cells: Sequence[str]) -> dict[str | None, str | None]:
        """Every mapped column's cell, stripped, ``None`` where it holds a missing marker. One comprehension
        and one NUL test per row rather than a call per cell: a quarter of the parse's time (bench/import.py)."""
        if "\x00" in "".join([cells[i] for i in self._indexes]):
            col = next(c for c, (i, _) in self._items if "\x00" in cells[i])
            raise BadRow(RowProblem.NUL_CHARACTER, column=col)
        return {c: None if (v := cells[i].strip()) in missing else v for c, (i, missing) in self._items}

    def derived_id(self, values: dict[str | None, str | None]) -> str:
        """A stable id from the row's identity cells (stripped; a missing marker counts as empty): ``row-`` and
        20 hex digits of a BLAKE2b hash, and ``-N`` for the N-th row of the file with the same cells (real
        exports hold distinct leads that look alike: 1,990 of X Education's 9,240 rows without its id). The same
        file imported again gives every row the same id, so it updates its own lead."""
        text = "\x1f".join([values[c] or "" for c in self.m.id_columns])
        digest = hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
        seen = self._occurrences[digest] = self._occurrences.get(digest, 0) + 1
        return f"row-{digest}" if seen == 1 else f"row-{digest}-{seen}"

    def parse(self, cells: Sequence[str], line: int) -> ImportedLead:
        m = self.m
        if len(cells) > self.width:
            raise BadRow(RowProblem.EXTRA_CELLS)
        if len(cells) < self.width:  # a short row: csv.DictReader's missing cells, read as empty
            cells = [*cells, *([""] * (self.width - len(cells)))]
        values = self.cells_of(cells)
        cell = values.get
        if m.derived_id:
            ext = self.derived_id(values)
        else:
            found = cell(m.lead["external_id"])
            if found is None:
                raise BadRow(RowProblem.NO_EXTERNAL_ID, column=m.lead["external_id"])
            if len(found) > EXTERNAL_ID_MAX:
                raise BadRow(RowProblem.EXTERNAL_ID_TOO_LONG, limit=EXTERNAL_ID_MAX)
            ext = found
        lead = self._lead
        try:
            name = clean_name(cell(lead.get("name")))
            contact = clean_contact(cell(lead.get("contact")))
            lost_reason = clean_reason(cell(lead.get("lost_reason")))
            more = [(col, cell(col)) for col in m.contact_columns]
            contacts = _contacts(contact, more, self.region)
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
            domain = _domain(m.business_domain, raw_domain)
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
        total = 0
        for kind, col in m.activity_counts.items():
            value = cell(col)
            if value is not None:
                counts[kind] = n = _count(value, col)
                total += n
                if total > ACTIVITY_COUNT_MAX:
                    raise BadRow(RowProblem.COUNT_TOO_LARGE, column=col, value=value, limit=ACTIVITY_COUNT_MAX)
        stamps: dict[str, datetime] = {}
        for f, col in self._stamps:
            value = cell(col)
            if value is not None:
                stamps[f] = _timestamp(value, col, self._formats.get(col))
        created, closed = stamps.get("created_at"), stamps.get("closed_at")
        if created is not None and closed is not None and closed < created:
            raise BadRow(RowProblem.CLOSED_BEFORE_CREATED)

        outcome = self._outcome(values)
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
            created_at=created,
            first_contact_at=stamps.get("first_contact_at"),
            last_activity_at=stamps.get("last_activity_at"),
            closed_at=closed,
            lost_reason=(lost_reason or LOST_REASON_DEFAULT) if outcome == Outcome.LOST else None,
            contacts=contacts,
        )

    def _outcome(self, values: dict[str | None, str | None]) -> Outcome:
        spec = self.m.outcome
        if spec is None:
            return Outcome.OPEN
        if spec.join is not None:
            key = values.get(spec.join.column)
            return Outcome(spec.join.found if key is not None and key in self.joined else spec.join.not_found)
        raw = values.get(spec.column) if spec.column else None
        if raw is None or raw in spec.open:
            return Outcome.OPEN
        if raw in spec.won:
            return Outcome.WON
        if raw in spec.lost:
            return Outcome.LOST
        allowed = sorted(spec.won | spec.lost | spec.open)
        raise BadRow(RowProblem.UNKNOWN_OUTCOME, column=spec.column, value=raw, allowed=allowed)


def _domain(spec: ValueMap, raw: str | None) -> str | None:
    """The value map's domain; with ``extend_catalogue`` an unmapped value is a domain itself (lower case)."""
    mapped = spec.values.get(raw or "")
    if mapped is not None or raw is None or not spec.extend:
        return mapped if mapped is not None else spec.default
    domain = normal_domain(raw)
    if len(domain) > DOMAIN_MAX:
        raise BadRow(RowProblem.TOO_LONG, column=spec.column, limit=DOMAIN_MAX)
    return domain or spec.default


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


def _timestamp(value: str, col: str, fmt: str | None = None) -> datetime:
    """ISO 8601, or ``fmt`` (``[columns."Created"] format``, strptime's); naive means UTC."""
    try:
        ts = datetime.strptime(value, fmt) if fmt else datetime.fromisoformat(value)
    except ValueError:
        raise BadRow(RowProblem.NOT_A_TIMESTAMP, column=col, value=value, allowed=(fmt,) if fmt else ()) from None
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
