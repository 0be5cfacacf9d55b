"""Reading the ``[outcome]`` section (a column's values, or ``join``: a second file) and ``[columns]`` (a date
format and missing markers per column) of a mapping file; :func:`core.imports.mapping.parse_mapping` calls them
with its list of problems."""

from __future__ import annotations

from typing import Any

from core.imports.spec import OUTCOMES, ColumnOptions, JoinSpec, OutcomeSpec


def outcome_spec(out_t: dict[str, Any], problems: list[str]) -> OutcomeSpec:
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


def column_options_of(tbl: dict[str, Any], problems: list[str]) -> dict[str, ColumnOptions]:
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
