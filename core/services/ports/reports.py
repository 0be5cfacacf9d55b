"""The reports' port (``uow.reports``): aggregates over a period, computed by the database.

Every method takes a ``ReportScope`` (a half-open UTC interval and, for a manager's own numbers, their user
id) and returns counts and medians, never leads. What each number counts is written on its field; the
service (``core.services.reports``) adds what is arithmetic on them (conversions, win rates, totals).

Attribution: a lead's numbers belong to its current owner (``leads.owner_id``), activities to their author
(``activities.author = 'tg:<user id>'``). A lead is *closed* in the period when its sale was paid (won) or
its sale or the lead itself was lost (lost) in the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.domain.enums import ActivityKind, LostReason, Source, Stage


@dataclass(frozen=True, slots=True)
class ReportScope:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    owner_id: int | None = None  # None: the whole team; else the leads this user owns


@dataclass(frozen=True, slots=True)
class StageFlow:
    """One stage of the lead funnel in the period."""

    stage: Stage
    entered: int  # leads that entered it in the period (``new``: created; else a stage change to it)
    left: int  # leads that left it in the period (a stage change from it)
    median_seconds: float | None  # median time spent in it by the leads that left it (None: none left)
    advanced: int = 0  # of those that left it, the ones that moved forward (not lost)


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    stages: list[StageFlow]  # every lead stage, in funnel order, zeros included
    won: int  # sales paid in the period
    deals_lost: int = 0  # sales lost in the period


@dataclass(frozen=True, slots=True)
class ManagerCounts:
    """One owner's numbers; ``user_id`` None is the team total (every lead and activity in the scope)."""

    user_id: int | None
    new_leads: int = 0  # leads created in the period that it owns
    activities: dict[ActivityKind, int] = field(default_factory=dict)  # authored in the period
    first_contact_median_seconds: float | None = None  # of its leads created in the period and contacted
    transfers: int = 0  # its leads moved to ``transferred`` in the period
    won: int = 0  # its leads closed won in the period
    lost: int = 0  # its leads closed lost in the period
    won_amounts: dict[str, Decimal] = field(default_factory=dict)  # the won deals' amounts, per currency


@dataclass(frozen=True, slots=True)
class LostCount:
    """Losses in the period of one kind, stage and reason code (``code`` None: a free text or nothing)."""

    deal: bool  # False: a lead lost (``stage`` a lead stage); True: a deal lost (``stage`` a sale stage)
    stage: str  # the stage it was lost from
    code: LostReason | None
    count: int


@dataclass(frozen=True, slots=True)
class OtherReason:
    """A free text given without a preset code (compared case- and space-insensitively), and how often."""

    text: str
    count: int


@dataclass(frozen=True, slots=True)
class LostCounts:
    counts: list[LostCount]
    other_texts: list[OtherReason]  # the most frequent first, at most ``OTHER_TEXTS``


@dataclass(frozen=True, slots=True)
class SourceCounts:
    """Leads created in the period with one source (or business domain) and how far they got (so far)."""

    source: Source | None  # set on a source's line
    domain: str | None  # set on a domain's line (None there: leads without a domain)
    by_domain: bool
    leads: int
    transferred: int  # of them, transferred to sales (have a sale)
    won: int  # of them, their sale paid


@dataclass(frozen=True, slots=True)
class ScoreBandCounts:
    """Leads closed in the period whose (current) ``ai_score`` falls in ``[low, low + SCORE_BAND)``
    (the last band includes 1.0); ``low`` None: never scored."""

    low: float | None
    won: int
    lost: int


OTHER_TEXTS = 10
SCORE_BAND = 0.2


class ReportRepository(Protocol):
    async def funnel(self, scope: ReportScope) -> FunnelCounts: ...

    async def managers(self, scope: ReportScope) -> list[ManagerCounts]:
        """One line per owner or author with any number in the period, plus the team total (``user_id`` None)."""
        ...

    async def lost(self, scope: ReportScope) -> LostCounts: ...

    async def sources(self, scope: ReportScope) -> list[SourceCounts]: ...

    async def score_bands(self, scope: ReportScope) -> list[ScoreBandCounts]:
        """Every band (low 0.0, 0.2 … 0.8, then None), zeros included."""
        ...
