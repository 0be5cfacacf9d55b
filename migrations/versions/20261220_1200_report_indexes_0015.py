"""indexes for the reports: the time columns their periods filter on

Each report filters events by a half-open period on the event's own time column. Without these, every report
scanned leads, activities and stage changes whole: at 1 M leads / 5 M activities (bench/reports.py, EXPLAIN
ANALYZE) a team's funnel for the week took 650 ms and for 30 days 1.2 s, the managers report 0.6-1.2 s.

- ``leads (created_at)`` / ``(owner_id, created_at)``: new leads in a period (the team's, a manager's);
- ``activities (created_at)`` / ``(author, created_at)``: activities in a period (by author for a manager);
- ``stage_changes (created_at)``: stages entered and left, leads lost or transferred in a period;
- ``sales (closed_at)`` (closed deals only) and ``sale_stage_changes (created_at)``: deals paid or lost;
- ``stage_changes.from_entered_at``: when the lead entered the stage it leaves (its previous change, else its
  creation), filled here for the history there is and written with every new change. The funnel's median time
  in a stage then needs no lookup per change: with one (the previous change by ``(lead_id, id)`` and the lead by
  its key) the team's funnel over 30 days took 1.5 s at 1 M leads.

Plain CREATE INDEX inside the migration's transaction: writes to these tables wait while it builds (seconds
per million rows).

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-20 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


TS = sa.DateTime(timezone=True)
BACKFILL = """
UPDATE stage_changes sc SET from_entered_at = w.entered
  FROM (SELECT c.id,
               coalesce(lag(c.created_at) OVER (PARTITION BY c.lead_id ORDER BY c.id), l.created_at) AS entered
          FROM stage_changes c JOIN leads l ON l.id = c.lead_id) w
 WHERE w.id = sc.id
"""


def upgrade() -> None:
    op.add_column("stage_changes", sa.Column("from_entered_at", TS, nullable=True))
    op.execute(BACKFILL)
    op.create_index("ix_leads_created", "leads", ["created_at"])
    op.create_index("ix_leads_owner_created", "leads", ["owner_id", "created_at"])
    op.create_index("ix_activities_created", "activities", ["created_at"])
    op.create_index("ix_activities_author_created", "activities", ["author", "created_at"])
    op.create_index("ix_stage_changes_created", "stage_changes", ["created_at"])
    op.create_index(
        "ix_sales_closed", "sales", ["closed_at"], postgresql_where=sa.text("closed_at IS NOT NULL")
    )
    op.create_index("ix_sale_stage_changes_created", "sale_stage_changes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_sale_stage_changes_created", table_name="sale_stage_changes")
    op.drop_index("ix_sales_closed", table_name="sales")
    op.drop_index("ix_stage_changes_created", table_name="stage_changes")
    op.drop_index("ix_activities_author_created", table_name="activities")
    op.drop_index("ix_activities_created", table_name="activities")
    op.drop_index("ix_leads_owner_created", table_name="leads")
    op.drop_index("ix_leads_created", table_name="leads")
    op.drop_column("stage_changes", "from_entered_at")
