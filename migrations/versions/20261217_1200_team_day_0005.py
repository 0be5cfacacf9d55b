"""a sales team's day: owners, next steps, reminders, the first-contact SLA, stalled leads

- ``users.timezone``: each user's IANA zone (NULL: DEFAULT_TIMEZONE).
- ``leads``: when the lead entered its stage (backfilled from its last stage change, else its creation) and got
  its owner; its one next step (kind, due time, note, when it was reminded); when the first-contact SLA reminded
  the owner and escalated; until when "stalled" is snoozed. Partial indexes find the scheduler's due work.
- ``lead_events``: assignments, next steps set/done, snoozes (history besides activities and stage changes).
- ``team_settings``: what an admin sets in the bot (the assignment rule) and the round-robin position.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-17 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STEP_KIND = postgresql.ENUM("call", "message", "meeting", "email", "task", name="step_kind", create_type=False)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    STEP_KIND.create(op.get_bind(), checkfirst=True)
    op.add_column("users", sa.Column("timezone", sa.String(64), nullable=True))
    op.add_column("leads", sa.Column("stage_entered_at", TS, server_default=sa.text("now()"), nullable=False))
    op.execute(
        "UPDATE leads SET stage_entered_at = COALESCE("
        "(SELECT max(created_at) FROM stage_changes WHERE stage_changes.lead_id = leads.id), leads.created_at)"
    )
    for name, type_ in (
        ("assigned_at", TS),
        ("next_step_kind", STEP_KIND),
        ("next_step_due_at", TS),
        ("next_step_note", sa.String(500)),
        ("next_step_reminded_at", TS),
        ("sla_reminded_at", TS),
        ("sla_escalated_at", TS),
        ("stale_snoozed_until", TS),
    ):
        op.add_column("leads", sa.Column(name, type_, nullable=True))
    # Leads already there when this runs are not fresh intake: the first-contact SLA starts with new ones.
    op.execute("UPDATE leads SET sla_reminded_at = now(), sla_escalated_at = now() WHERE first_contact_at IS NULL")
    op.execute("UPDATE leads SET assigned_at = created_at WHERE owner_id IS NOT NULL")
    op.create_check_constraint(op.f("ck_leads_next_step_note_len"), "leads", "char_length(next_step_note) <= 500")
    op.create_check_constraint(op.f("ck_leads_next_step_whole"), "leads", "(next_step_kind IS NULL) = (next_step_due_at IS NULL)")
    op.create_index(
        "ix_leads_next_step_due",
        "leads",
        ["next_step_due_at"],
        postgresql_where=sa.text("next_step_due_at IS NOT NULL AND next_step_reminded_at IS NULL"),
    )
    op.create_index(
        "ix_leads_owner_next_step",
        "leads",
        ["owner_id", "next_step_due_at"],
        postgresql_where=sa.text("next_step_due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_leads_first_contact_due",
        "leads",
        ["created_at"],
        postgresql_where=sa.text("stage = 'new' AND first_contact_at IS NULL AND sla_escalated_at IS NULL"),
    )
    op.create_table(
        "lead_events",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("lead_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("created_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_events_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_events")),
    )
    op.create_index("ix_lead_events_lead_id_id", "lead_events", ["lead_id", "id"])
    op.create_table(
        "team_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_team_settings")),
    )
    op.execute("INSERT INTO team_settings (key, value) VALUES ('assignment', '{}'::jsonb)")


def downgrade() -> None:
    op.drop_table("team_settings")
    op.drop_index("ix_lead_events_lead_id_id", table_name="lead_events")
    op.drop_table("lead_events")
    op.drop_index("ix_leads_first_contact_due", table_name="leads")
    op.drop_index("ix_leads_owner_next_step", table_name="leads")
    op.drop_index("ix_leads_next_step_due", table_name="leads")
    op.drop_constraint(op.f("ck_leads_next_step_whole"), "leads", type_="check")
    op.drop_constraint(op.f("ck_leads_next_step_note_len"), "leads", type_="check")
    for name in (
        "stale_snoozed_until",
        "sla_escalated_at",
        "sla_reminded_at",
        "next_step_reminded_at",
        "next_step_note",
        "next_step_due_at",
        "next_step_kind",
        "assigned_at",
        "stage_entered_at",
    ):
        op.drop_column("leads", name)
    op.drop_column("users", "timezone")
    STEP_KIND.drop(op.get_bind(), checkfirst=True)
