"""The mapping file of ``leadcrm import FILE.csv --mapping M.toml``: which CSV column feeds which lead field.

Mapping file (all column names are CSV header names; see ``mappings/xeducation.toml``)::

    include = "base.toml"              # optional: start from another mapping, then add/override

    [csv]
    delimiter = ","                    # default ","
    encoding = "utf-8"                 # default "utf-8-sig"
    missing = ["", "Select"]           # cell values that mean "not filled in"

    [lead]
    external_id = "Prospect ID"        # re-import updates the lead with this id; required unless id_columns:
    # id_columns = ["Email", "Created"]  # no id column: each row's id derived from these cells (or "mapped")
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
    extend_catalogue = false           # true: an unmapped value is a domain itself (lower case), reported new

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
    # or, instead of column/won/lost/open, the outcome from a second file (beside the CSV), keys only kept:
    # join = { file = "closed_deals.csv", key = "mql_id", column = "mql_id", found = "won", not_found = "lost" }

    [columns."Created"]                # per column, optional
    format = "%d-%m-%Y"                # a strptime format instead of ISO 8601 (timestamps)
    missing = ["999", "never"]         # more missing markers for this column only

Business domains: a value maps only to a domain of the catalogue (``BUSINESS_DOMAINS`` setting);
unmapped values are kept in the ``attribute`` only, the lead's domain stays empty — unless
``extend_catalogue = true``: then the file's own values are domains and the report names those that are
not in the catalogue (add them to ``BUSINESS_DOMAINS`` for the bot to offer them on other leads).

Derived ids: ``row-`` and a BLAKE2b hash of the ``id_columns`` cells (stripped, missing markers as empty),
so the same row imported again updates its lead; ``"mapped"`` takes every mapped column except those that
change as a lead moves on (outcome, close time, lost reason, last activity, activity counts). The N-th row
with the same cells gets ``-N`` after the hash: rows that look alike are separate leads (the duplicate guard
still matches them by contact), and the same file imported again gives each the same id.

What happens to a row is in :mod:`core.imports.rows` (one row -> one ``ImportedLead``) and
:mod:`core.services.importer` (the whole file: batches, duplicates, the report).
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeGuard

from core.domain.enums import ActivityKind, Source
from core.domain.validation import ATTRIBUTE_KEY_MAX, ATTRIBUTES_MAX_KEYS
from core.imports.errors import FileKind, cannot_open
from core.imports.sections import column_options_of, outcome_spec
from core.imports.spec import (
    CONTACT_COLUMNS_KEY,
    CONTACT_COLUMNS_MAX,
    DOMAIN_MAX,
    EXTEND_KEY,
    ID_COLUMNS_DEFAULT,
    ID_COLUMNS_KEY,
    LEAD_FIELDS,
    TIMESTAMP_FIELDS,
    AttributeSpec,
    ColumnOptions,
    JoinSpec,
    Mapping,
    MappingError,
    OutcomeSpec,
    ValueMap,
    normal_domain,
)

__all__ = [
    "DOMAIN_MAX",
    "TIMESTAMP_FIELDS",
    "AttributeSpec",
    "ColumnOptions",
    "JoinSpec",
    "Mapping",
    "MappingError",
    "OutcomeSpec",
    "ValueMap",
    "load_mapping",
    "normal_domain",
    "parse_mapping",
]


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
        outcome = outcome_spec(out_t, problems)
    column_options = column_options_of(table("columns"), problems)

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
