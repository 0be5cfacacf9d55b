"""Report periods in the viewer's zone: local midnights, half-open, as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.domain.errors import InvalidValue
from core.domain.periods import CUSTOM_MAX_DAYS, PeriodKind, custom_period, period

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
# Thursday 3 December 2026, 00:30 in Moscow (still Wednesday in UTC)
NOW = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)


def dt(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "first", "last", "start", "end"),
    [
        (PeriodKind.TODAY, date(2026, 12, 3), date(2026, 12, 3), dt(2026, 12, 2, 21), dt(2026, 12, 3, 21)),
        (PeriodKind.WEEK, date(2026, 11, 30), date(2026, 12, 6), dt(2026, 11, 29, 21), dt(2026, 12, 6, 21)),
        (PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), dt(2026, 11, 30, 21), dt(2026, 12, 31, 21)),
        (PeriodKind.LAST_30, date(2026, 11, 4), date(2026, 12, 3), dt(2026, 11, 3, 21), dt(2026, 12, 3, 21)),
    ],
)
def test_a_named_period_runs_between_local_midnights_of_the_viewers_zone(kind, first, last, start, end) -> None:
    p = period(kind, NOW, MOSCOW)
    assert (p.first_day, p.last_day) == (first, last)
    assert (p.start, p.end) == (start, end)


def test_the_same_instant_is_another_day_in_another_zone() -> None:
    assert period(PeriodKind.TODAY, NOW, BERLIN).first_day == date(2026, 12, 2)
    assert period(PeriodKind.TODAY, NOW, MOSCOW).first_day == date(2026, 12, 3)


def test_a_month_across_a_dst_change_keeps_local_midnights() -> None:
    march = period(PeriodKind.MONTH, dt(2026, 3, 15), BERLIN)
    assert march.start == dt(2026, 2, 28, 23)  # CET
    assert march.end == dt(2026, 3, 31, 22)  # CEST
    assert march.days == 31


def test_a_custom_range_includes_both_days() -> None:
    p = custom_period(date(2026, 11, 2), date(2026, 11, 8), MOSCOW)
    assert p.kind == PeriodKind.CUSTOM and p.days == 7
    assert (p.start, p.end) == (dt(2026, 11, 1, 21), dt(2026, 11, 8, 21))


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(2026, 11, 8), date(2026, 11, 2), "period"),  # reversed
        (date(2025, 1, 1), date(2026, 1, 2), "days"),  # longer than a year and a day
        (date(1999, 12, 31), date(2000, 1, 2), "year"),
    ],
)
def test_a_custom_range_that_is_reversed_too_long_or_out_of_bounds_is_refused(first, last, field) -> None:
    with pytest.raises(InvalidValue) as err:
        custom_period(first, last, MOSCOW)
    assert err.value.field == field


def test_the_longest_custom_range_is_accepted() -> None:
    assert custom_period(date(2024, 1, 1), date(2024, 12, 31), MOSCOW).days == CUSTOM_MAX_DAYS


def test_a_custom_kind_needs_its_days() -> None:
    with pytest.raises(InvalidValue):
        period(PeriodKind.CUSTOM, NOW, MOSCOW)
