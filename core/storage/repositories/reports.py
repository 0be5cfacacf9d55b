"""The reports' aggregates on PostgreSQL (``uow.reports``): one or two statements per report, counts and medians
computed by the database (``count``, ``percentile_cont``, ``GROUPING SETS``), never leads loaded into Python.
Read-only; never commits.

The period is a half-open ``[start, end)`` on the event's own time column: ``leads.created_at`` (created),
``stage_changes.created_at`` (entered / left a stage, lost), ``activities.created_at``, ``sales.closed_at``
(paid / lost deals; ``ix_sales_closed``), ``sale_stage_changes.created_at`` (deal lost from a stage). Migration
0015 indexes them (bench/reports.py at 1 M leads showed each report scanning whole tables without).

No JIT: each statement runs after ``SET LOCAL jit = off``. The planner's cost of the funnel's exits counts the
per-row fallback subqueries (``never executed`` in EXPLAIN ANALYZE) and passes ``jit_above_cost`` and the
inlining/optimising thresholds, so PostgreSQL compiled that 30-day statement with LLVM (EXPLAIN at 1 M leads:
JIT 3.4 s summed over the parallel workers, on a cold backend). Interleaved in one run (bench/reports.py's
database, a shared machine): the team's funnel over a week p50 66 ms instead of 89 ms, the other reports within
noise. These aggregates read tens of thousands of index entries, where compiled expressions do not pay back
their compile time; ``SET LOCAL`` ends with the transaction, so nothing else on a pooled connection changes.
If a future PostgreSQL (or lower JIT thresholds) stops compiling these, this line is a harmless round trip.

A manager's scope adds ``leads.owner_id = :owner`` (activities: ``author = 'tg:<id>'``); the clause is left out
for the team rather than written ``(:owner IS NULL OR …)``, which would hide the index from the planner.

Time in a stage: a stage change in the period leaves ``from_stage``; the lead entered it at
``stage_changes.from_entered_at`` (written with the change since migration 0015, which filled the history).
Where that is NULL (an imported row), at its previous stage change (one probe of ``ix_stage_changes_lead_id_id``)
or its creation: COALESCE evaluates those subqueries only for such rows.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.enums import ActivityKind, LostReason, Source, Stage
from core.services.ports.reports import (
    OTHER_TEXTS,
    FunnelCounts,
    LostCount,
    LostCounts,
    ManagerCounts,
    OtherReason,
    ReportScope,
    ScoreBandCounts,
    SourceCounts,
    StageFlow,
)
from core.storage.repositories.base import BeforeWrite

BANDS = 5  # score bands of 0.2
# A lead looked up by its primary key for each event row (``OFFSET 0`` keeps PostgreSQL from flattening it into
# a join): the events of a period are a few thousand rows, and as a join the planner hashed the whole leads
# table for them (a parallel scan of 1 M rows and JIT compilation, ~400 ms, in bench/reports.py).
LEAD = (
    "CROSS JOIN LATERAL (SELECT x.id, x.owner_id, x.created_at, x.ai_score, x.merged_into_id FROM leads x"
    " WHERE x.id = {}.lead_id OFFSET 0) l"
)
AUTHOR_PREFIX = "tg:"
NO_JIT = text("SET LOCAL jit = off")


def _owner(scope: ReportScope, alias: str = "l") -> str:
    """The scope on the leads table: a manager's own leads; never a merged-away one (its history counts with its
    survivor, whose rows it was moved to; counted apart, each merged duplicate would be one more new lead)."""
    live = f" AND {alias}.merged_into_id IS NULL"
    return live + (f" AND {alias}.owner_id = :owner" if scope.owner_id is not None else "")


def _mine(scope: ReportScope, lead_id: str) -> str:
    """A manager's scope on an event table: its lead among theirs (a semi-join the planner answers from the owner's
    leads; a lookup of each event's lead would probe the whole period's events one by one)."""
    if scope.owner_id is None:
        return ""
    return f" AND {lead_id} IN (SELECT x.id FROM leads x WHERE x.owner_id = :owner)"


def _params(scope: ReportScope) -> dict[str, Any]:
    params: dict[str, Any] = {"s": scope.start, "e": scope.end}
    if scope.owner_id is not None:
        params["owner"] = scope.owner_id
        params["author"] = f"{AUTHOR_PREFIX}{scope.owner_id}"
    return params


# Leads closed in the period: won (sale paid), lost (sale lost, or the lead itself lost). The three are
# disjoint: a lead with a sale is transferred, so it cannot also be lost as a lead.
CLOSED = """
closed AS (
    SELECT s.lead_id, true AS won, s.amount, s.currency FROM sales s
     WHERE s.stage = 'paid' AND s.closed_at >= :s AND s.closed_at < :e
    UNION ALL
    SELECT s.lead_id, false, NULL, NULL FROM sales s
     WHERE s.stage = 'lost' AND s.closed_at >= :s AND s.closed_at < :e
    UNION ALL
    SELECT sc.lead_id, false, NULL, NULL FROM stage_changes sc
     WHERE sc.to_stage = 'lost' AND sc.created_at >= :s AND sc.created_at < :e
)"""


class SqlReportRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write  # never called: reports only read

    async def _rows(self, sql: str, scope: ReportScope, **extra: Any) -> list[Any]:
        await self.session.execute(NO_JIT)  # per statement: one round trip, and right whatever the caller's transaction
        return list((await self.session.execute(text(sql), {**_params(scope), **extra})).all())

    async def funnel(self, scope: ReportScope) -> FunnelCounts:
        entered = await self._rows(
            f"""
            SELECT 'new' AS stage, count(*) AS n FROM leads l
             WHERE l.created_at >= :s AND l.created_at < :e{_owner(scope)}
            UNION ALL
            SELECT CAST(sc.to_stage AS text), count(*) FROM stage_changes sc
             WHERE sc.created_at >= :s AND sc.created_at < :e{_mine(scope, "sc.lead_id")}
             GROUP BY sc.to_stage""",
            scope,
        )
        left = await self._rows(
            f"""
            SELECT CAST(sc.from_stage AS text) AS stage, count(*) AS n,
                   count(*) FILTER (WHERE sc.to_stage <> 'lost') AS advanced,
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM sc.created_at - coalesce(
                           sc.from_entered_at,
                           (SELECT p.created_at FROM stage_changes p
                             WHERE p.lead_id = sc.lead_id AND p.id < sc.id ORDER BY p.id DESC LIMIT 1),
                           (SELECT x.created_at FROM leads x WHERE x.id = sc.lead_id)
                       ))
                   ) AS median
              FROM stage_changes sc
             WHERE sc.created_at >= :s AND sc.created_at < :e{_mine(scope, "sc.lead_id")}
             GROUP BY sc.from_stage""",
            scope,
        )
        closed = await self._rows(
            f"""
            SELECT count(*) FILTER (WHERE s.stage = 'paid') AS won, count(*) FILTER (WHERE s.stage = 'lost') AS lost
              FROM sales s
             WHERE s.closed_at >= :s AND s.closed_at < :e{_mine(scope, "s.lead_id")}""",
            scope,
        )
        ins = {row.stage: int(row.n) for row in entered}
        outs = {row.stage: row for row in left}
        stages = []
        for stage in Stage:
            out = outs.get(stage.value)
            stages.append(
                StageFlow(
                    stage,
                    ins.get(stage.value, 0),
                    int(out.n) if out else 0,
                    float(out.median) if out and out.median is not None else None,
                    int(out.advanced) if out else 0,
                )
            )
        return FunnelCounts(stages, int(closed[0].won), int(closed[0].lost))

    async def managers(self, scope: ReportScope) -> list[ManagerCounts]:
        per: dict[int | None, dict[str, Any]] = defaultdict(
            lambda: {"activities": {}, "won_amounts": {}, "won": 0, "lost": 0}
        )
        created = await self._rows(
            f"""
            SELECT grouping(l.owner_id) AS total, l.owner_id, count(*) AS n,
                   percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM l.first_contact_at - l.created_at)
                   ) AS median
              FROM leads l
             WHERE l.created_at >= :s AND l.created_at < :e{_owner(scope)}
             GROUP BY GROUPING SETS ((l.owner_id), ())""",
            scope,
        )
        for row in created:
            if row.total or row.owner_id is not None:
                key = None if row.total else row.owner_id
                per[key]["new_leads"] = int(row.n)
                per[key]["first_contact_median_seconds"] = None if row.median is None else float(row.median)
        author = " AND a.author = :author" if scope.owner_id is not None else ""
        for row in await self._rows(
            f"""
            SELECT a.author, CAST(a.kind AS text) AS kind, count(*) AS n FROM activities a
             WHERE a.created_at >= :s AND a.created_at < :e{author}
             GROUP BY a.author, a.kind""",
            scope,
        ):
            kind = ActivityKind(row.kind)
            total = per[None]["activities"]
            total[kind] = total.get(kind, 0) + int(row.n)
            user_id = _author_id(row.author)
            if user_id is not None:
                per[user_id]["activities"][kind] = per[user_id]["activities"].get(kind, 0) + int(row.n)
        for row in await self._rows(
            f"""
            SELECT grouping(l.owner_id) AS total, l.owner_id, count(*) AS n
              FROM stage_changes sc {LEAD.format("sc")}
             WHERE sc.to_stage = 'transferred' AND sc.created_at >= :s AND sc.created_at < :e{_owner(scope)}
             GROUP BY GROUPING SETS ((l.owner_id), ())""",
            scope,
        ):
            if row.total or row.owner_id is not None:
                per[None if row.total else row.owner_id]["transfers"] = int(row.n)
        for row in await self._rows(
            f"""
            WITH {CLOSED}
            SELECT grouping(l.owner_id) AS total, l.owner_id, c.currency,
                   count(*) FILTER (WHERE c.won) AS won, count(*) FILTER (WHERE NOT c.won) AS lost,
                   sum(c.amount) AS amount
              FROM closed c {LEAD.format("c")}
             WHERE true{_owner(scope)}
             GROUP BY GROUPING SETS ((l.owner_id, c.currency), (c.currency))""",
            scope,
        ):
            if not row.total and row.owner_id is None:
                continue
            line = per[None if row.total else row.owner_id]
            line["won"] += int(row.won)
            line["lost"] += int(row.lost)
            if row.currency is not None and row.amount is not None:
                line["won_amounts"][row.currency] = Decimal(row.amount)
        total = per[None]  # always there, zeros when the period is empty
        if scope.owner_id is not None:  # a manager's own numbers: the scope's total is their line
            return [ManagerCounts(user_id=scope.owner_id, **total), ManagerCounts(user_id=None, **total)]
        return [ManagerCounts(user_id=key, **values) for key, values in per.items()]

    async def lost(self, scope: ReportScope) -> LostCounts:
        leads = f"""
            FROM stage_changes sc
             WHERE sc.to_stage = 'lost' AND sc.created_at >= :s AND sc.created_at < :e{_mine(scope, "sc.lead_id")}"""
        deals = f"""
            FROM sale_stage_changes c JOIN sales s ON s.id = c.sale_id
             WHERE c.to_stage = 'lost' AND c.created_at >= :s AND c.created_at < :e{_mine(scope, "s.lead_id")}"""
        counts = await self._rows(
            f"""
            SELECT false AS deal, CAST(sc.from_stage AS text) AS stage, CAST(sc.reason_code AS text) AS code,
                   count(*) AS n {leads}
             GROUP BY sc.from_stage, sc.reason_code
            UNION ALL
            SELECT true, CAST(c.from_stage AS text), CAST(c.reason_code AS text), count(*) {deals}
             GROUP BY c.from_stage, c.reason_code
            ORDER BY 1, 4 DESC, 2, 3""",
            scope,
        )
        texts = await self._rows(
            f"""
            SELECT min(btrim(r.reason)) AS text, count(*) AS n FROM (
                SELECT sc.reason {leads} AND sc.reason_code IS NULL
                UNION ALL
                SELECT c.reason {deals} AND c.reason_code IS NULL
            ) r
             WHERE btrim(coalesce(r.reason, '')) <> ''
             GROUP BY regexp_replace(lower(btrim(r.reason)), '[[:space:]]+', ' ', 'g')
             ORDER BY count(*) DESC, 1
             LIMIT :limit""",
            scope,
            limit=OTHER_TEXTS,
        )
        return LostCounts(
            [
                LostCount(bool(row.deal), row.stage, None if row.code is None else LostReason(row.code), int(row.n))
                for row in counts
            ],
            [OtherReason(row.text, int(row.n)) for row in texts],
        )

    async def sources(self, scope: ReportScope) -> list[SourceCounts]:
        rows = await self._rows(
            f"""
            SELECT grouping(l.source) AS by_domain, CAST(l.source AS text) AS source, l.business_domain AS domain,
                   count(*) AS leads, count(s.id) AS transferred, count(*) FILTER (WHERE s.stage = 'paid') AS won
              FROM leads l LEFT JOIN sales s ON s.lead_id = l.id
             WHERE l.created_at >= :s AND l.created_at < :e{_owner(scope)}
             GROUP BY GROUPING SETS ((l.source), (l.business_domain))
             ORDER BY 1, 4 DESC, 2, 3""",
            scope,
        )
        return [
            SourceCounts(
                source=None if row.by_domain else Source(row.source),
                domain=row.domain if row.by_domain else None,
                by_domain=bool(row.by_domain),
                leads=int(row.leads),
                transferred=int(row.transferred),
                won=int(row.won),
            )
            for row in rows
        ]

    async def score_bands(self, scope: ReportScope) -> list[ScoreBandCounts]:
        rows = await self._rows(
            f"""
            WITH {CLOSED}
            SELECT CASE WHEN l.ai_score IS NOT NULL  -- least() would skip a NULL and give the top band
                        THEN least(floor(CAST(l.ai_score AS numeric) * {BANDS}), {BANDS - 1}) END AS band,
                   count(*) FILTER (WHERE c.won) AS won, count(*) FILTER (WHERE NOT c.won) AS lost
              FROM closed c {LEAD.format("c")}
             WHERE true{_owner(scope)}
             GROUP BY 1""",
            scope,
        )
        found = {None if row.band is None else int(row.band): (int(row.won), int(row.lost)) for row in rows}
        bands: list[int | None] = [*range(BANDS), None]
        return [
            ScoreBandCounts(None if band is None else round(band / BANDS, 1), *found.get(band, (0, 0)))
            for band in bands
        ]


def _author_id(author: str) -> int | None:
    """The user id of an activity's author label ``tg:<id>`` (None: an API key or the system)."""
    if not author.startswith(AUTHOR_PREFIX):
        return None
    digits = author[len(AUTHOR_PREFIX) :]
    return int(digits) if digits.isdigit() else None
