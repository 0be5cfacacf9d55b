"""The scheduler's jobs: due work turned into outbox rows, each batch one transaction that commits once.

- **Reminders**: a next step due by ``now`` and not reminded yet -> one personal message to its owner (the team
  leads' group when the lead has no active owner), and ``next_step_reminded_at`` is stamped in the same
  transaction. Snoozing or setting a step clears the stamp (core.services.next_steps), so it is reminded again.
- **First-contact SLA**: a new lead nobody contacted ``Policy.first_contact_sla`` after it was created -> its
  owner is reminded once; after twice that the team leads' group is told, with an Assign button, and the lead's
  history records ``sla_escalated``. Logging any activity sets ``first_contact_at``, which stops both.
- **Digests**: each active manager (team leads and admins too when they own open leads) at
  ``Policy.digest_hour`` in their own zone: steps due today, overdue, stalled (``Policy.is_stale`` in SQL per
  stage), newly assigned since the previous digest; and the team leads' group a summary per owner at that hour
  in the team's zone. Once per local day: the dedupe keys ``digest:{user}:{date}`` / ``team-digest:{date}``.
- **Weekly summary** (core.services.weekly): the funnel and managers charts of the week to the team leads' group.

Several schedulers (bot processes) may run at once. The claims lock their rows with ``FOR UPDATE SKIP LOCKED``
and stamp them in the same statement, so one step is claimed by one scheduler; the digests run under a
transaction-scoped advisory lock; and every row has a dedupe key, so even a repeated job queues nothing twice.
The payloads are data (ids, names, ISO times, the recipient's language and zone), rendered when sent
(bot/render/reminders.py).

The digest job remembers when it last looked (``checked_at``): a digest hour that passed since then (at most a
day back) is due. The first run ever only sets the mark, so a fresh install does not send yesterday's digests,
and a restart shortly after the hour still sends today's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.clock import utcnow
from core.domain.enums import Role
from core.services.context import Policy
from core.services.next_steps import due_token
from core.services.outbox import TEAM_LEADS
from core.services.ports import (
    Addressee,
    Digest,
    DigestLead,
    DigestPart,
    DueStep,
    DueWindow,
    QueuedMessage,
    SlaBreach,
    TeamLine,
    UnitOfWork,
)
from core.services.weekly import queue_weekly_summary

BATCH = 500  # steps claimed per transaction: bench/scheduler.py queues 20,000 in about a second
DIGEST_SAMPLE = 5  # leads named per part of a digest (the rest are counted)
DIGEST_LOCK = 0x5C4ED01  # pg advisory lock key of the digest job (any constant no other job uses)
DIGEST_JOB = "digest"


@dataclass(frozen=True)
class Queued:
    """What one pass queued."""

    reminders: int = 0
    sla_reminders: int = 0
    escalations: int = 0
    digests: int = 0
    weekly: int = 0  # rows of the team leads' weekly summary (core.services.weekly)

    @property
    def total(self) -> int:
        return self.reminders + self.sla_reminders + self.escalations + self.digests + self.weekly


def zone_of(timezone: str | None, policy: Policy) -> ZoneInfo:
    return ZoneInfo(timezone or policy.default_timezone)


async def run_due(uow: UnitOfWork, policy: Policy, *, now: datetime | None = None, batch: int = BATCH) -> Queued:
    """Every job once (each in its own transactions)."""
    now = now or utcnow()
    reminders = await queue_reminders(uow, policy, now=now, batch=batch)
    sla_reminders, escalations = await queue_sla(uow, policy, now=now, batch=batch)
    digests = await queue_digests(uow, policy, now=now)
    weekly = await queue_weekly_summary(uow, policy, now=now)
    return Queued(reminders, sla_reminders, escalations, digests, weekly)


# ---------------------------------------------------------------- reminders


async def next_due(uow: UnitOfWork) -> datetime | None:
    """When the next reminder falls due (the loop sleeps until then rather than a whole poll interval)."""
    async with uow:
        return await uow.schedule.next_due()


def reminder_key(step: DueStep) -> str:
    """Once per step: the lead, the due time the buttons name, and the lead's version (a step set again for the
    same minute after the first was done is another step)."""
    return f"reminder:{step.lead_id}:{due_token(step.due_at)}:v{step.version}"


def _address(owner: Addressee, key: str, payload: dict[str, Any]) -> QueuedMessage:
    if owner.reachable:
        return QueuedMessage(key, {**payload, "language": owner.language}, chat_id=owner.user_id)
    return QueuedMessage(key, {**payload, "to_group": True}, destination=TEAM_LEADS)


def _reminder(step: DueStep, policy: Policy) -> QueuedMessage:
    payload = {
        "event": "next_step_due",
        "lead_id": step.lead_id,
        "name": step.lead_name,
        "kind": step.kind.value,
        "due_at": step.due_at.isoformat(),
        "due_token": due_token(step.due_at),
        "note": step.note,
        "timezone": _zone_for(step.owner, policy),
        "owner_id": step.owner.user_id,
        "owner_name": step.owner.name,
    }
    return _address(step.owner, reminder_key(step), payload)


async def queue_reminders(uow: UnitOfWork, policy: Policy, *, now: datetime | None = None, batch: int = BATCH) -> int:
    """Claim the due steps in batches (one transaction each) and queue their reminders; how many were queued."""
    now = now or utcnow()
    queued = 0
    while True:
        async with uow:
            steps = await uow.schedule.claim_due_steps(now, batch)
            if not steps:
                return queued
            queued += await uow.schedule.enqueue_many([_reminder(step, policy) for step in steps])
            await uow.commit()
        if len(steps) < batch:
            return queued


# ---------------------------------------------------------------- the first-contact SLA


def _zone_for(owner: Addressee, policy: Policy, *, to_group: bool = False) -> str:
    """The zone a message is read in: its owner's (when it goes to them), else the team's."""
    return owner.timezone if owner.reachable and owner.timezone and not to_group else policy.default_timezone


def _breach(breach: SlaBreach, policy: Policy, event: str, *, to_group: bool = False) -> dict[str, Any]:
    return {
        "event": event,
        "timezone": _zone_for(breach.owner, policy, to_group=to_group),
        "lead_id": breach.lead_id,
        "name": breach.lead_name,
        "created_at": breach.created_at.isoformat(),
        "minutes": int(policy.first_contact_sla.total_seconds() // 60),
        "owner_id": breach.owner.user_id,
        "owner_name": breach.owner.name,
    }


async def queue_sla(
    uow: UnitOfWork, policy: Policy, *, now: datetime | None = None, batch: int = BATCH
) -> tuple[int, int]:
    """Remind the owners of leads past the SLA, then escalate the ones past twice the SLA; (reminded, escalated).
    A lead found past both at once (the scheduler was down) gets both, the reminder first."""
    now = now or utcnow()
    sla = policy.first_contact_sla
    reminded = escalated = 0
    while True:
        async with uow:
            breaches = await uow.schedule.claim_sla_reminders(now - sla, now, batch)
            messages = [
                _address(b.owner, f"sla-reminder:{b.lead_id}", _breach(b, policy, "sla_reminder")) for b in breaches
            ]
            reminded += await uow.schedule.enqueue_many(messages)
            await uow.commit()
        if len(breaches) < batch:
            break
    data = {"minutes": int(sla.total_seconds() // 60)}
    while True:
        async with uow:
            breaches = await uow.schedule.claim_sla_escalations(now - 2 * sla, now, batch, event_data=data)
            messages = [
                QueuedMessage(
                    f"sla-escalated:{b.lead_id}",
                    _breach(b, policy, "sla_escalated", to_group=True),
                    destination=TEAM_LEADS,
                )
                for b in breaches
            ]
            escalated += await uow.schedule.enqueue_many(messages)
            await uow.commit()
        if len(breaches) < batch:
            break
    return reminded, escalated


# ---------------------------------------------------------------- digests


def digest_moment(since: datetime, now: datetime, zone: ZoneInfo, hour: int) -> datetime | None:
    """The latest local ``hour``:00 in ``zone`` within (since, now], in UTC; None if none passed."""
    today = now.astimezone(zone).date()
    for day in (today, today - timedelta(days=1)):
        moment = datetime.combine(day, time(hour), tzinfo=zone).astimezone(now.tzinfo)
        if since < moment <= now:
            return moment
    return None


def window(policy: Policy, now: datetime, zone: ZoneInfo, moment: datetime) -> DueWindow:
    """The digest's day (the local day of its ``moment``, which its title names) until the recipient's local
    midnight, the stale cut-offs per stage, and "newly assigned" since the previous digest (the same hour a day
    before). A digest sent late (the bot was down over midnight) lists nothing as due today: it is overdue."""
    local_day = moment.astimezone(zone).date()
    day_end = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(now.tzinfo)
    stale_before = {stage: now - timedelta(days=days) for stage, days in policy.stale_days.items()}
    return DueWindow(now=now, day_end=day_end, stale_before=stale_before, assigned_since=moment - timedelta(days=1))


def _leads(part: DigestPart) -> dict[str, Any]:
    def one(lead: DigestLead) -> dict[str, Any]:
        return {
            "id": lead.lead_id,
            "name": lead.name,
            "stage": lead.stage.value,
            "at": lead.at.isoformat() if lead.at else None,
            "kind": lead.kind.value if lead.kind else None,
        }

    return {"count": part.count, "leads": [one(lead) for lead in part.leads]}


def digest_payload(digest: Digest, *, day: date, language: str | None, timezone: str) -> dict[str, Any]:
    return {
        "event": "digest",
        "date": day.isoformat(),
        "language": language,
        "timezone": timezone,
        "open_leads": digest.open_leads,
        "today": _leads(digest.today),
        "overdue": _leads(digest.overdue),
        "stale": _leads(digest.stale),
        "assigned": _leads(digest.assigned),
    }


def team_payload(lines: list[TeamLine], *, day: date, timezone: str) -> dict[str, Any]:
    rows = [
        {
            "owner_id": line.owner_id,
            "name": line.owner_name,
            "open": line.open_leads,
            "overdue": line.overdue,
            "today": line.today,
            "stale": line.stale,
        }
        for line in lines
    ]
    return {"event": "team_digest", "date": day.isoformat(), "timezone": timezone, "rows": rows}


async def queue_digests(uow: UnitOfWork, policy: Policy, *, now: datetime | None = None) -> int:
    """Queue the digests whose local hour passed since the job last looked; one transaction."""
    now = now or utcnow()
    async with uow:
        if not await uow.schedule.try_lock(DIGEST_LOCK):
            return 0  # another scheduler is at it
        previous = await uow.schedule.checked_at(DIGEST_JOB, now)
        if previous is None or previous >= now:
            await uow.commit()
            return 0
        since = max(previous, now - timedelta(days=1))
        due: list[tuple[str, Any, ZoneInfo, datetime]] = []  # key, user (None: the team), zone, moment
        for user, open_leads in await uow.schedule.digest_users():
            if user.role != Role.MANAGER and not open_leads:
                continue  # team leads and admins hear about their own leads only
            zone = zone_of(user.timezone, policy)
            moment = digest_moment(since, now, zone, policy.digest_hour)
            if moment is not None:
                due.append((f"digest:{user.id}:{moment.astimezone(zone).date()}", user, zone, moment))
        team_zone = zone_of(None, policy)
        team_moment = digest_moment(since, now, team_zone, policy.digest_hour)
        if team_moment is not None:
            due.append((f"team-digest:{team_moment.astimezone(team_zone).date()}", None, team_zone, team_moment))
        sent = await uow.schedule.existing_keys([key for key, *_ in due])
        messages = []
        for key, user, zone, moment in due:
            if key in sent:
                continue
            span = window(policy, now, zone, moment)
            day = moment.astimezone(zone).date()
            if user is None:
                payload = team_payload(await uow.schedule.team_summary(span), day=day, timezone=zone.key)
                messages.append(QueuedMessage(key, payload, destination=TEAM_LEADS))
            else:
                digest = await uow.schedule.digest(user.id, span, sample=DIGEST_SAMPLE)
                payload = digest_payload(digest, day=day, language=user.language, timezone=zone.key)
                messages.append(QueuedMessage(key, payload, chat_id=user.id))
        queued = await uow.schedule.enqueue_many(messages)
        await uow.commit()
    return queued
