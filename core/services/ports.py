"""The ports services talk to: a unit of work and one repository per aggregate.

Services see only these Protocols and the domain objects they return; ``core/storage`` implements them on
PostgreSQL (SQLAlchemy) and ``tests/unit/fakes.py`` in memory. A repository owns its flushing and the mapping
between rows and domain objects; it never commits — only a service does, through the unit of work.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from core.domain.enums import (
    ActivityKind,
    AssignmentRule,
    LeadEventKind,
    LostReason,
    Role,
    SaleStage,
    Source,
    Stage,
    StepKind,
)
from core.domain.models import (
    Activity,
    ApiKey,
    Invite,
    Lead,
    LeadChanges,
    LeadEvent,
    OutboxMessage,
    Sale,
    SaleStageChange,
    StageChange,
    User,
)
from core.imports.records import ImportedLead, UpsertCounts


@dataclass(frozen=True, slots=True)
class LeadFilter:
    stage: Stage | None = None
    owner_id: int | None = None
    source: Source | None = None
    unassigned: bool = False  # only leads without an owner (the queue)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset position: (updated_at, id) of the last lead of the previous page."""

    updated_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class NewLead:
    source: Source
    name: str | None
    contact: str | None
    business_domain: str | None
    attributes: dict[str, Any]
    owner_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DayCounts:
    owner_id: int
    overdue: int
    today: int
    no_step: int


class LeadRepository(Protocol):
    async def get(self, lead_id: int, *, lock: bool = False) -> Lead | None:
        """The lead (with its owner's name); ``lock`` holds its row until the transaction ends, so concurrent
        changes of one lead serialize."""

    async def add(self, lead: NewLead) -> Lead: ...

    async def update(self, lead: Lead, changes: LeadChanges) -> Lead:
        """Write ``changes`` to a lead read in this transaction; returns the lead as now stored."""

    async def record_activity(
        self,
        lead: Lead,
        *,
        kind: ActivityKind,
        text: str | None,
        author: str,
        created_at: datetime,
        changes: LeadChanges,
    ) -> tuple[Lead, Activity]:
        """Add an activity and write ``changes`` (its counters) to the lead: one command, one round trip."""

    async def record_stage_change(
        self,
        lead: Lead,
        *,
        to_stage: Stage,
        actor: str,
        reason: str | None,
        reason_code: LostReason | None,
        created_at: datetime,
        changes: LeadChanges,
    ) -> tuple[Lead, StageChange]:
        """Add the history row of a stage change and write ``changes`` to the lead: one command."""

    async def list_leads(
        self, flt: LeadFilter, *, limit: int, after: Cursor | None = None, offset: int = 0
    ) -> list[Lead]:
        """Newest-updated first (``after``: keyset page; ``offset``: numbered page)."""

    async def count_leads(self, flt: LeadFilter) -> int: ...

    async def search_leads(self, text: str, *, owner_id: int | None, limit: int) -> list[Lead]: ...

    async def list_activities(self, lead_id: int, *, limit: int) -> list[Activity]: ...

    async def list_stage_changes(self, lead_id: int, *, limit: int) -> list[StageChange]: ...

    async def add_event(
        self, lead_id: int, *, kind: LeadEventKind, actor: str, data: dict[str, Any], created_at: datetime
    ) -> LeadEvent:
        """A history entry besides activities and stage changes (``data``: JSON values only)."""

    async def list_events(self, lead_id: int, *, limit: int) -> list[LeadEvent]:
        """Newest first."""

    # /today (core.services.today); ``owner_id`` None: every owned lead. Indexed by ix_leads_owner_next_step.
    async def steps_due(self, owner_id: int | None, *, before: datetime, per_owner: int) -> list[Lead]:
        """Open leads whose next step is due before ``before``, soonest first, at most ``per_owner`` per owner."""

    async def without_step(self, owner_id: int | None, *, per_owner: int) -> list[Lead]:
        """Open owned leads with no next step, least recently updated first, at most ``per_owner`` per owner."""

    async def day_counts(self, owner_id: int | None, *, now: datetime, before: datetime) -> list[DayCounts]:
        """Per owner of open leads: steps overdue at ``now``, due from ``now`` to ``before``, leads without one."""


class SaleRepository(Protocol):
    async def add(self, lead_id: int, *, created_at: datetime) -> Sale: ...

    async def get(self, sale_id: int, *, lock: bool = False) -> Sale | None: ...

    async def by_lead(self, lead_id: int) -> Sale | None: ...

    async def record_stage_change(
        self,
        sale: Sale,
        *,
        to_stage: SaleStage,
        actor: str,
        reason: str | None,
        reason_code: LostReason | None,
        now: datetime,
        closed_at: datetime | None,
    ) -> Sale:
        """Move the sale, stamp it and add its history row."""

    async def list_stage_changes(self, sale_id: int) -> list[SaleStageChange]: ...


class UserRepository(Protocol):
    async def get(self, user_id: int) -> User | None: ...

    async def insert_if_missing(
        self, *, user_id: int, full_name: str, role: Role, username: str | None, language: str | None
    ) -> None:
        """Create the user unless it exists (two first updates of a bootstrap admin may race)."""

    async def add(self, user: User) -> User: ...

    async def update(self, user_id: int, **values: Any) -> User:
        """Write ``values`` (full_name, username, language, role, is_active) to an existing user."""

    def update_on_commit(self, user_id: int, **values: Any) -> User:
        """Like ``update``, but written only if the unit of work commits (the user as it will be)."""

    async def list_users(self, *, include_inactive: bool = True) -> list[User]: ...

    async def active_ids_with_role(self, role: Role) -> list[int]: ...

    async def add_invite(self, invite: Invite) -> None: ...

    async def get_invite(self, code: str, *, lock: bool = False) -> Invite | None: ...

    async def spend_invite(self, code: str, *, used_by: int, used_at: datetime) -> None: ...


class ApiKeyRepository(Protocol):
    async def add(self, *, name: str, key_hash: str, prefix: str, created_at: datetime) -> ApiKey: ...

    async def name_by_hash(self, key_hash: str) -> str | None:
        """The name of the key with this hash, unless it is revoked."""

    async def by_name(self, name: str) -> ApiKey | None: ...

    async def revoke(self, key_id: int, *, when: datetime) -> ApiKey: ...

    async def list_keys(self) -> list[ApiKey]: ...


class OutboxRepository(Protocol):
    async def enqueue(
        self,
        *,
        dedupe_key: str,
        payload: dict[str, Any],
        chat_id: int | None = None,
        thread_id: int | None = None,
        destination: str | None = None,
        method: str = "sendMessage",
    ) -> bool:
        """Queue a message once per ``dedupe_key``, for ``destination`` (resolved by the sender) or for
        ``chat_id``; False when it was already queued."""

    async def claim_due(self, now: datetime, limit: int, *, destinations: Collection[str] = ()) -> list[OutboxMessage]:
        """The oldest pending message of each destination and of each chat that is due, locked (order is
        kept per destination and per chat). Messages for destinations not in ``destinations`` (the ones
        the sender cannot resolve) are left alone."""

    async def count_pending(self, destination: str) -> int:
        """How many messages for ``destination`` are still to be sent."""

    async def mark(self, message_id: int, **values: Any) -> None:
        """Write status / attempts / next_attempt_at / last_error / sent_at."""

    async def get(self, message_id: int) -> OutboxMessage | None: ...


@dataclass(frozen=True, slots=True)
class ReceivedUpdate:
    """A Telegram update as the poller received it: ``payload`` is its JSON; ``chat_key`` the chat it belongs to
    (else its user; None for updates of neither), the unit in which updates are applied in order."""

    update_id: int
    chat_key: int | None
    payload: dict[str, Any]


class InboxRepository(Protocol):
    """``uow.inbox``: the updates the bot received, stored before Telegram is told, and which are done."""

    async def tables_exist(self) -> bool: ...

    async def store(self, updates: Sequence[ReceivedUpdate]) -> list[int]:
        """Store the updates not stored yet; returns the ids that are new."""

    async def pending(self, *, after: int | None, limit: int) -> list[ReceivedUpdate]:
        """Stored updates not done yet, oldest first."""

    async def claim(self, update_id: int, *, prefetch_user_id: int | None = None) -> bool:
        """Mark the update done in this transaction; False when an earlier delivery already did (and committed)."""

    async def finish(self, update_id: int) -> None:
        """Mark a stored update done unless it is."""

    async def prune(self, older_than: datetime) -> int: ...


@dataclass(frozen=True, slots=True)
class ClosedLead:
    lead: Lead
    sale_stage: SaleStage | None
    closed_at: datetime  # when the outcome became known


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A trained scorer as stored (``model_blob`` is the joblib dump)."""

    version: str
    algorithm: str
    features: list[str]
    trained_at: datetime
    n_won: int
    n_lost: int
    auc: float
    brier: float
    metrics: dict[str, Any]
    model_blob: bytes
    is_active: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ScoreColumns:
    """What scoring writes to a lead."""

    lead_id: int
    changes: LeadChanges


class MlRepository(Protocol):
    async def closed_leads(self) -> list[ClosedLead]: ...

    async def active_id(self) -> tuple[int, str] | None:
        """(id, version) of the active model: a cheap check before using a cached one."""

    async def get(self, version_id: int) -> ModelVersion | None: ...

    async def active(self) -> ModelVersion | None: ...

    async def add(self, version: ModelVersion, *, activate: bool) -> None:
        """Store a version; with ``activate`` it becomes the only active one (activations serialize)."""

    async def open_leads_after(self, after_id: int, limit: int) -> list[Lead]:
        """The next batch of open leads by id, locked for this transaction."""

    async def store_scores(self, scores: Sequence[ScoreColumns]) -> None: ...


class ImportsRepository(Protocol):
    """``uow.imports``: stores imported leads by ``external_id`` (re-import updates, never duplicates)."""

    async def upsert_leads(self, leads: Sequence[ImportedLead], now: datetime) -> UpsertCounts:
        """Insert or update ``leads`` with their import history in the unit of work's transaction."""
        ...


@dataclass(frozen=True, slots=True)
class AssignmentState:
    """``team_settings['assignment']``: the rule an admin chose (None: the settings' default) and the
    round-robin position (the last manager picked)."""

    rule: AssignmentRule | None = None
    last_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """One lead given to an owner in bulk (the importer, a deactivation): the history row comes with it."""

    lead_id: int
    owner_id: int | None
    from_id: int | None = None


class TeamRepository(Protocol):
    """``uow.team``: intake assignment's state and the facts its rules read."""

    async def lock_assignment(self) -> AssignmentState:
        """Read ``team_settings['assignment']`` and hold its row until the transaction ends, so concurrent
        intakes pick owners one after another (created when missing)."""

    async def read_assignment(self) -> AssignmentState:
        """The same without the lock (for showing the rule)."""

    async def save_assignment(self, state: AssignmentState, *, actor: str, now: datetime) -> None: ...

    async def active_managers(self) -> list[int]:
        """Ids of the active users with role manager, ascending."""

    async def open_lead_counts(self, user_ids: Sequence[int]) -> dict[int, int]:
        """Open leads (new / contacted / qualified) owned by each of ``user_ids`` (0 for none)."""

    async def open_leads_of(self, user_id: int) -> list[Lead]:
        """The user's open leads, oldest first, locked for this transaction."""

    async def assign_many(
        self,
        assignments: Sequence[Assignment],
        *,
        actor: str,
        rule: AssignmentRule | None,
        now: datetime,
        touch: bool = True,
    ) -> None:
        """Set each lead's owner (version + 1, ``assigned_at`` = now, and ``updated_at`` = now with ``touch``)
        and add its ASSIGNED event: one statement for all of them."""


# ---------------------------------------------------------------- the scheduler's due work (uow.schedule)


@dataclass(frozen=True, slots=True)
class Addressee:
    """Whom a scheduled message is about or for: a lead's owner as stored (``active`` False: deactivated)."""

    user_id: int | None
    name: str | None = None
    language: str | None = None
    timezone: str | None = None
    active: bool = False

    @property
    def reachable(self) -> bool:
        """An owner who can read a personal message (else the team leads' group is told)."""
        return self.user_id is not None and self.active


@dataclass(frozen=True, slots=True)
class DueStep:
    """A next step whose reminder was just claimed (stamped ``next_step_reminded_at``)."""

    lead_id: int
    lead_name: str | None
    version: int
    kind: StepKind
    due_at: datetime
    note: str | None
    owner: Addressee


@dataclass(frozen=True, slots=True)
class SlaBreach:
    """A new lead nobody contacted in time, just claimed for the SLA reminder or the escalation."""

    lead_id: int
    lead_name: str | None
    created_at: datetime
    owner: Addressee


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """An outbox row to write (``chat_id`` or ``destination``), queued once per ``dedupe_key``."""

    dedupe_key: str
    payload: dict[str, Any]
    chat_id: int | None = None
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class DigestLead:
    lead_id: int
    name: str | None
    stage: Stage
    at: datetime | None  # the step's due time (today, overdue), since when stalled, when assigned
    kind: StepKind | None = None


@dataclass(frozen=True, slots=True)
class DigestPart:
    count: int
    leads: list[DigestLead]  # the first few, oldest first


@dataclass(frozen=True, slots=True)
class Digest:
    """One owner's day: steps due today (not yet due), overdue steps, stalled leads, leads newly assigned."""

    today: DigestPart
    overdue: DigestPart
    stale: DigestPart
    assigned: DigestPart
    open_leads: int


@dataclass(frozen=True, slots=True)
class TeamLine:
    owner_id: int | None  # None: the unassigned queue
    owner_name: str | None
    open_leads: int
    overdue: int
    today: int
    stale: int


@dataclass(frozen=True, slots=True)
class DueWindow:
    """What "today", "overdue" and "stalled" mean for one digest: times in UTC."""

    now: datetime
    day_end: datetime  # the end of the recipient's local day
    stale_before: dict[Stage, datetime]  # per open stage: last touched before this -> stalled
    assigned_since: datetime


class ScheduleRepository(Protocol):
    """``uow.schedule``: the scheduler's due work, found by the partial indexes of migration 0005. The claims
    lock the rows they take (``FOR UPDATE SKIP LOCKED``: another scheduler skips them) and stamp them in the
    same statement, so a step or a breach is claimed once."""

    async def try_lock(self, key: int) -> bool:
        """A transaction-scoped advisory lock (``pg_try_advisory_xact_lock``); False when another holds it."""

    async def next_due(self) -> datetime | None:
        """The earliest due time of a step not reminded yet (None: no step waits)."""

    async def claim_due_steps(self, now: datetime, limit: int) -> list[DueStep]:
        """Stamp ``next_step_reminded_at = now`` on up to ``limit`` steps due by ``now`` and not reminded."""

    async def claim_sla_reminders(self, created_before: datetime, now: datetime, limit: int) -> list[SlaBreach]:
        """New, uncontacted leads created before ``created_before``, neither reminded nor escalated: stamp
        ``sla_reminded_at``."""

    async def claim_sla_escalations(
        self, created_before: datetime, now: datetime, limit: int, *, event_data: dict[str, Any]
    ) -> list[SlaBreach]:
        """New, uncontacted leads created before ``created_before``, not escalated: stamp ``sla_escalated_at``
        (and ``sla_reminded_at`` if unset) and record an ``sla_escalated`` event with ``event_data``."""

    async def enqueue_many(self, messages: Sequence[QueuedMessage]) -> int:
        """Queue the messages in one statement, skipping dedupe keys already queued; how many were new."""

    async def existing_keys(self, keys: Collection[str]) -> set[str]:
        """Which of ``keys`` are outbox dedupe keys already."""

    async def checked_at(self, job: str, now: datetime) -> datetime | None:
        """When ``job`` last looked for due work (None: never), and record ``now`` as its new mark."""

    async def digest_users(self) -> list[tuple[User, int]]:
        """Active users, each with how many open leads they own."""

    async def digest(self, owner_id: int, window: DueWindow, *, sample: int) -> Digest: ...

    async def team_summary(self, window: DueWindow) -> list[TeamLine]:
        """Per owner of open leads (active users; None: the queue and inactive owners)."""


class UnitOfWork(Protocol):
    """One transaction. ``async with uow`` opens it (nested: a savepoint); it rolls back unless committed."""

    @property
    def leads(self) -> LeadRepository: ...
    @property
    def sales(self) -> SaleRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def inbox(self) -> InboxRepository: ...
    @property
    def ml(self) -> MlRepository: ...
    @property
    def imports(self) -> ImportsRepository: ...
    @property
    def team(self) -> TeamRepository: ...
    @property
    def schedule(self) -> ScheduleRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def ping(self) -> bool:
        """True when the database answers (``SELECT 1``)."""
