"""Numbered pages of leads for chat UIs (the bot's ◀ ▶ list). The REST API uses keyset cursors instead."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.enums import Stage
from core.domain.errors import AccessDenied, AccessRule, InvalidValue, Rule
from core.domain.models import Actor, Lead
from core.domain.validation import parse_enum
from core.services.ports import LeadFilter, UnitOfWork

MAX_PER_PAGE = 50


@dataclass(frozen=True)
class NumberedPage:
    items: list[Lead]
    page: int  # 0-based, clamped to the last page
    pages: int
    total: int


async def page_leads(
    uow: UnitOfWork,
    actor: Actor,
    *,
    page: int = 0,
    per_page: int = 8,
    stage: str | None = None,
    unassigned: bool = False,
    mine: bool = False,
) -> NumberedPage:
    """Newest-updated first. Managers only ever see their own leads; team leads and admins all (their own
    with ``mine``), and with ``unassigned`` the open leads without an owner (the queue)."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidValue("per_page", Rule.OUT_OF_RANGE, minimum=1, maximum=MAX_PER_PAGE)
    if unassigned and not actor.sees_all_leads:
        raise AccessDenied(AccessRule.ASSIGN_NEEDS_TEAM_LEAD)
    stage_ = parse_enum(Stage, stage, "stage") if stage else None
    owner_id = None if actor.sees_all_leads and not mine else actor.user_id
    flt = LeadFilter(stage=stage_, owner_id=owner_id, unassigned=unassigned)
    async with uow:
        total = await uow.leads.count_leads(flt)
        pages = max(1, -(-total // per_page))
        page = min(max(page, 0), pages - 1)
        items = await uow.leads.list_leads(flt, limit=per_page, offset=page * per_page) if total else []
        return NumberedPage(items, page, pages, total)
