"""The pipeline board (the Mini App): every open stage's newest-updated leads and how many there are, the closed
stages as counts, and the people a team lead may filter by; the deals board the same way for sales.

Reads only: moves and the card's actions go through ``core.services.leads`` / ``next_steps`` / ``sales``, the
same services as the bot's buttons. Managers see their own leads (``owner_id`` is theirs whatever they ask);
team leads and admins see all, optionally one owner's (``unassigned``: the queue), one source's, or a search.
A column's count stops at ``COUNT_CAP`` (a stage of a million leads is "10000+", not a scan of every row).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.enums import SaleStage, Source, Stage
from core.domain.errors import InvalidValue, Rule
from core.domain.funnel import OPEN_STAGES
from core.domain.models import Actor, Lead, Sale, SaleTotal, User
from core.domain.validation import parse_enum
from core.services import deals as deals_svc
from core.services import leads as leads_svc
from core.services.ports import UnitOfWork
from core.services.ports.leads import LeadFilter, SaleFilter

COUNT_CAP = 10_000
MAX_CARDS = 200  # one column's page
DEFAULT_CARDS = 50  # a phone shows a handful per column; "show more" pages on
MAX_SEARCH = 200  # a search board shows the best matches, at most this many in all
MAX_OFFSET = 5_000  # "show more" pages through at most this many cards of a column
CLOSED_STAGES = (Stage.TRANSFERRED, Stage.LOST)
SALE_STAGES = (SaleStage.NEW, SaleStage.KYC, SaleStage.AGREEMENT, SaleStage.PAID, SaleStage.LOST)


@dataclass(frozen=True)
class BoardQuery:
    """What the board shows: ``owner_id`` / ``unassigned`` / ``source`` / ``q`` (already checked)."""

    owner_id: int | None = None
    unassigned: bool = False
    source: Source | None = None
    q: str | None = None

    def filter(self, stage: Stage) -> LeadFilter:
        return LeadFilter(stage=stage, owner_id=self.owner_id, source=self.source, unassigned=self.unassigned)


@dataclass(frozen=True)
class Column:
    stage: Stage
    cards: list[Lead]
    count: int  # at most COUNT_CAP (``capped``: there may be more)
    offset: int = 0
    truncated: bool = False  # a search kept only its best MAX_SEARCH matches: the count is of those

    @property
    def capped(self) -> bool:
        return self.truncated or self.count >= COUNT_CAP

    @property
    def more(self) -> int:
        return max(0, self.count - self.offset - len(self.cards))


@dataclass(frozen=True)
class Board:
    columns: list[Column]  # new, contacted, qualified
    closed: list[Column]  # transferred, lost: counts only (no cards)
    owners: list[User]  # whom a team lead may filter by (a manager: only themselves)
    query: BoardQuery


@dataclass(frozen=True)
class DealCard:
    sale: Sale
    lead: Lead | None
    owner_name: str | None = None  # the deal's owner (a team lead)


@dataclass(frozen=True)
class DealColumn:
    stage: SaleStage
    cards: list[DealCard]
    count: int
    totals: list[SaleTotal]  # per currency (currency None: deals without an amount)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


def _check_page(limit: int, offset: int = 0) -> None:
    if not 1 <= limit <= MAX_CARDS:
        raise InvalidValue("limit", Rule.OUT_OF_RANGE, minimum=1, maximum=MAX_CARDS)
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidValue("offset", Rule.OUT_OF_RANGE, minimum=0, maximum=MAX_OFFSET)


def board_query(
    actor: Actor, *, owner_id: int | None = None, source: str | None = None, q: str | None = None
) -> BoardQuery:
    """The filters as the actor may use them: a manager's board is always their own leads; ``owner_id`` 0 is
    the leads without an owner."""
    text = " ".join(q.split()) if q else None
    if text is not None and len(text) < 2:
        raise InvalidValue("q", Rule.TOO_SHORT, minimum=2)
    src = parse_enum(Source, source, "source") if source else None
    if not actor.sees_all_leads:
        return BoardQuery(owner_id=actor.user_id, source=src, q=text)
    if owner_id == 0:
        return BoardQuery(unassigned=True, source=src, q=text)
    return BoardQuery(owner_id=owner_id, source=src, q=text)


async def _search(uow: UnitOfWork, actor: Actor, query: BoardQuery) -> tuple[dict[Stage, list[Lead]], bool]:
    """The best ``MAX_SEARCH`` matches of ``query.q`` among the board's leads, by stage; and whether there are more.
    One search for the whole board (not one per column)."""
    assert query.q is not None
    page = await leads_svc.list_leads(
        uow,
        actor,
        owner_id=query.owner_id,
        source=query.source.value if query.source else None,
        unassigned=query.unassigned,
        q=query.q,
        limit=MAX_SEARCH,
    )
    found: dict[Stage, list[Lead]] = {stage: [] for stage in Stage}
    for lead in page.items:
        found[lead.stage].append(lead)
    return found, page.next_after is not None


def _found_column(stage: Stage, leads: list[Lead], more: bool, limit: int, offset: int) -> Column:
    """A column of a search: its matches among the search's best (``more``: the search had more than it kept)."""
    return Column(stage, leads[offset : offset + limit], len(leads), offset, truncated=more)


async def _column(uow: UnitOfWork, query: BoardQuery, stage: Stage, limit: int, offset: int) -> Column:
    flt = query.filter(stage)
    async with uow:
        cards = await uow.leads.list_leads(flt, limit=limit, offset=offset)
        count = len(cards) + offset if len(cards) < limit else await uow.leads.count_leads_upto(flt, COUNT_CAP)
    return Column(stage, cards, count, offset)


async def owners(uow: UnitOfWork, actor: Actor, me: User | None = None) -> list[User]:
    """Whom the actor may filter the board by: every active user for team leads and admins, else themselves
    (``me``: the actor's user when the caller has it already, saving a read)."""
    if not actor.sees_all_leads and me is not None and me.id == actor.user_id:
        return [me]
    async with uow:
        if actor.sees_all_leads:
            return sorted(await uow.users.list_users(include_inactive=False), key=lambda u: (u.full_name or "", u.id))
        user = await uow.users.get(actor.user_id) if actor.user_id is not None else None
        return [user] if user is not None else []


async def lead_board(
    uow: UnitOfWork, actor: Actor, query: BoardQuery, *, limit: int = DEFAULT_CARDS, me: User | None = None
) -> Board:
    """The open stages' newest-updated ``limit`` cards each, with their counts; the closed stages' counts."""
    _check_page(limit)
    if query.q is not None:
        found, more = await _search(uow, actor, query)
        columns = [_found_column(stage, found[stage], more, limit, 0) for stage in OPEN_STAGES]
        closed = [Column(stage, [], len(found[stage]), truncated=more) for stage in CLOSED_STAGES]
        return Board(columns, closed, await owners(uow, actor, me), query)
    pages: dict[Stage, list[Lead]] = {}
    async with uow:
        for stage in OPEN_STAGES:
            pages[stage] = await uow.leads.list_leads(query.filter(stage), limit=limit)
        # the counts the full columns need and the closed stages', in one query
        wanted = [stage for stage, cards in pages.items() if len(cards) >= limit] + list(CLOSED_STAGES)
        counts = await uow.leads.stage_counts_upto(query.filter(Stage.NEW), wanted, COUNT_CAP)
    open_columns = [Column(stage, cards, counts.get(stage, len(cards))) for stage, cards in pages.items()]
    closed = [Column(stage, [], counts[stage]) for stage in CLOSED_STAGES]
    return Board(open_columns, closed, await owners(uow, actor, me), query)


async def lead_column(
    uow: UnitOfWork, actor: Actor, query: BoardQuery, stage: str, *, limit: int = DEFAULT_CARDS, offset: int = 0
) -> Column:
    """One stage's cards from ``offset``: an open column's "show more", or a collapsed (closed) stage opened."""
    _check_page(limit, offset)
    stage_ = parse_enum(Stage, stage, "stage")
    if query.q is not None:
        found, more = await _search(uow, actor, query)
        return _found_column(stage_, found[stage_], more, limit, offset)
    return await _column(uow, query, stage_, limit, offset)


async def deal_board(
    uow: UnitOfWork, actor: Actor, *, owner_id: int | None = None, limit: int = DEFAULT_CARDS
) -> list[DealColumn]:
    """Every sale stage's newest deals (``limit`` each) with their count and amounts per currency; team leads
    and admins only (as the bot's /deals)."""
    deals_svc.ensure_deals_access(actor)
    _check_page(limit)
    async with uow:
        totals = await uow.sales.totals(owner_id)
        names = {u.id: u.full_name for u in await uow.users.list_users()}
        columns = []
        for stage in SALE_STAGES:
            flt = SaleFilter(stage=stage, owner_id=owner_id)
            sales = await uow.sales.list_sales(flt, limit=limit)
            stage_totals = [t for t in totals if t.stage == stage]
            count = sum(t.count for t in stage_totals)
            leads = await uow.leads.get_many([sale.lead_id for sale in sales])
            cards = [
                DealCard(sale, leads.get(sale.lead_id), names.get(sale.owner_id) if sale.owner_id else None)
                for sale in sales
            ]
            columns.append(DealColumn(stage, cards, count, [t for t in stage_totals if t.currency is not None]))
    return columns


async def deal_card(uow: UnitOfWork, actor: Actor, sale: Sale) -> DealCard:
    """One deal as the deals board shows it (after a move)."""
    deals_svc.ensure_deals_access(actor)
    async with uow:
        lead = await uow.leads.get(sale.lead_id)
        owner = await uow.users.get(sale.owner_id) if sale.owner_id is not None else None
    return DealCard(sale, lead, owner.full_name if owner else None)


async def active_user(uow: UnitOfWork, user_id: int) -> User | None:
    """The active user ``user_id`` (the sandbox's dev login signs in as them), or None."""
    async with uow:
        user = await uow.users.get(user_id)
    return user if user is not None and user.is_active else None
