"""A lead's next step (follow-up): set, complete, snooze, clear. Each is one transaction and commits once.

An open lead has at most one next step: a kind (call, message, meeting, email, task), a due time (UTC) and an
optional note, kept on the lead. The scheduler (``core.services.scheduler``) reminds the owner once at the due
time and stamps ``next_step_reminded_at``; setting or snoozing a step clears the stamp, so the new time is
reminded again. Every change is recorded in the lead's history (``lead_events``) and bumps the lead's version
(cards showing the old step are stale).

Buttons on a reminder may be pressed long after it was sent: they carry the due time they were about
(``due_token``, seconds since the epoch), and a step that has changed since is refused as ``StaleState``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.domain.clock import utcnow
from core.domain.enums import LeadEventKind, StepKind
from core.domain.errors import InvalidValue, Rule, StaleState
from core.domain.models import STEP_NOTE_MAX, Actor, Lead, LeadChanges
from core.domain.validation import clean_text, parse_enum
from core.services.leads import NO_NEXT_STEP, _check_version, _ensure_open, _load
from core.services.ports import UnitOfWork

# A due time a moment ago is still accepted (the user typed "now", or a preset computed just before a minute
# turned); anything older is a mistake to point out.
PAST_GRACE = timedelta(minutes=1)
FURTHEST = timedelta(days=366)


def due_token(due_at: datetime) -> int:
    """What a button about a step carries to name it: its due time in whole seconds."""
    return int(due_at.timestamp())


def _check_due(due_at: datetime, now: datetime) -> datetime:
    if due_at.tzinfo is None:
        raise InvalidValue("due_at", Rule.BAD_FORMAT)
    if due_at < now - PAST_GRACE:
        raise InvalidValue("due_at", Rule.IN_THE_PAST)
    if due_at > now + FURTHEST:
        raise InvalidValue("due_at", Rule.OUT_OF_RANGE, minimum=0, maximum=FURTHEST.days)
    return due_at


def _check_token(lead: Lead, token: int | None) -> None:
    """A reminder's button names the step it was sent for; a step done, cleared or moved since refuses it."""
    if token is None:
        return
    step = lead.next_step
    if step is None or due_token(step.due_at) != token:
        raise StaleState()


def _event_data(lead: Lead) -> dict[str, str | None]:
    step = lead.next_step
    if step is None:
        return {}
    return {"kind": step.kind.value, "due_at": step.due_at.isoformat(), "note": step.note}


async def set_next_step(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    *,
    kind: str,
    due_at: datetime,
    note: str | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Give the lead its next step (replacing the one it had)."""
    kind_ = parse_enum(StepKind, kind, "kind")
    note = clean_text(note, field="note", limit=STEP_NOTE_MAX)
    now = utcnow()
    _check_due(due_at, now)
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _check_version(lead, expected_version)
        _ensure_open(lead)
        changes = lead.touch(now)
        changes.update(
            {"next_step_kind": kind_, "next_step_due_at": due_at, "next_step_note": note, "next_step_reminded_at": None}
        )
        lead = await uow.leads.update(lead, changes)
        await uow.leads.add_event(
            lead.id, kind=LeadEventKind.NEXT_STEP_SET, actor=actor.label, data=_event_data(lead), created_at=now
        )
        await uow.commit()
    return lead


async def _finish(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    *,
    event: LeadEventKind,
    token: int | None,
    expected_version: int | None,
) -> Lead:
    now = utcnow()
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _check_version(lead, expected_version)
        _check_token(lead, token)
        if lead.next_step is None:
            raise StaleState()  # nothing to complete: another tap (or another device) did it already
        data = _event_data(lead)
        changes: LeadChanges = lead.touch(now)
        changes.update(NO_NEXT_STEP)
        lead = await uow.leads.update(lead, changes)
        await uow.leads.add_event(lead.id, kind=event, actor=actor.label, data=data, created_at=now)
        await uow.commit()
    return lead


async def complete_next_step(
    uow: UnitOfWork, actor: Actor, lead_id: int, *, due_token: int | None = None, expected_version: int | None = None
) -> Lead:
    """The step is done (one tap on the card or the reminder)."""
    return await _finish(
        uow, actor, lead_id, event=LeadEventKind.NEXT_STEP_DONE, token=due_token, expected_version=expected_version
    )


async def clear_next_step(uow: UnitOfWork, actor: Actor, lead_id: int, *, expected_version: int | None = None) -> Lead:
    """Remove the step without doing it."""
    return await _finish(
        uow, actor, lead_id, event=LeadEventKind.NEXT_STEP_CLEARED, token=None, expected_version=expected_version
    )


async def snooze_next_step(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    *,
    due_at: datetime,
    due_token: int | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Move the step to ``due_at`` (e.g. "in 1 h" from a reminder); it is reminded again then."""
    now = utcnow()
    _check_due(due_at, now)
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _check_version(lead, expected_version)
        _check_token(lead, due_token)
        if lead.next_step is None:
            raise StaleState()
        changes = lead.touch(now)
        changes.update({"next_step_due_at": due_at, "next_step_reminded_at": None})
        lead = await uow.leads.update(lead, changes)
        await uow.leads.add_event(
            lead.id, kind=LeadEventKind.NEXT_STEP_SNOOZED, actor=actor.label, data=_event_data(lead), created_at=now
        )
        await uow.commit()
    return lead
