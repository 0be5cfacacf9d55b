"""outbox destinations resolved by the sender

A transfer queued its notification only in a process that knew the team leads' chat (TEAM_LEADS_CHAT_ID):
the REST API of docker-compose.yml did not, so its transfers were never announced. A message can now be
addressed to a destination the sender resolves from its own settings when it sends:

- ``outbox.destination`` (``team_leads``; NULL: ``chat_id`` is the address, e.g. an admin's user id);
- ``outbox.chat_id`` nullable (a ``team_leads`` row gets the chat it was sent to once it is sent);
- a row needs one of the two (CHECK ``address``);
- the pending index keys on (destination, chat_id, id): order is kept per destination and per chat.

The downgrade drops the rows it cannot address (team leads rows never resolved to a chat).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-15 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.add_column("outbox", sa.Column("destination", sa.String(length=32), nullable=True))
    op.alter_column("outbox", "chat_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_check_constraint(op.f("ck_outbox_destination"), "outbox", "destination IN ('team_leads')")
    op.create_check_constraint(op.f("ck_outbox_address"), "outbox", "chat_id IS NOT NULL OR destination IS NOT NULL")
    op.drop_index("ix_outbox_pending", table_name="outbox", postgresql_where=PENDING)
    op.create_index("ix_outbox_pending", "outbox", ["destination", "chat_id", "id"], postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox", postgresql_where=PENDING)
    op.create_index("ix_outbox_pending", "outbox", ["chat_id", "id"], postgresql_where=PENDING)
    op.execute("DELETE FROM outbox WHERE chat_id IS NULL")
    op.drop_constraint(op.f("ck_outbox_address"), "outbox", type_="check")
    op.drop_constraint(op.f("ck_outbox_destination"), "outbox", type_="check")
    op.alter_column("outbox", "chat_id", existing_type=sa.BigInteger(), nullable=False)
    op.drop_column("outbox", "destination")
