"""Due times typed in chat, in Russian or English ("завтра в 15:00", "fri 10am", "25.12 9:30", "через 2 часа",
"in 3 days", "next monday 9:00"), read with ``dateparser`` in the user's zone.

The rules a user expects, on top of dateparser:
- Future first: the text is read for the current period first ("15:00" at 14:20 is today, "25.12" this year's
  25 December) and, if that moment has passed, again preferring future dates ("9:00" at 14:20 is tomorrow, a
  bare weekday is the next one, "1.2" in December is next February). Still in the past ("вчера", a past
  year): returned as is, for the caller to say so.
- Day-month-year order for numeric dates ("12/05" is 12 May).
- A day without a time ("завтра", "in 3 days", "пятница") means 10:00 local (as the presets).
- A note may follow the time after a dash or on the next line ("завтра 15:00 — send the contract").

Relative times ("через 2 часа") are counted on the local wall clock, so across a DST change they can be an
hour off; none of the team's Russian zones has DST.

Speed: languages are restricted to ru and en (dateparser would otherwise try ~200 languages). The first
parse of a process loads their data, about 140 ms (2 vCPU Xeon); later ones take 0.3-3 ms. ``warm_up`` does
that first parse at start-up, so no user waits for it. A parser is built per call (about 40 µs): its settings
hold the user's "now", which dateparser reads from the settings only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

from core.domain.dates import WORKDAY_START

LANGUAGES = ["ru", "en"]
TEXT_MAX = 80  # longer is not a time anyone types (and dateparser's cost grows with it)
NOTE_SPLIT = re.compile(r"\s+[—–-]\s+|\n")
_BASE_SETTINGS = {
    "DATE_ORDER": "DMY",
    "RETURN_TIME_AS_PERIOD": True,  # period "time" tells a typed time from a bare day
    "RETURN_AS_TIMEZONE_AWARE": False,  # local wall time; the zone is applied here, with zoneinfo
    "PREFER_LOCALE_DATE_ORDER": False,
}


@dataclass(frozen=True, slots=True)
class Parsed:
    due_at: datetime  # UTC
    note: str | None


def split_note(text: str) -> tuple[str, str | None]:
    parts = NOTE_SPLIT.split(text.strip(), maxsplit=1)
    when = parts[0].strip()
    note = parts[1].strip() if len(parts) > 1 else None
    return when, note or None


def _read(text: str, base: datetime, prefer: str) -> datetime | None:
    parser = DateDataParser(
        languages=LANGUAGES, settings={**_BASE_SETTINGS, "RELATIVE_BASE": base, "PREFER_DATES_FROM": prefer}
    )
    data = parser.get_date_data(text)
    moment = data.date_obj
    if moment is None:
        return None
    moment = moment.replace(tzinfo=None)
    if data.period != "time":
        moment = datetime.combine(moment.date(), WORKDAY_START)
    return moment


def parse_due(text: str, tz: ZoneInfo, now: datetime) -> Parsed | None:
    """The due time ``text`` names for a user in ``tz`` at ``now`` (aware), in UTC; None when it names none."""
    when, note = split_note(text)
    if not when or len(when) > TEXT_MAX:
        return None
    base = now.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
    first: datetime | None = None
    for prefer in ("current_period", "future"):
        local = _read(when, base, prefer)
        if local is None:
            continue
        due_at = local.replace(tzinfo=tz).astimezone(UTC)
        if due_at >= now.replace(second=0, microsecond=0):
            return Parsed(due_at, note)
        first = first or due_at
    return Parsed(first, note) if first is not None else None


def warm_up() -> None:
    """Load dateparser's ru/en data now (the first parse of a process is the slow one)."""
    parse_due("завтра в 10:00", ZoneInfo("UTC"), datetime.now(UTC))
    parse_due("tomorrow 10am", ZoneInfo("UTC"), datetime.now(UTC))
