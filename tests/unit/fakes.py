"""In-memory implementations of the service ports (``core.services.ports``), for unit tests of services.

Like the PostgreSQL unit of work, ``FakeUnitOfWork`` keeps nothing that was not committed: each level copies
the state when it opens (a commit replaces every level's copy with the committed state) and puts its copy back
when it ends, so uncommitted work is undone and an inner level's undo leaves the outer level's work.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from difflib import SequenceMatcher
from types import TracebackType
from typing import Any

from core.domain.clock import utcnow
from core.domain.contacts import Contact, ContactKind
from core.domain.enums import (
    ActivityKind,
    ActivityOutcome,
    AssignmentRule,
    LeadEventKind,
    LostReason,
    Role,
    SaleStage,
    Stage,
)
from core.domain.funnel import OPEN_STAGES
from core.domain.models import (
    Activity,
    ApiKey,
    Invite,
    Lead,
    LeadChanges,
    LeadEvent,
    OutboxMessage,
    Sale,
    SaleChanges,
    SaleStageChange,
    SaleTotal,
    StageChange,
    User,
)
from core.domain.search import Fuzzy, SearchPosition, SearchTerms, Tier
from core.imports.records import ImportedLead, LeadHit, UpsertCounts
from core.services.ports import (
    Addressee,
    Assignment,
    AssignmentState,
    ClosedLead,
    Cursor,
    DayCounts,
    Delivery,
    DeliveryState,
    Digest,
    DigestLead,
    DigestPart,
    DueStep,
    DueWindow,
    Found,
    GateStats,
    Intake,
    LeadFilter,
    Leased,
    ModelChange,
    ModelVersion,
    MovedHistory,
    NewLead,
    QueuedMessage,
    ReceivedUpdate,
    SaleFilter,
    ScoreColumns,
    SlaBreach,
    StoredResponse,
    TeamLine,
    Webhook,
)
from core.services.ports.export import DealExportRow, ExportFilter, ExportRow
from core.services.ports.reports import (
    FunnelCounts,
    LostCount,
    LostCounts,
    ManagerCounts,
    ReportScope,
    ScoreBandCounts,
    SourceCounts,
    StageFlow,
)


@dataclass
class State:
    leads: dict[int, Lead] = field(default_factory=dict)
    activities: list[Activity] = field(default_factory=list)
    stage_changes: list[StageChange] = field(default_factory=list)
    events: list[LeadEvent] = field(default_factory=list)
    sales: dict[int, Sale] = field(default_factory=dict)
    sale_changes: list[SaleStageChange] = field(default_factory=list)
    users: dict[int, User] = field(default_factory=dict)
    outbox: dict[str, OutboxMessage] = field(default_factory=dict)
    inbox: dict[int, InboxEntry] = field(default_factory=dict)
    assignment: AssignmentState = field(default_factory=AssignmentState)
    marks: dict[str, datetime] = field(default_factory=dict)  # the scheduler's checked_at per job
    idempotency: dict[tuple[str, str], tuple[datetime, StoredResponse | None]] = field(default_factory=dict)
    idempotency_bodies: dict[tuple[str, str], str | None] = field(default_factory=dict)
    webhook_events: list[tuple[str, int | None]] = field(default_factory=list)
    schema_revision: str | None = None
    turns: int = 0  # the round-robin sequence (assignment_turns)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class _Repo:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def s(self) -> State:
        return self._uow.state


def _matches(lead: Lead, terms: SearchTerms) -> bool:
    needle = terms.text.lower()
    if terms.in_names and any(needle in (value or "").lower() for value in (lead.name, lead.company)):
        return True
    return any(c.normal == terms.phone or any(p in c.normal.lower() for p in terms.parts) for c in lead.contacts)


def _similarity(lead: Lead, terms: SearchTerms) -> int:
    if terms.fuzzy is Fuzzy.NONE:
        return 0
    if terms.fuzzy is Fuzzy.EMAIL:
        values = [c.normal for c in lead.contacts]
    else:
        values = [v.lower() for v in (lead.name, *(lead.company or "").split()) if v]
    return max((int(SequenceMatcher(None, v, terms.folded).ratio() * 1000) for v in values), default=0)


class FakeLeads(_Repo):
    async def get(self, lead_id: int, *, lock: bool = False) -> Lead | None:
        lead = self.s.leads.get(lead_id)
        return self._with_owner(lead) if lead is not None else None

    async def get_many(self, lead_ids: Sequence[int]) -> dict[int, Lead]:
        return {i: self._with_owner(self.s.leads[i]) for i in lead_ids if i in self.s.leads}

    def _with_owner(self, lead: Lead) -> Lead:
        owner = self.s.users.get(lead.owner_id) if lead.owner_id is not None else None
        return replace(lead, owner_name=owner.full_name if owner else None)

    async def add(self, lead: NewLead) -> Lead:
        stored = Lead(
            id=self.s.new_id(),
            source=lead.source,
            stage=Stage.NEW,
            name=lead.name,
            contact=lead.contact,
            company=lead.company,
            business_domain=lead.business_domain,
            attributes=dict(lead.attributes),
            owner_id=lead.owner_id,
            created_at=lead.created_at,
            updated_at=lead.created_at,
            stage_entered_at=lead.created_at,
            assigned_at=lead.created_at if lead.owner_id is not None else None,
        )
        self.s.leads[stored.id] = stored
        if lead.contacts:
            await self.replace_contacts(stored.id, lead.contacts)
        return self._with_owner(self.s.leads[stored.id])

    async def replace_contacts(self, lead_id: int, contacts: Sequence[Contact]) -> tuple[Contact, ...]:
        old = {c.key: c for c in self.s.leads[lead_id].contacts}
        kept: dict[tuple[ContactKind, str], Contact] = {}
        for c in sorted(old.values(), key=lambda c: c.id or 0):
            if any(n.key == c.key for n in contacts):
                kept[c.key] = c
        for c in contacts:
            if c.key not in kept:
                kept[c.key] = replace(c, id=self.s.new_id())
        stored = tuple(kept.values())
        self.s.leads[lead_id] = replace(self.s.leads[lead_id], contacts=stored)
        return stored

    async def with_contacts(self, keys: Sequence[tuple[ContactKind, str]], *, limit: int) -> list[Lead]:
        wanted = set(keys)
        found = [
            lead for lead in self.s.leads.values() if not lead.is_merged and any(c.key in wanted for c in lead.contacts)
        ]
        return [self._with_owner(lead) for lead in sorted(found, key=lambda lead: lead.id)][:limit]

    async def update(self, lead: Lead, changes: LeadChanges) -> Lead:
        self.s.leads[lead.id] = replace(self.s.leads[lead.id], **changes)
        return self._with_owner(self.s.leads[lead.id])

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
        activity = Activity(self.s.new_id(), lead.id, kind, text, author, created_at, outcome)
        self.s.activities.append(activity)
        return await self.update(lead, changes), activity

    async def attribute_keys(self, *, recent: int, limit: int) -> list[str]:
        counts: dict[str, int] = {}
        for lead_id in sorted(self.s.leads, reverse=True)[:recent]:
            for key in self.s.leads[lead_id].attributes:
                counts[key] = counts.get(key, 0) + 1
        return sorted(counts, key=lambda key: (-counts[key], key))[:limit]

    async def set_activity_text(self, lead_id: int, activity_id: int, text: str | None) -> Activity | None:
        for i, activity in enumerate(self.s.activities):
            if activity.id == activity_id and activity.lead_id == lead_id:
                self.s.activities[i] = replace(activity, text=text)
                return self.s.activities[i]
        return None

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
        change = StageChange(self.s.new_id(), lead.id, lead.stage, to_stage, actor, reason, created_at, reason_code)
        self.s.stage_changes.append(change)
        return await self.update(lead, changes), change

    def _matching(self, flt: LeadFilter) -> list[Lead]:
        found = [
            lead
            for lead in self.s.leads.values()
            if not lead.is_merged
            and (flt.stage is None or lead.stage == flt.stage)
            and (flt.owner_id is None or lead.owner_id == flt.owner_id)
            and (flt.source is None or lead.source == flt.source)
            and (not flt.unassigned or lead.owner_id is None)
            and (flt.updated_since is None or (lead.updated_at is not None and lead.updated_at >= flt.updated_since))
        ]
        return sorted(found, key=lambda lead: (lead.updated_at, lead.id), reverse=True)

    async def list_leads(
        self, flt: LeadFilter, *, limit: int, after: Cursor | None = None, offset: int = 0
    ) -> list[Lead]:
        found = self._matching(flt)
        if after is not None:
            found = [lead for lead in found if (lead.updated_at, lead.id) < (after.updated_at, after.id)]
        return [self._with_owner(lead) for lead in found[offset : offset + limit]]

    async def list_leads_by_id(self, flt: LeadFilter, *, limit: int, before_id: int | None = None) -> list[Lead]:
        found = sorted(self._matching(flt), key=lambda lead: lead.id, reverse=True)
        if before_id is not None:
            found = [lead for lead in found if lead.id < before_id]
        return [self._with_owner(lead) for lead in found[:limit]]

    async def count_leads(self, flt: LeadFilter) -> int:
        return len(self._matching(flt))

    async def count_leads_upto(self, flt: LeadFilter, cap: int) -> int:
        return min(cap, len(self._matching(flt)))

    async def stage_counts_upto(self, flt: LeadFilter, stages: Sequence[Stage], cap: int) -> dict[Stage, int]:
        return {stage: min(cap, len(self._matching(replace(flt, stage=stage)))) for stage in stages}

    async def search_leads(
        self, terms: SearchTerms, flt: LeadFilter, *, limit: int, after: SearchPosition | None = None
    ) -> list[Found]:
        """The same rules as PostgreSQL's; "similar" is difflib's ratio ≥ 0.8 here, not trigrams."""
        leads = self._matching(flt)
        found = [Found(lead, SearchPosition(Tier.FOUND, 0, lead.id)) for lead in leads if _matches(lead, terms)]
        if not found:
            scored = ((lead, _similarity(lead, terms)) for lead in leads)
            found = [Found(lead, SearchPosition(Tier.SIMILAR, s, lead.id)) for lead, s in scored if s >= 800]
        found.sort(key=lambda f: f.position.sort_key())
        if after is not None:
            found = [f for f in found if f.position.sort_key() > after.sort_key()]
        return [replace(f, lead=self._with_owner(f.lead)) for f in found[:limit]]

    async def list_activities(self, lead_id: int, *, limit: int) -> list[Activity]:
        return [a for a in reversed(self.s.activities) if a.lead_id == lead_id][:limit]

    async def move_history(self, from_id: int, to_id: int) -> MovedHistory:
        def moved(rows: list[Any]) -> tuple[list[Any], int]:
            out = [replace(r, lead_id=to_id) if r.lead_id == from_id else r for r in rows]
            return out, sum(r.lead_id == from_id for r in rows)

        self.s.activities, activities = moved(self.s.activities)
        self.s.stage_changes, changes = moved(self.s.stage_changes)
        self.s.events, events = moved(self.s.events)
        repointed = [lead.id for lead in self.s.leads.values() if lead.merged_into_id == from_id]
        for lead_id in repointed:
            self.s.leads[lead_id] = replace(self.s.leads[lead_id], merged_into_id=to_id)
        return MovedHistory(activities, changes, events, len(repointed))

    async def list_stage_changes(self, lead_id: int, *, limit: int) -> list[StageChange]:
        return [c for c in reversed(self.s.stage_changes) if c.lead_id == lead_id][:limit]

    async def add_event(
        self, lead_id: int, *, kind: LeadEventKind, actor: str, data: dict[str, Any], created_at: datetime
    ) -> LeadEvent:
        event = LeadEvent(self.s.new_id(), lead_id, kind, actor, dict(data), created_at)
        self.s.events.append(event)
        return event

    async def list_events(self, lead_id: int, *, limit: int, kind: LeadEventKind | None = None) -> list[LeadEvent]:
        found = [e for e in reversed(self.s.events) if e.lead_id == lead_id and kind in (None, e.kind)]
        return found[:limit]

    def _open_owned(self, owner_id: int | None) -> list[Lead]:
        return [
            lead
            for lead in self.s.leads.values()
            if lead.owner_id is not None
            and (owner_id is None or lead.owner_id == owner_id)
            and not lead.is_final
            and not lead.is_merged
        ]

    @staticmethod
    def _first_per_owner(leads: list[Lead], per_owner: int) -> list[Lead]:
        seen: dict[int | None, int] = {}
        out = []
        for lead in leads:
            seen[lead.owner_id] = seen.get(lead.owner_id, 0) + 1
            if seen[lead.owner_id] <= per_owner:
                out.append(lead)
        return sorted(out, key=lambda lead: lead.owner_id or 0)

    async def steps_due(self, owner_id: int | None, *, before: datetime, per_owner: int) -> list[Lead]:
        due = [
            lead
            for lead in self._open_owned(owner_id)
            if lead.next_step_due_at is not None and lead.next_step_due_at < before
        ]
        due.sort(key=lambda lead: (lead.next_step_due_at, lead.id))
        return [self._with_owner(lead) for lead in self._first_per_owner(due, per_owner)]

    async def without_step(self, owner_id: int | None, *, per_owner: int) -> list[Lead]:
        bare = [lead for lead in self._open_owned(owner_id) if lead.next_step_due_at is None]
        bare.sort(key=lambda lead: (lead.updated_at, lead.id))
        return [self._with_owner(lead) for lead in self._first_per_owner(bare, per_owner)]

    async def day_counts(self, owner_id: int | None, *, now: datetime, before: datetime) -> list[DayCounts]:
        counts: dict[int, list[int]] = {}
        for lead in self._open_owned(owner_id):
            row = counts.setdefault(lead.owner_id or 0, [0, 0, 0])
            due = lead.next_step_due_at
            if due is None:
                row[2] += 1
            elif due < now:
                row[0] += 1
            elif due < before:
                row[1] += 1
        return [DayCounts(owner, *row) for owner, row in sorted(counts.items())]


class FakeSales(_Repo):
    async def add(self, lead_id: int, *, created_at: datetime) -> Sale:
        if any(sale.lead_id == lead_id for sale in self.s.sales.values()):
            raise AssertionError(f"a second sale for lead {lead_id}")  # UNIQUE(sales.lead_id)
        sale = Sale(self.s.new_id(), lead_id, SaleStage.NEW, created_at, created_at)
        self.s.sales[sale.id] = sale
        return sale

    async def get(self, sale_id: int, *, lock: bool = False) -> Sale | None:
        return self.s.sales.get(sale_id)

    async def by_lead(self, lead_id: int) -> Sale | None:
        return next((sale for sale in self.s.sales.values() if sale.lead_id == lead_id), None)

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
        change = SaleStageChange(self.s.new_id(), sale.id, sale.stage, to_stage, actor, reason, now, reason_code)
        self.s.sale_changes.append(change)
        moved = replace(sale, stage=to_stage, updated_at=now, closed_at=closed_at or sale.closed_at)
        self.s.sales[sale.id] = moved
        return moved

    async def list_stage_changes(self, sale_id: int) -> list[SaleStageChange]:
        return [c for c in self.s.sale_changes if c.sale_id == sale_id]

    async def update(self, sale_id: int, changes: SaleChanges, *, now: datetime) -> Sale:
        self.s.sales[sale_id] = replace(self.s.sales[sale_id], **changes, updated_at=now)
        return self.s.sales[sale_id]

    def _matching(self, flt: SaleFilter) -> list[Sale]:
        return sorted(
            (
                sale
                for sale in self.s.sales.values()
                if (flt.stage is None or sale.stage == flt.stage)
                and (flt.owner_id is None or sale.owner_id == flt.owner_id)
            ),
            key=lambda sale: -sale.id,
        )

    async def list_sales(
        self, flt: SaleFilter, *, limit: int, offset: int = 0, before_id: int | None = None
    ) -> list[Sale]:
        found = [sale for sale in self._matching(flt) if before_id is None or sale.id < before_id]
        return found[offset : offset + limit]

    async def count_sales(self, flt: SaleFilter) -> int:
        return len(self._matching(flt))

    async def totals(self, owner_id: int | None = None) -> list[SaleTotal]:
        sums: dict[tuple[SaleStage, str | None], tuple[int, Decimal]] = {}
        for sale in self._matching(SaleFilter(owner_id=owner_id)):
            count, amount = sums.get((sale.stage, sale.currency), (0, Decimal(0)))
            sums[(sale.stage, sale.currency)] = (count + 1, amount + (sale.amount or 0))
        return [SaleTotal(stage, cur, count, amount) for (stage, cur), (count, amount) in sums.items()]


class FakeUsers(_Repo):
    async def get(self, user_id: int) -> User | None:
        return self.s.users.get(user_id)

    async def insert_if_missing(
        self, *, user_id: int, full_name: str, role: Role, username: str | None, language: str | None
    ) -> None:
        self.s.users.setdefault(user_id, User(user_id, role, full_name, username, language))

    async def add(self, user: User) -> User:
        self.s.users[user.id] = user
        return user

    async def update(self, user_id: int, **values: Any) -> User:
        self.s.users[user_id] = replace(self.s.users[user_id], **values)
        return self.s.users[user_id]

    def update_on_commit(self, user_id: int, **values: Any) -> User:
        self.s.users[user_id] = replace(self.s.users[user_id], **values)
        return self.s.users[user_id]

    async def list_users(self, *, include_inactive: bool = True) -> list[User]:
        return [u for u in self.s.users.values() if include_inactive or u.is_active]

    async def active_ids_with_role(self, role: Role) -> list[int]:
        return [u.id for u in self.s.users.values() if u.role == role and u.is_active]

    async def add_invite(self, invite: Invite) -> None:
        raise NotImplementedError

    async def get_invite(self, code: str, *, lock: bool = False) -> Invite | None:
        raise NotImplementedError

    async def spend_invite(self, code: str, *, used_by: int, used_at: datetime) -> None:
        raise NotImplementedError


class FakeOutbox(_Repo):
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
        if dedupe_key in self.s.outbox:
            return False
        self.s.outbox[dedupe_key] = OutboxMessage(
            id=self.s.new_id(),
            dedupe_key=dedupe_key,
            chat_id=chat_id,
            thread_id=thread_id,
            method=method,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
            destination=destination,
        )
        return True

    async def claim_due(self, now: datetime, limit: int, *, destinations: Collection[str] = ()) -> list[OutboxMessage]:
        raise NotImplementedError

    async def pending_counts(self) -> tuple[int, int]:
        waiting = [m for m in self.s.outbox.values() if m.status == "pending"]
        return len(waiting), sum(m.attempts > 0 for m in waiting)

    async def oldest_due(self, now: datetime) -> datetime | None:
        due = [m.next_attempt_at for m in self.s.outbox.values() if m.status == "pending" and m.next_attempt_at <= now]
        return min(due, default=None)

    async def count_pending(self, destination: str) -> int:
        return sum(m.status == "pending" and m.destination == destination for m in self.s.outbox.values())

    async def mark(self, message_id: int, **values: Any) -> None:
        raise NotImplementedError

    async def get(self, message_id: int) -> OutboxMessage | None:
        return next((m for m in self.s.outbox.values() if m.id == message_id), None)


class FakeApiKeys(_Repo):
    async def add(
        self, *, name: str, key_hash: str, prefix: str, created_at: datetime, source: str | None = None
    ) -> ApiKey:
        raise NotImplementedError

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        raise NotImplementedError

    async def by_name(self, name: str) -> ApiKey | None:
        raise NotImplementedError

    async def revoke(self, key_id: int, *, when: datetime) -> ApiKey:
        raise NotImplementedError

    async def list_keys(self) -> list[ApiKey]:
        raise NotImplementedError


@dataclass
class InboxEntry:
    update: ReceivedUpdate | None  # None: recorded by a claim, never stored by the poller
    done: bool = False
    done_at: datetime | None = None
    received_at: datetime = field(default_factory=utcnow)
    leased_by: str | None = None


class FakeInbox(_Repo):
    async def tables_exist(self) -> bool:
        return True

    async def backlog(self) -> tuple[int, datetime | None]:
        waiting = [e.received_at for e in self.s.inbox.values() if not e.done]
        return len(waiting), min(waiting, default=None)

    async def store(self, updates: Sequence[ReceivedUpdate]) -> list[int]:
        new = sorted(u.update_id for u in updates if u.update_id not in self.s.inbox)
        for u in updates:
            self.s.inbox.setdefault(u.update_id, InboxEntry(u))
        return new

    async def pending(self, *, after: int | None, limit: int) -> list[ReceivedUpdate]:
        ids = sorted(i for i, e in self.s.inbox.items() if not e.done and e.update and (after is None or i > after))
        return [u for i in ids[:limit] if (u := self.s.inbox[i].update) is not None]

    async def claim(self, update_id: int, *, prefetch_user_id: int | None = None) -> bool:
        entry = self.s.inbox.setdefault(update_id, InboxEntry(None))
        if entry.done:
            return False
        entry.done, entry.done_at = True, utcnow()
        return True

    async def finish(self, update_id: int) -> None:
        entry = self.s.inbox.get(update_id)
        if entry is not None and not entry.done:
            entry.done, entry.done_at = True, utcnow()

    async def prune(self, older_than: datetime) -> int:
        old = [i for i, e in self.s.inbox.items() if e.done_at is not None and e.done_at < older_than]
        for i in old:
            del self.s.inbox[i]
        return len(old)

    async def lease(self, worker: str, *, limit: int, lease_seconds: float) -> Leased:
        """The heads of the chats, without lease times (the SQL repository's tests cover the expiry)."""
        heads: dict[object, ReceivedUpdate] = {}
        for update_id in sorted(self.s.inbox):
            entry = self.s.inbox[update_id]
            if entry.done or entry.update is None:
                continue
            key = entry.update.chat_key if entry.update.chat_key is not None else ("update", update_id)
            heads.setdefault(key, entry.update)
        free = [u for u in heads.values() if self.s.inbox[u.update_id].leased_by is None][:limit]
        for u in free:
            self.s.inbox[u.update_id].leased_by = worker
        return Leased(updates=sorted(free, key=lambda u: u.update_id))

    async def renew(self, worker: str, update_ids: Sequence[int], lease_seconds: float) -> None:
        return None

    async def release(self, worker: str) -> int:
        mine = [e for e in self.s.inbox.values() if e.leased_by == worker and not e.done]
        for entry in mine:
            entry.leased_by = None
        return len(mine)


class FakeMl(_Repo):
    async def closed_leads(self) -> list[ClosedLead]:
        return []

    async def closed_count(self) -> int:
        return 0

    async def gate_stats(self, threshold: float) -> GateStats:
        scored = [lead for lead in self.s.leads.values() if lead.ai_score is not None]
        is_open = [lead for lead in scored if not lead.is_final]
        passing = sum(lead.ai_score is not None and lead.ai_score >= threshold for lead in is_open)
        return GateStats(threshold, len(is_open), passing, 0, 0)  # closed outcomes: the SQL test counts them

    async def active_id(self) -> tuple[int, str] | None:
        return None

    async def get(self, version_id: int) -> ModelVersion | None:
        return None

    async def active(self) -> ModelVersion | None:
        return None

    async def add(self, version: ModelVersion, *, activate: bool) -> None:
        raise NotImplementedError

    async def versions(self, limit: int) -> list[ModelVersion]:
        return []

    async def activate(self, version_id: int) -> None:
        raise NotImplementedError

    async def gate(self) -> float | None:
        return None

    async def set_gate(self, threshold: float, *, actor: str, now: datetime) -> None:
        raise NotImplementedError

    async def record_change(self, change: ModelChange) -> None:
        raise NotImplementedError

    async def changes(self, limit: int) -> list[ModelChange]:
        return []

    async def open_leads_after(self, after_id: int, limit: int) -> list[Lead]:
        return []

    async def store_scores(self, scores: Sequence[ScoreColumns]) -> None:
        raise NotImplementedError


class FakeImports(_Repo):
    async def start_file(self) -> None:
        raise NotImplementedError

    async def seen_in_file(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        raise NotImplementedError

    async def remember_in_file(self, keys: Sequence[tuple[str, str, int]]) -> None:
        raise NotImplementedError

    async def find_leads(self, leads: Sequence[ImportedLead]) -> list[LeadHit]:
        raise NotImplementedError

    async def upsert_leads(
        self, leads: Sequence[ImportedLead], now: datetime, matched: Mapping[int, int] | None = None
    ) -> UpsertCounts:
        raise NotImplementedError


class FakeTeam(_Repo):
    async def lock_assignment(self) -> AssignmentState:
        return self.s.assignment

    async def read_assignment(self) -> AssignmentState:
        return self.s.assignment

    async def save_assignment(self, state: AssignmentState, *, actor: str, now: datetime) -> None:
        self.s.assignment = state

    async def take_turns(self, count: int) -> list[int]:
        first = self.s.turns + 1
        self.s.turns += count
        return list(range(first, first + count))

    async def active_managers(self) -> list[int]:
        return sorted(u.id for u in self.s.users.values() if u.role == Role.MANAGER and u.is_active)

    async def read_intake(self, count: int, default_rule: AssignmentRule) -> Intake:
        managers = {m: self.s.users[m].language for m in await self.active_managers()}
        rule = self.s.assignment.rule or default_rule
        turns = await self.take_turns(count) if rule == AssignmentRule.ROUND_ROBIN and managers else None
        return Intake(self.s.assignment, managers, turns)

    async def open_lead_counts(self, user_ids: Sequence[int]) -> dict[int, int]:
        counts = dict.fromkeys(user_ids, 0)
        for lead in self.s.leads.values():
            if lead.owner_id in counts and lead.stage in OPEN_STAGES and not lead.is_merged:
                counts[lead.owner_id] += 1
        return counts

    async def open_leads_of(self, user_id: int) -> list[Lead]:
        leads = [
            lead
            for lead in self.s.leads.values()
            if lead.owner_id == user_id and lead.stage in OPEN_STAGES and not lead.is_merged
        ]
        return sorted(leads, key=lambda lead: lead.id)

    async def assign_many(
        self,
        assignments: Sequence[Assignment],
        *,
        actor: str,
        rule: AssignmentRule | None,
        now: datetime,
        touch: bool = True,
    ) -> None:
        for a in assignments:
            lead = self.s.leads[a.lead_id]
            self.s.leads[a.lead_id] = replace(
                lead,
                owner_id=a.owner_id,
                assigned_at=now if a.owner_id is not None else None,
                updated_at=now if touch else lead.updated_at,
                version=lead.version + 1,
            )
            data = {"from_id": a.from_id, "to_id": a.owner_id, "rule": rule.value if rule else None}
            self.s.events.append(LeadEvent(self.s.new_id(), a.lead_id, LeadEventKind.ASSIGNED, actor, data, now))


class FakeSchedule(_Repo):
    """The scheduler's due work by scanning the leads (the SQL one walks partial indexes)."""

    async def try_lock(self, key: int) -> bool:
        return True

    async def next_due(self) -> datetime | None:
        due = [
            lead.next_step_due_at
            for lead in self.s.leads.values()
            if lead.next_step_due_at is not None and lead.next_step_reminded_at is None and not lead.is_merged
        ]
        return min(due, default=None)

    def _owner(self, owner_id: int | None) -> Addressee:
        user = self.s.users.get(owner_id) if owner_id is not None else None
        if user is None:
            return Addressee(user_id=owner_id)
        return Addressee(user.id, user.full_name, user.language, user.timezone, user.is_active)

    async def claim_due_steps(self, now: datetime, limit: int) -> list[DueStep]:
        due = sorted(
            (
                lead
                for lead in self.s.leads.values()
                if lead.next_step_due_at is not None
                and lead.next_step_reminded_at is None
                and lead.next_step_due_at <= now
                and not lead.is_merged
            ),
            key=lambda lead: (lead.next_step_due_at, lead.id),
        )[:limit]
        claimed = []
        for lead in due:
            self.s.leads[lead.id] = replace(lead, next_step_reminded_at=now)
            assert lead.next_step_kind is not None and lead.next_step_due_at is not None
            claimed.append(
                DueStep(
                    lead.id,
                    lead.name,
                    lead.version,
                    lead.next_step_kind,
                    lead.next_step_due_at,
                    lead.next_step_note,
                    self._owner(lead.owner_id),
                )
            )
        return claimed

    def _uncontacted(self, created_before: datetime) -> list[Lead]:
        return sorted(
            (
                lead
                for lead in self.s.leads.values()
                if lead.stage == Stage.NEW
                and not lead.is_merged
                and lead.first_contact_at is None
                and lead.sla_escalated_at is None
                and lead.created_at is not None
                and lead.created_at <= created_before
            ),
            key=lambda lead: (lead.created_at, lead.id),
        )

    def _breach(self, lead: Lead) -> SlaBreach:
        assert lead.created_at is not None
        return SlaBreach(lead.id, lead.name, lead.created_at, self._owner(lead.owner_id))

    async def claim_sla_reminders(self, created_before: datetime, now: datetime, limit: int) -> list[SlaBreach]:
        due = [lead for lead in self._uncontacted(created_before) if lead.sla_reminded_at is None][:limit]
        for lead in due:
            self.s.leads[lead.id] = replace(lead, sla_reminded_at=now)
        return [self._breach(lead) for lead in due]

    async def claim_sla_escalations(
        self, created_before: datetime, now: datetime, limit: int, *, event_data: dict[str, Any]
    ) -> list[SlaBreach]:
        due = self._uncontacted(created_before)[:limit]
        for lead in due:
            self.s.leads[lead.id] = replace(lead, sla_escalated_at=now, sla_reminded_at=lead.sla_reminded_at or now)
            self.s.events.append(
                LeadEvent(self.s.new_id(), lead.id, LeadEventKind.SLA_ESCALATED, "system:scheduler", event_data, now)
            )
        return [self._breach(lead) for lead in due]

    async def enqueue_many(self, messages: Sequence[QueuedMessage]) -> int:
        queued = 0
        for m in messages:
            queued += await self._uow.outbox.enqueue(
                dedupe_key=m.dedupe_key, payload=m.payload, chat_id=m.chat_id, destination=m.destination
            )
        return queued

    async def existing_keys(self, keys: Collection[str]) -> set[str]:
        return set(keys) & set(self.s.outbox)

    async def checked_at(self, job: str, now: datetime) -> datetime | None:
        previous = self.s.marks.get(job)
        self.s.marks[job] = now
        return previous

    def _open(self, owner_id: int | None) -> list[Lead]:
        return [
            lead
            for lead in self.s.leads.values()
            if lead.owner_id == owner_id and not lead.is_final and not lead.is_merged
        ]

    async def digest_users(self) -> list[tuple[User, int]]:
        return [(user, len(self._open(user.id))) for user in self.s.users.values() if user.is_active]

    @staticmethod
    def _stale(lead: Lead, window: DueWindow) -> bool:
        before = window.stale_before.get(lead.stage)
        touched = lead.last_touched_at
        snoozed = lead.stale_snoozed_until is not None and lead.stale_snoozed_until > window.now
        return before is not None and touched is not None and touched <= before and not snoozed

    @staticmethod
    def _part(leads: list[tuple[datetime | None, Lead]], sample: int) -> DigestPart:
        ordered = sorted(leads, key=lambda pair: (pair[0] or datetime.min.replace(tzinfo=UTC), pair[1].id))
        sampled = [DigestLead(lead.id, lead.name, lead.stage, at, lead.next_step_kind) for at, lead in ordered]
        return DigestPart(len(leads), sampled[:sample])

    async def digest(self, owner_id: int, window: DueWindow, *, sample: int) -> Digest:
        mine = self._open(owner_id)
        since = window.assigned_since
        due = [(lead.next_step_due_at, lead) for lead in mine if lead.next_step_due_at is not None]
        return Digest(
            today=self._part([(at, lead) for at, lead in due if at and window.now < at < window.day_end], sample),
            overdue=self._part([(at, lead) for at, lead in due if at and at <= window.now], sample),
            stale=self._part([(lead.last_touched_at, lead) for lead in mine if self._stale(lead, window)], sample),
            assigned=self._part(
                [(lead.assigned_at, lead) for lead in mine if lead.assigned_at and lead.assigned_at > since],
                sample,
            ),
            open_leads=len(mine),
        )

    async def team_summary(self, window: DueWindow) -> list[TeamLine]:
        lines: dict[int | None, list[Lead]] = {}
        for lead in self.s.leads.values():
            if lead.is_final or lead.is_merged:
                continue
            owner = self.s.users.get(lead.owner_id) if lead.owner_id is not None else None
            lines.setdefault(owner.id if owner and owner.is_active else None, []).append(lead)
        result = []
        for owner_id, leads in sorted(lines.items(), key=lambda item: (item[0] is not None, item[0] or 0)):
            owner = self.s.users.get(owner_id) if owner_id is not None else None
            due = [lead.next_step_due_at for lead in leads if lead.next_step_due_at is not None]
            result.append(
                TeamLine(
                    owner_id,
                    owner.full_name if owner else None,
                    len(leads),
                    sum(at <= window.now for at in due),
                    sum(window.now < at < window.day_end for at in due),
                    sum(self._stale(lead, window) for lead in leads),
                )
            )
        return result


class FakeIdempotency(_Repo):
    async def claim(
        self, scope: str, key: str, *, now: datetime, expired_before: datetime, body_hash: str | None = None
    ) -> bool:
        held = self.s.idempotency.get((scope, key))
        if held is not None and held[0] >= expired_before:
            return False
        self.s.idempotency[(scope, key)] = (now, None)
        self.s.idempotency_bodies[(scope, key)] = body_hash
        return True

    async def body_hash(self, scope: str, key: str) -> str | None:
        return self.s.idempotency_bodies.get((scope, key))

    async def store(self, scope: str, key: str, response: StoredResponse) -> None:
        self.s.idempotency[(scope, key)] = (self.s.idempotency[(scope, key)][0], response)

    async def response(self, scope: str, key: str) -> StoredResponse | None:
        held = self.s.idempotency.get((scope, key))
        return held[1] if held is not None else None


class FakeWebhooks(_Repo):
    """No hooks registered in unit tests: events are counted, not delivered."""

    async def add(self, *, url: str, events: Sequence[str], secret: str, created_at: datetime) -> Webhook:
        raise NotImplementedError

    async def list_hooks(self) -> list[Webhook]:
        return []

    async def remove(self, hook_id: int, *, when: datetime) -> Webhook | None:
        return None

    async def set_secret(self, hook_id: int, secret: str) -> Webhook | None:
        return None

    async def enqueue(self, event: str, *, lead_id: int | None, payload: dict[str, Any], now: datetime) -> int:
        self.s.webhook_events.append((event, lead_id))
        return 0

    async def enqueue_created(self, lead_ids: Sequence[int], *, now: datetime) -> int:
        self.s.webhook_events.extend(("lead.created", i) for i in lead_ids)
        return 0

    async def claim_due(self, now: datetime, limit: int, *, lease_until: datetime) -> list[Delivery]:
        return []

    async def mark(self, delivery_id: int, **values: Any) -> None:
        raise NotImplementedError

    async def deliveries(self, hook_id: int) -> list[DeliveryState]:
        return []


class FakeReports(_Repo):
    """The reports' counts over the in-memory state (the same definitions as the SQL, by brute force)."""

    def _in(self, scope: ReportScope, moment: datetime | None) -> bool:
        return moment is not None and scope.start <= moment < scope.end

    def _mine(self, scope: ReportScope, lead_id: int) -> bool:
        lead = self.s.leads.get(lead_id)
        return lead is not None and (scope.owner_id is None or lead.owner_id == scope.owner_id)

    def _lost_leads(self, scope: ReportScope) -> list[StageChange]:
        return [
            c
            for c in self.s.stage_changes
            if c.to_stage == Stage.LOST and self._in(scope, c.created_at) and self._mine(scope, c.lead_id)
        ]

    def _closed(self, scope: ReportScope) -> list[tuple[Lead, Sale | None, bool]]:
        out: list[tuple[Lead, Sale | None, bool]] = []
        for sale in self.s.sales.values():
            closed = sale.stage in (SaleStage.PAID, SaleStage.LOST) and self._in(scope, sale.closed_at)
            if closed and self._mine(scope, sale.lead_id):
                out.append((self.s.leads[sale.lead_id], sale, sale.stage == SaleStage.PAID))
        for change in self._lost_leads(scope):
            out.append((self.s.leads[change.lead_id], None, False))
        return out

    async def funnel(self, scope: ReportScope) -> FunnelCounts:
        entered = {stage: 0 for stage in Stage}
        left: dict[Stage, list[float]] = {stage: [] for stage in Stage}
        advanced = {stage: 0 for stage in Stage}
        for lead in self.s.leads.values():
            if self._in(scope, lead.created_at) and self._mine(scope, lead.id):
                entered[Stage.NEW] += 1
        changes = sorted(self.s.stage_changes, key=lambda c: c.id)
        for change in changes:
            if not (self._in(scope, change.created_at) and self._mine(scope, change.lead_id)):
                continue
            entered[change.to_stage] += 1
            before = [c.created_at for c in changes if c.lead_id == change.lead_id and c.id < change.id]
            since = before[-1] if before else self.s.leads[change.lead_id].created_at
            assert since is not None
            left[change.from_stage].append((change.created_at - since).total_seconds())
            advanced[change.from_stage] += change.to_stage != Stage.LOST
        deals = [(sale, is_won) for _, sale, is_won in self._closed(scope) if sale is not None]
        return FunnelCounts(
            [
                StageFlow(stage, entered[stage], len(left[stage]), _median(left[stage]), advanced[stage])
                for stage in Stage
            ],
            sum(1 for _, is_won in deals if is_won),
            sum(1 for _, is_won in deals if not is_won),
        )

    async def managers(self, scope: ReportScope) -> list[ManagerCounts]:
        raise NotImplementedError  # the SQL version is tested on PostgreSQL (tests/integration/test_reports.py)

    async def lost(self, scope: ReportScope) -> LostCounts:
        counts: dict[tuple[str, LostReason | None], int] = {}
        for change in self._lost_leads(scope):
            key = (change.from_stage.value, change.reason_code)
            counts[key] = counts.get(key, 0) + 1
        return LostCounts([LostCount(False, stage, code, n) for (stage, code), n in counts.items()], [])

    async def sources(self, scope: ReportScope) -> list[SourceCounts]:
        raise NotImplementedError  # tested on PostgreSQL

    async def score_bands(self, scope: ReportScope) -> list[ScoreBandCounts]:
        bands: dict[float | None, list[int]] = {low: [0, 0] for low in (0.0, 0.2, 0.4, 0.6, 0.8, None)}
        for lead, _sale, won in self._closed(scope):
            low = None if lead.ai_score is None else min(int(lead.ai_score * 5 + 1e-9), 4) / 5
            bands[low][0 if won else 1] += 1
        return [ScoreBandCounts(low, won, lost) for low, (won, lost) in bands.items()]


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class FakeExports(_Repo):
    """Export batches over the in-memory leads (by id, as the SQL keyset)."""

    def _matches(self, lead: Lead, flt: ExportFilter) -> bool:
        created = lead.created_at
        return (
            (flt.stage is None or lead.stage == flt.stage)
            and (flt.owner_id is None or lead.owner_id == flt.owner_id)
            and (flt.source is None or lead.source == flt.source)
            and (flt.created_from is None or (created is not None and created >= flt.created_from))
            and (flt.created_to is None or (created is not None and created < flt.created_to))
        )

    async def count(self, flt: ExportFilter) -> int:
        return sum(1 for lead in self.s.leads.values() if self._matches(lead, flt))

    async def batch(self, flt: ExportFilter, *, after_id: int, limit: int) -> list[ExportRow]:
        leads = sorted((lead for lead in self.s.leads.values() if lead.id > after_id and self._matches(lead, flt)),
                       key=lambda lead: lead.id)[:limit]  # fmt: skip
        sales = {sale.lead_id: sale for sale in self.s.sales.values()}
        rows = []
        for lead in leads:
            sale = sales.get(lead.id)
            rows.append(
                ExportRow(
                    lead.id, lead.name, lead.company, lead.contact, lead.source, lead.business_domain, lead.stage,
                    lead.owner_id, lead.owner_name, lead.ai_score, lead.activity_count, lead.lost_reason_code,
                    lead.lost_reason, lead.created_at or utcnow(), lead.updated_at or utcnow(),
                    sale.id if sale else None, sale.stage if sale else None, sale.amount if sale else None,
                    sale.currency if sale else None, sale.closed_at if sale else None,
                )
            )  # fmt: skip
        return rows

    def _deal_matches(self, sale: Sale, flt: ExportFilter) -> bool:
        lead = self.s.leads.get(sale.lead_id)
        return (
            lead is not None
            and (flt.deal_stage is None or sale.stage == flt.deal_stage)
            and (flt.owner_id is None or sale.owner_id == flt.owner_id)
            and (flt.source is None or lead.source == flt.source)
            and (flt.created_from is None or sale.created_at >= flt.created_from)
            and (flt.created_to is None or sale.created_at < flt.created_to)
        )

    async def count_deals(self, flt: ExportFilter) -> int:
        return sum(1 for sale in self.s.sales.values() if self._deal_matches(sale, flt))

    async def deal_batch(self, flt: ExportFilter, *, after_id: int, limit: int) -> list[DealExportRow]:
        sales = sorted((s for s in self.s.sales.values() if s.id > after_id and self._deal_matches(s, flt)),
                       key=lambda sale: sale.id)[:limit]  # fmt: skip
        names = {user.id: user.full_name for user in self.s.users.values()}
        rows = []
        for sale in sales:
            lead = self.s.leads[sale.lead_id]
            rows.append(
                DealExportRow(
                    sale.id, sale.lead_id, lead.name, lead.company, lead.source, sale.stage, sale.amount,
                    sale.currency, sale.owner_id, names.get(sale.owner_id) if sale.owner_id else None,
                    sale.created_at, sale.updated_at, sale.expected_close_at, sale.closed_at,
                )
            )  # fmt: skip
        return rows


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.state = State()
        self.commits = 0
        self._entered: list[State] = []  # the state each open level saw on entry
        self.leads = FakeLeads(self)
        self.sales = FakeSales(self)
        self.users = FakeUsers(self)
        self.api_keys = FakeApiKeys(self)
        self.outbox = FakeOutbox(self)
        self.inbox = FakeInbox(self)
        self.ml = FakeMl(self)
        self.imports = FakeImports(self)
        self.team = FakeTeam(self)
        self.schedule = FakeSchedule(self)
        self.idempotency = FakeIdempotency(self)
        self.webhooks = FakeWebhooks(self)
        self.reports = FakeReports(self)
        self.exports = FakeExports(self)

    async def __aenter__(self) -> FakeUnitOfWork:
        self._entered.append(copy.deepcopy(self.state))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.state = self._entered.pop()  # what was committed or seen on entry; the rest is undone

    async def commit(self) -> None:
        self.commits += 1
        committed = copy.deepcopy(self.state)
        self._entered = [committed for _ in self._entered]

    async def rollback(self) -> None:
        if self._entered:
            self.state = copy.deepcopy(self._entered[0])

    async def ping(self) -> bool:
        return True

    async def schema_revision(self) -> str | None:
        return self.state.schema_revision
