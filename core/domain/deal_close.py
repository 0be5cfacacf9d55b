"""A deal's expected close: presets ("in a week", "end of month", ...) as a day in the user's zone.

A close is a day, stored as noon of that day in the user's zone (UTC in the database), so it reads as the same
day in every zone within twelve hours of it."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.domain.dates import at_local

NOON = time(12, 0)


class ClosePreset(StrEnum):
    WEEK = "w1"
    TWO_WEEKS = "w2"
    MONTH_END = "me"
    MONTH = "m1"
    QUARTER_END = "qe"


def close_at(day: date, tz: ZoneInfo) -> datetime:
    """The stored moment of a close ``day`` in ``tz``."""
    return at_local(day, NOON, tz)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def preset_close(preset: ClosePreset | str, now: datetime, tz: ZoneInfo) -> datetime:
    """The close day a preset names, counted from today in ``tz`` (ValueError for an unknown preset)."""
    today = now.astimezone(tz).date()
    match ClosePreset(preset):
        case ClosePreset.WEEK:
            day = today + timedelta(days=7)
        case ClosePreset.TWO_WEEKS:
            day = today + timedelta(days=14)
        case ClosePreset.MONTH_END:
            day = _month_end(today)
        case ClosePreset.MONTH:
            day = today + timedelta(days=30)
        case ClosePreset.QUARTER_END:
            last_month = (today.month - 1) // 3 * 3 + 3
            day = _month_end(today.replace(day=1, month=last_month))
    return close_at(day, tz)
