"""Bulk upsert of imported leads: COPY into a temporary table, then set-based SQL.

Re-import by ``external_id`` updates instead of duplicating. History rows written by the import carry
actor ``import`` and are replaced on re-import; history written by people is never touched.

Before the upsert, ``find_leads`` looks the whole batch up in one query (external ids against ``leads``, the
rows' normal forms against ``lead_contacts`` by (kind, normal)); the importer decides from that which rows
update a lead found by contact (``matched``). Those get the row's external id and their empty fields filled,
never the file's stage, history or sale. Every row's contacts are added to its lead (``lead_contacts``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.imports.records import ImportedLead, LeadHit, UpsertCounts
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
    ("match_id", "bigint"),  # the lead found by contact (NULL: insert or update by external id)
)
COLUMNS = tuple(name for name, _ in _TEMP_COLUMNS)
_CREATE = "CREATE TEMP TABLE {t} (" + ", ".join(f"{name} {kind}" for name, kind in _TEMP_COLUMNS) + ")"


_CONTACT_COLUMNS = (
    ("line", "integer"),
    ("external_id", "text"),
    ("kind", "text"),
    ("value", "text"),
    ("normal", "text"),
)
CONTACT_COLUMNS = tuple(name for name, _ in _CONTACT_COLUMNS)
_CREATE_CONTACTS = "CREATE TEMP TABLE {t} (" + ", ".join(f"{name} {kind}" for name, kind in _CONTACT_COLUMNS) + ")"


# One encoder each, made once: ``json.dumps(x, ensure_ascii=False)`` builds a new JSONEncoder per call, which
# was a tenth of the import's Python time (bench/import.py); the C encoder behind ``encode`` is the same.
_ATTRIBUTES_JSON = json.JSONEncoder(ensure_ascii=False).encode
_COUNTS_JSON = json.JSONEncoder().encode


def _copy_row(lead: ImportedLead, match_id: int | None) -> tuple[object, ...]:
    """One row for COPY, in :data:`COLUMNS` order (JSON as text: asyncpg's COPY takes jsonb as text)."""
    return (
        lead.line,
        lead.external_id,
        lead.name,
        lead.contact,
        lead.source.value,
        lead.stage.value,
        lead.business_domain,
        _ATTRIBUTES_JSON(lead.attributes),
        sum(lead.activity_counts.values()),
        _COUNTS_JSON(lead.activity_counts),
        lead.created_at,
        lead.first_contact_at,
        lead.last_activity_at,
        lead.closed_at,
        lead.lost_reason,
        match_id,
    )


# One query per batch: the leads with the rows' external ids, then, for the rows without one, the leads with
# their contacts (a re-import looks no contact up).
_FIND = """
WITH e AS MATERIALIZED (
    SELECT e.line, l.id, l.external_id
    FROM unnest(CAST(:lines AS integer[]), CAST(:ext AS text[])) AS e(line, ext)
    LEFT JOIN leads l ON l.external_id = e.ext
)
SELECT e.line, e.id, e.external_id, NULL AS normal FROM e WHERE e.id IS NOT NULL
UNION ALL
SELECT DISTINCT b.line, l.id, l.external_id, b.normal
FROM unnest(CAST(:c_lines AS integer[]), CAST(:c_kinds AS text[]), CAST(:c_normals AS text[]))
     AS b(line, kind, normal)
JOIN e ON e.line = b.line AND e.id IS NULL
JOIN lead_contacts c ON c.kind = b.kind AND c.normal = b.normal
JOIN leads l ON l.id = c.lead_id AND l.merged_into_id IS NULL
"""

# A lead found by contact: the row's external id, and the file's values only where the lead has none.
_FILL_MATCHED = """
UPDATE leads l SET
    external_id = t.external_id,
    name = COALESCE(l.name, t.name),
    contact = COALESCE(l.contact, t.contact),
    business_domain = COALESCE(l.business_domain, t.business_domain),
    attributes = jsonb_strip_nulls(t.attributes) || l.attributes,
    created_at = LEAST(l.created_at, COALESCE(t.created_at, l.created_at)),
    first_contact_at = COALESCE(l.first_contact_at, t.first_contact_at),
    last_activity_at = COALESCE(l.last_activity_at, t.last_activity_at),
    updated_at = :now,
    version = l.version + 1
FROM {t} t
WHERE t.match_id = l.id AND l.external_id IS NULL
"""

# The rows' leads: those the upsert wrote ({i}) and those found by contact that took the row's external id.
_ADD_CONTACTS = """
INSERT INTO lead_contacts (lead_id, kind, value, normal)
SELECT x.lead_id, c.kind, c.value, c.normal
FROM {c} c JOIN (
    SELECT i.lead_id, i.external_id FROM {i} i
    UNION ALL
    SELECT l.id, l.external_id FROM {t} t JOIN leads l ON l.id = t.match_id AND l.external_id = t.external_id
    WHERE t.match_id IS NOT NULL AND l.merged_into_id IS NULL
) x ON x.external_id = c.external_id
ORDER BY c.line
ON CONFLICT DO NOTHING
"""


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
    WHERE t.match_id IS NULL
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
    -- a lead merged into another keeps its external id for the record; the import leaves it alone
    WHERE leads.merged_into_id IS NULL
    RETURNING id, external_id, (xmax = 0) AS inserted, stage, owner_id, updated_at
), kept AS (
    INSERT INTO {i} (lead_id, external_id, inserted, stage, updated_at)
    SELECT id, external_id, inserted, stage::text, updated_at FROM up
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
       array_agg(id ORDER BY id) FILTER (WHERE inserted AND owner_id IS NULL
                                         AND stage IN ('new', 'contacted', 'qualified'))
FROM up
"""

# The statements below read the leads the upsert wrote from {i} (its RETURNING: lead id, external id, inserted or
# updated, stage and updated_at after the upsert; merged leads are not there), joined to the batch {t} by external
# id: no join against the whole leads table, whose statistics an import outdates as it goes.
_DROP_OLD_HISTORY = """
DELETE FROM stage_changes sc USING {i} i, {t} t
WHERE sc.lead_id = i.lead_id AND NOT i.inserted AND t.external_id = i.external_id AND t.stage <> 'new'
  AND sc.actor = CAST(:actor AS varchar)
"""

_DROP_OLD_SALES = """
DELETE FROM sales s USING {i} i, {t} t
WHERE s.lead_id = i.lead_id AND NOT i.inserted AND t.external_id = i.external_id AND t.stage <> 'new'
  AND EXISTS (SELECT 1 FROM sale_stage_changes c WHERE c.sale_id = s.id AND c.actor = CAST(:actor AS varchar))
  AND NOT EXISTS (SELECT 1 FROM sale_stage_changes c WHERE c.sale_id = s.id AND c.actor <> CAST(:actor AS varchar))
"""

# The path a real lead takes through the funnel, so an imported closed lead looks like one.
_LEAD_PATHS = {
    "transferred": (("new", "contacted"), ("contacted", "qualified"), ("qualified", "transferred")),
    "lost": (("new", "lost"),),
}
_SALE_PATH = (("new", "kyc"), ("kyc", "agreement"), ("agreement", "paid"))

# Every step of every closed row's path in one statement; not on a lead whose history people wrote.
_ADD_HISTORY = """
INSERT INTO stage_changes (lead_id, from_stage, to_stage, actor, reason, created_at)
SELECT i.lead_id, CAST(p.from_stage AS lead_stage), CAST(p.to_stage AS lead_stage), CAST(:actor AS varchar),
       'imported', COALESCE(t.closed_at, i.updated_at)
FROM {i} i JOIN {t} t ON t.external_id = i.external_id
JOIN (VALUES {path}) AS p(final, from_stage, to_stage, n) ON p.final = t.stage
WHERE i.stage = t.stage
  AND (i.inserted
       OR NOT EXISTS (SELECT 1 FROM stage_changes x WHERE x.lead_id = i.lead_id AND x.actor <> CAST(:actor AS varchar)))
ORDER BY t.line, p.n
"""

_ADD_SALES = """
WITH s AS (
    INSERT INTO sales (lead_id, stage, created_at, updated_at, closed_at)
    SELECT i.lead_id, 'paid', COALESCE(t.closed_at, i.updated_at), COALESCE(t.closed_at, i.updated_at),
           COALESCE(t.closed_at, i.updated_at)
    FROM {i} i JOIN {t} t ON t.external_id = i.external_id
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
_IDS = "CREATE TEMP TABLE {i} (lead_id bigint, external_id text, inserted boolean, stage text, updated_at timestamptz)"

# The file's duplicate guard, kept by PostgreSQL rather than in the importer's memory: which line of the file
# first had each key (("ext", external id) or (contact kind, normal form)). Gone with the file's transaction.
_SEEN = (
    'CREATE TEMP TABLE {s} (kind text COLLATE "C", key text COLLATE "C", line integer NOT NULL,'
    " PRIMARY KEY (kind, key)) ON COMMIT DROP"
)
_SEEN_BEFORE = """
SELECT s.kind, s.key, s.line
FROM unnest(CAST(:kinds AS text[]), CAST(:keys AS text[])) AS b(kind, key)
JOIN {s} s ON s.kind = b.kind AND s.key = b.key
"""


class SqlImportRepository:
    """``uow.imports``: the bulk upsert of imported leads (port :class:`core.services.ports.ImportsRepository`)."""

    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self._session = session
        self._before_write = before_write
        self._seen: str | None = None  # the current file's duplicate-guard table

    async def start_file(self) -> None:
        """A fresh duplicate guard for one file (a temporary table dropped when its transaction ends)."""
        self._seen = f"import_seen_{uuid.uuid4().hex[:12]}"
        await self._session.execute(text(_SEEN.format(s=self._seen)))

    async def seen_in_file(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """One query for the batch's keys against those remembered from the file's earlier batches."""
        assert self._seen is not None, "start_file first"
        params = {"kinds": [k for k, _ in keys], "keys": [key for _, key in keys]}
        rows = await self._session.execute(text(_SEEN_BEFORE.format(s=self._seen)), params)
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def remember_in_file(self, keys: Sequence[tuple[str, str, int]]) -> None:
        """Remember new keys with their line, by COPY (a key remembered twice is a bug the primary key refuses:
        the importer remembers only keys that ``seen_in_file`` did not find)."""
        assert self._seen is not None, "start_file first"
        conn = await (await self._session.connection()).get_raw_connection()
        assert conn.driver_connection is not None  # None only for a closed connection
        await conn.driver_connection.copy_records_to_table(self._seen, records=keys, columns=["kind", "key", "line"])

    async def find_leads(self, leads: Sequence[ImportedLead]) -> list[LeadHit]:
        """One query for the batch (arrays, not one query per row): served by the unique index on
        ``leads.external_id`` and ``uq_lead_contacts_kind_normal_lead``."""
        contacts = [(lead.line, c.kind.value, c.normal) for lead in leads for c in lead.contacts]
        params = {
            "lines": [lead.line for lead in leads],
            "ext": [lead.external_id for lead in leads],
            "c_lines": [c[0] for c in contacts],
            "c_kinds": [c[1] for c in contacts],
            "c_normals": [c[2] for c in contacts],
        }
        rows = (await self._session.execute(text(_FIND), params)).all()
        return [LeadHit(line=r[0], lead_id=int(r[1]), external_id=r[2], normal=r[3]) for r in rows]

    async def upsert_leads(
        self, leads: Sequence[ImportedLead], now: datetime, matched: Mapping[int, int] | None = None
    ) -> UpsertCounts:
        """Insert or update by ``external_id`` (rows in ``matched`` fill the lead found by contact instead),
        then rewrite the import's own history rows and sales, and add the rows' contacts.
        Runs in the session's transaction and never commits: every batch of a file shares one transaction, so
        the importer commits the whole file or nothing. Values are validated before (``core.imports.rows``):
        a value COPY refuses would fail the whole file."""
        await self._before_write()
        table = f"import_leads_{uuid.uuid4().hex[:12]}"
        conn = await self._session.connection()
        await conn.execute(text(_CREATE.format(t=table)))
        asyncpg_conn = (await conn.get_raw_connection()).driver_connection
        assert asyncpg_conn is not None  # None only for a closed connection
        matched = matched or {}
        records = [_copy_row(lead, matched.get(lead.line)) for lead in leads]
        await asyncpg_conn.copy_records_to_table(table, records=records, columns=list(COLUMNS))
        # Real statistics for the planner: without them "match_id IS NULL" is guessed at 0.5 % of the rows and
        # the history statements below pick nested loops that take seconds per batch.
        await conn.execute(text(f"ANALYZE {table} (external_id, stage, match_id)"))
        ids = f"{table}_i"
        await conn.execute(text(_IDS.format(i=ids)))
        filled = 0
        if matched:
            filled = (await conn.execute(text(_FILL_MATCHED.format(t=table)), {"now": now})).rowcount
        upsert = text(_UPSERT.format(t=table, i=ids))
        inserted, updated, new_open = (await conn.execute(upsert, {"now": now})).one()
        await conn.execute(text(f"ANALYZE {ids}"))
        actor = {"actor": IMPORT_ACTOR}
        if updated:  # a first import writes no lead twice: nothing of its own to replace
            await conn.execute(text(_DROP_OLD_HISTORY.format(t=table, i=ids)), actor)
            await conn.execute(text(_DROP_OLD_SALES.format(t=table, i=ids)), actor)
        steps = ", ".join(
            f"('{final}', '{a}', '{b}', {n})" for final, path in _LEAD_PATHS.items() for n, (a, b) in enumerate(path)
        )
        await conn.execute(text(_ADD_HISTORY.format(t=table, i=ids, path=steps)), actor)
        values = ", ".join(f"('{a}', '{b}', {n})" for n, (a, b) in enumerate(_SALE_PATH))
        await conn.execute(text(_ADD_SALES.format(t=table, i=ids, path=values)), actor)
        contacts = [(ld.line, ld.external_id, c.kind.value, c.value, c.normal) for ld in leads for c in ld.contacts]
        if contacts:
            await conn.execute(text(_CREATE_CONTACTS.format(t=f"{table}_c")))
            await asyncpg_conn.copy_records_to_table(f"{table}_c", records=contacts, columns=list(CONTACT_COLUMNS))
            await conn.execute(text(_ADD_CONTACTS.format(c=f"{table}_c", t=table, i=ids)))
            await conn.execute(text(f"DROP TABLE {table}_c"))
        await conn.execute(text(f"DROP TABLE {ids}"))
        await conn.execute(text(f"DROP TABLE {table}"))
        return UpsertCounts(
            inserted=int(inserted), updated=int(updated), matched=int(filled), new_open_ids=tuple(new_open or ())
        )
