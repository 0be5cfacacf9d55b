"""Deals for team leads: the list by stage with totals, the deal's amount, expected close and owner.

The sale funnel itself (moving a deal) is ``core.services.sales``. Here: reading deals (the bot's numbered
pages, the API's keyset pages) and editing the fields a team lead keeps up to date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.domain.clock import utcnow
from core.domain.enums import LeadEventKind, Role, SaleStage
from core.domain.errors import AccessDenied, AccessRule, InvalidValue, Rule, SaleNotFound
from core.domain.models import Actor, Lead, LeadEvent, Sale, SaleChanges, SaleStageChange, SaleTotal, User
from core.domain.money import check_amount, check_currency
from core.domain.validation import parse_enum
from core.services.ports import SaleFilter, UnitOfWork
from core.services.sales import get_sale

MAX_PER_PAGE = 50
MAX_API_PAGE = 200
DEAL_OWNER_PICKS = frozenset({Role.TEAM_LEAD, Role.ADMIN})
EDITABLE = frozenset({"amount", "currency", "expected_close_at", "owner_id"})
EXPECTED_CLOSE_MIN = datetime(2000, 1, 1, tzinfo=UTC)
EXPECTED_CLOSE_MAX = datetime(2100, 1, 1, tzinfo=UTC)
EDITS_READ = 200  # the deal's newest edits read for its card (the last few are shown beside its stage changes)


def ensure_deals_access(actor: Actor) -> None:
    """AccessDenied unless the actor may see the deals (team leads, admins, API keys)."""
    _require_deals_access(actor)


def _require_deals_access(actor: Actor) -> None:
    if not actor.sees_all_leads:
        raise AccessDenied(AccessRule.SALES_NEED_TEAM_LEAD)


@dataclass(frozen=True)
class DealItem:
    sale: Sale
    lead: Lead | None


@dataclass(frozen=True)
class DealsPage:
    items: list[DealItem]
    page: int  # 0-based, clamped to the last page
    pages: int
    total: int
    totals: list[SaleTotal]  # every stage's deals (not only the filtered one's), per currency


@dataclass(frozen=True)
class SalesPage:
    items: list[Sale]
    next_before_id: int | None


@dataclass(frozen=True)
class DealView:
    """What the deal card shows: the sale, its lead, the manager who transferred it (the lead's owner), the
    deal's owner, its stage changes, the edits of its amount / close / owner (``LeadEventKind.DEAL_EDITED``
    events of its lead, oldest first) and the names of the users who made them (by actor label)."""

    sale: Sale
    lead: Lead | None
    manager: User | None
    owner: User | None
    changes: list[SaleStageChange]
    names: dict[str, str]
    edits: list[LeadEvent] = field(default_factory=list)


async def _with_leads(uow: UnitOfWork, sales: list[Sale]) -> list[DealItem]:
    return [DealItem(sale, await uow.leads.get(sale.lead_id)) for sale in sales]


async def page_deals(
    uow: UnitOfWork, actor: Actor, *, stage: str | None = None, page: int = 0, per_page: int = 8
) -> DealsPage:
    """The bot's /deals: newest first, optionally one stage; team leads and admins only."""
    _require_deals_access(actor)
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidValue("per_page", Rule.OUT_OF_RANGE, minimum=1, maximum=MAX_PER_PAGE)
    flt = SaleFilter(stage=parse_enum(SaleStage, stage, "stage") if stage else None)
    async with uow:
        total = await uow.sales.count_sales(flt)
        pages = max(1, -(-total // per_page))
        page = min(max(page, 0), pages - 1)
        sales = await uow.sales.list_sales(flt, limit=per_page, offset=page * per_page) if total else []
        return DealsPage(await _with_leads(uow, sales), page, pages, total, await uow.sales.totals())


async def list_sales(
    uow: UnitOfWork,
    actor: Actor,
    *,
    stage: str | None = None,
    owner_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> SalesPage:
    """Keyset pages for the API: newest first, ids below ``before_id``; ``next_before_id`` is the last id of
    this page when there may be more (None on the last page)."""
    _require_deals_access(actor)
    if not 1 <= limit <= MAX_API_PAGE:
        raise InvalidValue("limit", Rule.OUT_OF_RANGE, minimum=1, maximum=MAX_API_PAGE)
    flt = SaleFilter(stage=parse_enum(SaleStage, stage, "stage") if stage else None, owner_id=owner_id)
    async with uow:
        found = await uow.sales.list_sales(flt, limit=limit + 1, before_id=before_id)
    items = found[:limit]
    return SalesPage(items, items[-1].id if len(found) > limit else None)


async def deal_view(uow: UnitOfWork, actor: Actor, sale_id: int) -> DealView:
    sale = await get_sale(uow, actor, sale_id)
    async with uow:
        lead = await uow.leads.get(sale.lead_id)
        manager = await uow.users.get(lead.owner_id) if lead and lead.owner_id else None
        owner = await uow.users.get(sale.owner_id) if sale.owner_id else None
        changes = await uow.sales.list_stage_changes(sale.id)
        events = await uow.leads.list_events(sale.lead_id, limit=EDITS_READ, kind=LeadEventKind.DEAL_EDITED)
        edits = [e for e in reversed(events) if e.data.get("sale_id") == sale.id]
        names: dict[str, str] = {}
        for label in {ch.actor for ch in changes} | {e.actor for e in edits}:
            kind, _, ident = label.partition(":")
            if kind == "tg" and ident.isdecimal():
                user = await uow.users.get(int(ident))
                if user is not None:
                    names[label] = user.full_name
        return DealView(sale, lead, manager, owner, changes, names, edits)


async def editable_sale(uow: UnitOfWork, actor: Actor, sale_id: int) -> Sale:
    """The sale, when ``actor`` may edit it (team leads, admins, API keys): before the bot asks for a value."""
    _require_deals_access(actor)
    return await get_sale(uow, actor, sale_id)


async def deal_owners(uow: UnitOfWork, actor: Actor) -> list[User]:
    """Whom the bot offers as a deal's owner: the active team leads and admins."""
    _require_deals_access(actor)
    async with uow:
        users = await uow.users.list_users(include_inactive=False)
    return [u for u in users if u.role in DEAL_OWNER_PICKS]


def _clean(sale: Sale, fields: dict[str, Any], default_currency: str) -> SaleChanges:
    unknown = sorted(set(fields) - EDITABLE)
    if unknown:
        raise InvalidValue(", ".join(unknown), Rule.UNKNOWN_FIELDS)
    changes: SaleChanges = {}
    if "amount" in fields:
        amount = fields["amount"]
        if amount is None:
            changes["amount"] = changes["currency"] = None
        else:
            if not isinstance(amount, Decimal):
                amount = Decimal(str(amount))
            changes["amount"] = check_amount(amount)
            changes["currency"] = sale.currency or check_currency(default_currency)
    if fields.get("currency") is not None:
        if changes.get("amount", sale.amount) is None:
            raise InvalidValue("currency", Rule.NEEDS_AMOUNT)
        changes["currency"] = check_currency(str(fields["currency"]))
    elif "currency" in fields and "amount" not in fields:
        raise InvalidValue("currency", Rule.REQUIRED)  # ``amount: null`` clears both
    if "expected_close_at" in fields:
        close = fields["expected_close_at"]
        if close is not None:
            if not isinstance(close, datetime) or close.tzinfo is None:
                raise InvalidValue("expected_close", Rule.BAD_FORMAT, value=str(close))
            if not EXPECTED_CLOSE_MIN <= close < EXPECTED_CLOSE_MAX:
                raise InvalidValue("expected_close", Rule.OUT_OF_RANGE, minimum=2000, maximum=2099)
        changes["expected_close_at"] = close
    return changes


async def update_sale(
    uow: UnitOfWork, actor: Actor, sale_id: int, fields: dict[str, Any], *, default_currency: str
) -> Sale:
    """Set a deal's amount (its currency: ``currency``, else the deal's, else ``default_currency``), expected
    close and owner (an active user; None: nobody). Team leads, admins and API keys only."""
    _require_deals_access(actor)
    async with uow:
        sale = await uow.sales.get(sale_id, lock=True)
        if sale is None:
            raise SaleNotFound(sale_id)
        changes = _clean(sale, fields, default_currency)
        if "owner_id" in fields:
            owner_id = fields["owner_id"]
            if owner_id is not None:
                owner = await uow.users.get(owner_id) if isinstance(owner_id, int) else None
                if owner is None or not owner.is_active:
                    raise InvalidValue("owner_id", Rule.NOT_ASSIGNABLE, value=owner_id)
            changes["owner_id"] = owner_id
        edited = await _edit_record(uow, sale, changes)
        if not edited:
            return sale
        now = utcnow()
        sale = await uow.sales.update(sale.id, changes, now=now)
        await uow.leads.add_event(
            sale.lead_id, kind=LeadEventKind.DEAL_EDITED, actor=actor.label, data=edited, created_at=now
        )
        await uow.commit()
    return sale


def _json_value(value: object) -> str | int | None:
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)  # Decimal amounts, currency codes


async def _edit_record(uow: UnitOfWork, sale: Sale, changes: SaleChanges) -> dict[str, Any]:
    """The history entry of an edit: ``{"sale_id", "changes": {field: [before, after]}}`` for the fields that
    really change (nothing: an empty dict, and the edit is a no-op), the unchanged currency of changed amounts,
    and the owners' names when the owner
    changes (a later rename or deactivation must not rewrite history)."""
    diff: dict[str, list[str | int | None]] = {}
    for key, after in changes.items():
        before = getattr(sale, key)
        if before != after:
            diff[key] = [_json_value(before), _json_value(after)]
    if not diff:
        return {}
    record: dict[str, Any] = {"sale_id": sale.id, "changes": diff}
    if "amount" in diff and "currency" not in diff:
        record["currency"] = sale.currency  # the amounts' currency, unchanged
    if "owner_id" in diff:
        for side, user_id in zip(("from_name", "to_name"), diff["owner_id"], strict=True):
            user = await uow.users.get(int(user_id)) if user_id is not None else None
            record[side] = user.full_name if user is not None else None
    return record
