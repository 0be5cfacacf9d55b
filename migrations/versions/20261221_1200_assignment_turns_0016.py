"""round robin from a sequence: intake takes turns without locking a row

``assignment_turns``: each new lead of the round-robin rule takes the next value, and its owner is the active
manager at that position (in id order, wrapping). Before, intake locked the team's assignment row for the whole
creating transaction, which serialized every concurrent create (bench/api_wrk.py: POST p99 1.3 s at 32 clients).
A sequence never blocks and never hands the same turn out twice, across processes. The least-loaded rule still
locks the row (it must count the loads one pick after another).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-21 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE assignment_turns")


def downgrade() -> None:
    op.execute("DROP SEQUENCE assignment_turns")
