"""merged leads: a lead merged into another stays as a tombstone

- ``leads.merged_into_id`` (FK leads.id): the lead it was merged into (always the final survivor: a merge
  re-points the leads merged into the merged-away one); NULL for every live lead.
- ``leads.merged_at``, ``leads.merged_by`` (the actor's label): when and by whom; set together with
  ``merged_into_id`` (CHECK ``merged_whole``), and never the lead's own id (CHECK ``merged_not_self``).
- ``ix_leads_merged_into``: the leads merged into one (partial: only tombstones are indexed).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-20 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("leads", sa.Column("merged_into_id", sa.BigInteger, nullable=True))
    op.add_column("leads", sa.Column("merged_at", TS, nullable=True))
    op.add_column("leads", sa.Column("merged_by", sa.String(100), nullable=True))
    op.create_foreign_key(op.f("fk_leads_merged_into_id_leads"), "leads", "leads", ["merged_into_id"], ["id"])
    op.create_check_constraint(
        op.f("ck_leads_merged_whole"),
        "leads",
        "(merged_into_id IS NULL) = (merged_at IS NULL) AND (merged_into_id IS NULL) = (merged_by IS NULL)",
    )
    op.create_check_constraint(op.f("ck_leads_merged_not_self"), "leads", "merged_into_id <> id")
    op.create_index(
        "ix_leads_merged_into", "leads", ["merged_into_id"], postgresql_where=sa.text("merged_into_id IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_leads_merged_into", table_name="leads")
    op.drop_constraint(op.f("ck_leads_merged_not_self"), "leads", type_="check")
    op.drop_constraint(op.f("ck_leads_merged_whole"), "leads", type_="check")
    op.drop_constraint(op.f("fk_leads_merged_into_id_leads"), "leads", type_="foreignkey")
    op.drop_column("leads", "merged_by")
    op.drop_column("leads", "merged_at")
    op.drop_column("leads", "merged_into_id")
