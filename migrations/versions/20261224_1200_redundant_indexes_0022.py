"""two indexes no query needs: ``ix_lead_contacts_kind_normal`` and ``ix_leads_contact``

``lead_contacts (kind, normal)`` repeats the leading columns of the unique ``(kind, normal, lead_id)``, which
serves every lookup by a normal form (the duplicate guard, the import's batch lookup, the phone search) the same
way, and can answer it from the index alone. ``leads (contact)`` dates from before ``lead_contacts``: contacts are
looked up there, and no statement filters or sorts by ``leads.contact`` any more. Every lead and contact written
paid for both (bench/import.py: a 400 k-row import spends most of its time maintaining indexes).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-24 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_lead_contacts_kind_normal", table_name="lead_contacts")
    op.drop_index("ix_leads_contact", table_name="leads")


def downgrade() -> None:
    op.create_index("ix_leads_contact", "leads", ["contact"])
    op.create_index("ix_lead_contacts_kind_normal", "lead_contacts", ["kind", "normal"])
