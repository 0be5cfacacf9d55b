"""Bulk upsert of imported leads: COPY into a temporary table, then set-based SQL.

Re-import by ``external_id`` updates instead of duplicating. History rows written by the import carry
actor ``import`` and are replaced on re-import; history written by people is never touched.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.imports.records import ImportedLead, UpsertCounts
from core.storage.repositories.base import BeforeWrite

IMPORT_ACTOR = "import"

# The temporary table that COPY fills: (column, type), in the order of _copy_row's values.
_TEMP_COLUMNS = (
    ("line", "integer"),
    ("external_id", "text"),
    ("name", "text"),
    ("contact", "text"),
    ("source", "text"),
    ("stage", "text"),
    ("business_domain", "text"),
    ("attributes", "jsonb"),
    ("activity_count", "integer"),
    ("activity_counts", "jsonb"),
    ("created_at", "timestamptz"),
    ("first_contact_at", "timestamptz"),
    ("last_activity_at", "timestamptz"),
    ("closed_at", "timestamptz"),
    ("lost_reason", "text"),
)
COLUMNS = tuple(name for name, _ in _TEMP_COLUMNS)
_CREATE = "CREATE TEMP TABLE {t} (" + ", ".join(f"{name} {kind}" for name, kind in _TEMP_COLUMNS) + ")"


def _copy_row(lead: ImportedLead) -> tuple[object, ...]:
    """One row for COPY, in :data:`COLUMNS` order (JSON as text: asyncpg's COPY takes jsonb as text)."""
    return (
        lead.line,
        lead.external_id,
        lead.name,
        lead.contact,
        lead.source.value,
        lead.stage.value,
        lead.business_domain,
        json.dumps(lead.attributes, ensure_ascii=False),
        sum(lead.activity_counts.values()),
        json.dumps(lead.activity_counts),
        lead.created_at,
        lead.first_contact_at,
        lead.last_activity_at,
        lead.closed_at,
        lead.lost_reason,
    )


_UPSERT = """
WITH up AS (
    INSERT INTO leads (external_id, name, contact, source, stage, business_domain, attributes,
                       activity_count, activity_counts, created_at, updated_at, first_contact_at,
                       last_activity_at, lost_reason, version)
    SELECT t.external_id, t.name, t.contact, t.source::lead_source, t.stage::lead_stage, t.business_domain,
           t.attributes, t.activity_count, t.activity_counts, COALESCE(t.created_at, :now),
           COALESCE(t.closed_at, t.last_activity_at, t.created_at, :now), t.first_contact_at,
           t.last_activity_at, t.lost_reason, 1
    FROM {t} t
    ON CONFLICT (external_id) DO UPDATE SET
        name = EXCLUDED.name,
        contact = EXCLUDED.contact,
        source = EXCLUDED.source,
        -- an open row in the file never pulls back a lead that the team has moved on since
        stage = CASE WHEN EXCLUDED.stage = 'new' THEN leads.stage ELSE EXCLUDED.stage END,
        business_domain = EXCLUDED.business_domain,
        attributes = EXCLUDED.attributes,
        activity_count = EXCLUDED.activity_count,
        activity_counts = EXCLUDED.activity_counts,
        created_at = LEAST(leads.created_at, EXCLUDED.created_at),
        updated_at = EXCLUDED.updated_at,
        first_contact_at = EXCLUDED.first_contact_at,
        last_activity_at = EXCLUDED.last_activity_at,
        lost_reason = CASE WHEN EXCLUDED.stage = 'new' THEN leads.lost_reason ELSE EXCLUDED.lost_reason END,
        version = leads.version + 1
    RETURNING id, (xmax = 0) AS inserted, stage, owner_id
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       array_agg(id ORDER BY id) FILTER (WHERE inserted AND owner_id IS NULL
                                         AND stage IN ('new', 'contacted', 'qualified'))
FROM up
"""

_DROP_OLD_HISTORY = """
DELETE FROM stage_changes sc USING leads l, {t} t
WHERE sc.lead_id = l.id AND l.external_id = t.external_id AND sc.actor = CAST(:actor AS varchar) AND t.stage <> 'new'
"""

_DROP_OLD_SALES = """
DELETE FROM sales s USING leads l, {t} t
WHERE s.lead_id = l.id AND l.external_id = t.external_id AND t.stage <> 'new'
  AND EXISTS (SELECT 1 FROM sale_stage_changes c WHERE c.sale_id = s.id AND c.actor = CAST(:actor AS varchar))
  AND NOT EXISTS (SELECT 1 FROM sale_stage_changes c WHERE c.sale_id = s.id AND c.actor <> CAST(:actor AS varchar))
"""

# The path a real lead takes through the funnel, so an imported closed lead looks like one.
_LEAD_PATHS = {
    "transferred": (("new", "contacted"), ("contacted", "qualified"), ("qualified", "transferred")),
    "lost": (("new", "lost"),),
}
_SALE_PATH = (("new", "kyc"), ("kyc", "agreement"), ("agreement", "paid"))

_ADD_HISTORY = """
INSERT INTO stage_changes (lead_id, from_stage, to_stage, actor, reason, created_at)
SELECT l.id, CAST(:from_stage AS lead_stage), CAST(:to_stage AS lead_stage), CAST(:actor AS varchar), 'imported',
       COALESCE(t.closed_at, l.updated_at)
FROM {t} t JOIN leads l ON l.external_id = t.external_id
WHERE t.stage = CAST(:final AS text) AND l.stage = CAST(:final AS lead_stage)
  AND NOT EXISTS (SELECT 1 FROM stage_changes x WHERE x.lead_id = l.id AND x.actor <> CAST(:actor AS varchar))
ORDER BY t.line
"""

_ADD_SALES = """
WITH s AS (
    INSERT INTO sales (lead_id, stage, created_at, updated_at, closed_at)
    SELECT l.id, 'paid', COALESCE(t.closed_at, l.updated_at), COALESCE(t.closed_at, l.updated_at),
           COALESCE(t.closed_at, l.updated_at)
    FROM {t} t JOIN leads l ON l.external_id = t.external_id
    WHERE t.stage = 'transferred'
    ORDER BY t.line
    ON CONFLICT (lead_id) DO NOTHING
    RETURNING id, closed_at
), path(from_stage, to_stage, n) AS (VALUES {path})
INSERT INTO sale_stage_changes (sale_id, from_stage, to_stage, actor, reason, created_at)
SELECT s.id, CAST(path.from_stage AS sale_stage), CAST(path.to_stage AS sale_stage), CAST(:actor AS varchar),
       'imported', s.closed_at
FROM s CROSS JOIN path ORDER BY s.id, path.n
"""


class SqlImportRepository:
    """``uow.imports``: the bulk upsert of imported leads (port :class:`core.services.ports.ImportsRepository`)."""

    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self._session = session
        self._before_write = before_write

    async def upsert_leads(self, leads: Sequence[ImportedLead], now: datetime) -> UpsertCounts:
        """Insert or update by ``external_id``, then rewrite the import's own history rows and sales.
        Runs in the session's transaction and never commits: every batch of a file shares one transaction, so
        the importer commits the whole file or nothing. Values are validated before (``core.imports.rows``):
        a value COPY refuses would fail the whole file."""
        await self._before_write()
        table = f"import_leads_{uuid.uuid4().hex[:12]}"
        conn = await self._session.connection()
        await conn.execute(text(_CREATE.format(t=table)))
        asyncpg_conn = (await conn.get_raw_connection()).driver_connection
        assert asyncpg_conn is not None  # None only for a closed connection
        records = [_copy_row(lead) for lead in leads]
        await asyncpg_conn.copy_records_to_table(table, records=records, columns=list(COLUMNS))
        inserted, updated, new_open = (await conn.execute(text(_UPSERT.format(t=table)), {"now": now})).one()
        await conn.execute(text(_DROP_OLD_HISTORY.format(t=table)), {"actor": IMPORT_ACTOR})
        await conn.execute(text(_DROP_OLD_SALES.format(t=table)), {"actor": IMPORT_ACTOR})
        for final, path in _LEAD_PATHS.items():
            for from_stage, to_stage in path:
                await conn.execute(
                    text(_ADD_HISTORY.format(t=table)),
                    {"from_stage": from_stage, "to_stage": to_stage, "actor": IMPORT_ACTOR, "final": final},
                )
        values = ", ".join(f"('{a}', '{b}', {n})" for n, (a, b) in enumerate(_SALE_PATH))
        await conn.execute(text(_ADD_SALES.format(t=table, path=values)), {"actor": IMPORT_ACTOR})
        await conn.execute(text(f"DROP TABLE {table}"))
        return UpsertCounts(inserted=int(inserted), updated=int(updated), new_open_ids=tuple(new_open or ()))
