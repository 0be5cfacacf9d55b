"""The buttons under a /report message: the report kinds (the shown one marked) and the periods."""

from __future__ import annotations

from datetime import date

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import ReportCb
from bot.i18n import _
from bot.keyboards import Keyboard
from bot.render.reports import PERIOD_NAMES, REPORT_NAMES
from core.domain.periods import Period, PeriodKind
from core.services.reports import ReportKind

ASK = "ask"  # ReportCb.p: "type the dates"
SHOWN = "• "


def day_number(day: date) -> int:
    """A local day as YYYYMMDD (what ReportCb carries for a custom range)."""
    return day.year * 10000 + day.month * 100 + day.day


def from_day_number(number: int) -> date | None:
    """The day a ReportCb number names; None for a forged one."""
    try:
        return date(number // 10000, number // 100 % 100, number % 100)
    except ValueError:
        return None


def report(kind: ReportKind, period: Period) -> InlineKeyboardMarkup:
    custom = period.kind == PeriodKind.CUSTOM
    a, b = (day_number(period.first_day), day_number(period.last_day)) if custom else (0, 0)
    kb = Keyboard()
    for other in ReportKind:
        mark = SHOWN if other == kind else ""
        data = ReportCb(r=other.value, p=period.kind.value, a=a, b=b)
        kb.button(text=mark + _(REPORT_NAMES[other]), callback_data=data)
    periods = Keyboard()
    for option in (PeriodKind.TODAY, PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.LAST_30):
        mark = SHOWN if option == period.kind else ""
        periods.button(text=mark + _(PERIOD_NAMES[option]), callback_data=ReportCb(r=kind.value, p=option.value))
    periods.button(
        text=(SHOWN if custom else "") + _(PERIOD_NAMES[PeriodKind.CUSTOM]), callback_data=ReportCb(r=kind.value, p=ASK)
    )
    kb.adjust(3, 2)
    periods.adjust(3, 2)
    kb.attach(periods)
    return kb.as_markup()
