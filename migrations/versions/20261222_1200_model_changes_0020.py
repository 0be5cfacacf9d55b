"""model changes: who moved the transfer gate or switched the active model version, and when

``model_changes``: one row per change an admin makes in /model (the transfer gate, an older model version
activated) and per activation by training: the audit trail of what the scorer and the gate were at any time.
The gate itself is ``team_settings['transfer_gate']`` (no row: the TRANSFER_THRESHOLD setting).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-22 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_changes",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.CheckConstraint("kind IN ('gate', 'activate')", name=op.f("ck_model_changes_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_changes")),
    )
    op.create_index("ix_model_changes_at", "model_changes", ["at"])


def downgrade() -> None:
    op.drop_index("ix_model_changes_at", table_name="model_changes")
    op.drop_table("model_changes")
