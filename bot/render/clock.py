"""Times as the viewer reads them: in their time zone, with translated day and month names.

Every time a screen shows goes through ``when`` (a stamp: "05.12.2026 10:00"), ``due`` (a next step:
"Fri 5 Dec, 10:00") or ``span`` ("2 h 5 min"). The viewer (their zone, and the team's policy for the stalled flag)
is set once per update by ``bot.middlewares.viewer.ViewerMiddleware`` from the user's ``timezone`` (None:
``DEFAULT_TIMEZONE``); outside an update (the outbox, unit tests) it is UTC, shown with a "UTC" suffix,
unless a caller sets one with ``use_viewer``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_, _
from core.domain.clock import utcnow
from core.domain.models import Lead
from core.services.context import Policy

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
MONTHS = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)


@dataclass(frozen=True, slots=True)
class Viewer:
    tz: ZoneInfo
    policy: Policy | None = None  # None: nothing is flagged as stalled

    def is_stale(self, lead: Lead, now: datetime | None = None) -> bool:
        return self.policy is not None and self.policy.is_stale(lead, now or utcnow())


_UTC_VIEWER = Viewer(ZoneInfo("UTC"))
_viewer: ContextVar[Viewer] = ContextVar("viewer", default=_UTC_VIEWER)


def viewer() -> Viewer:
    return _viewer.get()


@contextlib.contextmanager
def use_viewer(tz: ZoneInfo, policy: Policy | None = None) -> Iterator[Viewer]:
    """Render in ``tz`` (e.g. a reminder rendered by the outbox in its recipient's zone)."""
    token = _viewer.set(Viewer(tz, policy))
    try:
        yield _viewer.get()
    finally:
        _viewer.reset(token)


def set_viewer(value: Viewer) -> object:
    """For the middleware: set and return the token to ``reset_viewer`` with."""
    return _viewer.set(value)


def reset_viewer(token: object) -> None:
    _viewer.reset(token)  # type: ignore[arg-type]


def local(dt: datetime) -> datetime:
    return dt.astimezone(viewer().tz)


def _is_utc(tz: ZoneInfo) -> bool:
    return tz.key in ("UTC", "Etc/UTC")


def when(dt: datetime | None) -> str:
    """A time stamp in the viewer's zone (a "UTC" suffix when the zone is UTC)."""
    if dt is None:
        return "—"
    tz = viewer().tz
    text = dt.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    return text + " UTC" if _is_utc(tz) else text


def due(dt: datetime, now: datetime | None = None) -> str:
    """A next step's time as people say it: "Fri 5 Dec, 10:00" (the year only when it is not this one)."""
    moment = local(dt)
    this_year = local(now or utcnow()).year
    day = f"{_(WEEKDAYS[moment.weekday()])} {moment.day} {_(MONTHS[moment.month - 1])}"
    if moment.year != this_year:
        day += f" {moment.year}"
    text = f"{day}, {moment:%H:%M}"
    return text + " UTC" if _is_utc(viewer().tz) else text


def span(delta: timedelta) -> str:
    """A duration to the minute, two units at most: "7 min", "2 h 5 min", "3 d 4 h" (at least "1 min")."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        parts = [_("{n} d").format(n=days)] + ([_("{n} h").format(n=hours)] if hours else [])
    elif hours:
        parts = [_("{n} h").format(n=hours)] + ([_("{n} min").format(n=minutes)] if minutes else [])
    else:
        parts = [_("{n} min").format(n=minutes)]
    return " ".join(parts)


def zone_name() -> str:
    return viewer().tz.key
