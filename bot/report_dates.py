"""A report's custom range typed in chat, in Russian or English: "1.11–15.11", "01.11.2026 - 30.11.2026",
"с 1 по 15 ноября", "from nov 1 to nov 15", "ноябрь", "October 2026", "вчера", a single day "25.11".

Numeric dates are read here, day first ("25.11", "25/11/2026"): dateparser takes "1.11" for the time 01:11.

Read with ``dateparser`` (as ``bot.dates`` reads due times): languages ru and en, day-month order, dates from
the past preferred (a report looks back: "15.11" typed on 3 December is this year's 15 November; "1.12" typed on
30 November is last year's). The two ends are split at a dash ("-", "–", "—", ".."), or read from "с … по …" /
"from … to …"; a bare day number before the other end takes that end's month ("1–15 ноября", "с 1 по 15
ноября"). A month alone ("ноябрь", "november 2026") is the whole month. Returns local days; the period in UTC is
``core.domain.periods.custom_period``'s business.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

LANGUAGES = ["ru", "en"]
TEXT_MAX = 60
SPLIT = re.compile(r"\s*(?:\.\.|[-–—]|\bпо\b|\bto\b|\btill\b|\buntil\b)\s*", re.IGNORECASE)
LEAD_WORDS = re.compile(r"^\s*(?:с|со|c|from|between)\s+", re.IGNORECASE)  # "c": a Latin c typed for "с"
NUMERIC = re.compile(r"(\d{1,2})[./](\d{1,2})(?:[./](\d{4}|\d{2}))?")
BARE_DAY = re.compile(r"^\d{1,2}$")
SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "past",
    "RETURN_TIME_AS_PERIOD": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "PREFER_LOCALE_DATE_ORDER": False,
}


def _numeric(text: str, today: date) -> date | None:
    """ "25.11", "25/11/2026", "1.11.26": day and month (dateparser would read "1.11" as the time 01:11);
    without a year the latest such day not after today."""
    match = NUMERIC.fullmatch(text.strip())
    if match is None:
        return None
    day, month, year = int(match[1]), int(match[2]), match[3]
    try:
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        found = date(today.year, month, day)
        return found if found <= today else date(today.year - 1, month, day)
    except ValueError:
        return None


def _read(text: str, base: datetime) -> tuple[date, str] | None:
    """The day ``text`` names and its period ("day", "month", "year", "time")."""
    if NUMERIC.fullmatch(text.strip()):
        numeric = _numeric(text, base.date())
        return None if numeric is None else (numeric, "day")
    parser = DateDataParser(languages=LANGUAGES, settings={**SETTINGS, "RELATIVE_BASE": base})
    data = parser.get_date_data(text)
    if data.date_obj is None:
        return None
    return data.date_obj.date(), str(data.period or "day")


def _month(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def parse_range(text: str, tz: ZoneInfo, now: datetime) -> tuple[date, date] | None:
    """The first and last local day ``text`` names for a user in ``tz`` at ``now`` (aware); None when it names
    no dates. The order is as typed (a reversed range is for the caller to refuse)."""
    clean = LEAD_WORDS.sub("", text.strip())
    if not clean or len(clean) > TEXT_MAX:
        return None
    base = now.astimezone(tz).replace(tzinfo=None)
    parts = [p for p in SPLIT.split(clean, maxsplit=1) if p.strip()]
    if len(parts) == 1:
        found = _read(parts[0], base)
        if found is None:
            return None
        day, kind = found
        return _month(day) if kind == "month" else (day, day)
    first_text, last_text = parts
    last = _read(last_text, base)
    if last is None:
        return None
    if BARE_DAY.match(first_text.strip()):  # "1–15 ноября": the first end takes the last end's month
        try:
            return last[0].replace(day=int(first_text)), last[0]
        except ValueError:
            return None
    first = _read(first_text, base)
    if first is None:
        return None
    start = _month(first[0])[0] if first[1] == "month" else first[0]
    end = _month(last[0])[1] if last[1] == "month" else last[0]
    return start, end
