"""Report periods in the viewer's time zone: today, this week, this month, the last 30 days, a custom range.

A period is a half-open UTC interval ``[start, end)`` built from local midnights (zoneinfo), so "today" for a
manager in Vladivostok and one in Moscow are different instants, and a lead created at 23:59 local belongs to
that local day, not to the UTC one. ``first_day`` and ``last_day`` (inclusive) are the local days it covers,
for the caption.

- ``today``: from local midnight to the next one.
- ``week``: this ISO week, Monday 00:00 to the next Monday 00:00.
- ``month``: the 1st 00:00 to the 1st of the next month.
- ``last_30``: the 30 local days ending today (today included).
- ``custom``: ``first`` 00:00 to the day after ``last`` 00:00, at most ``CUSTOM_MAX_DAYS`` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.domain.dates import at_local
from core.domain.errors import InvalidValue, Rule

CUSTOM_MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 1, 1)


class PeriodKind(StrEnum):
    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    LAST_30 = "30d"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive
    zone: str = "UTC"  # the IANA name of the zone the days are local to

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _days(kind: PeriodKind, first: date, last: date, tz: ZoneInfo) -> Period:
    start, end = at_local(first, time(0), tz), at_local(last + timedelta(days=1), time(0), tz)
    return Period(kind, start, end, first, last, tz.key)


def period(kind: PeriodKind | str, now: datetime, tz: ZoneInfo) -> Period:
    """The named period around ``now`` (aware) in ``tz``; ``custom`` needs ``custom_period``."""
    kind = PeriodKind(kind)
    today = now.astimezone(tz).date()
    if kind == PeriodKind.TODAY:
        return _days(kind, today, today, tz)
    if kind == PeriodKind.WEEK:
        monday = today - timedelta(days=today.weekday())
        return _days(kind, monday, monday + timedelta(days=6), tz)
    if kind == PeriodKind.MONTH:
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return _days(kind, first, following - timedelta(days=1), tz)
    if kind == PeriodKind.LAST_30:
        return _days(kind, today - timedelta(days=29), today, tz)
    raise InvalidValue("period", Rule.NOT_ONE_OF, value=kind.value, allowed=[k.value for k in PeriodKind][:-1])


def custom_period(first: date, last: date, tz: ZoneInfo) -> Period:
    """The local days ``first``..``last`` (inclusive, either order refused when reversed) in ``tz``."""
    if not EARLIEST <= first < LATEST or not EARLIEST <= last < LATEST:
        raise InvalidValue("year", Rule.OUT_OF_RANGE, minimum=EARLIEST.year, maximum=LATEST.year - 1)
    if last < first:
        raise InvalidValue("period", Rule.BAD_FORMAT)
    if (last - first).days + 1 > CUSTOM_MAX_DAYS:
        raise InvalidValue("days", Rule.OUT_OF_RANGE, minimum=1, maximum=CUSTOM_MAX_DAYS)
    return _days(PeriodKind.CUSTOM, first, last, tz)


def day_bounds(first: date | None, last: date | None, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """``first`` 00:00 and the day after ``last`` 00:00 in ``tz``, as UTC (either open when None); no length
    limit (an export's range). A reversed pair is refused as ``custom_period`` refuses it."""
    if first is not None and last is not None and last < first:
        raise InvalidValue("period", Rule.BAD_FORMAT)
    for day in (first, last):
        if day is not None and not EARLIEST <= day < LATEST:
            raise InvalidValue("year", Rule.OUT_OF_RANGE, minimum=EARLIEST.year, maximum=LATEST.year - 1)
    start = at_local(first, time(0), tz) if first is not None else None
    end = at_local(last + timedelta(days=1), time(0), tz) if last is not None else None
    return start, end
