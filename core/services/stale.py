"""Stalled leads: "no activity for N days in this stage" (``Policy.is_stale``) and snoozing the flag.

A snooze says why the lead is quiet on purpose (a preset ``SnoozeReason`` and/or a free text), so people do
not learn to ignore the flag: the card shows "snoozed until …" and the history keeps the reason
(``LeadEventKind.STALE_SNOOZED``). The flag comes back by itself after ``days``. One transaction, commits once.
"""

from __future__ import annotations

from datetime import timedelta

from core.domain.clock import utcnow
from core.domain.enums import LeadEventKind, SnoozeReason
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor, Lead
from core.domain.validation import clean_reason, parse_enum
from core.services.context import Services
from core.services.leads import _check_version, _ensure_open, _load
from core.services.ports import UnitOfWork

SNOOZE_DAYS_MAX = 90


async def snooze_stale(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    lead_id: int,
    *,
    days: int,
    reason_code: str | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Do not flag the lead as stalled for ``days`` days; a reason (preset or text) is required."""
    if not 1 <= days <= SNOOZE_DAYS_MAX:
        raise InvalidValue("days", Rule.OUT_OF_RANGE, minimum=1, maximum=SNOOZE_DAYS_MAX)
    code = parse_enum(SnoozeReason, reason_code, "reason") if reason_code else None
    text = clean_reason(reason)
    if code is None and text is None:
        raise InvalidValue("reason", Rule.REQUIRED)
    now = utcnow()
    async with uow:
        lead = await _load(uow, actor, lead_id, lock=True)
        _check_version(lead, expected_version)
        _ensure_open(lead)
        until = now + timedelta(days=days)
        changes = lead.touch(now)
        changes["stale_snoozed_until"] = until
        lead = await uow.leads.update(lead, changes)
        data = {
            "until": until.isoformat(),
            "days": days,
            "reason_code": code.value if code else None,
            "reason": text,
            "was_stale": svc.policy.is_stale(lead.changed({"stale_snoozed_until": None}), now),
        }
        await uow.leads.add_event(
            lead.id, kind=LeadEventKind.STALE_SNOOZED, actor=actor.label, data=data, created_at=now
        )
        await uow.commit()
    return lead
