"""Plain read models of the CRM. Services return these; bot and API render them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypedDict

from core.domain.enums import (
    ActivityKind,
    ActivityOutcome,
    LeadEventKind,
    LostReason,
    Recommendation,
    Role,
    SaleStage,
    Source,
    Stage,
    StepKind,
)
from core.domain.funnel import is_final, next_stage

NAME_MAX = 200
CONTACT_MAX = 200
ACTIVITY_TEXT_MAX = 4000
REASON_MAX = 500
STEP_NOTE_MAX = 500


class ContactKind(StrEnum):
    """What a contact is (``core.domain.contacts`` reads and normalises them)."""

    PHONE = "phone"
    EMAIL = "email"
    TELEGRAM = "telegram"


@dataclass(frozen=True, slots=True)
class Contact:
    kind: ContactKind
    value: str  # as typed
    normal: str  # the comparable form
    id: int | None = None  # the stored row's id (None before it is stored)

    @property
    def key(self) -> tuple[ContactKind, str]:
        return (self.kind, self.normal)


class LeadChanges(TypedDict, total=False):
    """Columns of a lead a use case may write; every edit also carries ``Lead.touch``'s version and time."""

    stage: Stage
    name: str | None
    contact: str | None
    company: str | None
    business_domain: str | None
    attributes: dict[str, Any]
    activity_count: int
    activity_counts: dict[str, int]
    ai_score: float | None
    ai_recommendation: Recommendation | None
    ai_reason: str | None
    ai_reason_ru: str | None
    ai_scored_at: datetime | None
    scorer_version: str | None
    owner_id: int | None
    lost_reason: str | None
    lost_reason_code: LostReason | None
    first_contact_at: datetime | None
    last_activity_at: datetime | None
    stage_entered_at: datetime
    assigned_at: datetime | None
    next_step_kind: StepKind | None
    next_step_due_at: datetime | None
    next_step_note: str | None
    next_step_reminded_at: datetime | None
    sla_reminded_at: datetime | None
    sla_escalated_at: datetime | None
    stale_snoozed_until: datetime | None
    merged_into_id: int | None
    merged_at: datetime | None
    merged_by: str | None
    external_id: str | None
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Lead:
    id: int
    source: Source
    stage: Stage
    name: str | None = None
    contact: str | None = None
    business_domain: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    activity_count: int = 0
    activity_counts: dict[str, int] = field(default_factory=dict)
    ai_score: float | None = None
    ai_recommendation: Recommendation | None = None
    ai_reason: str | None = None
    ai_reason_ru: str | None = None
    ai_scored_at: datetime | None = None
    scorer_version: str | None = None
    owner_id: int | None = None
    owner_name: str | None = None
    lost_reason: str | None = None  # the free text, if any
    lost_reason_code: LostReason | None = None  # the preset, if one was chosen
    external_id: str | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    first_contact_at: datetime | None = None
    last_activity_at: datetime | None = None
    stage_entered_at: datetime | None = None  # when the lead entered its current stage
    assigned_at: datetime | None = None  # when it got its current owner
    # The one next step of an open lead (all three set, or none); reminded once at ``next_step_due_at``.
    next_step_kind: StepKind | None = None
    next_step_due_at: datetime | None = None
    next_step_note: str | None = None
    next_step_reminded_at: datetime | None = None
    # The first-contact SLA: the owner was reminded / the team leads were told (each once).
    sla_reminded_at: datetime | None = None
    sla_escalated_at: datetime | None = None
    stale_snoozed_until: datetime | None = None  # "stalled" is not flagged before this
    company: str | None = None  # beside the person's name
    # Every contact (phones, e-mails, usernames), ``contact`` (the primary one) among them; oldest first.
    contacts: tuple[Contact, ...] = ()
    # A lead merged into another (``core.services.merge``) is a tombstone: kept for the record and for the
    # answer "merged into #N", left out of every list, search, count, duplicate check and scheduled job.
    merged_into_id: int | None = None
    merged_at: datetime | None = None
    merged_by: str | None = None  # the actor's label

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def display_name(self) -> str:
        return self.name or f"Lead #{self.id}"

    @property
    def is_final(self) -> bool:
        return is_final(self.stage)

    @property
    def next_stage(self) -> Stage | None:
        return next_stage(self.stage)

    def touch(self, now: datetime) -> LeadChanges:
        """The one rule of every edit: the version goes up (buttons on older cards become stale) and
        ``updated_at`` moves to ``now`` (lists are newest-updated first)."""
        return {"version": self.version + 1, "updated_at": now}

    def changed(self, changes: LeadChanges) -> Lead:
        """This lead with ``changes`` applied (what the repository just wrote)."""
        return replace(self, **changes)

    @property
    def next_step(self) -> NextStep | None:
        if self.next_step_kind is None or self.next_step_due_at is None:
            return None
        return NextStep(self.next_step_kind, self.next_step_due_at, self.next_step_note)

    @property
    def last_touched_at(self) -> datetime | None:
        """The later of the last activity and entering the current stage (else its creation): what "stalled"
        counts from."""
        stamps = [t for t in (self.last_activity_at, self.stage_entered_at) if t is not None]
        return max(stamps) if stamps else self.created_at


@dataclass(frozen=True, slots=True)
class NextStep:
    kind: StepKind
    due_at: datetime  # UTC
    note: str | None = None

    def overdue_by(self, now: datetime) -> timedelta | None:
        """How late the step is at ``now`` (None while it is not due yet)."""
        late = now - self.due_at
        return late if late > timedelta(0) else None


@dataclass(frozen=True, slots=True)
class LeadEvent:
    """A history entry of a lead that is neither an activity nor a stage change (assignment, next step...)."""

    id: int
    lead_id: int
    kind: LeadEventKind
    actor: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Activity:
    id: int
    lead_id: int
    kind: ActivityKind
    text: str | None  # the note or the comment
    author: str
    created_at: datetime
    outcome: ActivityOutcome | None = None  # calls and meetings (core.domain.funnel.OUTCOMES)


@dataclass(frozen=True, slots=True)
class StageChange:
    id: int
    lead_id: int
    from_stage: Stage
    to_stage: Stage
    actor: str
    reason: str | None
    created_at: datetime
    reason_code: LostReason | None = None


@dataclass(frozen=True, slots=True)
class Sale:
    id: int
    lead_id: int
    stage: SaleStage
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    amount: Decimal | None = None  # with ``currency`` (ISO 4217); both or neither
    currency: str | None = None
    expected_close_at: datetime | None = None  # UTC; shown as a day in the viewer's zone
    owner_id: int | None = None  # the team lead (or seller) working the deal


class SaleChanges(TypedDict, total=False):
    """Columns of a sale ``update_sale`` may write (``None`` clears one)."""

    amount: Decimal | None
    currency: str | None
    expected_close_at: datetime | None
    owner_id: int | None


@dataclass(frozen=True, slots=True)
class SaleTotal:
    """Deals of one stage in one currency (``currency`` None: the deals without an amount)."""

    stage: SaleStage
    currency: str | None
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SaleStageChange:
    id: int
    sale_id: int
    from_stage: SaleStage
    to_stage: SaleStage
    actor: str
    reason: str | None
    created_at: datetime
    reason_code: LostReason | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: int  # Telegram user id
    role: Role
    full_name: str
    username: str | None = None
    language: str | None = None
    is_active: bool = True
    timezone: str | None = None  # an IANA zone name; None: the team's DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an operation: a bot user, an API key or the system."""

    label: str  # e.g. "tg:12345", "api:partner-intake", "system"
    user_id: int | None = None
    role: Role | None = None
    source: str | None = None  # an API key scoped to one source: the only source it may create leads with

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(label=f"tg:{user.id}", user_id=user.id, role=user.role)

    @classmethod
    def api(cls, key_name: str, source: str | None = None) -> Actor:
        return cls(label=f"api:{key_name}", source=source)

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(label=what)

    @property
    def sees_all_leads(self) -> bool:
        """API keys, the system, admins and team leads see every lead; managers only their own."""
        return self.role is None or self.role in (Role.ADMIN, Role.TEAM_LEAD)

    def may_act_on(self, owner_id: int | None) -> bool:
        return self.sees_all_leads or (self.user_id is not None and owner_id == self.user_id)


@dataclass(frozen=True, slots=True)
class Invite:
    """A one-time registration code for a role."""

    code: str
    role: Role
    created_by: int
    expires_at: datetime
    used_by: int | None = None
    used_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An integration's key as stored: never the secret, only its hash and first characters."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    source: str | None = None  # None: any source; else the only source its leads may have


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A Telegram message waiting in the outbox (or already sent / failed). It is addressed either to a
    ``destination`` that the sender resolves when it sends (``chat_id`` None until then) or to ``chat_id``."""

    id: int
    dedupe_key: str
    chat_id: int | None
    thread_id: int | None
    method: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None = None
    sent_at: datetime | None = None
    destination: str | None = None
