"""deals for team leads: a sale's amount (with its currency), expected close and owner

- ``sales.amount`` NUMERIC(14, 2) > 0 and ``sales.currency`` (ISO 4217, three capitals): both or neither.
- ``sales.expected_close_at``: when the deal is expected to close (UTC; shown as a day in the viewer's zone).
- ``sales.owner_id``: the team lead or seller working the deal (NULL: nobody yet).
- Indexes for /deals and GET /sales: newest first by stage, and by owner and stage.
- ``idempotency_keys``: the first answer to ``POST /leads/`` per API key and Idempotency-Key (kept 24 hours).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-18 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.add_column("sales", sa.Column("amount", sa.Numeric(14, 2), nullable=True))
    op.add_column("sales", sa.Column("currency", sa.String(3), nullable=True))
    op.add_column("sales", sa.Column("expected_close_at", TS, nullable=True))
    op.add_column(
        "sales",
        sa.Column(
            "owner_id",
            sa.BigInteger(),
            sa.ForeignKey("users.id", name=op.f("fk_sales_owner_id_users"), ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.create_check_constraint(op.f("ck_sales_amount_pos"), "sales", "amount IS NULL OR amount > 0")
    op.create_check_constraint(op.f("ck_sales_amount_whole"), "sales", "(amount IS NULL) = (currency IS NULL)")
    op.create_check_constraint(op.f("ck_sales_currency_code"), "sales", "currency ~ '^[A-Z]{3}$'")
    op.create_index("ix_sales_stage_id", "sales", ["stage", sa.text("id DESC")])
    op.create_index("ix_sales_owner_stage_id", "sales", ["owner_id", "stage", sa.text("id DESC")])
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(120), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", JSONB, nullable=True),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_sales_owner_stage_id", table_name="sales")
    op.drop_index("ix_sales_stage_id", table_name="sales")
    op.drop_constraint(op.f("ck_sales_currency_code"), "sales", type_="check")
    op.drop_constraint(op.f("ck_sales_amount_whole"), "sales", type_="check")
    op.drop_constraint(op.f("ck_sales_amount_pos"), "sales", type_="check")
    op.drop_column("sales", "owner_id")
    op.drop_column("sales", "expected_close_at")
    op.drop_column("sales", "currency")
    op.drop_column("sales", "amount")
