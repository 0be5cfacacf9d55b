"""The types of a mapping file (:mod:`core.imports.mapping` reads one): which CSV column feeds which lead field,
and how a column is read."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.domain.errors import DomainError

TIMESTAMP_FIELDS = ("created_at", "first_contact_at", "last_activity_at", "closed_at")
LEAD_FIELDS = ("external_id", "name", "contact", "lost_reason", *TIMESTAMP_FIELDS)
CONTACT_COLUMNS_KEY = "contacts"  # [lead] contacts = [...]: more contact columns beside ``contact``
EXTEND_KEY = "extend_catalogue"  # [business_domain] extend_catalogue = true
ID_COLUMNS_KEY = "id_columns"  # [lead] id_columns = [...]: without external_id, the columns of the derived id
ID_COLUMNS_DEFAULT = "mapped"  # id_columns = "mapped": every mapped column that does not move (identity_columns)
OUTCOMES = ("won", "lost", "open")
DOMAIN_MAX = 100  # leads.business_domain is varchar(100)
CONTACT_COLUMNS_MAX = 10


class MappingError(DomainError):
    """The mapping file is unusable; ``problems`` lists every problem found, not just the first."""

    code = "mapping_error"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Mapping problems:\n  - " + "\n  - ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ValueMap:
    column: str
    values: dict[str, str]
    attribute: str | None = None
    default: str | None = None
    extend: bool = False  # [business_domain] extend_catalogue: unmapped values become domains of the catalogue


@dataclass(frozen=True)
class AttributeSpec:
    column: str
    name: str
    kind: str  # "numeric" | "categorical"


@dataclass(frozen=True)
class JoinSpec:
    """The outcome from a second file: a row whose ``column`` value is among the ``key`` column's values of
    ``file`` (relative to the imported CSV's folder) is ``found``, else ``not_found``."""

    file: str
    key: str
    column: str
    found: str = "won"
    not_found: str = "lost"


@dataclass(frozen=True)
class OutcomeSpec:
    column: str | None  # None when the outcome comes from ``join``
    won: frozenset[str] = frozenset()
    lost: frozenset[str] = frozenset()
    open: frozenset[str] = frozenset()
    join: JoinSpec | None = None


@dataclass(frozen=True)
class ColumnOptions:
    """``[columns."Name"]``: how to read one column: a date ``format`` (strptime) and its own missing markers."""

    format: str | None = None
    missing: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Mapping:
    lead: dict[str, str]  # field -> column (no external_id: derived from the ``id_columns`` of the row)
    source: ValueMap
    business_domain: ValueMap | None = None
    attributes: tuple[AttributeSpec, ...] = ()
    activity_counts: dict[str, str] = field(default_factory=dict)
    outcome: OutcomeSpec | None = None
    missing: frozenset[str] = frozenset({""})
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    contact_columns: tuple[str, ...] = ()  # [lead] contacts: more contact columns beside lead["contact"]
    id_columns: tuple[str, ...] = ()  # no [lead] external_id: the columns whose cells make the derived id
    column_options: dict[str, ColumnOptions] = field(default_factory=dict)

    @property
    def derived_id(self) -> bool:
        return "external_id" not in self.lead

    def columns(self) -> set[str]:
        cols = set(self.lead.values()) | set(self.contact_columns) | {self.source.column}
        if self.business_domain:
            cols.add(self.business_domain.column)
        cols |= {a.column for a in self.attributes}
        cols |= set(self.activity_counts.values())
        if self.outcome and self.outcome.column:
            cols.add(self.outcome.column)
        if self.outcome and self.outcome.join:
            cols.add(self.outcome.join.column)
        return cols | set(self.id_columns)

    def identity_columns(self) -> tuple[str, ...]:
        """The default ``id_columns``: every mapped column but those that change as a lead moves on (its
        outcome, close time, lost reason, last activity and activity counts), in a fixed order."""
        moving = {self.lead.get(f) for f in ("closed_at", "lost_reason", "last_activity_at")}
        moving |= set(self.activity_counts.values())
        if self.outcome:
            moving.add(self.outcome.column)
        return tuple(sorted(self.columns() - moving - {None}))


def normal_domain(value: str) -> str:
    """A business domain as the catalogue holds it (``BUSINESS_DOMAINS`` is lower-cased the same way)."""
    return " ".join(value.split()).lower()
