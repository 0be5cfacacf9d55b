"""/today: what a person has to do today, in their time zone.

A manager sees their own leads: next steps overdue, next steps due before the end of their local day, then
open leads with no next step. Team leads and admins see the same per owner (counts, and the first few items
of each). Read-only: indexed queries per section (``LeadRepository.steps_due`` / ``without_step`` /
``day_counts``), never a scan of leads in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.domain.clock import utcnow
from core.domain.dates import local_day_bounds, zone
from core.domain.models import Actor, Lead, User
from core.services.context import Services
from core.services.ports import UnitOfWork

MINE_ITEMS = 20  # a manager's own list: per section
TEAM_ITEMS = 3  # a team lead's view: per owner and section


@dataclass
class OwnerDay:
    owner_id: int
    owner_name: str | None
    overdue_count: int = 0
    today_count: int = 0
    no_step_count: int = 0
    overdue: list[Lead] = field(default_factory=list)
    today: list[Lead] = field(default_factory=list)
    no_step: list[Lead] = field(default_factory=list)


@dataclass(frozen=True)
class Today:
    now: datetime
    day_end: datetime  # the start of the viewer's next local day, UTC
    team: bool  # per owner (team leads, admins) or the viewer's own
    owners: list[OwnerDay]


async def today(uow: UnitOfWork, svc: Services, actor: Actor, viewer: User, *, now: datetime | None = None) -> Today:
    """The viewer's day (a manager: their own leads; team leads and admins: every owner's)."""
    now = now or utcnow()
    _start, day_end = local_day_bounds(now, zone(viewer.timezone, svc.policy.default_timezone))
    team = actor.sees_all_leads
    owner_id = None if team else viewer.id
    per = TEAM_ITEMS if team else MINE_ITEMS
    async with uow:
        counts = await uow.leads.day_counts(owner_id, now=now, before=day_end)
        due = await uow.leads.steps_due(owner_id, before=day_end, per_owner=per * 2)
        bare = await uow.leads.without_step(owner_id, per_owner=per)
        names = {u.id: u.full_name for u in await uow.users.list_users()} if team else {viewer.id: viewer.full_name}
    days: dict[int, OwnerDay] = {}
    for c in counts:
        days[c.owner_id] = OwnerDay(c.owner_id, names.get(c.owner_id), c.overdue, c.today, c.no_step)
    for lead in due:
        day = days.setdefault(lead.owner_id or 0, OwnerDay(lead.owner_id or 0, None))
        day.owner_name = day.owner_name or lead.owner_name
        section = day.overdue if lead.next_step_due_at is not None and lead.next_step_due_at < now else day.today
        if len(section) < per:
            section.append(lead)
    for lead in bare:
        day = days.setdefault(lead.owner_id or 0, OwnerDay(lead.owner_id or 0, None))
        day.owner_name = day.owner_name or lead.owner_name
        day.no_step.append(lead)
    if not team and viewer.id not in days:
        days[viewer.id] = OwnerDay(viewer.id, viewer.full_name)
    owners = sorted(days.values(), key=lambda d: (-(d.overdue_count + d.today_count), d.owner_name or "", d.owner_id))
    return Today(now=now, day_end=day_end, team=team, owners=owners)
