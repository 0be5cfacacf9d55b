"""The team leads' weekly summary as the outbox sender sends it: one photo per report (funnel, managers) of the
week the row names (core.services.weekly), drawn when it is sent.

The report is read through the service, team-wide (the system's view), the caption and the chart's labels are
written in the group's language (TEAM_LEADS_LANGUAGE, bound by run_bot), and the PNG is rendered in a worker
thread (``bot.charts.render``) so the event loop keeps serving chats meanwhile. A payload that names no report
or no valid day raises ValueError/KeyError (the sender fails the row); a database error propagates (retried).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot import charts
from bot.i18n import make_i18n, pick_locale
from bot.outbox import Photo
from bot.render import reports as render_reports
from core.domain.models import Actor
from core.domain.periods import custom_period
from core.services import reports as reports_svc
from core.storage.uow import SqlUnitOfWork

ACTOR = Actor.system("weekly-summary")


async def weekly_photo(payload: dict[str, Any], *, session_factory: Any, locale: str | None = None) -> Photo:
    """The photo of one weekly summary row."""
    kind = reports_svc.ReportKind(payload["report"])
    zone = ZoneInfo(str(payload["timezone"]))
    span = custom_period(date.fromisoformat(payload["first_day"]), date.fromisoformat(payload["last_day"]), zone)
    report = await reports_svc.report(SqlUnitOfWork(session_factory), ACTOR, kind, span)
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(pick_locale(locale) if locale else i18n.default_locale):
        screen = render_reports.screen(report)
        caption = render_reports.weekly_caption(screen.caption)
    png = await charts.render(screen.bars)
    return Photo(png=png, filename=f"weekly-{kind.value}-{span.first_day.isoformat()}.png", caption=caption)
