"""inbox leases: webhook replicas share the inbox

In webhook mode every replica stores the updates Telegram posts to it and every replica's workers apply them.
A worker leases a row before it applies it (``leased_by``: the replica, ``lease_until``: when another replica
may take it over, e.g. after a SIGKILL); only the head of each chat (its oldest pending update) is ever
leased, so a chat's updates stay in order across replicas. ``ix_inbox_chat_pending`` finds the heads
(DISTINCT ON chat_key over the pending rows).

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-22 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbox", sa.Column("leased_by", sa.Text(), nullable=True))
    op.add_column("inbox", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_inbox_chat_pending", "inbox", ["chat_key", "update_id"], postgresql_where=sa.text("done_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_chat_pending", table_name="inbox", postgresql_where=sa.text("done_at IS NULL"))
    op.drop_column("inbox", "lease_until")
    op.drop_column("inbox", "leased_by")
