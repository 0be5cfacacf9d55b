"""contacts of imported leads

Until now the importer wrote only ``leads.contact``: leads imported after migration 0006 have no
``lead_contacts`` rows, so neither the duplicate guard nor the search by normal form could find them. Each lead
with a ``contact`` and no ``lead_contacts`` row gets one, as 0006 did (``core.domain.contacts.try_parse`` in the
default phone region; what it cannot parse is left out). The importer now writes ``lead_contacts`` itself.
Downgrade keeps the rows: they are valid contacts either way.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.domain.contacts import try_parse

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_REGION = "RU"  # the DEFAULT_PHONE_REGION default; a migration does not read the settings
BATCH = 5000


def upgrade() -> None:
    bind = op.get_bind()
    contacts = sa.table(
        "lead_contacts", sa.column("lead_id"), sa.column("kind"), sa.column("value"), sa.column("normal")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, contact FROM leads l WHERE id > :last AND contact IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM lead_contacts c WHERE c.lead_id = l.id) ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            break
        last = rows[-1].id
        parsed = [(row.id, try_parse(row.contact, BACKFILL_REGION)) for row in rows]
        values = [
            {"lead_id": lead_id, "kind": c.kind.value, "value": c.value, "normal": c.normal}
            for lead_id, c in parsed
            if c is not None
        ]
        if values:
            bind.execute(sa.insert(contacts), values)


def downgrade() -> None:
    pass  # the rows stay: they are the leads' contacts either way
