"""SQLAlchemy 2 typed ORM models. The schema itself is created only by alembic migrations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.domain.enums import ActivityKind, LostReason, Recommendation, Role, SaleStage, Source, Stage, StepKind

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(cls: type, name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], validate_strings=True)


SOURCE = _enum(Source, "lead_source")
STAGE = _enum(Stage, "lead_stage")
RECOMMENDATION = _enum(Recommendation, "ai_recommendation")
ACTIVITY_KIND = _enum(ActivityKind, "activity_kind")
SALE_STAGE = _enum(SaleStage, "sale_stage")
ROLE = _enum(Role, "user_role")
LOST_REASON = _enum(LostReason, "lost_reason")
STEP_KIND = _enum(StepKind, "step_kind")

TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table(model: type[Base]) -> Table:
    """The Core table of an ORM class, for statements that need no ORM objects (typed: SQLAlchemy declares
    ``__table__`` as a plain FromClause)."""
    return cast(Table, model.__table__)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # Telegram user id
    full_name: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(ROLE)
    language: Mapped[str | None] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name; NULL: DEFAULT_TIMEZONE
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now(), onupdate=func.now())


class InviteRow(Base):
    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[Role] = mapped_column(ROLE)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(TS)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(TS)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(TS)
    last_used_at: Mapped[datetime | None] = mapped_column(TS)
    source: Mapped[str | None] = mapped_column(String(16))  # None: any source; else the only one it may create


class LeadRow(Base):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint("ai_score IS NULL OR (ai_score >= 0 AND ai_score <= 1)", name="ai_score_range"),
        CheckConstraint("activity_count >= 0", name="activity_count_nonneg"),
        CheckConstraint("char_length(name) <= 200", name="name_len"),
        CheckConstraint("char_length(contact) <= 200", name="contact_len"),
        CheckConstraint("version >= 1", name="version_pos"),
        Index("ix_leads_owner_stage_updated", "owner_id", "stage", text("updated_at DESC"), text("id DESC")),
        Index("ix_leads_stage_updated", "stage", text("updated_at DESC"), text("id DESC")),
        Index(  # the board's ?source= (migration 0021)
            "ix_leads_source_stage_updated",
            "source",
            "stage",
            text("updated_at DESC"),
            text("id DESC"),
            postgresql_where=text("merged_into_id IS NULL"),
        ),
        Index("ix_leads_name_trgm", "name", postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"}),
        Index("ix_leads_company_trgm", "company", postgresql_using="gin", postgresql_ops={"company": "gin_trgm_ops"}),
        CheckConstraint("char_length(company) <= 200", name="company_len"),
        Index("ix_leads_updated", text("updated_at DESC"), text("id DESC")),
        CheckConstraint("char_length(next_step_note) <= 500", name="next_step_note_len"),
        CheckConstraint("(next_step_kind IS NULL) = (next_step_due_at IS NULL)", name="next_step_whole"),
        # The scheduler's due work, found by index (bench/scheduler.py): reminders not sent yet ...
        Index(
            "ix_leads_next_step_due",
            "next_step_due_at",
            postgresql_where=text("next_step_due_at IS NOT NULL AND next_step_reminded_at IS NULL"),
        ),
        # ... a manager's steps in time order (/today, the digest) ...
        Index(
            "ix_leads_owner_next_step",
            "owner_id",
            "next_step_due_at",
            postgresql_where=text("next_step_due_at IS NOT NULL"),
        ),
        # ... and new leads nobody has contacted yet (the first-contact SLA).
        Index(
            "ix_leads_first_contact_due",
            "created_at",
            postgresql_where=text("stage = 'new' AND first_contact_at IS NULL AND sla_escalated_at IS NULL"),
        ),
        # Merged leads (tombstones, migration 0011): the ones merged into a lead, re-pointed by the next merge.
        Index("ix_leads_merged_into", "merged_into_id", postgresql_where=text("merged_into_id IS NOT NULL")),
        CheckConstraint(
            "(merged_into_id IS NULL) = (merged_at IS NULL) AND (merged_into_id IS NULL) = (merged_by IS NULL)",
            name="merged_whole",
        ),
        CheckConstraint("merged_into_id <> id", name="merged_not_self"),
        # The reports' periods (migrations 0015, 0019): new leads of the team / of one owner; covering, so a
        # period's new leads and each report event's lead are read from the index alone.
        Index(
            "ix_leads_created_cover",
            "created_at",
            postgresql_include=["id", "owner_id", "first_contact_at", "merged_into_id", "source", "business_domain"],
        ),
        Index("ix_leads_id_report", "id", postgresql_include=["owner_id", "merged_into_id", "ai_score", "created_at"]),
        Index("ix_leads_owner_created", "owner_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[Source] = mapped_column(SOURCE)
    stage: Mapped[Stage] = mapped_column(STAGE, server_default=Stage.NEW.value)
    business_domain: Mapped[str | None] = mapped_column(String(100))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    activity_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    activity_counts: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    ai_score: Mapped[float | None] = mapped_column(Float)
    ai_recommendation: Mapped[Recommendation | None] = mapped_column(RECOMMENDATION)
    ai_reason: Mapped[str | None] = mapped_column(Text)
    ai_reason_ru: Mapped[str | None] = mapped_column(Text)
    ai_scored_at: Mapped[datetime | None] = mapped_column(TS)
    scorer_version: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lost_reason: Mapped[str | None] = mapped_column(String(500))
    lost_reason_code: Mapped[LostReason | None] = mapped_column(LOST_REASON)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    first_contact_at: Mapped[datetime | None] = mapped_column(TS)
    last_activity_at: Mapped[datetime | None] = mapped_column(TS)
    stage_entered_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    assigned_at: Mapped[datetime | None] = mapped_column(TS)
    next_step_kind: Mapped[StepKind | None] = mapped_column(STEP_KIND)
    next_step_due_at: Mapped[datetime | None] = mapped_column(TS)
    next_step_note: Mapped[str | None] = mapped_column(String(500))
    next_step_reminded_at: Mapped[datetime | None] = mapped_column(TS)
    sla_reminded_at: Mapped[datetime | None] = mapped_column(TS)
    sla_escalated_at: Mapped[datetime | None] = mapped_column(TS)
    stale_snoozed_until: Mapped[datetime | None] = mapped_column(TS)
    company: Mapped[str | None] = mapped_column(String(200))
    merged_into_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("leads.id"))
    merged_at: Mapped[datetime | None] = mapped_column(TS)
    merged_by: Mapped[str | None] = mapped_column(String(100))


class LeadContactRow(Base):
    """A lead's contacts: ``value`` as typed, ``normal`` compared (``core.domain.contacts``). The duplicate
    guard and the search look a normal form up by (kind, normal): the unique index's leading columns; trigram
    indexes serve ILIKE and typos."""

    __tablename__ = "lead_contacts"
    __table_args__ = (
        UniqueConstraint("kind", "normal", "lead_id", name="uq_lead_contacts_kind_normal_lead"),
        Index("ix_lead_contacts_lead_id", "lead_id"),
        Index(
            "ix_lead_contacts_normal_trgm", "normal", postgresql_using="gin", postgresql_ops={"normal": "gin_trgm_ops"}
        ),
        CheckConstraint("kind IN ('phone', 'email', 'telegram')", name="kind"),
        CheckConstraint("char_length(value) <= 200", name="value_len"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(200))
    normal: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class LeadEventRow(Base):
    """History entries of a lead besides activities and stage changes: assignments, next steps, snoozes
    (``core.domain.enums.LeadEventKind``; what each carries in ``data`` is written there)."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_lead_id_id", "lead_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class TeamSettingRow(Base):
    """Team-wide settings an admin changes in the bot (they override the environment's defaults), and the
    intake assignment's state. ``key = 'assignment'`` holds ``{"rule": ..., "last_user_id": ...}``; intake
    locks that row (``FOR UPDATE``) so concurrent creates pick owners one after another."""

    __tablename__ = "team_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(String(100))


class ActivityRow(Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("char_length(text) <= 4000", name="text_len"),
        CheckConstraint(
            "outcome IS NULL"
            " OR (kind = 'call' AND outcome IN ('reached', 'no_answer', 'call_back'))"
            " OR (kind = 'meeting' AND outcome IN ('held', 'cancelled'))",
            name="outcome_fits_kind",
        ),
        Index("ix_activities_lead_id_id", "lead_id", "id"),
        # the reports' periods (migrations 0015, 0019): index-only counts by author and kind
        Index("ix_activities_created_cover", "created_at", postgresql_include=["author", "kind"]),
        Index("ix_activities_author_created", "author", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[ActivityKind] = mapped_column(ACTIVITY_KIND)
    text: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    outcome: Mapped[str | None] = mapped_column(String(16))  # ActivityOutcome; the CHECK pairs it with kind


class StageChangeRow(Base):
    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_lead_id_id", "lead_id", "id"),
        Index(  # the reports' periods (migrations 0015, 0019): index-only scans of a period's changes
            "ix_stage_changes_created_cover",
            "created_at",
            postgresql_include=["to_stage", "from_stage", "lead_id", "from_entered_at", "reason_code"],
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    from_stage: Mapped[Stage] = mapped_column(STAGE)
    to_stage: Mapped[Stage] = mapped_column(STAGE)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))
    reason_code: Mapped[LostReason | None] = mapped_column(LOST_REASON)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    # When the lead entered ``from_stage`` (migration 0015): the funnel report's time in a stage without a lookup
    # of the previous change. NULL on rows written before it without history to fill it from (and imported ones).
    from_entered_at: Mapped[datetime | None] = mapped_column(TS)


class SaleRow(Base):
    __tablename__ = "sales"
    __table_args__ = (
        CheckConstraint("amount IS NULL OR amount > 0", name="amount_pos"),
        CheckConstraint("(amount IS NULL) = (currency IS NULL)", name="amount_whole"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_code"),
        Index("ix_sales_stage_id", "stage", text("id DESC")),
        Index("ix_sales_owner_stage_id", "owner_id", "stage", text("id DESC")),
        Index("ix_sales_closed", "closed_at", postgresql_where=text("closed_at IS NOT NULL")),  # reports (0015)
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    stage: Mapped[SaleStage] = mapped_column(SALE_STAGE, server_default=SaleStage.NEW.value)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(TS)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    expected_close_at: Mapped[datetime | None] = mapped_column(TS)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SaleStageChangeRow(Base):
    __tablename__ = "sale_stage_changes"
    __table_args__ = (
        Index("ix_sale_stage_changes_sale_id_id", "sale_id", "id"),
        Index("ix_sale_stage_changes_created", "created_at"),  # the reports' periods (migration 0015)
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sales.id", ondelete="CASCADE"))
    from_stage: Mapped[SaleStage] = mapped_column(SALE_STAGE)
    to_stage: Mapped[SaleStage] = mapped_column(SALE_STAGE)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(500))
    reason_code: Mapped[LostReason | None] = mapped_column(LOST_REASON)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class IdempotencyKeyRow(Base):
    """The first answer to a request sent with an Idempotency-Key, per API key (``scope``), for 24 hours."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    body_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of the first request's body


class OutboxRow(Base):
    """Telegram messages to deliver, written in the same transaction as the change they announce."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        CheckConstraint("destination IN ('team_leads')", name="destination"),
        CheckConstraint("chat_id IS NOT NULL OR destination IS NOT NULL", name="address"),
        Index("ix_outbox_pending", "destination", "chat_id", "id", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # Where it goes: a destination the sender resolves from its settings when it sends ("team_leads": the
    # team leads' group, TEAM_LEADS_CHAT_ID/THREAD_ID of the bot), or, without one, chat_id itself (an
    # admin's user id). A sent team leads row records the chat it went to.
    destination: Mapped[str | None] = mapped_column(String(32))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(64), server_default="sendMessage")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(TS)


class InboxRow(Base):
    """Telegram updates as received (the bot's inbox), keyed by ``update_id``.

    The poller stores each batch here before it acknowledges it to Telegram; ``done_at`` is set in the same
    transaction as the change the update made (or right after a read-only one), so a redelivered or
    re-fed update is skipped. A row the bot did not receive through polling (fed directly) is recorded done,
    without a payload."""

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_pending", "update_id", postgresql_where=text("done_at IS NULL")),
        Index("ix_inbox_chat_pending", "chat_key", "update_id", postgresql_where=text("done_at IS NULL")),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_key: Mapped[int | None] = mapped_column(BigInteger)  # the chat (else the user): updates run in order per key
    # json, not jsonb: jsonb refuses U+0000, which a forged update may carry (the bot strips it later)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the update as Telegram sent it
    received_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    done_at: Mapped[datetime | None] = mapped_column(TS)
    # webhook mode: the replica applying it and until when (then another replica may take it over)
    leased_by: Mapped[str | None] = mapped_column(Text)
    lease_until: Mapped[datetime | None] = mapped_column(TS)


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        Index("uq_model_versions_one_active", "is_active", unique=True, postgresql_where=text("is_active")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(String(100))
    features: Mapped[list[str]] = mapped_column(JSONB)
    trained_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    n_won: Mapped[int] = mapped_column(Integer)
    n_lost: Mapped[int] = mapped_column(Integer)
    auc: Mapped[float] = mapped_column(Float)
    brier: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    model_blob: Mapped[bytes] = mapped_column(LargeBinary)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class ModelChangeRow(Base):
    """The audit trail of the scorer: a transfer gate set in /model, a model version activated (by training or
    by an admin rolling back). ``detail``: ``{"from": 0.6, "to": 0.55}`` / ``{"version": ..., "from": ...}``."""

    __tablename__ = "model_changes"
    __table_args__ = (
        CheckConstraint("kind IN ('gate', 'activate')", name="kind"),
        Index("ix_model_changes_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class WebhookRow(Base):
    """A receiver of events (``leadcrm webhook add``); the secret signs every delivery (kept: it is needed)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    removed_at: Mapped[datetime | None] = mapped_column(TS)


class WebhookDeliveryRow(Base):
    """One event for one hook, written in the transaction of the change it announces; sent in order per
    (hook, lead)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed', 'cancelled')", name="status"),
        Index("ix_webhook_deliveries_pending", "hook_id", "lead_id", "id", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hook_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    lead_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(TS)
