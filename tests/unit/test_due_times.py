"""Due-time presets (core.domain.dates) and typed due times (bot.dates): tables in the user's zone, DST-safe."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dates import parse_due, split_note
from core.domain.dates import Preset, available, check_zone, local_day_bounds, preset_due
from core.domain.errors import InvalidValue, Rule

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")


def at(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz).astimezone(UTC)  # type: ignore[misc,arg-type]


# now (local), zone, preset -> due (local)
PRESETS = [
    # Thursday 3 Dec 2026, 14:20 Moscow
    ((2026, 12, 3, 14, 20), MSK, Preset.IN_1H, (2026, 12, 3, 15, 20)),
    ((2026, 12, 3, 14, 20), MSK, Preset.TODAY_18, (2026, 12, 3, 18, 0)),
    ((2026, 12, 3, 14, 20), MSK, Preset.TOMORROW_10, (2026, 12, 4, 10, 0)),
    ((2026, 12, 3, 14, 20), MSK, Preset.IN_3_DAYS, (2026, 12, 6, 10, 0)),
    ((2026, 12, 3, 14, 20), MSK, Preset.NEXT_MONDAY, (2026, 12, 7, 10, 0)),
    # after 18:00 "today 18:00" (an older picker) is tomorrow's 18:00
    ((2026, 12, 3, 19, 5), MSK, Preset.TODAY_18, (2026, 12, 4, 18, 0)),
    # from a Monday "next Monday" is a week later
    ((2026, 12, 7, 9, 0), MSK, Preset.NEXT_MONDAY, (2026, 12, 14, 10, 0)),
    # late evening: "tomorrow" is the local tomorrow, though UTC is still today
    ((2026, 12, 3, 23, 30), MSK, Preset.TOMORROW_10, (2026, 12, 4, 10, 0)),
    # DST: Berlin springs forward on 29 Mar 2026 — tomorrow 10:00 stays 10:00 local (08:00 UTC, not 09:00)
    ((2026, 3, 28, 12, 0), BERLIN, Preset.TOMORROW_10, (2026, 3, 29, 10, 0)),
    # "in 1 h" across New York's fall back (1 Nov 2026, 02:00 -> 01:00) is one real hour
    ((2026, 11, 1, 0, 30), NY, Preset.IN_3_DAYS, (2026, 11, 4, 10, 0)),
]


@pytest.mark.parametrize(("now", "tz", "preset", "expected"), PRESETS)
def test_each_preset_falls_due_at_the_local_time_a_user_expects(now, tz, preset, expected) -> None:
    due = preset_due(preset, at(tz, *now), tz)
    assert due.tzinfo is UTC
    assert due == at(tz, *expected)


def test_in_one_hour_is_a_real_hour_across_a_dst_change_and_rounds_up_to_the_minute() -> None:
    now = datetime(2026, 11, 1, 5, 30, 15, tzinfo=UTC)  # 01:30:15 EDT, before New York falls back
    assert preset_due(Preset.IN_1H, now, NY) == datetime(2026, 11, 1, 6, 31, tzinfo=UTC)
    assert preset_due(Preset.TOMORROW_10, at(BERLIN, 2026, 3, 28, 12, 0), BERLIN).hour == 8  # CEST is UTC+2


def test_the_picker_offers_today_18_only_while_it_is_ahead() -> None:
    assert Preset.TODAY_18 in available(at(MSK, 2026, 12, 3, 17, 59), MSK)
    assert Preset.TODAY_18 not in available(at(MSK, 2026, 12, 3, 18, 0), MSK)


def test_the_local_day_ends_at_local_midnight() -> None:
    start, end = local_day_bounds(at(MSK, 2026, 12, 3, 1, 0), MSK)
    assert (start, end) == (at(MSK, 2026, 12, 3, 0, 0), at(MSK, 2026, 12, 4, 0, 0))


@pytest.mark.parametrize("name", ["Europe/Moscow", "UTC", "America/New_York", " Asia/Vladivostok "])
def test_iana_zone_names_are_accepted(name) -> None:
    assert check_zone(name) == name.strip()


@pytest.mark.parametrize("name", ["", "Moscow", "Europe/Atlantis", "../../etc/passwd", "MSK+3", "x" * 300])
def test_anything_else_is_refused_as_not_a_time_zone(name) -> None:
    with pytest.raises(InvalidValue) as err:
        check_zone(name)
    assert err.value.rule == Rule.TIMEZONE


# Typed times: Thursday 3 Dec 2026, 14:20 Moscow.
NOW = at(MSK, 2026, 12, 3, 14, 20)
TYPED = [
    ("завтра в 15:00", (2026, 12, 4, 15, 0)),
    ("fri 10am", (2026, 12, 4, 10, 0)),
    ("25.12 9:30", (2026, 12, 25, 9, 30)),
    ("через 2 часа", (2026, 12, 3, 16, 20)),
    ("in 3 days", (2026, 12, 6, 10, 0)),  # a day without a time: 10:00
    ("next monday 9:00", (2026, 12, 7, 9, 0)),
    ("в пятницу в 10:00", (2026, 12, 4, 10, 0)),
    ("понедельник", (2026, 12, 7, 10, 0)),  # a bare weekday: the next one, at 10:00
    ("thu", (2026, 12, 10, 10, 0)),  # today is Thursday and 10:00 has passed: next Thursday
    ("15:00", (2026, 12, 3, 15, 0)),  # still ahead today
    ("9:00", (2026, 12, 4, 9, 0)),  # passed today: tomorrow
    ("1.2", (2027, 2, 1, 10, 0)),  # passed this year: next year's
    ("12/05 10:00", (2027, 5, 12, 10, 0)),  # day first
    ("tomorrow", (2026, 12, 4, 10, 0)),
    ("25 декабря в 9:30", (2026, 12, 25, 9, 30)),
    ("in 2 hours", (2026, 12, 3, 16, 20)),
]


@pytest.mark.parametrize(("text", "expected"), TYPED)
def test_typed_times_in_russian_and_english_are_read_in_the_users_zone_preferring_the_future(text, expected) -> None:
    parsed = parse_due(text, MSK, NOW)
    assert parsed is not None, text
    assert parsed.due_at == at(MSK, *expected)


@pytest.mark.parametrize("text", ["blah", "", "   ", "31.02", "когда-нибудь", "x" * 200])
def test_text_without_a_time_is_not_read(text) -> None:
    assert parse_due(text, MSK, NOW) is None


def test_a_past_time_is_returned_for_the_caller_to_refuse() -> None:
    parsed = parse_due("вчера", MSK, NOW)
    assert parsed is not None and parsed.due_at < NOW


def test_the_same_words_mean_the_same_local_time_in_another_zone() -> None:
    parsed = parse_due("завтра в 15:00", NY, NOW)
    assert parsed is not None and parsed.due_at == at(NY, 2026, 12, 4, 15, 0)


def test_a_note_may_follow_the_time_after_a_dash_or_a_new_line() -> None:
    assert split_note("завтра 15:00 — отправить договор") == ("завтра 15:00", "отправить договор")
    assert split_note("fri 10am\ncall about the invoice") == ("fri 10am", "call about the invoice")
    parsed = parse_due("завтра 15:00 - send the contract", MSK, NOW)
    assert parsed is not None and parsed.note == "send the contract"
    assert parsed.due_at == at(MSK, 2026, 12, 4, 15, 0)
