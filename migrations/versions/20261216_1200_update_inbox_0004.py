"""the bot's inbox of Telegram updates

Durable receipt: the poller stores every update (``payload``, its ``chat_key``, ``received_at``) in
``inbox`` before it acknowledges it to Telegram, and the update is marked ``done_at`` in the transaction
that applies it. ``inbox`` takes over from ``processed_updates`` (the redelivery guard): its ids become
done rows, so an update handled before the upgrade is still not applied twice.

The downgrade keeps the ids of the done rows in ``processed_updates``; stored updates not yet applied are
lost with the table (Telegram does not have them any more).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-16 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.BigInteger(), nullable=True),
        sa.Column("payload", postgresql.JSON(astext_type=sa.Text()), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox")),
    )
    op.create_index("ix_inbox_pending", "inbox", ["update_id"], postgresql_where=sa.text("done_at IS NULL"))
    op.execute(
        "INSERT INTO inbox (update_id, received_at, done_at) SELECT update_id, created_at, created_at "
        "FROM processed_updates"
    )
    op.drop_table("processed_updates")


def downgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.execute(
        "INSERT INTO processed_updates (update_id, created_at) SELECT update_id, done_at FROM inbox "
        "WHERE done_at IS NOT NULL"
    )
    op.drop_index("ix_inbox_pending", table_name="inbox", postgresql_where=sa.text("done_at IS NULL"))
    op.drop_table("inbox")
