"""Reports in English for the command line: ``leadcrm import`` (rows read, bad rows and why) and
``leadcrm train | rescore | model`` (the bot words the same scorer data in the reader's language:
bot/render/scoring.py)."""

from __future__ import annotations

from collections.abc import Mapping

from api.words import describe
from core.imports.errors import FileKind, FileProblem, UnreadableFile
from core.imports.mapping import MappingError
from core.imports.matching import Conflict, ConflictReason, ContactMatch
from core.imports.rows import TIMESTAMP_MAX, TIMESTAMP_MIN, BadRow, RowProblem
from core.services.importer import ImportReport, RowError
from core.services.training import ModelInfo, RescoreReport, TrainReport, TrainStatus


def _candidates(candidates: Mapping[str, Mapping[str, float]]) -> list[str]:
    return [
        f"candidate {name}: CV ROC AUC {m['cv_auc']:.3f}, CV Brier {m['cv_brier']:.3f}"
        for name, m in candidates.items()
    ]


def train_head(r: TrainReport) -> str:
    if r.status == TrainStatus.NOT_ENOUGH_DATA:
        return (
            f"Not enough history to train: {r.n_closed} closed leads ({r.n_won} won, {r.n_lost} lost); "
            f"need at least {r.min_closed} with {r.min_per_class} of each outcome. Scoring stays on {r.scorer}."
        )
    figures = f"held-out ROC AUC {r.auc:.3f} vs {r.compared_auc:.3f} of {r.compared_with}"
    if r.status == TrainStatus.ACTIVATED:
        return f"Model {r.version} is now active: {figures}."
    return f"Model {r.version} was stored but not activated: {figures}; {r.compared_with} stays active."


def train_lines(r: TrainReport) -> list[str]:
    lines = [train_head(r), f"closed leads: {r.n_won} won, {r.n_lost} lost", *_candidates(r.candidates)]
    if r.version:
        lines.append(f"held-out: {r.version} ROC AUC {r.auc:.3f}, Brier {r.brier:.3f}")
        lines.append(f"held-out: {r.compared_with} ROC AUC {r.compared_auc:.3f}, Brier {r.compared_brier:.3f}")
    if r.status != TrainStatus.NOT_ENOUGH_DATA:
        lines.append(f"took {r.seconds:.1f} s")
    return lines


def model_lines(info: ModelInfo) -> list[str]:
    head = f"active scorer: {info.version} ({info.algorithm or 'hand rule of the original service'})"
    if not info.is_learned:
        return [head]
    other = info.metrics.get("compared_with", "?")
    other_auc = float(info.metrics.get("compared_auc", float("nan")))
    return [
        head,
        f"trained at {info.trained_at:%Y-%m-%d %H:%M} UTC on {info.n_won} won / {info.n_lost} lost leads",
        f"held-out ROC AUC {info.auc:.3f}, Brier {info.brier:.3f} (vs {other}: ROC AUC {other_auc:.3f})",
        f"features: {len(info.features)}",
        *_candidates(info.metrics.get("candidates") or {}),
    ]


def rescore_summary(r: RescoreReport) -> str:
    return f"re-scored {r.leads} open leads with {r.version} in {r.batches} batches, {r.seconds:.1f} s"


def import_summary(r: ImportReport) -> str:
    return (
        f"{r.rows} rows read: {r.inserted} leads added, {r.updated} updated by external id, "
        f"{r.matched} matched by contact ({r.won} won, {r.lost} lost, {r.open} open), "
        f"{r.error_count} bad rows and {r.conflict_count} conflicts skipped in {r.seconds:.1f} s"
        + (f"; {r.assigned} new open leads assigned by the team's rule" if r.assigned else "")
    )


def import_details(r: ImportReport, shown: int) -> list[str]:
    """What the mapping decided for the whole file (derived ids, new domains), then up to ``shown`` rows of each
    kind after the summary: matched by contact, conflicts, bad rows."""
    lines: list[str] = []
    if r.id_columns:
        lines.append(
            f"the file has no external id: external ids derived from the columns {', '.join(r.id_columns)} "
            "(the same row imported again updates its lead)"
        )
    if r.joined_keys is not None:
        lines.append(f"outcome joined from a second file: {r.joined_keys} keys")
    if r.new_domains:
        lines.append(f"new business domains: {', '.join(r.new_domains)} (not in BUSINESS_DOMAINS)")
    sections: list[tuple[str, list[str], int]] = [
        ("matched by contact", [contact_match(m) for m in r.matches[:shown]], r.matched),
        ("skipped as conflicts", [conflict(c) for c in r.conflicts[:shown]], r.conflict_count),
        ("bad rows", [row_error(e) for e in r.errors[:shown]], r.error_count),
    ]
    for title, items, total in sections:
        if not items:
            continue
        lines.append(f"{title}:")
        lines += [f"  {item}" for item in items]
        if total > len(items):
            lines.append(f"  … and {total - len(items)} more")
    return lines


def contact_match(m: ContactMatch) -> str:
    return f"line {m.line}: '{m.value}' -> lead #{m.lead_id} (now external id '{m.external_id}')"


def conflict(c: Conflict) -> str:
    """Why a row was skipped as a conflict, in English."""
    match c.reason:
        case ConflictReason.OTHER_EXTERNAL_ID:
            why = f"'{c.value}' belongs to lead #{c.lead_ids[0]}, which has external id '{c.lead_external_id}'"
        case ConflictReason.SEVERAL_LEADS:
            why = f"the row's contacts belong to {len(c.lead_ids)} leads: " + ", ".join(f"#{i}" for i in c.lead_ids)
        case ConflictReason.SAME_CONTACT_IN_FILE:
            why = f"'{c.value}' is already on line {c.other_line} of this file"
    return f"line {c.line} (external id '{c.external_id}'): {why}"


NOTHING_IMPORTED = "nothing was imported"
FILE_KINDS = {FileKind.CSV: "CSV file", FileKind.MAPPING: "mapping file"}


def import_failed(err: UnreadableFile | MappingError) -> list[str]:
    """Why the import stopped before storing anything: one line, or the mapping's problems one per line."""
    if isinstance(err, UnreadableFile):
        return [f"error: {unreadable_file(err)}; {NOTHING_IMPORTED}"]
    if len(err.problems) == 1:
        return [f"error: mapping: {err.problems[0]}; {NOTHING_IMPORTED}"]
    return [
        f"error: the mapping has {len(err.problems)} problems; {NOTHING_IMPORTED}",
        *(f"  - {p}" for p in err.problems),
    ]


def unreadable_file(err: UnreadableFile) -> str:
    where = f"{FILE_KINDS[err.kind]} {err.path}" + (f", line {err.line}" if err.line is not None else "")
    match err.problem:
        case FileProblem.MISSING:
            return f"{FILE_KINDS[err.kind]} not found: {err.path}"
        case FileProblem.NOT_A_FILE:
            return f"{where}: a directory, not a file"
        case FileProblem.NOT_READABLE:
            return f"{where}: cannot be read ({err.detail})"
        case FileProblem.NOT_TEXT:
            return f"{where}: not {err.encoding} text ({err.detail})"
        case FileProblem.BROKEN_CSV:
            return f"{where}: broken CSV ({err.detail})"


def row_error(e: RowError) -> str:
    return f"line {e.line}: {bad_row(e.problem)}"


def bad_row(b: BadRow) -> str:
    """Why a row was skipped, in English."""
    column = f"column '{b.column}'"
    match b.problem:
        case RowProblem.EXTRA_CELLS:
            return "more cells than the header has columns"
        case RowProblem.NO_EXTERNAL_ID:
            return f"{column} (external id) is empty"
        case RowProblem.EXTERNAL_ID_TOO_LONG:
            return f"external id longer than {b.limit} characters"
        case RowProblem.INVALID_VALUE:
            return describe(b.error) if b.error is not None else "invalid value"
        case RowProblem.TOO_LONG:
            return f"{column}: longer than {b.limit} characters"
        case RowProblem.CLOSED_BEFORE_CREATED:
            return "closed before it was created"
        case RowProblem.UNKNOWN_OUTCOME:
            return f"{column}: unknown outcome '{b.value}' (expected one of {', '.join(b.allowed)})"
        case RowProblem.NOT_A_TIMESTAMP:
            if b.allowed:
                return f"{column}: '{b.value}' is not a date/time in the format {b.allowed[0]}"
            return f"{column}: '{b.value}' is not a date/time (expected ISO 8601, e.g. 2024-05-01T10:00)"
        case RowProblem.TIMESTAMP_OUT_OF_RANGE:
            return f"{column}: '{b.value}' is outside the years {TIMESTAMP_MIN.year}..{TIMESTAMP_MAX.year - 1}"
        case RowProblem.NOT_A_NUMBER:
            return f"{column}: '{b.value}' is not a number"
        case RowProblem.NOT_FINITE:
            return f"{column}: '{b.value}' is not a finite number"
        case RowProblem.NOT_A_COUNT:
            return f"{column}: '{b.value}' is not a whole non-negative count"
        case RowProblem.COUNT_TOO_LARGE:
            return f"{column}: '{b.value}' is more than {b.limit} activities in all"
        case RowProblem.NUL_CHARACTER:
            return f"{column}: contains a NUL character (\\x00)"
        case RowProblem.DUPLICATE:
            return f"external id '{b.value}' already appears on line {b.other_line}"
