"""outbound webhooks, API keys scoped to a source, idempotency keys that remember the body

- ``webhooks``: a registered URL, the events it wants (``text[]``), its signing secret (kept in clear: it is
  needed to sign), ``removed_at`` (a removed hook keeps its rows for the record and gets nothing new).
- ``webhook_deliveries``: one row per (hook, event), written in the transaction of the change it announces;
  the sender's queue is (hook, lead): ``ix_webhook_deliveries_pending`` is the order its DISTINCT ON claim reads.
- ``api_keys.source``: NULL = any source; else the only source the key may create leads with.
- ``idempotency_keys.body_hash``: sha256 of the first request's body (NULL for keys stored before).

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-19 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("source", sa.String(16), nullable=True))
    op.add_column("idempotency_keys", sa.Column("body_hash", sa.String(64), nullable=True))
    op.create_table(
        "webhooks",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("removed_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("hook_id", sa.BigInteger, nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("lead_id", sa.BigInteger, nullable=True),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer, server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.ForeignKeyConstraint(
            ["hook_id"], ["webhooks.id"], name=op.f("fk_webhook_deliveries_hook_id_webhooks"), ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed', 'cancelled')", name=op.f("ck_webhook_deliveries_status")
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_pending",
        "webhook_deliveries",
        ["hook_id", "lead_id", "id"],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_pending", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    op.drop_column("idempotency_keys", "body_hash")
    op.drop_column("api_keys", "source")
