"""Reports over a period: funnel, managers, lost reasons, sources and domains, the scorer's honesty.

Team leads, admins and API keys see the team; a manager sees the numbers of the leads they own (and the
activities they logged). The database counts (``uow.reports``, ``core.services.ports.reports``); this module
adds the arithmetic on those counts (conversions, win rates), names and order. Read-only, no wording: the bot
(``bot/render/reports.py``) and the API (``api/routers/reports.py``) say it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.domain.enums import Role, Stage
from core.domain.errors import AccessDenied, AccessRule
from core.domain.funnel import next_stage
from core.domain.models import Actor
from core.domain.periods import Period
from core.services.ports import UnitOfWork
from core.services.ports.reports import (
    LostCount,
    ManagerCounts,
    OtherReason,
    ReportScope,
    ScoreBandCounts,
    SourceCounts,
    StageFlow,
)

FUNNEL_PATH = (Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED, Stage.TRANSFERRED)
SHOWN_ROLES = frozenset({Role.MANAGER, Role.TEAM_LEAD})  # active users listed even with zeros (team view)


class ReportKind(StrEnum):
    FUNNEL = "funnel"
    MANAGERS = "managers"
    LOST = "lost"
    SOURCES = "sources"
    SCORER = "scorer"


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, None when there is no whole to divide."""
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Conversion:
    """Of the leads that left ``from_stage`` in the period, the share that moved on to ``to_stage`` rather than
    being lost (for ``transferred``: of the deals closed in the period, the share paid). None when none left.
    Counted on the exits, not as entered(to) / entered(from): a lead that entered ``from`` before the period
    and moved on in it would push that ratio past 100 %."""

    from_stage: Stage
    to_stage: Stage | None  # None: from ``transferred`` to a paid deal
    rate: float | None


@dataclass(frozen=True, slots=True)
class FunnelReport:
    period: Period
    team: bool
    stages: list[StageFlow]  # the lead stages in funnel order, ``lost`` last
    won: int  # deals paid in the period
    conversions: list[Conversion]  # along new → contacted → qualified → transferred → won
    deals_lost: int = 0  # deals lost in the period


@dataclass(frozen=True, slots=True)
class ManagerLine:
    user_id: int | None  # None: the team total
    name: str | None
    counts: ManagerCounts

    @property
    def win_rate(self) -> float | None:
        return rate(self.counts.won, self.counts.won + self.counts.lost)

    @property
    def activity_total(self) -> int:
        return sum(self.counts.activities.values())


@dataclass(frozen=True, slots=True)
class ManagersReport:
    period: Period
    team: bool
    lines: list[ManagerLine]  # sorted: most deals won, then transfers, new leads, activities, name
    total: ManagerLine


@dataclass(frozen=True, slots=True)
class LostReport:
    period: Period
    team: bool
    leads: list[LostCount]  # leads lost in the period, by the stage and the reason code
    deals: list[LostCount]  # deals lost in the period, likewise
    other_texts: list[OtherReason]  # free texts given without a code, most frequent first

    @property
    def total(self) -> int:
        return sum(c.count for c in self.leads) + sum(c.count for c in self.deals)


@dataclass(frozen=True, slots=True)
class SourceLine:
    counts: SourceCounts

    @property
    def transfer_rate(self) -> float | None:
        return rate(self.counts.transferred, self.counts.leads)

    @property
    def win_rate(self) -> float | None:
        return rate(self.counts.won, self.counts.leads)


@dataclass(frozen=True, slots=True)
class SourcesReport:
    period: Period
    team: bool
    sources: list[SourceLine]  # by source, most leads first
    domains: list[SourceLine]  # by business domain (None: without one), most leads first


@dataclass(frozen=True, slots=True)
class ScoreBand:
    counts: ScoreBandCounts

    @property
    def win_rate(self) -> float | None:
        return rate(self.counts.won, self.counts.won + self.counts.lost)


@dataclass(frozen=True, slots=True)
class ScorerReport:
    period: Period
    team: bool
    bands: list[ScoreBand]  # 0.0-0.2 … 0.8-1.0, then the unscored

    @property
    def closed(self) -> int:
        return sum(b.counts.won + b.counts.lost for b in self.bands)


Report = FunnelReport | ManagersReport | LostReport | SourcesReport | ScorerReport


def _scope(actor: Actor, period: Period) -> ReportScope:
    if actor.sees_all_leads:
        return ReportScope(period.start, period.end)
    if actor.user_id is None:
        raise AccessDenied(AccessRule.NOT_YOUR_LEAD)
    return ReportScope(period.start, period.end, owner_id=actor.user_id)


async def funnel(uow: UnitOfWork, actor: Actor, period: Period) -> FunnelReport:
    scope = _scope(actor, period)
    async with uow:
        counts = await uow.reports.funnel(scope)
    flows = {flow.stage: flow for flow in counts.stages}
    conversions = []
    for stage in FUNNEL_PATH:
        target = next_stage(stage)
        if target is None:  # transferred: the deals closed in the period
            conversions.append(Conversion(stage, None, rate(counts.won, counts.won + counts.deals_lost)))
        else:
            conversions.append(Conversion(stage, target, rate(flows[stage].advanced, flows[stage].left)))
    return FunnelReport(period, scope.owner_id is None, counts.stages, counts.won, conversions, counts.deals_lost)


def _manager_order(line: ManagerLine) -> tuple[int, int, int, int, str, int]:
    c = line.counts
    return (-c.won, -c.transfers, -c.new_leads, -line.activity_total, line.name or "", line.user_id or 0)


async def managers(uow: UnitOfWork, actor: Actor, period: Period) -> ManagersReport:
    scope = _scope(actor, period)
    async with uow:
        found = await uow.reports.managers(scope)
        people = {u.id: u for u in await uow.users.list_users()}
    by_id = {c.user_id: c for c in found}
    if scope.owner_id is None:  # every active manager and team lead, with zeros when idle
        for user in people.values():
            if user.is_active and user.role in SHOWN_ROLES:
                by_id.setdefault(user.id, ManagerCounts(user_id=user.id))
    total = by_id.pop(None, ManagerCounts(user_id=None))
    lines = [
        ManagerLine(user_id, people[user_id].full_name if user_id in people else None, counts)
        for user_id, counts in by_id.items()
        if user_id is not None
    ]
    lines.sort(key=_manager_order)
    return ManagersReport(period, scope.owner_id is None, lines, ManagerLine(None, None, total))


async def lost(uow: UnitOfWork, actor: Actor, period: Period) -> LostReport:
    scope = _scope(actor, period)
    async with uow:
        counts = await uow.reports.lost(scope)
    return LostReport(
        period,
        scope.owner_id is None,
        [c for c in counts.counts if not c.deal],
        [c for c in counts.counts if c.deal],
        counts.other_texts,
    )


async def sources(uow: UnitOfWork, actor: Actor, period: Period) -> SourcesReport:
    scope = _scope(actor, period)
    async with uow:
        rows = await uow.reports.sources(scope)
    return SourcesReport(
        period,
        scope.owner_id is None,
        [SourceLine(r) for r in rows if not r.by_domain],
        [SourceLine(r) for r in rows if r.by_domain],
    )


async def scorer(uow: UnitOfWork, actor: Actor, period: Period) -> ScorerReport:
    scope = _scope(actor, period)
    async with uow:
        bands = await uow.reports.score_bands(scope)
    return ScorerReport(period, scope.owner_id is None, [ScoreBand(b) for b in bands])


async def report(uow: UnitOfWork, actor: Actor, kind: ReportKind | str, period: Period) -> Report:
    """The report ``kind`` (the bot's buttons switch between them)."""
    kind = ReportKind(kind)
    if kind == ReportKind.FUNNEL:
        return await funnel(uow, actor, period)
    if kind == ReportKind.MANAGERS:
        return await managers(uow, actor, period)
    if kind == ReportKind.LOST:
        return await lost(uow, actor, period)
    if kind == ReportKind.SOURCES:
        return await sources(uow, actor, period)
    return await scorer(uow, actor, period)


def won_total(amounts: dict[str, Decimal]) -> list[tuple[str, Decimal]]:
    """Won amounts per currency, the largest first (for display)."""
    return sorted(amounts.items(), key=lambda item: (-item[1], item[0]))
