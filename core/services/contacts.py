"""A lead's contacts: reading what was typed into contacts (``core.domain.contacts``), the duplicate guard,
and the card's "add / remove a contact". Each changing function is one transaction and commits once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.domain.clock import utcnow
from core.domain.contacts import Contact, parse_contact, unique
from core.domain.errors import DuplicateLead, InvalidValue, LeadIsFinal, LeadMerged, LeadNotFound, Rule, StaleState
from core.domain.funnel import is_final
from core.domain.models import NAME_MAX, Actor, Lead
from core.domain.validation import clean_text
from core.services.context import Policy
from core.services.outbox import TEAM_LEADS
from core.services.ports import UnitOfWork

# A contact as a caller gives it: the typed text, or (kind, text) when the kind is known (the API's objects).
ContactInput = str | tuple[str | None, str]


def clean_company(value: str | None) -> str | None:
    value = clean_text(value, field="company", limit=NAME_MAX)
    return " ".join(value.split()) if value else None


def read_contacts(items: Sequence[ContactInput] | None, policy: Policy) -> list[Contact]:
    """Typed contacts parsed and without repeats (InvalidValue("contacts[i]") for one that is not a contact)."""
    parsed = []
    for i, item in enumerate(items or ()):
        kind, text = (None, item) if isinstance(item, str) else item
        parsed.append(parse_contact(text, policy.phone_region, kind=kind, field=f"contacts[{i}]"))
    return unique(parsed)


def with_primary(primary: str | None, contacts: Sequence[Contact], policy: Policy) -> tuple[str | None, list[Contact]]:
    """The primary contact (``leads.contact``, already cleaned) and every contact with it first: without a
    primary the first contact is."""
    if primary is None:
        return (contacts[0].value if contacts else None), list(contacts)
    return primary, unique([parse_contact(primary, policy.phone_region), *contacts])


@dataclass(frozen=True)
class Duplicate:
    """A lead that already has one of the new contacts. ``lead`` is None when the actor may not see it (only
    its id is known to the service, never shown)."""

    lead_id: int
    contact: Contact
    lead: Lead | None


async def find_duplicate(
    uow: UnitOfWork, actor: Actor, contacts: Sequence[Contact], *, exclude: int | None = None
) -> Duplicate | None:
    """Inside the caller's ``async with uow``: the oldest (live) lead with one of ``contacts``, if any, other
    than lead ``exclude`` (the one they are being added to)."""
    found = [lead for lead in await uow.leads.with_contacts([c.key for c in contacts], limit=2) if lead.id != exclude]
    if not found:
        return None
    lead = found[0]
    keys = {c.key for c in lead.contacts}
    matched = next((c for c in contacts if c.key in keys), contacts[0])
    return Duplicate(lead.id, matched, lead if actor.may_act_on(lead.owner_id) else None)


def refuse_duplicate(duplicate: Duplicate | None, *, adding_to: int | None = None) -> None:
    if duplicate is not None:
        raise DuplicateLead(
            duplicate.lead_id, duplicate.contact.kind.value, duplicate.contact.normal, adding_to=adding_to
        )


async def check_new_contact(uow: UnitOfWork, policy: Policy, actor: Actor, text: str) -> Duplicate | None:
    """The bot's /new dialog, before it creates: the lead that already has this contact. When the actor may
    not see that lead, its owner (or, for a lead in the queue, the team leads) is told someone tried to add
    it again, in this transaction."""
    contact = parse_contact(text, policy.phone_region)
    async with uow:
        duplicate = await find_duplicate(uow, actor, [contact])
        if duplicate is None or duplicate.lead is not None:
            return duplicate
        await _tell_owner(uow, actor, duplicate, contact)
        await uow.commit()
    return duplicate


async def _tell_owner(
    uow: UnitOfWork, actor: Actor, duplicate: Duplicate, contact: Contact, *, adding_to: int | None = None
) -> None:
    """Inside the caller's transaction: the owner of a lead the actor may not see (or, for a lead in the queue,
    the team leads) is told someone tried to add its contact again (to a new lead, or to lead ``adding_to``)."""
    lead = await uow.leads.get(duplicate.lead_id)
    assert lead is not None
    who = await uow.users.get(actor.user_id) if actor.user_id is not None else None
    payload = {
        "event": "duplicate_attempt",
        "lead_id": lead.id,
        "name": lead.display_name,
        "kind": contact.kind.value,
        "contact": contact.value,
        "by": who.full_name if who is not None else actor.label,
        "adding_to": adding_to,
    }
    key = f"duplicate:{lead.id}:{actor.label}:{contact.kind.value}:{contact.normal}"[:200]
    owner = await uow.users.get(lead.owner_id) if lead.owner_id is not None else None
    if owner is not None and owner.is_active:
        await uow.outbox.enqueue(dedupe_key=key, chat_id=owner.id, payload={**payload, "language": owner.language})
    else:
        await uow.outbox.enqueue(dedupe_key=key, destination=TEAM_LEADS, payload=payload)


async def _open_lead(uow: UnitOfWork, actor: Actor, lead_id: int, expected_version: int | None) -> Lead:
    lead = await uow.leads.get(lead_id, lock=True)
    if lead is None or not actor.may_act_on(lead.owner_id):
        raise LeadNotFound(lead_id)
    if lead.merged_into_id is not None:
        raise LeadMerged(lead.id, lead.merged_into_id)
    if expected_version is not None and lead.version != expected_version:
        raise StaleState()
    if is_final(lead.stage):
        raise LeadIsFinal(lead.id, lead.stage.value)
    return lead


async def _store(uow: UnitOfWork, lead: Lead, contacts: Sequence[Contact], primary: str | None) -> Lead:
    now = utcnow()
    stored = await uow.leads.replace_contacts(lead.id, contacts)
    changes = lead.touch(now)
    if primary != lead.contact:
        changes["contact"] = primary
    lead = await uow.leads.update(lead, changes)
    return replace(lead, contacts=stored)


async def add_contact(
    uow: UnitOfWork,
    policy: Policy,
    actor: Actor,
    lead_id: int,
    text: str,
    *,
    expected_version: int | None = None,
    allow_duplicate: bool = False,
) -> Lead:
    """One more contact (the lead's primary one when it had none); one it already has changes nothing but
    the version. A contact another lead has raises DuplicateLead (``adding_to`` this lead) unless
    ``allow_duplicate``."""
    added = await _add(uow, policy, actor, lead_id, text, expected_version, allow_duplicate, tell=False)
    if added.duplicate is not None:
        refuse_duplicate(added.duplicate, adding_to=lead_id)
    return added.lead


@dataclass(frozen=True)
class ContactAdded:
    """``add_contact_or_show``'s answer: the lead as now stored, or (nothing added) the other lead that has the
    contact."""

    lead: Lead
    duplicate: Duplicate | None = None


async def add_contact_or_show(
    uow: UnitOfWork, policy: Policy, actor: Actor, lead_id: int, text: str, *, expected_version: int | None = None
) -> ContactAdded:
    """The bot's "add a contact": as ``add_contact``, but a contact another lead has adds nothing and returns
    that lead (as ``check_new_contact`` does for /new: one the actor may not see is only named by id, and its
    owner or the team leads are told, in this transaction)."""
    return await _add(uow, policy, actor, lead_id, text, expected_version, False, tell=True)


async def _add(
    uow: UnitOfWork,
    policy: Policy,
    actor: Actor,
    lead_id: int,
    text: str,
    expected_version: int | None,
    allow_duplicate: bool,
    *,
    tell: bool,
) -> ContactAdded:
    contact = parse_contact(text, policy.phone_region)
    async with uow:
        lead = await _open_lead(uow, actor, lead_id, expected_version)
        duplicate = None
        if contact.key not in {c.key for c in lead.contacts} and not allow_duplicate:
            duplicate = await find_duplicate(uow, actor, [contact], exclude=lead.id)
        if duplicate is not None:
            if tell and duplicate.lead is None:
                await _tell_owner(uow, actor, duplicate, contact, adding_to=lead.id)
                await uow.commit()
            return ContactAdded(lead, duplicate)
        contacts = unique([*lead.contacts, contact])
        lead = await _store(uow, lead, contacts, lead.contact or contact.value)
        await uow.commit()
    return ContactAdded(lead)


async def remove_contact(
    uow: UnitOfWork, actor: Actor, lead_id: int, contact_id: int, *, expected_version: int | None = None
) -> Lead:
    """Drop one contact; when it was the primary one, the next oldest becomes primary."""
    async with uow:
        lead = await _open_lead(uow, actor, lead_id, expected_version)
        gone = next((c for c in lead.contacts if c.id == contact_id), None)
        if gone is None:
            raise InvalidValue("contact", Rule.NOT_ONE_OF, value=contact_id, allowed=[c.value for c in lead.contacts])
        left = [c for c in lead.contacts if c.id != contact_id]
        primary = lead.contact
        if primary == gone.value:  # the primary contact's row keeps its typed form (``with_primary``)
            primary = left[0].value if left else None
        lead = await _store(uow, lead, left, primary)
        await uow.commit()
    return lead
