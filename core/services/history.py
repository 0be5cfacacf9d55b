"""A lead's history in one read for the chat UIs: its stage changes, activities and events, and the names of
the people behind them (an actor label "tg:123" -> "Maria Ivanova"), so the history says who did what."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.domain.models import Activity, Actor, Lead, LeadEvent, StageChange
from core.services import leads as leads_svc
from core.services.ports import UnitOfWork

TELEGRAM_LABEL = "tg:"  # Actor.from_user's label


@dataclass(frozen=True)
class LeadHistory:
    lead: Lead
    changes: list[StageChange]
    activities: list[Activity]
    events: list[LeadEvent]
    names: dict[str, str] = field(default_factory=dict)  # actor label -> the user's name, for known users


async def lead_history(
    uow: UnitOfWork, actor: Actor, lead_id: int, *, changes: int = 10, activities: int = 15, events: int = 10
) -> LeadHistory:
    """The newest ``changes`` stage changes, ``activities`` activities and ``events`` events of a lead the
    actor may see (LeadNotFound otherwise), with the names of who made them."""
    lead = await leads_svc.get_lead(uow, actor, lead_id)
    found_changes = await leads_svc.stage_history(uow, actor, lead.id, limit=changes)
    found_activities = await leads_svc.list_activities(uow, actor, lead.id, limit=activities)
    found_events = await leads_svc.lead_events(uow, actor, lead.id, limit=events)
    labels = {c.actor for c in found_changes} | {a.author for a in found_activities}
    names: dict[str, str] = {}
    async with uow:
        for label in sorted(labels):
            ident = label.removeprefix(TELEGRAM_LABEL)
            if label.startswith(TELEGRAM_LABEL) and ident.isdecimal():
                user = await uow.users.get(int(ident))
                if user is not None and user.full_name:
                    names[label] = user.full_name
    return LeadHistory(lead, found_changes, found_activities, found_events, names)
