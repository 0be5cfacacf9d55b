"""Custom report ranges typed in Russian or English (bot/report_dates.py): day first, the past preferred."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.report_dates import parse_range

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # Thursday 3 December 2026, 10:00 in Moscow


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("1.11–15.11", date(2026, 11, 1), date(2026, 11, 15)),  # not the times 01:11 and 15:11
        ("01.11.2026 - 30.11.2026", date(2026, 11, 1), date(2026, 11, 30)),
        ("10.11..20.11", date(2026, 11, 10), date(2026, 11, 20)),
        ("с 1 по 15 ноября", date(2026, 11, 1), date(2026, 11, 15)),
        ("c 5.11 по 12.11", date(2026, 11, 5), date(2026, 11, 12)),  # a Latin "c"
        ("1-15 ноября", date(2026, 11, 1), date(2026, 11, 15)),
        ("from nov 1 to nov 15", date(2026, 11, 1), date(2026, 11, 15)),
        ("ноябрь", date(2026, 11, 1), date(2026, 11, 30)),
        ("October 2026", date(2026, 10, 1), date(2026, 10, 31)),
        ("вчера", date(2026, 12, 2), date(2026, 12, 2)),
        ("25.11", date(2026, 11, 25), date(2026, 11, 25)),
        ("5.12", date(2025, 12, 5), date(2025, 12, 5)),  # a report looks back: last year's 5 December
        ("1.11.25 - 3.1.26", date(2025, 11, 1), date(2026, 1, 3)),
        ("15.11.2026 - 1.11.2026", date(2026, 11, 15), date(2026, 11, 1)),  # as typed: the caller refuses it
    ],
)
def test_a_typed_range_names_its_local_days(text: str, first: date, last: date) -> None:
    assert parse_range(text, MOSCOW, NOW) == (first, last)


@pytest.mark.parametrize("text", ["", "whenever", "31.11-5.12", "x" * 100, "32.13"])
def test_text_that_names_no_dates_gives_none(text: str) -> None:
    assert parse_range(text, MOSCOW, NOW) is None
