"""Import historical leads from CSV with a TOML mapping (``leadcrm import FILE.csv --mapping M.toml``).

The mapping file is described in :mod:`core.imports.mapping`, one row's parsing in :mod:`core.imports.rows`;
this module reads the whole file, skips bad and duplicate rows, and stores the good ones batch by batch
through ``uow.imports``.

All or nothing per file: every batch is written in one transaction, committed after the last row. A problem
with the file itself (``UnreadableFile`` — undecodable bytes or broken CSV at line 50,502 — or a
``MappingError``) is raised and rolls back every batch already written, so a file never lands by halves.
The file is streamed; at most two batches of ``ImportedLead`` are in memory (the one being stored and the next,
parsed meanwhile in a worker thread: :func:`_pipelined`). The duplicate guard's memory of the file (the first
line of each external id and contact) is a temporary table of the file's transaction
(``uow.imports.seen_in_file`` / ``remember_in_file``: one query each per batch), so the importer's memory does
not grow with the file (``bench/import.py``); only the ids of the new open leads, for their owners, are kept.
One transaction rather than a staging table merged at the end, because the upsert already works on a batch's
temporary table and only the commit had to move.

Duplicate guard: a row whose external id an earlier row of the file had is a bad row (``DUPLICATE``, with that
line). Each batch is looked up in one query (``uow.imports.find_leads``) and matched by
:class:`core.imports.matching.Matcher`: external id first, then contact (the rules are written there); rows
found by contact update that lead, conflicts are skipped and reported (``ImportReport.conflicts``).

Outcome won -> the lead is ``transferred`` and gets a ``paid`` sale; lost -> the lead is ``lost``; both
with stage-history rows (actor ``import``), so they look like real closed leads. Bad rows are reported
with their line number and reason; the good rows are imported.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.domain.clock import utcnow
from core.domain.enums import Outcome
from core.domain.models import Actor
from core.imports.mapping import Mapping, load_mapping
from core.imports.matching import Conflict, ContactMatch, Matcher
from core.imports.reading import read_keys, read_rows
from core.imports.records import ImportedLead
from core.imports.rows import BadRow, RowParser, RowProblem
from core.services import webhooks
from core.services.assignment import assign_new
from core.services.context import Policy
from core.services.ports import UnitOfWork

IMPORT_ACTOR = "import"

MAX_REPORTED_ERRORS = 10_000
MAX_REPORTED_MATCHES = 10_000  # examples kept in the report (the counts are always whole)
BATCH_ROWS = 50_000
EXTERNAL_ID = "ext"  # the duplicate guard's kind for external ids (contacts use their kind: phone, email, …)


@dataclass(frozen=True)
class RowError:
    """A row that was skipped: its line and why (``cli.reports.row_error`` says it in words)."""

    line: int
    problem: BadRow


@dataclass
class ImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0  # by external id
    matched: int = 0  # existing leads found by contact (external id attached, empty fields filled)
    won: int = 0
    lost: int = 0
    open: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    seconds: float = 0.0
    assigned: int = 0  # new open leads given an owner by the team's rule
    matches: list[ContactMatch] = field(default_factory=list)  # the first MAX_REPORTED_MATCHES
    conflicts: list[Conflict] = field(default_factory=list)  # the first MAX_REPORTED_MATCHES
    conflict_count: int = 0  # rows skipped as conflicts
    id_columns: tuple[str, ...] = ()  # the file has no external id: ids derived from these columns' cells
    joined_keys: int | None = None  # [outcome] join: how many keys the second file has
    new_domains: tuple[str, ...] = ()  # [business_domain] extend_catalogue: domains not in the catalogue before

    @property
    def imported(self) -> int:
        return self.inserted + self.updated + self.matched

    def count(self, outcome: Outcome) -> None:
        if outcome == Outcome.WON:
            self.won += 1
        elif outcome == Outcome.LOST:
            self.lost += 1
        else:
            self.open += 1


async def import_csv(
    uow: UnitOfWork,
    domains: frozenset[str],
    csv_path: str | Path,
    mapping: Mapping | str | Path,
    *,
    policy: Policy | None = None,
) -> ImportReport:
    """Parse, validate and bulk-upsert in batches of ``BATCH_ROWS`` good rows, all in one transaction. The new
    open leads get owners by the team's rule (``policy``'s default unless an admin chose one) in the same
    transaction, with one statement (``core.services.assignment.assign_new``)."""
    started = time.perf_counter()
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping, domains)
    policy = policy or Policy(domains=domains)
    report = ImportReport()
    new_open: list[int] = []
    new_domains: set[str] = set()
    path = Path(csv_path)

    def bad(line: int, problem: BadRow) -> None:
        report.error_count += 1
        if len(report.errors) < MAX_REPORTED_ERRORS:
            report.errors.append(RowError(line, problem))

    async def flush(parsed: list[ImportedLead]) -> None:
        keys = [(EXTERNAL_ID, lead.external_id) for lead in parsed]
        keys += [(c.kind.value, c.normal) for lead in parsed for c in lead.contacts]
        earlier = await uow.imports.seen_in_file(keys)
        batch = without_duplicates(parsed, earlier)
        plan = Matcher(earlier).plan(batch, await uow.imports.find_leads(batch))
        first = {(EXTERNAL_ID, lead.external_id): lead.line for lead in batch}
        for lead in plan.rows:  # a row updated by its external id may share a contact with an earlier one
            for c in lead.contacts:
                first.setdefault((c.kind.value, c.normal), lead.line)
        await uow.imports.remember_in_file([(*key, line) for key, line in first.items() if key not in earlier])
        report.conflict_count += len(plan.conflicts)
        report.conflicts.extend(plan.conflicts[: MAX_REPORTED_MATCHES - len(report.conflicts)])
        report.matches.extend(plan.matches[: MAX_REPORTED_MATCHES - len(report.matches)])
        if not plan.rows:
            return
        for lead in plan.rows:
            report.count(lead.outcome)
        counts = await uow.imports.upsert_leads(plan.rows, utcnow(), plan.matched)
        report.inserted += counts.inserted
        report.updated += counts.updated
        report.matched += counts.matched
        new_open.extend(counts.new_open_ids)

    def without_duplicates(parsed: list[ImportedLead], earlier: dict[tuple[str, str], int]) -> list[ImportedLead]:
        """The rows whose external id no earlier row of the file had (the others are reported as duplicates)."""
        first = {key[1]: line for key, line in earlier.items() if key[0] == EXTERNAL_ID}
        batch: list[ImportedLead] = []
        for lead in parsed:
            if (other := first.setdefault(lead.external_id, lead.line)) != lead.line:
                bad(lead.line, BadRow(RowProblem.DUPLICATE, value=lead.external_id, other_line=other))
                continue
            if lead.business_domain is not None and lead.business_domain not in domains:
                new_domains.add(lead.business_domain)
            batch.append(lead)
        return batch

    def batches(rows: Iterator[tuple[int, list[str]]], parser: RowParser) -> Iterator[list[ImportedLead]]:
        """The file's parsed rows, ``BATCH_ROWS`` at a time (bad rows go to the report)."""
        batch: list[ImportedLead] = []
        for line, row in rows:
            report.rows += 1
            try:
                lead = parser.parse(row, line)
            except BadRow as err:
                bad(line, err)
                continue
            batch.append(lead)
            if len(batch) >= BATCH_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch

    joined: frozenset[str] = frozenset()
    if mapping.outcome is not None and mapping.outcome.join is not None:
        joined = read_keys(path.parent / mapping.outcome.join.file, mapping, mapping.outcome.join.key)
        report.joined_keys = len(joined)
    report.id_columns = mapping.id_columns if mapping.derived_id else ()

    async with uow:
        await uow.imports.start_file()
        rows = read_rows(path, mapping)
        _, header = next(rows)
        parser = RowParser(mapping, header, policy.phone_region, joined)
        await _pipelined(batches(rows, parser), flush)
        if new_open:
            pick = await assign_new(uow, policy, Actor.system(IMPORT_ACTOR), new_open)
            report.assigned = sum(owner is not None for owner in pick.owners)
            await webhooks.leads_imported(uow, new_open, utcnow())  # lead.created, as the rows are now
        await uow.commit()
    report.errors.sort(key=lambda error: error.line)  # parse errors and duplicates are found at different times
    report.new_domains = tuple(sorted(new_domains))
    report.seconds = time.perf_counter() - started
    return report


async def _pipelined(
    batches: Iterator[list[ImportedLead]], store: Callable[[list[ImportedLead]], Awaitable[None]]
) -> None:
    """Store each batch while the next one is read and parsed in a worker thread: PostgreSQL writing batch N
    and Python parsing batch N+1 overlap (the socket wait releases the GIL), so the import takes about the
    longer of the two rather than their sum (``bench/import.py``), and the event loop is never blocked by a
    parse. At most two batches are in memory. The batches come one at a time from the same generator
    (never two threads at once); a parse error surfaces here, after the batch being stored."""

    def take() -> list[ImportedLead] | None:
        return next(batches, None)

    pending = asyncio.ensure_future(asyncio.to_thread(take))
    try:
        while (batch := await pending) is not None:
            pending = asyncio.ensure_future(asyncio.to_thread(take))
            await store(batch)
    finally:
        if not pending.done():  # storing failed: let the parse finish (a thread cannot be cancelled)
            await asyncio.wait({pending})
        if not pending.cancelled():
            pending.exception()  # retrieved: the error that counts is the one being raised
