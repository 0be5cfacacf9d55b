"""Ports of the scheduler's due work: ``uow.schedule`` and the values its jobs read."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.domain.enums import (
    Stage,
    StepKind,
)
from core.domain.models import (
    User,
)


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
    method: str = "sendMessage"  # or "sendPhoto": the sender renders the picture (bot/outbox.py)


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
