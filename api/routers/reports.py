"""``/reports``: the bot's reports as JSON — funnel, managers, lost reasons, sources and domains, the scorer —
over the local days ``from``..``to`` (inclusive) in ``tz`` (default DEFAULT_TIMEZONE).

An API key sees the team (like a team lead). The numbers are ``core.services.reports``'; durations are in
seconds, rates between 0 and 1 (null when there is nothing to divide). Handlers unpack, call one service and
render; a reversed or too long range is a 422 (``api/errors.py``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import get_services, get_uow, require_api_key
from api.schemas import error_responses
from core.domain.dates import zone
from core.domain.enums import ActivityKind, LostReason, Source, Stage
from core.domain.models import Actor
from core.domain.periods import Period, custom_period
from core.services import reports as svc
from core.services.context import Services
from core.services.ports import UnitOfWork

router = APIRouter(
    prefix="/reports",
    tags=["reports"],
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 403, 413, 429, 503),
)

Uow = Annotated[UnitOfWork, Depends(get_uow)]
Caller = Annotated[Actor, Depends(require_api_key)]
Svc = Annotated[Services, Depends(get_services)]


class PeriodOut(BaseModel):
    first_day: date = Field(description="The first local day (inclusive)")
    last_day: date = Field(description="The last local day (inclusive)")
    start: str = Field(description="The period's start in UTC (ISO 8601), inclusive")
    end: str = Field(description="The period's end in UTC (ISO 8601), exclusive")
    tz: str


async def report_period(
    services: Svc,
    first: Annotated[date, Query(alias="from", description="First local day, YYYY-MM-DD")],
    last: Annotated[date, Query(alias="to", description="Last local day, YYYY-MM-DD (inclusive; at most 366 days)")],
    tz: Annotated[str | None, Query(max_length=64, description="IANA time zone; default DEFAULT_TIMEZONE")] = None,
) -> Period:
    return custom_period(first, last, zone(tz, services.policy.default_timezone))


Span = Annotated[Period, Depends(report_period)]


def _period(span: Period) -> PeriodOut:
    return PeriodOut(
        first_day=span.first_day,
        last_day=span.last_day,
        start=span.start.isoformat(),
        end=span.end.isoformat(),
        tz=span.zone,
    )


class StageOut(BaseModel):
    stage: Stage
    entered: int = Field(description="Leads that entered the stage in the period (new: created)")
    left: int = Field(description="Leads that left it in the period")
    advanced: int = Field(description="Of those, the ones that moved forward (not lost)")
    median_seconds: float | None = Field(description="Median time in the stage of the leads that left it")


class ConversionOut(BaseModel):
    from_stage: Stage
    to_stage: Stage | None = Field(description="null: from transferred to a paid deal")
    rate: float | None = Field(description="Of the leads that left from_stage, the share that moved on")


class FunnelOut(BaseModel):
    period: PeriodOut
    stages: list[StageOut]
    won: int = Field(description="Deals paid in the period")
    deals_lost: int = Field(description="Deals lost in the period")
    conversions: list[ConversionOut]


class ManagerOut(BaseModel):
    user_id: int | None = Field(description="null on the team total")
    name: str | None
    new_leads: int
    activities: dict[ActivityKind, int]
    first_contact_median_seconds: float | None
    transfers: int
    won: int
    lost: int
    won_amounts: dict[str, Decimal] = Field(description="Won deals' amounts per currency (decimal strings)")
    win_rate: float | None = Field(description="won / (won + lost) of the leads closed in the period")


class ManagersOut(BaseModel):
    period: PeriodOut
    managers: list[ManagerOut] = Field(description="Most deals won first, then transfers, new leads, activities")
    total: ManagerOut


class LostOut(BaseModel):
    stage: str = Field(description="The lead stage (or, for deals, the sale stage) it was lost from")
    reason_code: LostReason | None = Field(description="null: a free text (see other_texts) or no reason")
    count: int


class OtherTextOut(BaseModel):
    text: str
    count: int


class LostReportOut(BaseModel):
    period: PeriodOut
    leads: list[LostOut]
    deals: list[LostOut]
    other_texts: list[OtherTextOut] = Field(description="Free texts without a code, the most frequent first")


class SourceOut(BaseModel):
    source: Source | None = None
    business_domain: str | None = None
    leads: int = Field(description="Leads created in the period")
    transferred: int = Field(description="Of them, transferred to sales so far")
    won: int = Field(description="Of them, with a paid deal so far")
    transfer_rate: float | None
    win_rate: float | None


class SourcesOut(BaseModel):
    period: PeriodOut
    sources: list[SourceOut]
    domains: list[SourceOut] = Field(description="business_domain null: leads without one")


class BandOut(BaseModel):
    low: float | None = Field(description="The band is [low, low + 0.2) (the last includes 1.0); null: no score")
    won: int
    lost: int
    win_rate: float | None


class ScorerOut(BaseModel):
    period: PeriodOut
    bands: list[BandOut] = Field(description="Leads closed in the period, by their score")


def _manager(line: svc.ManagerLine) -> ManagerOut:
    c = line.counts
    return ManagerOut(
        user_id=line.user_id,
        name=line.name,
        new_leads=c.new_leads,
        activities=c.activities,
        first_contact_median_seconds=c.first_contact_median_seconds,
        transfers=c.transfers,
        won=c.won,
        lost=c.lost,
        won_amounts=c.won_amounts,
        win_rate=line.win_rate,
    )


def _source(line: svc.SourceLine) -> SourceOut:
    c = line.counts
    return SourceOut(
        source=c.source,
        business_domain=c.domain,
        leads=c.leads,
        transferred=c.transferred,
        won=c.won,
        transfer_rate=line.transfer_rate,
        win_rate=line.win_rate,
    )


@router.get("/funnel", response_model=FunnelOut, summary="Leads entering each stage, conversions, time in stage")
async def funnel(uow: Uow, actor: Caller, span: Span) -> FunnelOut:
    report = await svc.funnel(uow, actor, span)
    return FunnelOut(
        period=_period(span),
        stages=[StageOut(**{f: getattr(s, f) for f in StageOut.model_fields}) for s in report.stages],
        won=report.won,
        deals_lost=report.deals_lost,
        conversions=[
            ConversionOut(from_stage=c.from_stage, to_stage=c.to_stage, rate=c.rate) for c in report.conversions
        ],
    )


@router.get("/managers", response_model=ManagersOut, summary="Per manager: leads, activities, transfers, deals won")
async def managers(uow: Uow, actor: Caller, span: Span) -> ManagersOut:
    report = await svc.managers(uow, actor, span)
    return ManagersOut(
        period=_period(span), managers=[_manager(line) for line in report.lines], total=_manager(report.total)
    )


@router.get("/lost", response_model=LostReportOut, summary="Lead and deal lost reasons by code and stage")
async def lost(uow: Uow, actor: Caller, span: Span) -> LostReportOut:
    report = await svc.lost(uow, actor, span)
    return LostReportOut(
        period=_period(span),
        leads=[LostOut(stage=c.stage, reason_code=c.code, count=c.count) for c in report.leads],
        deals=[LostOut(stage=c.stage, reason_code=c.code, count=c.count) for c in report.deals],
        other_texts=[OtherTextOut(text=t.text, count=t.count) for t in report.other_texts],
    )


@router.get("/sources", response_model=SourcesOut, summary="Leads and conversion by source and business domain")
async def sources(uow: Uow, actor: Caller, span: Span) -> SourcesOut:
    report = await svc.sources(uow, actor, span)
    return SourcesOut(
        period=_period(span),
        sources=[_source(line) for line in report.sources],
        domains=[_source(line) for line in report.domains],
    )


@router.get("/scorer", response_model=ScorerOut, summary="Win rate by score band of the leads closed in the period")
async def scorer(uow: Uow, actor: Caller, span: Span) -> ScorerOut:
    report = await svc.scorer(uow, actor, span)
    return ScorerOut(
        period=_period(span),
        bands=[
            BandOut(low=b.counts.low, won=b.counts.won, lost=b.counts.lost, win_rate=b.win_rate) for b in report.bands
        ],
    )
