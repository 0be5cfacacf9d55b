"""lost reasons as codes

The bot's preset lost reasons were stored as the label of whoever pressed the button ("Нет бюджета" or
"No budget"). They become a code (``lost_reason``: no_budget, no_response, competitor, not_a_fit) beside
the optional free text:

- ``leads.lost_reason_code``, ``stage_changes.reason_code``, ``sale_stage_changes.reason_code``;
- existing rows whose text is a preset's Russian or English label get the code, and their text is
  cleared (it was only the label); any other text stays as it is.

The downgrade writes the English label back into the text where the text is empty.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The presets as the bot labelled them up to this revision (code -> (en, ru)); frozen here on purpose.
PRESETS: dict[str, tuple[str, str]] = {
    "no_budget": ("No budget", "Нет бюджета"),
    "no_response": ("Stopped responding", "Перестал отвечать"),
    "competitor": ("Chose a competitor", "Выбрал конкурента"),
    "not_a_fit": ("Not our client", "Не наш клиент"),
}

LOST_REASON = postgresql.ENUM(*PRESETS, name="lost_reason", create_type=False)

# (table, text column, code column)
COLUMNS = (
    ("leads", "lost_reason", "lost_reason_code"),
    ("stage_changes", "reason", "reason_code"),
    ("sale_stage_changes", "reason", "reason_code"),
)


def upgrade() -> None:
    LOST_REASON.create(op.get_bind(), checkfirst=False)
    for table, text_column, code_column in COLUMNS:
        op.add_column(table, sa.Column(code_column, LOST_REASON, nullable=True))
        for code, labels in PRESETS.items():
            op.execute(
                sa.text(
                    f"UPDATE {table} SET {code_column} = CAST(:code AS lost_reason), {text_column} = NULL "
                    f"WHERE {code_column} IS NULL AND btrim({text_column}) IN (:en, :ru)"
                ).bindparams(code=code, en=labels[0], ru=labels[1])
            )


def downgrade() -> None:
    for table, text_column, code_column in COLUMNS:
        for code, (en, _ru) in PRESETS.items():
            op.execute(
                sa.text(
                    f"UPDATE {table} SET {text_column} = :en "
                    f"WHERE {code_column} = CAST(:code AS lost_reason) AND {text_column} IS NULL"
                ).bindparams(code=code, en=en)
            )
        op.drop_column(table, code_column)
    LOST_REASON.drop(op.get_bind(), checkfirst=False)
