"""Who owns a lead: intake assignment by the team's rule, reassignment by hand, hand-over on deactivation.

The rule is the admin's choice (``team_settings['assignment']``, set with ``set_rule``), else the settings'
``ASSIGNMENT_RULE`` (``Policy.assignment_rule``):

- ``round_robin``: the active managers in id order, wrapping, one turn per new lead; the turns come from a
  counter every process shares (a sequence), so concurrent creates take turns without waiting for each other;
- ``least_loaded``: the active manager with the fewest open leads, a random one among equals;
- ``manual``: nobody; the lead waits in the queue for a team lead.

Intake (``pick_owners``) runs inside the creating transaction. Least loaded first locks the assignment row, so
two creates at once pick one after the other: the second reads the loads the first committed.
Only active managers are ever picked; with none, the lead waits in the queue and the team leads are told.

The new owner is told through the outbox (a personal message), unless they gave the lead to themselves.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from core.domain import funnel
from core.domain.clock import utcnow
from core.domain.enums import AssignmentRule, LeadEventKind, Role
from core.domain.errors import (
    AccessDenied,
    AccessRule,
    InvalidValue,
    LeadIsFinal,
    LeadMerged,
    LeadNotFound,
    Rule,
    StaleState,
)
from core.domain.models import Actor, Lead, User
from core.domain.validation import parse_enum
from core.services.context import Policy, Services
from core.services.outbox import TEAM_LEADS
from core.services.ports import Assignment, UnitOfWork

ASSIGNABLE_ROLES = frozenset({Role.MANAGER, Role.TEAM_LEAD})
_rng = random.Random()  # the tie-break's; tests pass their own seeded one


def plan_owners(
    rule: AssignmentRule,
    managers: Sequence[int],
    *,
    turns: Sequence[int] = (),
    loads: Mapping[int, int],
    count: int,
    rng: random.Random | None = None,
) -> list[int]:
    """The owners of the next ``count`` leads by ``rule`` (round_robin or least_loaded) among ``managers``.

    Round robin: turn ``t`` (1, 2, …: ``TeamRepository.take_turns``) goes to the manager at ``t - 1`` in id
    order, wrapping. Least loaded gives each lead to a manager with the fewest open leads counting the ones
    planned so far; among equals the one with the lowest random key wins, so each of them is equally likely."""
    if not managers or count <= 0 or rule == AssignmentRule.MANUAL:
        return []
    if rule == AssignmentRule.ROUND_ROBIN:
        ordered = sorted(managers)
        return [ordered[(turn - 1) % len(ordered)] for turn in turns[:count]]
    rng = rng or _rng
    heap = [(loads.get(m, 0), rng.random(), m) for m in managers]
    heapq.heapify(heap)
    out: list[int] = []
    for _ in range(count):
        load, _key, manager = heapq.heappop(heap)
        out.append(manager)
        heapq.heappush(heap, (load + 1, rng.random(), manager))
    return out


@dataclass(frozen=True)
class Pick:
    """What intake decided: ``owners`` for the leads (None: the queue) and by which rule."""

    owners: list[int | None]
    rule: AssignmentRule
    nobody_active: bool = False  # a rule was on but there was no active manager
    languages: Mapping[int, str | None] = field(default_factory=dict)  # the owners' (when the pick read them)


async def pick_owners(uow: UnitOfWork, policy: Policy, count: int, *, rng: random.Random | None = None) -> Pick:
    """Owners for ``count`` new leads by the team's rule, inside the caller's transaction: round robin takes
    turns from the shared sequence (no lock); least loaded locks the rule's row until the transaction ends.
    What the rule needs is read in one round trip (``read_intake``: an API create is bound by its round trips)."""
    intake = await uow.team.read_intake(count, policy.assignment_rule)
    rule = intake.state.rule or policy.assignment_rule
    if rule == AssignmentRule.MANUAL:
        return Pick([None] * count, rule)
    languages = intake.managers
    if rule == AssignmentRule.LEAST_LOADED:
        state = await uow.team.lock_assignment()  # one pick after another: each counts the previous one's lead
        rule = state.rule or policy.assignment_rule
        if rule != AssignmentRule.LEAST_LOADED:  # changed before the lock was ours: read again under it
            return await pick_owners(uow, policy, count, rng=rng)
    if not languages:
        return Pick([None] * count, rule, nobody_active=True)
    managers = list(languages)
    loads = await uow.team.open_lead_counts(managers) if rule == AssignmentRule.LEAST_LOADED else {}
    turns: list[int] = []
    if rule == AssignmentRule.ROUND_ROBIN:  # None: a stored rule the statement did not read as round robin
        turns = intake.turns if intake.turns is not None else await uow.team.take_turns(count)
    owners = plan_owners(rule, managers, turns=turns, loads=loads, count=count, rng=rng)
    return Pick(list(owners), rule, languages=languages)


async def after_intake(uow: UnitOfWork, lead: Lead, pick: Pick | None, actor: Actor, now: datetime) -> None:
    """In the creating transaction: the lead's ASSIGNED history row, and the owner (or, with nobody to take
    it, the team leads) told."""
    if lead.owner_id is not None:
        data = {
            "from_id": None,
            "to_id": lead.owner_id,
            "to_name": lead.owner_name,
            "rule": pick.rule.value if pick else None,
        }
        await uow.leads.add_event(lead.id, kind=LeadEventKind.ASSIGNED, actor=actor.label, data=data, created_at=now)
        await notify_owner(uow, lead, actor, languages=pick.languages if pick else {})
    elif pick is not None and pick.nobody_active:
        await uow.outbox.enqueue(
            dedupe_key=f"unassigned:{lead.id}",
            destination=TEAM_LEADS,
            payload={
                "event": "lead_unassigned",
                "lead_id": lead.id,
                "name": lead.display_name,
                "contact": lead.contact,
                "source": lead.source.value,
                "rule": pick.rule.value,
            },
        )


async def notify_owner(
    uow: UnitOfWork, lead: Lead, actor: Actor, *, languages: Mapping[int, str | None] | None = None
) -> None:
    """A personal message to the lead's new owner (not when they took it themselves), in their language
    (``languages``: known already, by owner id; else read)."""
    if lead.owner_id is None or lead.owner_id == actor.user_id:
        return
    if languages is not None and lead.owner_id in languages:
        language = languages[lead.owner_id]
    else:
        owner = await uow.users.get(lead.owner_id)
        language = owner.language if owner is not None else None
    by = await uow.users.get(actor.user_id) if actor.user_id is not None else None
    await uow.outbox.enqueue(
        dedupe_key=f"assigned:{lead.id}:{lead.version}",
        chat_id=lead.owner_id,
        payload={
            "event": "lead_assigned",
            "lead_id": lead.id,
            "name": lead.display_name,
            "contact": lead.contact,
            "source": lead.source.value,
            "stage": lead.stage.value,
            "business_domain": lead.business_domain,
            "ai_score": lead.ai_score,
            "by": by.full_name if by is not None else actor.label,
            "language": language,
        },
    )


def _require_assigner(actor: Actor) -> None:
    if not actor.sees_all_leads:  # team leads, admins, API keys and the system
        raise AccessDenied(AccessRule.ASSIGN_NEEDS_TEAM_LEAD)


async def assignable(uow: UnitOfWork, owner_id: int) -> User:
    """The user a lead may be given to: an active manager or team lead (InvalidValue ``owner_id`` else)."""
    user = await uow.users.get(owner_id)
    if user is None or not user.is_active or user.role not in ASSIGNABLE_ROLES:
        raise InvalidValue("owner_id", Rule.NOT_ASSIGNABLE, value=owner_id)
    return user


async def reassign_locked(uow: UnitOfWork, actor: Actor, lead: Lead, owner_id: int | None, now: datetime) -> Lead:
    """Give a lead read with its lock to ``owner_id`` (None: the queue), inside the caller's transaction:
    version bumped, ``assigned_at`` set, the ASSIGNED history row, the new owner told."""
    _require_assigner(actor)
    if owner_id is not None:
        await assignable(uow, owner_id)
    if owner_id == lead.owner_id:
        return lead
    changes = lead.touch(now)
    changes["owner_id"] = owner_id
    changes["assigned_at"] = now if owner_id is not None else None
    before = lead
    lead = await uow.leads.update(lead, changes)
    by = await uow.users.get(actor.user_id) if actor.user_id is not None else None
    data = {
        "from_id": before.owner_id,
        "to_id": owner_id,
        "from_name": before.owner_name,
        "to_name": lead.owner_name,
        "rule": None,
        "by_name": by.full_name if by is not None else None,
    }
    await uow.leads.add_event(lead.id, kind=LeadEventKind.ASSIGNED, actor=actor.label, data=data, created_at=now)
    await notify_owner(uow, lead, actor)
    return lead


async def assign_lead(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    owner_id: int | None,
    *,
    expected_version: int | None = None,
) -> Lead:
    """Team leads and admins give an open lead to an active manager or team lead, or back to the queue."""
    _require_assigner(actor)
    async with uow:
        lead = await uow.leads.get(lead_id, lock=True)
        if lead is None:
            raise LeadNotFound(lead_id)
        if lead.merged_into_id is not None:
            raise LeadMerged(lead.id, lead.merged_into_id)
        if expected_version is not None and lead.version != expected_version:
            raise StaleState()
        if funnel.is_final(lead.stage):
            raise LeadIsFinal(lead.id, lead.stage.value)
        lead = await reassign_locked(uow, actor, lead, owner_id, utcnow())
        await uow.commit()
    return lead


async def candidates(uow: UnitOfWork, actor: Actor) -> list[User]:
    """Whom a lead can be given to: active managers, then team leads, by name."""
    _require_assigner(actor)
    async with uow:
        users = await uow.users.list_users(include_inactive=False)
    found = [u for u in users if u.role in ASSIGNABLE_ROLES]
    return sorted(found, key=lambda u: (u.role != Role.MANAGER, u.full_name.lower(), u.id))


# ---------------------------------------------------------------- the rule (admins)


@dataclass(frozen=True)
class RuleInfo:
    rule: AssignmentRule
    chosen: bool  # False: the settings' default (no admin has chosen one)


async def get_rule(uow: UnitOfWork, svc: Services, actor: Actor) -> RuleInfo:
    _require_assigner(actor)
    async with uow:
        state = await uow.team.read_assignment()
    return RuleInfo(state.rule or svc.policy.assignment_rule, state.rule is not None)


async def set_rule(uow: UnitOfWork, svc: Services, actor: Actor, rule: str) -> RuleInfo:
    """Admins only: the rule every later intake uses (kept in team_settings, over the settings' default)."""
    if actor.role != Role.ADMIN:
        raise AccessDenied(AccessRule.ADMIN_ONLY)
    rule_ = parse_enum(AssignmentRule, rule, "rule")
    async with uow:
        state = await uow.team.lock_assignment()
        await uow.team.save_assignment(replace(state, rule=rule_), actor=actor.label, now=utcnow())
        await uow.commit()
    return RuleInfo(rule_, True)


# ---------------------------------------------------------------- bulk: import, deactivation


async def assign_new(uow: UnitOfWork, policy: Policy, actor: Actor, lead_ids: Sequence[int]) -> Pick:
    """Give leads just inserted without an owner (the importer's) owners by the rule, in the caller's
    transaction: one statement for all of them."""
    now = utcnow()
    pick = await pick_owners(uow, policy, len(lead_ids))
    given = [Assignment(lead_id, owner) for lead_id, owner in zip(lead_ids, pick.owners, strict=True) if owner]
    await uow.team.assign_many(given, actor=actor.label, rule=pick.rule, now=now, touch=False)
    return pick


class Handover(StrEnum):
    """Where a deactivated user's open leads go."""

    QUEUE = "queue"
    RULE = "rule"  # by the team's rule, among the managers still active
    USER = "user"  # to one chosen manager or team lead


async def hand_over(
    uow: UnitOfWork,
    policy: Policy,
    actor: Actor,
    user_id: int,
    *,
    to: Handover,
    to_user_id: int | None = None,
) -> int:
    """Move every open lead of ``user_id`` (being deactivated in the caller's transaction) to the queue, the
    rule or one user; each gets its ASSIGNED history row and its new owner is told. Returns how many moved."""
    leads = await uow.team.open_leads_of(user_id)
    now = utcnow()
    rule: AssignmentRule | None = None
    if to == Handover.USER:
        if to_user_id is None or to_user_id == user_id:
            raise InvalidValue("owner_id", Rule.NOT_ASSIGNABLE, value=to_user_id)
        await assignable(uow, to_user_id)
        owners: list[int | None] = [to_user_id] * len(leads)
    elif to == Handover.RULE and leads:
        pick = await pick_owners(uow, policy, len(leads))
        owners, rule = pick.owners, pick.rule
    else:
        owners = [None] * len(leads)
    moves = [Assignment(lead.id, owner, lead.owner_id) for lead, owner in zip(leads, owners, strict=True)]
    await uow.team.assign_many(moves, actor=actor.label, rule=rule, now=now)
    for lead, owner in zip(leads, owners, strict=True):
        if owner is not None:
            moved = replace(lead, owner_id=owner, version=lead.version + 1, assigned_at=now)
            await notify_owner(uow, moved, actor)
    return len(leads)
