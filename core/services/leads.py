"""Lead use cases. Each lead-changing function is one transaction and commits once."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.domain import funnel
from core.domain.clock import utcnow
from core.domain.contacts import Contact, parse_contact, unique
from core.domain.enums import ActivityKind, ActivityOutcome, LostReason, Source, Stage
from core.domain.errors import (
    AccessDenied,
    AccessRule,
    InvalidValue,
    LeadIsFinal,
    LeadMerged,
    LeadNotFound,
    Rule,
    SourceNotAllowed,
    StaleState,
)
from core.domain.models import Activity, Actor, Lead, LeadChanges, LeadEvent, Sale, StageChange
from core.domain.search import SearchPosition, SearchTerms, search_terms
from core.domain.validation import (
    clean_attributes,
    clean_contact,
    clean_domain,
    clean_name,
    clean_reason,
    clean_text,
    parse_enum,
)
from core.scoring.inputs import scoring_input
from core.services import assignment, scorer_admin, webhooks
from core.services import contacts as contacts_svc
from core.services.context import Services
from core.services.outbox import TEAM_LEADS
from core.services.ports import LeadFilter, NewLead, UnitOfWork

MAX_PAGE = 200
# The columns that clear a lead's next step.
NO_NEXT_STEP: LeadChanges = {
    "next_step_kind": None,
    "next_step_due_at": None,
    "next_step_note": None,
    "next_step_reminded_at": None,
}
SEARCH_TEXT_MAX = 200


async def _load(uow: UnitOfWork, actor: Actor, lead_id: int, *, lock: bool) -> Lead:
    lead = await uow.leads.get(lead_id, lock=lock)
    if lead is None or not actor.may_act_on(lead.owner_id):
        # The same answer as a missing lead: a forged id learns nothing about other managers' leads.
        raise LeadNotFound(lead_id)
    if lead.merged_into_id is not None:  # a tombstone: "merged into #N", not a lead to act on
        raise LeadMerged(lead.id, lead.merged_into_id)
    return lead


def _check_version(lead: Lead, expected_version: int | None) -> None:
    if expected_version is not None and lead.version != expected_version:
        raise StaleState()


async def create_lead(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    *,
    source: str | None,
    name: str | None = None,
    contact: str | None = None,
    business_domain: str | None = None,
    attributes: dict[str, Any] | None = None,
    owner_id: int | None = None,
    for_queue: bool = False,
    company: str | None = None,
    contacts: Sequence[contacts_svc.ContactInput] | None = None,
    allow_duplicate: bool = False,
) -> Lead:
    """A person's lead is theirs unless ``owner_id`` names someone else or, for a team lead, ``for_queue``;
    a lead created without an owner (the API's, a team lead's "for the queue") gets one by the team's rule
    in this transaction (``core.services.assignment``).

    ``contact`` is the primary contact, ``contacts`` more (the first is primary when ``contact`` is None).
    A contact another lead already has raises DuplicateLead unless ``allow_duplicate``. An actor scoped to a
    source (an API key made with ``--source``) creates leads of that source only; without ``source`` it gets it."""
    if actor.source is not None:
        if source is None:
            source = actor.source
        elif source != actor.source:
            raise SourceNotAllowed(actor.source, source)
    if source is None:
        raise InvalidValue("source", Rule.REQUIRED)
    owner = owner_id if owner_id is not None else (None if for_queue else actor.user_id)
    if for_queue and not actor.sees_all_leads:
        raise AccessDenied(AccessRule.ASSIGN_NEEDS_TEAM_LEAD)
    primary, every = contacts_svc.with_primary(
        clean_contact(contact), contacts_svc.read_contacts(contacts, svc.policy), svc.policy
    )
    new = NewLead(
        source=parse_enum(Source, source, "source"),
        name=clean_name(name),
        contact=primary,
        business_domain=clean_domain(business_domain, svc.policy.domains),
        attributes=clean_attributes(attributes),
        owner_id=owner,
        created_at=utcnow(),
        company=contacts_svc.clean_company(company),
        contacts=tuple(every),
    )
    async with uow:
        if every and not allow_duplicate:
            contacts_svc.refuse_duplicate(await contacts_svc.find_duplicate(uow, actor, every))
        pick = None
        if owner is None:
            pick = await assignment.pick_owners(uow, svc.policy, 1)
            new = replace(new, owner_id=pick.owners[0])
        elif owner != actor.user_id:
            if not actor.sees_all_leads:
                raise AccessDenied(AccessRule.ASSIGN_NEEDS_TEAM_LEAD)
            await assignment.assignable(uow, owner)
        lead = await uow.leads.add(new)
        if pick is not None or owner != actor.user_id:
            await assignment.after_intake(uow, lead, pick, actor, new.created_at)
        await webhooks.lead_created(uow, lead, new.created_at)
        await uow.commit()
    return lead


async def get_lead(uow: UnitOfWork, actor: Actor, lead_id: int) -> Lead:
    async with uow:
        return await _load(uow, actor, lead_id, lock=False)


@dataclass(frozen=True)
class LeadPage:
    items: list[Lead]
    next_before_id: int | None  # the next page's ``before_id`` (the last id of this one); None: the last page
    next_after: SearchPosition | None = None  # with ``q``: the next page's ``after``; None: the last page


@dataclass(frozen=True)
class SearchPage:
    items: list[Lead]
    next_after: SearchPosition | None  # where the next page starts (the last result of this one); None: the last


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidValue("limit", Rule.OUT_OF_RANGE, minimum=1, maximum=MAX_PAGE)


async def list_leads(
    uow: UnitOfWork,
    actor: Actor,
    *,
    stage: str | None = None,
    owner_id: int | None = None,
    source: str | None = None,
    unassigned: bool = False,
    limit: int = 50,
    before_id: int | None = None,
    updated_since: datetime | None = None,
    q: str | None = None,
    after: SearchPosition | None = None,
    region: str = "RU",
) -> LeadPage:
    """Newest-created first (id descending), keyset-paginated on the id, so a lead changed during a pass
    neither moves nor is skipped; ``updated_since`` keeps the leads changed at or after that moment (an
    incremental sync). Managers only ever see their own leads; ``unassigned``: the queue (leads without an
    owner; with ``owner_id`` too, nothing matches both). With ``q``: a search as ``find_leads``'s, best match
    first, paged with ``after`` (``next_after``) instead of ``before_id`` (phones typed without a country code
    are in ``region``)."""
    _check_limit(limit)
    text = _search_text(q) if q is not None else None
    if not actor.sees_all_leads:
        owner_id = actor.user_id
    flt = LeadFilter(
        stage=parse_enum(Stage, stage, "stage") if stage is not None else None,
        owner_id=owner_id,
        source=parse_enum(Source, source, "source") if source is not None else None,
        unassigned=unassigned,
        updated_since=updated_since,
    )
    if text is not None:
        page = await _search(uow, search_terms(text, region), flt, limit=limit, after=after)
        return LeadPage(page.items, None, page.next_after)
    async with uow:
        found = await uow.leads.list_leads_by_id(flt, limit=limit + 1, before_id=before_id)
    items = found[:limit]
    return LeadPage(items, items[-1].id if len(found) > limit else None)


def _search_text(text: str) -> str:
    text = clean_text(" ".join(text.split()), field="query", limit=SEARCH_TEXT_MAX) or ""
    if len(text) < 2:
        raise InvalidValue("query", Rule.TOO_SHORT, minimum=2)
    return text


async def find_leads(
    uow: UnitOfWork,
    actor: Actor,
    text: str,
    *,
    limit: int = 20,
    after: SearchPosition | None = None,
    region: str = "RU",
) -> SearchPage:
    """Leads whose name, company or a contact contains ``text`` (a phone however it is typed: ``search_forms``,
    in ``region``, the policy's phone_region, without a country code), newest first; when there are none,
    those similar to it (a typo in a name, a company or an e-mail: ``core.domain.search``), closest first.
    Managers see only their own leads. A page of ``limit`` after ``after`` (the previous page's
    ``next_after``)."""
    text = _search_text(text)
    _check_limit(limit)
    flt = LeadFilter(owner_id=None if actor.sees_all_leads else actor.user_id)
    return await _search(uow, search_terms(text, region), flt, limit=limit, after=after)


async def _search(
    uow: UnitOfWork, terms: SearchTerms, flt: LeadFilter, *, limit: int, after: SearchPosition | None
) -> SearchPage:
    async with uow:
        found = await uow.leads.search_leads(terms, flt, limit=limit + 1, after=after)
    items = found[:limit]
    return SearchPage([f.lead for f in items], items[-1].position if len(found) > limit else None)


@dataclass(frozen=True)
class StageResult:
    lead: Lead
    sale: Sale | None = None


async def change_stage(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    target: str,
    *,
    reason: str | None = None,
    reason_code: str | None = None,
    expected_version: int | None = None,
) -> StageResult:
    """Move the lead one step (or to lost). Transfer creates the Sale and queues the team-lead
    notification in the same transaction; the lead row is locked so concurrent requests serialize.
    ``reason_code`` is a preset LostReason, ``reason`` a free text; either, both or neither."""
    reason = clean_reason(reason)
    code = parse_enum(LostReason, reason_code, "reason_code") if reason_code is not None else None
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        return await _change_locked_stage(
            uow, svc, actor, lead, target, reason=reason, reason_code=code, expected_version=expected_version
        )


async def _change_locked_stage(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead: Lead,
    target: str,
    *,
    reason: str | None,
    expected_version: int | None,
    reason_code: LostReason | None = None,
) -> StageResult:
    """change_stage() on a lead already loaded with its lock, inside the caller's ``async with uow``."""
    _check_version(lead, expected_version)
    new = funnel.ensure_transition(lead.stage.value, str(target))
    now = utcnow()
    if new == Stage.TRANSFERRED:
        # The gate decides on the lead as it is now, never on a score from before its last change or day:
        # a scored lead is re-scored first, and that score is the one stored with the transfer.
        rescored = await fresh_score(uow, svc, lead, now)
        lead = lead.changed(rescored)
        gate = await scorer_admin.transfer_gate(uow, svc.policy)  # an admin's, else TRANSFER_THRESHOLD
        funnel.ensure_transfer_allowed(lead.ai_score, lead.business_domain, gate)
    changes = lead.touch(now)
    changes["stage"] = new
    changes["stage_entered_at"] = now
    if new == Stage.TRANSFERRED:
        changes.update(rescored)
    elif new != Stage.LOST:
        changes.update(await fresh_score(uow, svc, lead.changed(changes), now))
    if funnel.is_final(new):  # a closed lead has no next step left to remind anyone of
        changes.update(NO_NEXT_STEP)
    if new == Stage.LOST:
        changes["lost_reason"] = reason
        changes["lost_reason_code"] = reason_code
    from_stage = lead.stage.value
    lead, _ = await uow.leads.record_stage_change(
        lead,
        to_stage=new,
        actor=actor.label,
        reason=reason,
        reason_code=reason_code,
        created_at=now,
        changes=changes,
    )
    await webhooks.lead_stage_changed(uow, lead, from_stage, actor.label, now)
    sale = None
    if new == Stage.TRANSFERRED:
        sale = await uow.sales.add(lead.id, created_at=now)
        await _queue_transfer_notification(uow, lead, sale, actor)
        await webhooks.lead_transferred(uow, lead, sale, actor.label, now)
    await uow.commit()
    return StageResult(lead, sale)


async def _queue_transfer_notification(uow: UnitOfWork, lead: Lead, sale: Sale, actor: Actor) -> None:
    """Always, in the transfer's transaction, for the team leads' group: which chat that is, the sender
    (the bot) decides from its settings when it sends, so no process's configuration can drop it."""
    await uow.outbox.enqueue(
        dedupe_key=f"lead-transferred:{lead.id}",
        destination=TEAM_LEADS,
        payload={
            "event": "lead_transferred",
            "lead_id": lead.id,
            "sale_id": sale.id,
            "name": lead.display_name,
            "contact": lead.contact,
            "source": lead.source.value,
            "business_domain": lead.business_domain,
            "ai_score": lead.ai_score,
            "ai_reason": lead.ai_reason,
            "ai_reason_ru": lead.ai_reason_ru,
            "activity_count": lead.activity_count,
            "manager_id": lead.owner_id,
            "manager_name": lead.owner_name,
            "actor": actor.label,
        },
    )


async def advance(
    uow: UnitOfWork, svc: Services, actor: Actor, lead_id: int, *, expected_version: int | None = None
) -> StageResult:
    """One step forward from wherever the lead is now (the bot's "next stage" button). The lead is loaded
    once, with its lock, for both choosing the step and making it."""
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        target = funnel.next_stage(lead.stage)
        if target is None:
            raise LeadIsFinal(lead_id, lead.stage.value)
        return await _change_locked_stage(
            uow, svc, actor, lead, target.value, reason=None, expected_version=expected_version
        )


async def _scored(uow: UnitOfWork, svc: Services, lead: Lead, now: datetime) -> LeadChanges:
    """Score with the current scorer: the columns to store (score, recommendation, reason en/ru, version, time)."""
    scorer = await svc.scorers.current(uow)
    started = time.perf_counter()
    result = scorer.score(scoring_input(lead, now))
    if svc.observe_scoring is not None:
        svc.observe_scoring(result.version, time.perf_counter() - started)
    return {
        "ai_score": result.score,
        "ai_recommendation": result.recommendation,
        "ai_reason": result.reason,
        "ai_reason_ru": result.reason_ru,
        "scorer_version": result.version,
        "ai_scored_at": now,
    }


async def fresh_score(uow: UnitOfWork, svc: Services, lead: Lead, now: datetime) -> LeadChanges:
    """The score columns for a lead that has a score (its state fed a feature and changed); nothing for a lead never
    scored (no score is not a stale one: Analyze gives the first)."""
    return await _scored(uow, svc, lead, now) if lead.ai_score is not None else {}


async def analyze(
    uow: UnitOfWork, svc: Services, actor: Actor, lead_id: int, *, expected_version: int | None = None
) -> Lead:
    """Score the lead with the current scorer and store score, recommendation, reason, version, time."""
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _check_version(lead, expected_version)
        now = utcnow()
        changes = await _scored(uow, svc, lead, now)
        changes.update(lead.touch(now))
        lead = await uow.leads.update(lead, changes)
        await uow.commit()
    return lead


def _ensure_open(lead: Lead) -> None:
    if funnel.is_final(lead.stage):
        raise LeadIsFinal(lead.id, lead.stage.value)


async def log_activity(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    *,
    kind: str,
    text: str | None = None,
    outcome: str | None = None,
    to_contacted: bool = False,
    expected_version: int | None = None,
) -> tuple[Lead, Activity]:
    """Log a call, message, meeting, e-mail or note; ``outcome`` how a call or a meeting went (one of
    ``funnel.OUTCOMES`` for the kind), ``text`` the note or a comment. With ``to_contacted`` a lead still
    ``new`` moves to ``contacted`` in the same transaction (the first contact, in one tap); a lead already
    past ``new`` just gets the activity. A scored lead is re-scored in the same transaction (activities feed
    the score: ``fresh_score``)."""
    kind_ = parse_enum(ActivityKind, kind, "kind")
    outcome_ = _outcome(kind_, outcome)
    text = clean_text(text)
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _check_version(lead, expected_version)
        _ensure_open(lead)
        now = utcnow()
        counts = dict(lead.activity_counts)
        counts[kind_.value] = counts.get(kind_.value, 0) + 1
        changes = lead.touch(now)
        changes["activity_count"] = lead.activity_count + 1
        changes["activity_counts"] = counts
        changes["first_contact_at"] = lead.first_contact_at or now
        changes["last_activity_at"] = now
        moves = to_contacted and lead.stage == Stage.NEW
        if not moves:
            changes.update(await fresh_score(uow, svc, lead.changed(changes), now))
        lead, activity = await uow.leads.record_activity(
            lead, kind=kind_, text=text, author=actor.label, created_at=now, changes=changes, outcome=outcome_
        )
        if moves:
            changes = lead.touch(now)
            changes["stage"] = Stage.CONTACTED
            changes["stage_entered_at"] = now
            changes.update(await fresh_score(uow, svc, lead.changed(changes), now))
            lead, _change = await uow.leads.record_stage_change(
                lead,
                to_stage=Stage.CONTACTED,
                actor=actor.label,
                reason=None,
                reason_code=None,
                created_at=now,
                changes=changes,
            )
            await webhooks.lead_stage_changed(uow, lead, Stage.NEW.value, actor.label, now)
        await uow.commit()
    return lead, activity


COMMENTED_KINDS = frozenset({ActivityKind.CALL, ActivityKind.MESSAGE, ActivityKind.MEETING, ActivityKind.EMAIL})
COMMENT_WINDOW = 20  # a comment goes on one of the lead's newest activities (the one just logged, typically)


async def comment_activity(
    uow: UnitOfWork, actor: Actor, lead_id: int, activity_id: int, text: str | None
) -> tuple[Lead, Activity]:
    """Set (or replace; empty text clears) the comment of a call, message, meeting or e-mail already logged on
    an open lead the actor may work, by the one who logged it (or a team lead or admin). An activity that is not
    that lead's, or a note (its text is the note), is a stale or forged view: ``StaleState``. The lead's version
    stays: its card did not change."""
    text = clean_text(text, field="comment")
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _ensure_open(lead)
        found = [a for a in await uow.leads.list_activities(lead.id, limit=COMMENT_WINDOW) if a.id == activity_id]
        if not found or found[0].kind not in COMMENTED_KINDS:
            raise StaleState()
        if found[0].author != actor.label and not actor.sees_all_leads:
            raise AccessDenied(AccessRule.NOT_YOUR_ACTIVITY)  # a colleague's call is theirs to describe
        activity = await uow.leads.set_activity_text(lead.id, activity_id, text)
        if activity is None:
            raise StaleState()
        await uow.commit()
    return lead, activity


def _edited_contacts(lead: Lead, changes: dict[str, Any], svc: Services) -> tuple[str | None, list[Contact]] | None:
    """The primary contact and every contact after an edit of ``contact`` and/or ``contacts`` (None: neither).
    ``contacts`` replaces the list; ``contact`` alone replaces the primary one (None clears it), the others stay."""
    if "contact" not in changes and "contacts" not in changes:
        return None
    region = svc.policy.phone_region
    primary = clean_contact(changes["contact"]) if "contact" in changes else lead.contact
    if "contacts" in changes:
        listed = contacts_svc.read_contacts(changes["contacts"] or [], svc.policy)
        if "contact" not in changes and not any(c.value == primary for c in listed):
            primary = None  # the old primary contact is not among the new ones
        return contacts_svc.with_primary(primary, listed, svc.policy)
    others = [c for c in lead.contacts if c.value != lead.contact]
    if primary is None:
        return None, others
    return primary, unique([parse_contact(primary, region), *others])


def _outcome(kind: ActivityKind, outcome: str | None) -> ActivityOutcome | None:
    """The outcome if it fits the kind (a call: reached / no answer / call back; a meeting: held /
    cancelled), else InvalidValue naming the ones allowed."""
    if outcome is None:
        return None
    allowed = funnel.outcomes_of(kind)
    if outcome not in allowed:
        raise InvalidValue("outcome", Rule.NOT_ONE_OF, value=outcome, allowed=[o.value for o in allowed])
    return ActivityOutcome(outcome)


EDITABLE = ("name", "contact", "business_domain", "attributes", "owner_id", "company", "contacts")


async def update_lead(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    *,
    changes: dict[str, Any],
    expected_version: int | None = None,
    allow_duplicate: bool = False,
) -> Lead:
    """Set name / company / contact / contacts / business_domain / attributes / owner_id (only the keys given;
    None clears; a new owner is recorded and told as ``assignment.assign_lead`` does).

    A lead that was already scored is re-scored in the same transaction when its domain or attributes
    change, so the transfer gate never trusts a score computed for the old values. A contact new to the lead
    that another lead has raises DuplicateLead (``adding_to`` this lead) unless ``allow_duplicate``."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidValue(", ".join(sorted(unknown)), Rule.UNKNOWN_FIELDS)
    cleaned: LeadChanges = {}
    if "name" in changes:
        cleaned["name"] = clean_name(changes["name"])
    if "contact" in changes:
        cleaned["contact"] = clean_contact(changes["contact"])
    if "business_domain" in changes:
        cleaned["business_domain"] = clean_domain(changes["business_domain"], svc.policy.domains)
    if "attributes" in changes:
        cleaned["attributes"] = clean_attributes(changes["attributes"])
    if "company" in changes:
        cleaned["company"] = contacts_svc.clean_company(changes["company"])
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _check_version(lead, expected_version)
        lead = await _update_locked(uow, svc, actor, lead, changes, cleaned, allow_duplicate=allow_duplicate)
        await uow.commit()
    return lead


async def _update_locked(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead: Lead,
    changes: dict[str, Any],
    cleaned: LeadChanges,
    *,
    allow_duplicate: bool = False,
) -> Lead:
    """update_lead() on a lead loaded with its lock inside the caller's ``async with uow`` (no commit):
    ``cleaned`` holds the checked values of ``changes``."""
    _ensure_open(lead)
    edited = _edited_contacts(lead, changes, svc)
    if edited is not None:
        had = {c.key for c in lead.contacts}
        new = [c for c in edited[1] if c.key not in had]
        if new and not allow_duplicate:
            duplicate = await contacts_svc.find_duplicate(uow, actor, new, exclude=lead.id)
            contacts_svc.refuse_duplicate(duplicate, adding_to=lead.id)
        cleaned["contact"] = edited[0]
        lead = replace(lead, contacts=await uow.leads.replace_contacts(lead.id, edited[1]))
    rescore = lead.ai_score is not None and (
        ("business_domain" in cleaned and cleaned["business_domain"] != lead.business_domain)
        or ("attributes" in cleaned and cleaned["attributes"] != lead.attributes)
    )
    now = utcnow()
    if rescore:  # the domain and attributes feed the score: a stored score must not describe the old lead
        cleaned.update(await _scored(uow, svc, lead.changed(cleaned), now))
    if cleaned or "owner_id" not in changes:  # an owner alone is written (and versioned) by reassign_locked
        cleaned.update(lead.touch(now))
        lead = await uow.leads.update(lead, cleaned)
    if "owner_id" in changes:
        lead = await assignment.reassign_locked(uow, actor, lead, changes["owner_id"], now)
    return lead


async def set_attribute(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    key: str,
    value: str | None,
    *,
    expected_version: int | None = None,
) -> Lead:
    """Set one custom attribute (``value`` None: remove it), the others untouched: the read and the write of
    the attributes happen under the lead's row lock, so two people editing two keys at once lose neither.
    Cleaned, versioned and re-scored as ``update_lead`` does."""
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _check_version(lead, expected_version)
        attributes = dict(lead.attributes)
        if value is None:
            attributes.pop(key, None)
        else:
            attributes[key] = value
        changes: dict[str, Any] = {"attributes": attributes}
        lead = await _update_locked(uow, svc, actor, lead, changes, {"attributes": clean_attributes(attributes)})
        await uow.commit()
    return lead


ATTRIBUTE_KEYS_FROM = 1000  # the newest leads whose attribute keys count as "the keys this team uses"


async def edit_view(uow: UnitOfWork, actor: Actor, lead_id: int, *, keys: int = 8) -> tuple[Lead, list[str]]:
    """A lead the actor may edit, and the custom attribute keys the team uses (on its newest leads), most used
    first: what the bot offers as buttons when a field is added to a lead."""
    _check_limit(keys)
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=False)
        _ensure_open(lead)
        return lead, await uow.leads.attribute_keys(recent=ATTRIBUTE_KEYS_FROM, limit=keys)


async def list_activities(uow: UnitOfWork, actor: Actor, lead_id: int, *, limit: int = 50) -> list[Activity]:
    _check_limit(limit)
    async with uow:
        await _load(uow, actor, lead_id, lock=False)
        return await uow.leads.list_activities(lead_id, limit=limit)


async def lead_events(uow: UnitOfWork, actor: Actor, lead_id: int, *, limit: int = 50) -> list[LeadEvent]:
    """Assignments, next steps, snoozes… (``LeadEventKind``), newest first."""
    _check_limit(limit)
    async with uow:
        await _load(uow, actor, lead_id, lock=False)
        return await uow.leads.list_events(lead_id, limit=limit)


async def stage_history(uow: UnitOfWork, actor: Actor, lead_id: int, *, limit: int = 50) -> list[StageChange]:
    _check_limit(limit)
    async with uow:
        await _load(uow, actor, lead_id, lock=False)
        return await uow.leads.list_stage_changes(lead_id, limit=limit)
