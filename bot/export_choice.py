"""What /export will write, as its filter screen's buttons carry it (``ExportCb``): leads or deals, the format, a
stage, an owner, a creation period and a source. Every field is checked when a press is read: a forged or
outdated value is None (the press changes nothing), never a filter that acts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.callbacks import ExportCb
from core.domain.enums import SaleStage, Source, Stage
from core.domain.periods import PeriodKind, period
from core.services.export import ExportFormat, ExportKind
from core.services.ports import ExportFilter

KINDS = {"l": ExportKind.LEADS, "d": ExportKind.DEALS}
ALL_TIME = "all"
PERIODS = (ALL_TIME, PeriodKind.TODAY.value, PeriodKind.WEEK.value, PeriodKind.MONTH.value, PeriodKind.LAST_30.value)
ACTIONS = frozenset({"v", "o", "g"})  # show the screen, pick the owner, export


@dataclass(frozen=True, slots=True)
class Choice:
    kind: ExportKind = ExportKind.LEADS
    fmt: ExportFormat = ExportFormat.XLSX
    stage: str = ""  # a Stage (leads) or SaleStage (deals) value; "": any
    owner_id: int = 0  # 0: anyone
    period: str = ALL_TIME
    source: str = ""  # a Source value; "": any

    def stages(self) -> tuple[str, ...]:
        """The stages this kind's rows can be filtered by, "" (any) first."""
        values = Stage if self.kind == ExportKind.LEADS else SaleStage
        return ("", *(v.value for v in values))

    def cb(self, action: str = "v") -> ExportCb:
        kind = next(code for code, kind in KINDS.items() if kind == self.kind)
        return ExportCb(
            a=action, k=kind, f=self.fmt.value, s=self.stage, o=self.owner_id, p=self.period, src=self.source
        )

    def next_kind(self) -> Choice:  # another kind has other stages: back to any
        other = ExportKind.DEALS if self.kind == ExportKind.LEADS else ExportKind.LEADS
        return replace(self, kind=other, stage="")

    def next_format(self) -> Choice:
        return replace(self, fmt=ExportFormat.CSV if self.fmt == ExportFormat.XLSX else ExportFormat.XLSX)

    def next_stage(self) -> Choice:
        return replace(self, stage=_after(self.stages(), self.stage))

    def next_period(self) -> Choice:
        return replace(self, period=_after(PERIODS, self.period))

    def next_source(self) -> Choice:
        return replace(self, source=_after(("", *(s.value for s in Source)), self.source))

    def with_owner(self, owner_id: int) -> Choice:
        return replace(self, owner_id=owner_id)

    def export_filter(self, now: datetime, tz: ZoneInfo) -> ExportFilter:
        start = end = None
        if self.period != ALL_TIME:
            span = period(self.period, now, tz)
            start, end = span.start, span.end
        deals = self.kind == ExportKind.DEALS
        return ExportFilter(
            stage=Stage(self.stage) if self.stage and not deals else None,
            deal_stage=SaleStage(self.stage) if self.stage and deals else None,
            owner_id=self.owner_id or None,
            source=Source(self.source) if self.source else None,
            created_from=start,
            created_to=end,
        )


def _after(values: tuple[str, ...], value: str) -> str:
    return values[(values.index(value) + 1) % len(values)]


def read(data: ExportCb) -> Choice | None:
    """The choice a press carries; None when any field is not one the screen makes."""
    kind = KINDS.get(data.k)
    if kind is None or data.a not in ACTIONS or data.f not in ExportFormat._value2member_map_:
        return None
    choice = Choice(kind, ExportFormat(data.f), data.s, data.o, data.p, data.src)
    if data.s not in choice.stages() or data.p not in PERIODS or data.o < 0:
        return None
    if data.src and data.src not in Source._value2member_map_:
        return None
    return choice
