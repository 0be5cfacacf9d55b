"""Ports of leads and sales: ``uow.leads``, ``uow.sales``, and the values they take."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.domain.contacts import Contact, ContactKind
from core.domain.enums import (
    ActivityKind,
    ActivityOutcome,
    LeadEventKind,
    LostReason,
    SaleStage,
    Source,
    Stage,
)
from core.domain.models import (
    Activity,
    Lead,
    LeadChanges,
    LeadEvent,
    Sale,
    SaleChanges,
    SaleStageChange,
    SaleTotal,
    StageChange,
)
from core.domain.search import SearchPosition, SearchTerms


@dataclass(frozen=True, slots=True)
class LeadFilter:
    stage: Stage | None = None
    owner_id: int | None = None
    source: Source | None = None
    unassigned: bool = False  # only leads without an owner (the queue)
    updated_since: datetime | None = None  # only leads changed at or after this moment (incremental sync)


@dataclass(frozen=True, slots=True)
class SaleFilter:
    stage: SaleStage | None = None
    owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Keyset position: (updated_at, id) of the last lead of the previous page."""

    updated_at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class Found:
    """A search result and its place in the search's order (the cursor of the page after it)."""

    lead: Lead
    position: SearchPosition


@dataclass(frozen=True, slots=True)
class NewLead:
    source: Source
    name: str | None
    contact: str | None
    business_domain: str | None
    attributes: dict[str, Any]
    owner_id: int | None
    created_at: datetime
    company: str | None = None
    contacts: tuple[Contact, ...] = ()  # ``contact``'s among them


@dataclass(frozen=True, slots=True)
class MovedHistory:
    """What ``move_history`` moved from the merged-away lead to the survivor (rows of each kind)."""

    activities: int
    stage_changes: int
    events: int
    repointed: int  # leads that had been merged into the merged-away lead, now pointing at the survivor


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

    async def get_many(self, lead_ids: Sequence[int]) -> dict[int, Lead]:
        """The leads of ``lead_ids`` that exist, by id (one query; a board's deals)."""

    async def add(self, lead: NewLead) -> Lead:
        """The new lead with its ``contacts`` stored."""

    async def replace_contacts(self, lead_id: int, contacts: Sequence[Contact]) -> tuple[Contact, ...]:
        """Make the lead's contacts exactly ``contacts`` (compared by kind and normal form; those kept keep their
        id and typed form); returns them as stored, oldest first."""

    async def with_contacts(self, keys: Sequence[tuple[ContactKind, str]], *, limit: int) -> list[Lead]:
        """Leads having any of these (kind, normal) contacts, oldest first: the duplicate guard (merged leads
        are left out, as in every list, search and count)."""

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
        outcome: ActivityOutcome | None = None,
    ) -> tuple[Lead, Activity]:
        """Add an activity and write ``changes`` (its counters) to the lead: one command, one round trip."""

    async def attribute_keys(self, *, recent: int, limit: int) -> list[str]:
        """The attribute keys of the ``recent`` newest leads, most frequent first (ties by key)."""

    async def set_activity_text(self, lead_id: int, activity_id: int, text: str | None) -> Activity | None:
        """Replace the text (a comment) of one of the lead's activities; None when the lead has no such one."""

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

    async def list_leads_by_id(self, flt: LeadFilter, *, limit: int, before_id: int | None = None) -> list[Lead]:
        """Newest-created first (id descending), only ids below ``before_id``: a stable keyset page (a lead
        changed during a pass keeps its place, unlike the newest-updated order)."""

    async def count_leads(self, flt: LeadFilter) -> int: ...

    async def count_leads_upto(self, flt: LeadFilter, cap: int) -> int:
        """``count_leads``, but counting stops at ``cap`` (a board column says "10000+" instead of reading
        every row of a stage of a million leads)."""

    async def stage_counts_upto(self, flt: LeadFilter, stages: Sequence[Stage], cap: int) -> dict[Stage, int]:
        """``count_leads_upto`` of each of ``stages`` (``flt``'s own stage ignored), in one query."""

    async def search_leads(
        self, terms: SearchTerms, flt: LeadFilter, *, limit: int, after: SearchPosition | None = None
    ) -> list[Found]:
        """Leads matching ``terms`` (and ``flt``), best first, strictly after
        ``after``: first those whose name or company contains the text, or a contact equals ``terms.phone``
        or contains one of ``terms.parts`` (newest first); only when there are none, and ``terms.fuzzy``
        says so, those similar to it (a typo; most similar first, then newest). Each with its position."""

    async def list_activities(self, lead_id: int, *, limit: int) -> list[Activity]: ...

    async def move_history(self, from_id: int, to_id: int) -> MovedHistory:
        """A merge: every activity, stage change and event of lead ``from_id`` becomes ``to_id``'s (their ids
        and times unchanged), and leads merged into ``from_id`` are re-pointed at ``to_id``."""

    async def list_stage_changes(self, lead_id: int, *, limit: int) -> list[StageChange]: ...

    async def add_event(
        self, lead_id: int, *, kind: LeadEventKind, actor: str, data: dict[str, Any], created_at: datetime
    ) -> LeadEvent:
        """A history entry besides activities and stage changes (``data``: JSON values only)."""

    async def list_events(self, lead_id: int, *, limit: int, kind: LeadEventKind | None = None) -> list[LeadEvent]:
        """Newest first; ``kind``: only those (the deal card's edits)."""

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

    async def update(self, sale_id: int, changes: SaleChanges, *, now: datetime) -> Sale:
        """Write ``changes`` (and ``updated_at``) to an existing sale; the sale as it is now."""

    async def list_sales(
        self, flt: SaleFilter, *, limit: int, offset: int = 0, before_id: int | None = None
    ) -> list[Sale]:
        """Newest first (by id); ``before_id``: the keyset position (ids below it)."""

    async def count_sales(self, flt: SaleFilter) -> int: ...

    async def totals(self, owner_id: int | None = None) -> list[SaleTotal]:
        """Count and amount per stage and currency (of ``owner_id``'s deals when given)."""
