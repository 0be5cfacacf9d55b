"""covering indexes for the reports: index-only scans of a period's events, and of each event's lead

bench/reports.py at 1 M leads / 5 M activities (EXPLAIN (ANALYZE, BUFFERS)): over 30 days the managers report
read ≈ 82 k new leads by a bitmap heap scan (17 k heap pages: leads are not stored in creation order), ≈ 410 k
activities and ≈ 137 k stage changes by plain index scans with a heap fetch per row, and looked up the lead of each
of ≈ 60 k transfers and closed deals in the leads heap. The period indexes of 0015 now carry the columns the
reports read (INCLUDE), so those scans are index-only (Heap Fetches: 0 once vacuumed), and the per-event lead
lookup is answered from ``leads (id) INCLUDE (...)`` without touching the heap. The 0015 indexes they supersede
(same leading column) are dropped.

Plain CREATE INDEX inside the migration's transaction: writes to these tables wait while it builds (2-7 s per
index at 1 M leads / 5 M activities on the benchmark's machine).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-22 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEADS_CREATED = ["id", "owner_id", "first_contact_at", "merged_into_id", "source", "business_domain"]
LEADS_ID = ["owner_id", "merged_into_id", "ai_score", "created_at"]
ACTIVITIES_CREATED = ["author", "kind"]
CHANGES_CREATED = ["to_stage", "from_stage", "lead_id", "from_entered_at", "reason_code"]


def upgrade() -> None:
    op.create_index("ix_leads_created_cover", "leads", ["created_at"], postgresql_include=LEADS_CREATED)
    op.create_index("ix_leads_id_report", "leads", ["id"], postgresql_include=LEADS_ID)
    op.create_index(
        "ix_activities_created_cover", "activities", ["created_at"], postgresql_include=ACTIVITIES_CREATED
    )
    op.create_index(
        "ix_stage_changes_created_cover", "stage_changes", ["created_at"], postgresql_include=CHANGES_CREATED
    )
    op.drop_index("ix_leads_created", table_name="leads")
    op.drop_index("ix_activities_created", table_name="activities")
    op.drop_index("ix_stage_changes_created", table_name="stage_changes")


def downgrade() -> None:
    op.create_index("ix_stage_changes_created", "stage_changes", ["created_at"])
    op.create_index("ix_activities_created", "activities", ["created_at"])
    op.create_index("ix_leads_created", "leads", ["created_at"])
    op.drop_index("ix_stage_changes_created_cover", table_name="stage_changes")
    op.drop_index("ix_activities_created_cover", table_name="activities")
    op.drop_index("ix_leads_id_report", table_name="leads")
    op.drop_index("ix_leads_created_cover", table_name="leads")
