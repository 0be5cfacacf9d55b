"""The mapping file of ``leadcrm import FILE.csv --mapping M.toml``: which CSV column feeds which lead field.

Mapping file (all column names are CSV header names; see ``mappings/xeducation.toml``)::

    include = "base.toml"              # optional: start from another mapping, then add/override

    [csv]
    delimiter = ","                    # default ","
    encoding = "utf-8"                 # default "utf-8-sig"
    missing = ["", "Select"]           # cell values that mean "not filled in"

    [lead]
    external_id = "Prospect ID"        # required: re-import updates the lead with this id
    name = "Company"                   # optional columns
    contact = "Phone"                  # the primary contact (shown on the card)
    contacts = ["E-mail", "Telegram"]  # optional: more contact columns (a phone, an e-mail or a @username each)
    created_at = "Created"             # ISO 8601 timestamps (naive = UTC)
    first_contact_at = "First call"
    last_activity_at = "Last touch"
    closed_at = "Closed"
    lost_reason = "Why lost"

    [source]                           # required; target values: scanner / partner / manual
    column = "Lead Source"
    attribute = "lead_source"          # optional: keep the raw value as an attribute too
    default = "manual"                 # for values not in the map (and empty cells)
    values = { "Reference" = "partner", "Google" = "scanner" }

    [business_domain]                  # optional
    column = "Specialization"
    attribute = "specialization"
    values = { "Finance Management" = "fintech" }

    [[attributes]]                     # one per column: numeric or categorical
    column = "TotalVisits"
    name = "total_visits"              # attribute key (default: the column name)
    type = "numeric"

    [activity_counts]                  # activity kind -> column with a count
    call = "Calls"

    [outcome]                          # optional; other non-empty values are bad rows
    column = "Converted"
    won = ["1"]
    lost = ["0"]
    open = []                          # values meaning "still open" (an empty cell is open too)

Business domains: a value maps only to a domain of the catalogue (``BUSINESS_DOMAINS`` setting);
unmapped values are kept in the ``attribute`` only, the lead's domain stays empty. To use more
domains, extend the catalogue in the settings — the import never invents domains.

What happens to a row is in :mod:`core.imports.rows` (one row -> one ``ImportedLead``) and
:mod:`core.services.importer` (the whole file: batches, duplicates, the report).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeGuard

from core.domain.enums import ActivityKind, Source
from core.domain.errors import DomainError
from core.domain.validation import ATTRIBUTE_KEY_MAX, ATTRIBUTES_MAX_KEYS
from core.imports.errors import FileKind, cannot_open

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


def _read_toml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        raise MappingError([f"'{path.name}' includes itself"])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise cannot_open(path, FileKind.MAPPING, err) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise MappingError([f"{path.name} is not valid TOML: {err}"]) from None
    include = data.pop("include", None)
    if include is None:
        return data
    if not isinstance(include, str):
        raise MappingError(["include: expected a file name"])
    base = _read_toml(path.parent / include, (*seen, path))
    for key, value in data.items():
        if key == "attributes" and isinstance(value, list):
            base["attributes"] = [*base.get("attributes", []), *value]
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def normal_domain(value: str) -> str:
    """A business domain as the catalogue holds it (``BUSINESS_DOMAINS`` is lower-cased the same way)."""
    return " ".join(value.split()).lower()


def _is_attribute_name(name: object) -> TypeGuard[str]:
    """A key of the lead's ``attributes`` (jsonb, which cannot hold U+0000)."""
    return isinstance(name, str) and 1 <= len(name) <= ATTRIBUTE_KEY_MAX and "\x00" not in name


def _is_text_encoding(name: object) -> bool:
    if not isinstance(name, str):
        return False
    try:
        "".encode(name)  # refuses unknown names and codecs that are not text (base64, rot13) alike
    except LookupError:
        return False
    return True


def load_mapping(path: str | Path, domains: frozenset[str]) -> Mapping:
    return parse_mapping(_read_toml(Path(path)), domains)


def parse_mapping(data: dict[str, Any], domains: frozenset[str]) -> Mapping:
    problems: list[str] = []
    known = {"csv", "lead", "source", "business_domain", "attributes", "activity_counts", "outcome", "columns"}
    for key in sorted(set(data) - known):
        problems.append(f"unknown section '{key}' (expected: {', '.join(sorted(known))})")

    def table(name: str, required: bool = False) -> dict[str, Any]:
        value = data.get(name)
        if value is None:
            if required:
                problems.append(f"[{name}] is required")
            return {}
        if not isinstance(value, dict):
            problems.append(f"[{name}] must be a table")
            return {}
        return value

    def column(section: str, tbl: dict[str, Any], key: str, required: bool = True) -> str | None:
        value = tbl.get(key)
        if value is None:
            if required:
                problems.append(f"[{section}] {key}: a column name is required")
            return None
        if not isinstance(value, str) or not value:
            problems.append(f"[{section}] {key}: expected a column name (text)")
            return None
        return value

    csv_t = table("csv")
    missing = csv_t.get("missing", [""])
    if not isinstance(missing, list) or not all(isinstance(m, str) for m in missing):
        problems.append("[csv] missing: expected a list of texts")
        missing = [""]
    delimiter = csv_t.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        problems.append("[csv] delimiter: expected one character")
        delimiter = ","
    encoding = csv_t.get("encoding", "utf-8-sig")
    if not _is_text_encoding(encoding):
        problems.append(f"[csv] encoding: {encoding!r} is not a text encoding Python knows (e.g. utf-8, cp1251)")

    lead_t = table("lead", required=True)
    lead: dict[str, str] = {}
    lead_keys = (*LEAD_FIELDS, CONTACT_COLUMNS_KEY, ID_COLUMNS_KEY)
    for key in sorted(set(lead_t) - set(lead_keys)):
        problems.append(f"[lead] unknown field '{key}' (expected: {', '.join(lead_keys)})")
    id_columns = lead_t.get(ID_COLUMNS_KEY, [])
    derive_default = id_columns == ID_COLUMNS_DEFAULT
    if derive_default:
        id_columns = []
    elif not isinstance(id_columns, list) or not all(isinstance(c, str) and c for c in id_columns):
        problems.append(f'[lead] {ID_COLUMNS_KEY}: expected a list of column names or "{ID_COLUMNS_DEFAULT}"')
        id_columns = []
    derive = derive_default or bool(id_columns)
    if derive and "external_id" in lead_t:
        problems.append(f"[lead] {ID_COLUMNS_KEY}: only without external_id (the id is then derived from them)")
    elif not derive and "external_id" not in lead_t:
        problems.append(
            f"[lead] external_id: a column name is required (or {ID_COLUMNS_KEY} = [...] or "
            f'"{ID_COLUMNS_DEFAULT}" to derive each row\'s id from its cells)'
        )
    contact_columns = lead_t.get(CONTACT_COLUMNS_KEY, [])
    if not isinstance(contact_columns, list) or not all(isinstance(c, str) and c for c in contact_columns):
        problems.append(f"[lead] {CONTACT_COLUMNS_KEY}: expected a list of column names")
        contact_columns = []
    elif len(contact_columns) > CONTACT_COLUMNS_MAX:
        problems.append(f"[lead] {CONTACT_COLUMNS_KEY}: at most {CONTACT_COLUMNS_MAX} columns")
    for key in LEAD_FIELDS:
        col = column("lead", lead_t, key, required=False)
        if col:
            lead[key] = col

    def value_map(section: str, allowed: set[str], required: bool) -> ValueMap | None:
        tbl = table(section, required=required)
        if not tbl:
            return None
        col = column(section, tbl, "column")
        extend = tbl.get(EXTEND_KEY, False)
        if extend is not False and (section != "business_domain" or extend is not True):
            problems.append(f"[{section}] {EXTEND_KEY}: only in [business_domain], true or false")
            extend = False
        values = tbl.get("values", {})
        if not isinstance(values, dict):
            problems.append(f"[{section}] values: expected a table of raw value = target")
            values = {}
        if extend:  # any target is a domain then; written as the catalogue writes them (lower case)
            values = {k: normal_domain(v) if isinstance(v, str) else v for k, v in values.items()}
            allowed = allowed | {v for v in values.values() if isinstance(v, str) and 0 < len(v) <= DOMAIN_MAX}
        for raw, target in values.items():
            if target not in allowed:
                problems.append(
                    f"[{section}] values: '{raw}' -> '{target}': target must be one of {', '.join(sorted(allowed))}"
                )
        default = tbl.get("default")
        if default is not None and default not in allowed:
            problems.append(f"[{section}] default '{default}' must be one of {', '.join(sorted(allowed))}")
        attribute = tbl.get("attribute")
        if attribute is not None and not _is_attribute_name(attribute):
            problems.append(f"[{section}] attribute: expected a name of 1..{ATTRIBUTE_KEY_MAX} characters, no NUL")
        return ValueMap(col or "", {str(k): str(v) for k, v in values.items()}, attribute, default, extend)

    source = value_map("source", {s.value for s in Source}, required=True)
    domain = value_map("business_domain", set(domains), required=False)

    attributes: list[AttributeSpec] = []
    raw_attrs = data.get("attributes", [])
    if not isinstance(raw_attrs, list):
        problems.append("[[attributes]] must be an array of tables")
        raw_attrs = []
    for i, item in enumerate(raw_attrs, 1):
        if not isinstance(item, dict) or not isinstance(item.get("column"), str):
            problems.append(f"[[attributes]] #{i}: 'column' is required")
            continue
        name = item.get("name", item["column"])
        kind = item.get("type", "categorical")
        if kind not in ("numeric", "categorical"):
            problems.append(f"[[attributes]] '{item['column']}': type must be 'numeric' or 'categorical', not '{kind}'")
        if not _is_attribute_name(name):
            problems.append(
                f"[[attributes]] '{item['column']}': name must be 1..{ATTRIBUTE_KEY_MAX} characters, no NUL"
            )
            continue
        attributes.append(AttributeSpec(item["column"], name, kind))
    names = [a.name for a in attributes]
    names += [m.attribute for m in (source, domain) if m is not None and m.attribute]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"attribute names used twice: {', '.join(dupes)}")
    if len(set(names)) > ATTRIBUTES_MAX_KEYS:
        problems.append(f"at most {ATTRIBUTES_MAX_KEYS} attributes per lead")

    acts = table("activity_counts")
    kinds = {k.value for k in ActivityKind}
    activity_counts: dict[str, str] = {}
    for kind, col in acts.items():
        if kind not in kinds:
            problems.append(f"[activity_counts] '{kind}' is not an activity kind ({', '.join(sorted(kinds))})")
        elif not isinstance(col, str):
            problems.append(f"[activity_counts] {kind}: expected a column name")
        else:
            activity_counts[kind] = col

    outcome: OutcomeSpec | None = None
    out_t = table("outcome")
    if out_t:
        outcome = _outcome_spec(out_t, problems)
    column_options = _column_options(table("columns"), problems)

    if problems:
        raise MappingError(problems)
    assert source is not None
    mapping = Mapping(
        lead=lead,
        source=source,
        business_domain=domain,
        attributes=tuple(attributes),
        activity_counts=activity_counts,
        outcome=outcome,
        missing=frozenset(missing),
        delimiter=delimiter,
        encoding=str(encoding),
        contact_columns=tuple(dict.fromkeys(contact_columns)),
        id_columns=tuple(dict.fromkeys(id_columns)),
        column_options=column_options,
    )
    unmapped = sorted(set(column_options) - mapping.columns())
    if unmapped:
        raise MappingError([f"[columns] '{c}' is not a mapped column" for c in unmapped])
    if mapping.derived_id and not mapping.id_columns:
        mapping = replace(mapping, id_columns=mapping.identity_columns())
    return mapping


def _outcome_spec(out_t: dict[str, Any], problems: list[str]) -> OutcomeSpec:
    join_t = out_t.get("join")
    if join_t is not None:
        return OutcomeSpec(None, join=_join_spec(join_t, "column" in out_t, problems))
    col = out_t.get("column")
    if not isinstance(col, str) or not col:
        problems.append("[outcome] column: a column name is required (or join = { file = ..., key = ... })")
    sets: dict[str, frozenset[str]] = {}
    for key in OUTCOMES:
        vals = out_t.get(key, [])
        if not isinstance(vals, list):
            problems.append(f"[outcome] {key}: expected a list of values")
            vals = []
        sets[key] = frozenset(str(v) for v in vals)
    if not sets["won"] or not sets["lost"]:
        problems.append("[outcome] needs at least one 'won' and one 'lost' value")
    overlap = (sets["won"] & sets["lost"]) | (sets["won"] & sets["open"]) | (sets["lost"] & sets["open"])
    if overlap:
        problems.append(f"[outcome] values in more than one list: {', '.join(sorted(overlap))}")
    return OutcomeSpec(col if isinstance(col, str) else "", sets["won"], sets["lost"], sets["open"])


def _join_spec(join_t: object, has_column: bool, problems: list[str]) -> JoinSpec | None:
    """``[outcome] join = { file = "closed_deals.csv", key = "mql_id", column = "mql_id", found = "won",
    not_found = "lost" }``: the outcome is whether the row's ``column`` value is a ``key`` of ``file``."""
    if not isinstance(join_t, dict):
        problems.append("[outcome] join: expected a table { file = ..., key = ... }")
        return None
    if has_column:
        problems.append("[outcome] column and join: the outcome comes from one of them, not both")
    for key in sorted(set(join_t) - {"file", "key", "column", "found", "not_found"}):
        problems.append(f"[outcome] join: unknown field '{key}' (expected: file, key, column, found, not_found)")
    texts = {k: join_t.get(k) for k in ("file", "key", "column")}
    for k in ("file", "key"):
        if not isinstance(texts[k], str) or not texts[k]:
            problems.append(f"[outcome] join: {k} is required (text)")
    if texts["column"] is not None and (not isinstance(texts["column"], str) or not texts["column"]):
        problems.append("[outcome] join: column: expected a column name (text)")
    found, not_found = join_t.get("found", "won"), join_t.get("not_found", "lost")
    for k, v in (("found", found), ("not_found", not_found)):
        if v not in OUTCOMES:
            problems.append(f"[outcome] join: {k} must be one of {', '.join(OUTCOMES)}, not {v!r}")
    if found == not_found:
        problems.append("[outcome] join: found and not_found must differ")
    if any(not isinstance(v, str) or not v for v in texts.values() if v is not None) or found not in OUTCOMES:
        return None
    key = str(texts["key"] or "")
    return JoinSpec(str(texts["file"] or ""), key, str(texts["column"] or key), str(found), str(not_found))


def _column_options(tbl: dict[str, Any], problems: list[str]) -> dict[str, ColumnOptions]:
    """``[columns."Created"] format = "%d-%m-%Y"`` and ``[columns."Days"] missing = ["999"]``."""
    options: dict[str, ColumnOptions] = {}
    for col, opts in tbl.items():
        if not isinstance(opts, dict):
            problems.append(f"[columns] '{col}': expected a table (format = ..., missing = [...])")
            continue
        for key in sorted(set(opts) - {"format", "missing"}):
            problems.append(f"[columns] '{col}': unknown option '{key}' (expected: format, missing)")
        fmt = opts.get("format")
        if fmt is not None and (not isinstance(fmt, str) or "%" not in fmt):
            problems.append(f"[columns] '{col}': format: expected a strptime format such as \"%d-%m-%Y\"")
            fmt = None
        missing = opts.get("missing", [])
        if not isinstance(missing, list) or not all(isinstance(v, str) for v in missing):
            problems.append(f"[columns] '{col}': missing: expected a list of texts (e.g. [\"999\"])")
            missing = []
        options[col] = ColumnOptions(fmt, frozenset(missing))
    return options
