"""Time zones and the due-time presets of a next step: computed in the user's zone, returned in UTC.

The presets, as a user reads them (``now`` is the moment of the press, ``zone`` the user's):

- ``in_1h``: one hour from now, absolute (so DST cannot shift it), rounded up to the whole minute.
- ``today_18``: today 18:00 local. Once 18:00 has passed the picker does not offer it (``available``);
  a press on an older picker after 18:00 gets 18:00 **tomorrow** (the confirmation names the date), which is
  what "this evening" means to someone who pressed it a minute too late, rather than an error.
- ``tomorrow_10``: tomorrow 10:00 local.
- ``in_3_days``: 10:00 local three days from today. A follow-up "in 3 days" belongs at the start of that
  working day, not at whatever minute the button was pressed.
- ``next_monday``: 10:00 local on the coming Monday (from a Monday: a week later).

Wall-clock times are built in the zone (zoneinfo) and converted to UTC, so 10:00 stays 10:00 across a DST
change; 10:00 and 18:00 never fall into a DST gap in any zone the team uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.domain.errors import InvalidValue, Rule

WORKDAY_START = time(10, 0)
EVENING = time(18, 0)
ZONE_NAME_MAX = 64


class Preset(StrEnum):
    IN_1H = "1h"
    TODAY_18 = "t18"
    TOMORROW_10 = "m10"
    IN_3_DAYS = "3d"
    NEXT_MONDAY = "mon"


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The ZoneInfo of ``name`` (None: ``default``); an unknown name is Rule.TIMEZONE."""
    name = (name or default).strip()
    return ZoneInfo(check_zone(name))


def check_zone(name: str) -> str:
    """``name`` if it is an IANA zone name (e.g. ``Europe/Moscow``, ``UTC``), else InvalidValue(Rule.TIMEZONE)."""
    clean = name.strip()
    if not clean or len(clean) > ZONE_NAME_MAX or clean not in _zone_names():
        raise InvalidValue("timezone", Rule.TIMEZONE, value=name[:ZONE_NAME_MAX])
    try:
        ZoneInfo(clean)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("timezone", Rule.TIMEZONE, value=clean) from None
    return clean


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    """The IANA names tzdata knows (read once; ZoneInfo alone would also accept file paths)."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def at_local(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """``day`` at the wall-clock ``wall`` in ``tz``, as UTC."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def local_day_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The start of the local day of ``now`` and the start of the next one, both in UTC."""
    today = now.astimezone(tz).date()
    return at_local(today, time(0), tz), at_local(today + timedelta(days=1), time(0), tz)


def _ceil_minute(moment: datetime) -> datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def preset_due(preset: Preset | str, now: datetime, tz: ZoneInfo) -> datetime:
    """When ``preset`` pressed at ``now`` (aware) falls due, in UTC (see the module docstring)."""
    preset = Preset(preset)
    today = now.astimezone(tz).date()
    if preset == Preset.IN_1H:
        return _ceil_minute(now.astimezone(UTC) + timedelta(hours=1))
    if preset == Preset.TODAY_18:
        evening = at_local(today, EVENING, tz)
        return evening if evening > now else at_local(today + timedelta(days=1), EVENING, tz)
    if preset == Preset.TOMORROW_10:
        return at_local(today + timedelta(days=1), WORKDAY_START, tz)
    if preset == Preset.IN_3_DAYS:
        return at_local(today + timedelta(days=3), WORKDAY_START, tz)
    days = 7 - today.weekday()  # Monday is 0: from a Monday, the next one
    return at_local(today + timedelta(days=days), WORKDAY_START, tz)


def available(now: datetime, tz: ZoneInfo) -> list[Preset]:
    """The presets a picker shows at ``now``: "today 18:00" only while it is ahead."""
    return [p for p in Preset if p != Preset.TODAY_18 or at_local(now.astimezone(tz).date(), EVENING, tz) > now]
