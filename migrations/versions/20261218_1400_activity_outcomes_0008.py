"""activity outcomes: how a call (reached / no answer / call back) or a meeting (held / cancelled) went

- ``activities.outcome``: NULL for the other kinds and for activities logged before; a CHECK keeps each
  outcome to its kind (the pairs of ``core.domain.funnel.OUTCOMES``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-18 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOME_FITS_KIND = (
    "outcome IS NULL"
    " OR (kind = 'call' AND outcome IN ('reached', 'no_answer', 'call_back'))"
    " OR (kind = 'meeting' AND outcome IN ('held', 'cancelled'))"
)


def upgrade() -> None:
    op.add_column("activities", sa.Column("outcome", sa.String(16), nullable=True))
    op.create_check_constraint(op.f("ck_activities_outcome_fits_kind"), "activities", OUTCOME_FITS_KIND)


def downgrade() -> None:
    op.drop_constraint(op.f("ck_activities_outcome_fits_kind"), "activities", type_="check")
    op.drop_column("activities", "outcome")
