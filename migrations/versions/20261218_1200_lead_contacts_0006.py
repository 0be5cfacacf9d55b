"""a lead's contacts and company; trigram search

- ``leads.company``: the company beside the person's name.
- ``lead_contacts``: every phone / e-mail / Telegram username of a lead, as typed (``value``) and comparable
  (``normal``: E.164, lower-cased e-mail, username without "@"); unique per lead, looked up by (kind, normal).
  Backfilled from ``leads.contact`` with ``core.domain.contacts`` in the default phone region (what it cannot
  parse is left out; ``leads.contact`` itself is kept as the primary contact).
- ``pg_trgm`` and trigram GIN indexes on names, companies and contacts for ``/find`` and ``GET /leads?q=``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-18 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.domain.contacts import try_parse

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
BACKFILL_REGION = "RU"  # the DEFAULT_PHONE_REGION default; a migration does not read the settings
BATCH = 5000


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.add_column("leads", sa.Column("company", sa.String(200), nullable=True))
    op.create_check_constraint(op.f("ck_leads_company_len"), "leads", "char_length(company) <= 200")
    op.create_table(
        "lead_contacts",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("lead_id", sa.BigInteger(), sa.ForeignKey("leads.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("normal", sa.String(200), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("kind", "normal", "lead_id", name="uq_lead_contacts_kind_normal_lead"),
        sa.CheckConstraint("kind IN ('phone', 'email', 'telegram')", name=op.f("ck_lead_contacts_kind")),
        sa.CheckConstraint("char_length(value) <= 200", name=op.f("ck_lead_contacts_value_len")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_contacts")),
    )
    op.create_index("ix_lead_contacts_kind_normal", "lead_contacts", ["kind", "normal"])
    op.create_index("ix_lead_contacts_lead_id", "lead_contacts", ["lead_id"])
    _backfill()
    for table, column in (("lead_contacts", "normal"), ("leads", "name"), ("leads", "company")):
        op.create_index(
            f"ix_{table}_{column}_trgm",
            table,
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def _backfill() -> None:
    bind = op.get_bind()
    contacts = sa.table(
        "lead_contacts", sa.column("lead_id"), sa.column("kind"), sa.column("value"), sa.column("normal")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, contact FROM leads WHERE id > :last AND contact IS NOT NULL ORDER BY id LIMIT :n"),
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
    for table, column in (("lead_contacts", "normal"), ("leads", "name"), ("leads", "company")):
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
    op.drop_table("lead_contacts")
    op.drop_constraint(op.f("ck_leads_company_len"), "leads", type_="check")
    op.drop_column("leads", "company")
    # pg_trgm stays: other databases' objects may use it, and it is harmless
