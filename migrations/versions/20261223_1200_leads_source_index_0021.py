"""the board's source filter by index: ``leads (source, stage, updated_at DESC, id DESC) WHERE merged_into_id IS NULL``

A team lead's board filtered by one source (``/app/api/board?source=partner``) read each open column's newest cards
and its count (capped at 10,000) through ``ix_leads_stage_updated``, checking the source of every entry in the
heap, or (the counts) scanning the table until 10,000 rows matched: bench/board.py at 1 M leads, quiet machine,
p50 92.5 ms / p99 100.7 ms, the only board line over its 50 ms target (the unfiltered team board: 40 ms). Partial
on live leads (every list's condition: merged-away leads are nowhere), so a capped count is an index-only scan
(EXPLAIN ANALYZE at 1 M leads: 22 ms → 1.8 ms per stage). The REST list's ``?source=`` uses it too.

Plain CREATE INDEX inside the migration's transaction: writes to leads wait while it builds (≈ 2 s at 1 M leads
on the benchmark's machine).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-23 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_leads_source_stage_updated",
        "leads",
        ["source", "stage", sa.text("updated_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("merged_into_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_leads_source_stage_updated", table_name="leads")
