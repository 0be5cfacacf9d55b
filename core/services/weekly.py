"""The team leads' weekly summary: on ``Policy.weekly_summary_weekday`` at ``weekly_summary_hour`` in the team's
zone (``default_timezone``), the funnel and the managers report of the week, as two photos with captions in the
team leads' group.

The week is the ISO week of the day before the summary's day: on a Monday, the week that just ended (Monday to
Sunday); on a Friday evening, this week so far. The job only queues two outbox rows (``sendPhoto``) whose payload
names the report and the week's local days; the sender computes the report and draws the chart when it sends
(bot/weekly.py): the figures of a past week do not change, and no picture is stored in the database.

Exactly once per week and group: the rows' dedupe keys are ``weekly-summary:{destination}:{monday}:{report}``
(ON CONFLICT DO NOTHING), the job runs under a transaction-scoped advisory lock (a second scheduler skips the
pass) and remembers when it last looked (``checked_at``), like the digests: a summary moment that passed since
then (at most a week back) is due, so a restart shortly after the hour still sends it, and the first run ever
only sets the mark (a fresh install does not send last week's summary).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.domain.clock import utcnow
from core.services.context import Policy
from core.services.outbox import TEAM_LEADS
from core.services.ports import QueuedMessage, UnitOfWork

WEEKLY_LOCK = 0x5C4ED02  # pg advisory lock key of the weekly job (DIGEST_LOCK + 1)
WEEKLY_JOB = "weekly_summary"
EVENT = "weekly_summary"
REPORTS = ("funnel", "managers")  # core.services.reports.ReportKind values, in the order they are sent


def summary_moment(since: datetime, now: datetime, zone: ZoneInfo, weekday: int, hour: int) -> datetime | None:
    """The latest local ISO ``weekday`` at ``hour``:00 in ``zone`` within (since, now], in UTC; None if none."""
    today = now.astimezone(zone).date()
    day = today - timedelta(days=(today.isoweekday() - weekday) % 7)
    for candidate in (day, day - timedelta(days=7)):
        moment = datetime.combine(candidate, time(hour), tzinfo=zone).astimezone(now.tzinfo)
        if since < moment <= now:
            return moment
    return None


def summary_week(moment: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The local Monday and Sunday of the week a summary sent at ``moment`` covers."""
    before = moment.astimezone(zone).date() - timedelta(days=1)
    monday = before - timedelta(days=before.weekday())
    return monday, monday + timedelta(days=6)


def summary_key(monday: date, report: str, destination: str = TEAM_LEADS) -> str:
    return f"weekly-summary:{destination}:{monday.isoformat()}:{report}"


def summary_messages(monday: date, sunday: date, zone: ZoneInfo) -> list[QueuedMessage]:
    return [
        QueuedMessage(
            summary_key(monday, report),
            {
                "event": EVENT,
                "report": report,
                "first_day": monday.isoformat(),
                "last_day": sunday.isoformat(),
                "timezone": zone.key,
            },
            destination=TEAM_LEADS,
            method="sendPhoto",
        )
        for report in REPORTS
    ]


async def queue_weekly_summary(uow: UnitOfWork, policy: Policy, *, now: datetime | None = None) -> int:
    """Queue the week's summary when its moment passed since the job last looked; one transaction. The number of
    outbox rows queued (0 or 2)."""
    if policy.weekly_summary_weekday is None:
        return 0
    now = now or utcnow()
    zone = ZoneInfo(policy.default_timezone)
    async with uow:
        if not await uow.schedule.try_lock(WEEKLY_LOCK):
            return 0  # another scheduler is at it
        previous = await uow.schedule.checked_at(WEEKLY_JOB, now)
        if previous is None or previous >= now:
            await uow.commit()
            return 0
        since = max(previous, now - timedelta(days=7))
        moment = summary_moment(since, now, zone, policy.weekly_summary_weekday, policy.weekly_summary_hour)
        queued = 0
        if moment is not None:
            queued = await uow.schedule.enqueue_many(summary_messages(*summary_week(moment, zone), zone))
        await uow.commit()
    return queued
