"""Merging two leads into one (team leads, admins and API keys). One transaction: the lead merged away keeps its
row as a tombstone (``merged_into_id``, ``merged_at``, ``merged_by``) and answers "merged into #N" from then on
(``LeadMerged``); everything it had moves to the survivor.

What moves: every activity, stage change and history event (``uow.leads.move_history``; ids and times kept), its
contacts (those the survivor lacks, by normal form), and its next step when the survivor has none. What the
survivor keeps: its own fields; the empty ones (name, company, business domain, primary contact, external id,
attribute keys it lacks) are filled from the other, and the counters add up. A lead whose domain or attributes
were filled this way and that had a score is scored again, as an edit would (``leads.update_lead``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.domain.clock import utcnow
from core.domain.contacts import unique
from core.domain.enums import LeadEventKind, Stage
from core.domain.errors import (
    AccessDenied,
    AccessRule,
    LeadMerged,
    LeadNotFound,
    MergeBlock,
    MergeRefused,
    StaleState,
)
from core.domain.models import Actor, Lead, LeadChanges
from core.domain.validation import clean_attributes
from core.services import webhooks
from core.services.context import Services
from core.services.leads import NO_NEXT_STEP, fresh_score, get_lead
from core.services.ports import MovedHistory, UnitOfWork

CANDIDATES_MAX = 6


@dataclass(frozen=True)
class MergeResult:
    lead: Lead  # the survivor, as now stored
    merged: Lead  # the tombstone
    moved: MovedHistory
    contacts_added: int


@dataclass(frozen=True)
class MergePair:
    """What a confirmation shows: the survivor and the lead that would be merged into it."""

    lead: Lead
    other: Lead


def _may_merge(actor: Actor) -> None:
    if not actor.sees_all_leads:
        raise AccessDenied(AccessRule.MERGE_NEEDS_TEAM_LEAD)


async def _pair(uow: UnitOfWork, actor: Actor, lead_id: int, other_id: int, *, lock: bool) -> MergePair:
    """Both leads (locked in id order with ``lock``, so two merges of one pair serialize instead of deadlocking),
    checked: the survivor must be live, the other live and without a deal."""
    if lead_id == other_id:
        raise MergeRefused(MergeBlock.SAME_LEAD, lead_id, other_id)
    found: dict[int, Lead | None] = {}
    for lead_key in sorted((lead_id, other_id)):
        found[lead_key] = await uow.leads.get(lead_key, lock=lock)
    lead, other = found[lead_id], found[other_id]
    if lead is None or not actor.may_act_on(lead.owner_id):
        raise LeadNotFound(lead_id)
    if lead.merged_into_id is not None:
        raise LeadMerged(lead.id, lead.merged_into_id)
    if other is None or not actor.may_act_on(other.owner_id):
        raise LeadNotFound(other_id)
    if other.merged_into_id is not None:
        raise MergeRefused(MergeBlock.ALREADY_MERGED, lead_id, other_id, merged_into=other.merged_into_id)
    if other.stage == Stage.TRANSFERRED or await uow.sales.by_lead(other.id) is not None:
        raise MergeRefused(MergeBlock.TRANSFERRED, lead_id, other_id)
    return MergePair(lead, other)


async def preview(uow: UnitOfWork, actor: Actor, lead_id: int, other_id: int) -> MergePair:
    """The two leads a merge of ``other_id`` into ``lead_id`` would join, refused as the merge itself would be
    (nothing is locked or changed: the merge checks again, with the versions shown)."""
    _may_merge(actor)
    async with uow:
        return await _pair(uow, actor, lead_id, other_id, lock=False)


async def candidates(uow: UnitOfWork, actor: Actor, lead_id: int) -> tuple[Lead, list[Lead]]:
    """The lead and the (live) leads that share a contact with it, oldest first: what the merge offers (a
    transferred lead has a deal and cannot be merged away: not offered)."""
    _may_merge(actor)
    lead = await get_lead(uow, actor, lead_id)
    if not lead.contacts:
        return lead, []
    async with uow:
        found = await uow.leads.with_contacts([c.key for c in lead.contacts], limit=3 * CANDIDATES_MAX)
    offered = [other for other in found if other.id != lead.id and other.stage != Stage.TRANSFERRED]
    return lead, offered[:CANDIDATES_MAX]


async def _tell_merged_owner(uow: UnitOfWork, other: Lead, survivor: Lead, actor: Actor, by: str) -> None:
    """The merged-away lead's owner, when it is neither the survivor's owner nor the one who merged: their lead now
    lives on in the survivor (which they may not see: the message names it, the link opens it if they may)."""
    if other.owner_id is None or other.owner_id in (survivor.owner_id, actor.user_id):
        return
    owner = await uow.users.get(other.owner_id)
    await uow.outbox.enqueue(
        dedupe_key=f"merged:{other.id}",
        chat_id=other.owner_id,
        payload={
            "event": "lead_merged",
            "lead_id": survivor.id,
            "merged_id": other.id,
            "merged_name": other.display_name,
            "name": survivor.display_name,
            "by": by,
            "language": owner.language if owner is not None else None,
        },
    )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


def _filled(lead: Lead, other: Lead) -> LeadChanges:
    """The survivor's empty fields taken from the other lead, and the counters of both."""
    changes: LeadChanges = {}
    if lead.name is None and other.name is not None:
        changes["name"] = other.name
    if lead.company is None and other.company is not None:
        changes["company"] = other.company
    if lead.business_domain is None and other.business_domain is not None:
        changes["business_domain"] = other.business_domain
    missing = {key: value for key, value in other.attributes.items() if key not in lead.attributes}
    if missing:  # the limits of any edit hold (ATTRIBUTES_MAX_KEYS): past them the merge is refused, undone
        changes["attributes"] = clean_attributes({**lead.attributes, **missing})
    counts = dict(lead.activity_counts)
    for kind, count in other.activity_counts.items():
        counts[kind] = counts.get(kind, 0) + count
    if other.activity_count:
        changes["activity_count"] = lead.activity_count + other.activity_count
        changes["activity_counts"] = counts
    for key, value in (
        ("first_contact_at", _earliest(lead.first_contact_at, other.first_contact_at)),
        ("last_activity_at", _latest(lead.last_activity_at, other.last_activity_at)),
    ):
        if value != getattr(lead, key):
            changes[key] = value  # type: ignore[literal-required]
    if lead.next_step is None and other.next_step is not None and not lead.is_final:
        changes["next_step_kind"] = other.next_step_kind
        changes["next_step_due_at"] = other.next_step_due_at
        changes["next_step_note"] = other.next_step_note
        changes["next_step_reminded_at"] = other.next_step_reminded_at
    return changes


def _dropped_step(lead: Lead, other: Lead, changes: LeadChanges) -> dict[str, Any] | None:
    """The other lead's next step when the survivor did not take it (it is recorded in the merge's event)."""
    step = other.next_step
    if step is None or "next_step_kind" in changes:
        return None
    return {"kind": step.kind.value, "due_at": step.due_at.isoformat(), "note": step.note}


async def merge_leads(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    other_id: int,
    *,
    expected_version: int | None = None,
    other_version: int | None = None,
) -> MergeResult:
    """Merge lead ``other_id`` into lead ``lead_id`` (the survivor), in one transaction. Refused: the same lead
    (MergeRefused same_lead), a survivor already merged (LeadMerged), another lead already merged or transferred
    (MergeRefused already_merged / transferred), a lead the actor may not see (LeadNotFound), versions other
    than the ones shown (StaleState), an actor who is not a team lead, an admin or an API key (AccessDenied)."""
    _may_merge(actor)
    async with uow:
        pair = await _pair(uow, actor, lead_id, other_id, lock=True)
        lead, other = pair.lead, pair.other
        if (expected_version is not None and lead.version != expected_version) or (
            other_version is not None and other.version != other_version
        ):
            raise StaleState()
        now = utcnow()
        moved = await uow.leads.move_history(other.id, lead.id)

        contacts = unique([*lead.contacts, *other.contacts])
        added = len(contacts) - len(lead.contacts)
        await uow.leads.replace_contacts(other.id, [])  # before the survivor's: one contact row per lead
        stored = await uow.leads.replace_contacts(lead.id, contacts) if added else lead.contacts

        changes = _filled(lead, other)
        if lead.contact is None and other.contact is not None:
            changes["contact"] = other.contact
        dropped = _dropped_step(lead, other, changes)
        tomb: LeadChanges = {
            **other.touch(now),
            **NO_NEXT_STEP,
            "merged_into_id": lead.id,
            "merged_at": now,
            "merged_by": actor.label,
        }
        if lead.external_id is None and other.external_id is not None:  # re-imports then update the survivor
            tomb["external_id"] = None
            changes["external_id"] = other.external_id
        merged = await uow.leads.update(other, tomb)  # first: external_id is UNIQUE

        # counters, times, domain and attributes all feed the score: a scored survivor is scored as it is now
        changes.update(await fresh_score(uow, svc, lead.changed(changes), now))
        changes.update(lead.touch(now))
        survivor = await uow.leads.update(lead, changes)
        survivor = replace(survivor, contacts=stored)
        who = await uow.users.get(actor.user_id) if actor.user_id is not None else None
        await uow.leads.add_event(
            lead.id,
            kind=LeadEventKind.MERGED,
            actor=actor.label,
            data={
                "by_name": who.full_name if who is not None else None,
                "merged_id": other.id,
                "merged_name": other.display_name,
                "activities": moved.activities,
                "stage_changes": moved.stage_changes,
                "events": moved.events,
                "contacts": added,
                "dropped_next_step": dropped,
            },
            created_at=now,
        )
        await webhooks.lead_merged(uow, survivor, other.id, actor.label, now)
        await _tell_merged_owner(uow, other, survivor, actor, who.full_name if who is not None else actor.label)
        await uow.commit()
    return MergeResult(survivor, merged, moved, added)
