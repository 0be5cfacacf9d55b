"""The team leads' weekly summary in the running bot: on the configured weekday at the local hour, the funnel and
managers charts of the week arrive in the group once, as photos with captions in the group's language; not before
the hour, not again on a second scheduler pass, a second replica, a replayed job or a restart.
Real Dispatcher + HTTP to the emulator + PostgreSQL with real commits; the clock is moved, not waited for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.scheduler import Scheduler
from bot.weekly import weekly_photo
from core.domain import clock
from core.domain.clock import utcnow
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services.weekly import WEEKLY_JOB, summary_moment, summary_week
from core.storage.models import OutboxRow, TeamSettingRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import GROUP, bot_settings, register

PNG = b"\x89PNG\r\n\x1a\n"
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture(autouse=True)
def real_time() -> Iterator[None]:
    yield
    clock.reset()


def _next_monday_nine() -> datetime:
    """09:00 Moscow on the Monday after this week: the summary that covers this week (today included)."""
    today = utcnow().astimezone(MOSCOW).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    return datetime.combine(monday, time(9), tzinfo=MOSCOW)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


async def _photos(fake: Any) -> list[Any]:
    return [c for c in fake.calls_of("sendPhoto") if c.params.get("chat_id") == GROUP]


async def _until_photos(fake: Any, count: int, timeout: float = 20.0) -> None:
    """The group's flood limit spaces its messages (the SLA escalations and the team digest go first)."""
    for _ in range(int(timeout / 0.1)):
        if len(await _photos(fake)) >= count:
            await fake.settle(timeout=5)
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(await _photos(fake))} photos, not {count}:\n{fake.dump()}")


async def _weekly_rows(factory: Any) -> int:
    async with factory() as session:
        stmt = select(func.count()).where(OutboxRow.dedupe_key.like("weekly-summary:%"))
        return int((await session.execute(stmt)).scalar_one())


async def _seed(factory: Any, services: Any) -> Actor:
    maria = await register(SqlUnitOfWork(factory), "maria", language="en")
    for name in ("Acme", "Globex", "Initech"):
        await leads_svc.create_lead(SqlUnitOfWork(factory), services, maria, source="manual", name=name)
    return maria


async def test_the_weekly_summary_reaches_the_group_once_as_two_photos_at_the_local_hour(
    tg, bot_runner, services, committing_factory
) -> None:
    await _seed(committing_factory, services)
    settings = bot_settings(scheduler_poll_seconds=0.2, team_leads_language="en")
    running = await bot_runner(settings, services=services, session_factory=committing_factory)
    nine = _next_monday_nine()

    clock.advance(nine - timedelta(seconds=30) - utcnow())  # Monday 08:59:30 in Moscow
    await asyncio.sleep(1.0)
    assert await _photos(tg.fake) == [] and await _weekly_rows(committing_factory) == 0  # not before the hour

    clock.advance(timedelta(seconds=45))  # 09:00:15
    await _until_photos(tg.fake, 2)
    monday, sunday = summary_week(nine, MOSCOW)
    assert monday == nine.date() - timedelta(days=7) and monday <= utcnow().date()  # the week that just ended
    shown = [m for m in tg.fake.messages(GROUP) if m.media is not None]
    assert [m.media.kind for m in shown] == ["photo", "photo"]
    assert all(m.media.data.startswith(PNG) for m in shown)
    funnel, managers = (m.text for m in shown)
    for caption in (funnel, managers):
        assert caption.startswith("📊 Weekly summary")
        assert f"{_day(monday)} {monday.year} – {_day(sunday)} {sunday.year}" in caption
    assert "Funnel · team" in funnel and "New" in funnel and "3" in funnel  # the three leads of the week
    assert "Managers · team" in managers and "Maria" in managers

    # a second pass, a second replica, the job replayed with its mark set back, and a restart: nothing more
    clock.advance(timedelta(hours=1))
    replica = Scheduler(committing_factory, services.policy)
    assert [q.weekly for q in await asyncio.gather(replica.tick(), replica.tick())] == [0, 0]
    async with committing_factory() as session:
        mark = {"checked_at": (nine - timedelta(hours=1)).isoformat()}
        await session.execute(
            update(TeamSettingRow).where(TeamSettingRow.key == f"scheduler:{WEEKLY_JOB}").values(value=mark)
        )
        await session.commit()
    assert (await replica.tick()).weekly == 0  # the week's keys are taken
    await running.stop()
    await bot_runner(settings, services=services, session_factory=committing_factory)
    clock.advance(timedelta(minutes=5))
    await asyncio.sleep(1.0)
    await tg.fake.settle(timeout=10, quiet=0.5)
    assert len(await _photos(tg.fake)) == 2 and await _weekly_rows(committing_factory) == 2


async def test_the_weekly_photo_speaks_the_groups_language(committing_factory, services) -> None:
    await _seed(committing_factory, services)
    today = utcnow().astimezone(MOSCOW).date()
    monday = today - timedelta(days=today.weekday())
    payload = {
        "event": "weekly_summary",
        "report": "funnel",
        "first_day": monday.isoformat(),
        "last_day": (monday + timedelta(days=6)).isoformat(),
        "timezone": "Europe/Moscow",
    }
    ru = await weekly_photo(payload, session_factory=committing_factory, locale="ru")
    en = await weekly_photo(payload, session_factory=committing_factory, locale="en")
    assert ru.caption.startswith("📊 <b>Еженедельная сводка</b>") and "Воронка" in ru.caption
    assert en.caption.startswith("📊 <b>Weekly summary</b>") and "Funnel" in en.caption
    assert ru.png.startswith(PNG) and ru.filename == f"weekly-funnel-{monday.isoformat()}.png"
    managers = await weekly_photo({**payload, "report": "managers"}, session_factory=committing_factory, locale="en")
    assert "Managers" in managers.caption and "Maria" in managers.caption


@pytest.mark.parametrize(
    ("now", "since", "expected"),
    [
        # Monday 09:00 Moscow is 06:00 UTC
        (datetime(2026, 12, 7, 5, 59), datetime(2026, 12, 7, 5, 0), None),  # not yet
        (datetime(2026, 12, 7, 6, 0), datetime(2026, 12, 7, 5, 59), datetime(2026, 12, 7, 6, 0)),  # on the hour
        (datetime(2026, 12, 7, 6, 1), datetime(2026, 12, 7, 6, 0), None),  # already looked at 06:00
        (datetime(2026, 12, 9, 12, 0), datetime(2026, 12, 6, 12, 0), datetime(2026, 12, 7, 6, 0)),  # down over it
        (datetime(2026, 12, 13, 23, 0), datetime(2026, 12, 7, 7, 0), None),  # the rest of the week
    ],
)
def test_the_summary_is_due_at_the_latest_local_weekday_hour_since_the_last_look(now, since, expected) -> None:
    utc = ZoneInfo("UTC")
    now, since = now.replace(tzinfo=utc), since.replace(tzinfo=utc)
    moment = summary_moment(since, now, MOSCOW, 1, 9)
    assert moment == (expected.replace(tzinfo=utc) if expected else None)


def test_a_monday_summary_covers_the_week_that_ended_and_a_friday_one_this_week() -> None:
    monday_nine = datetime(2026, 12, 7, 9, tzinfo=MOSCOW)
    assert summary_week(monday_nine, MOSCOW) == (date(2026, 11, 30), date(2026, 12, 6))
    friday_six = datetime(2026, 12, 11, 18, tzinfo=MOSCOW)
    assert summary_week(friday_six, MOSCOW) == (date(2026, 12, 7), date(2026, 12, 13))


async def test_a_photo_telegram_refused_with_a_5xx_is_sent_again_once_and_in_order(
    tg, bot_runner, services, committing_factory
) -> None:
    await _seed(committing_factory, services)
    # rows are stamped by the database's clock, the sender's runs days ahead: a give-up deadline beyond the jump
    settings = bot_settings(scheduler_poll_seconds=0.2, team_leads_language="en", outbox_give_up_seconds=30 * 86400)
    await bot_runner(settings, services=services, session_factory=committing_factory)
    tg.fake.fail("sendPhoto", status=502, times=1)  # the funnel's first try
    clock.advance(_next_monday_nine() + timedelta(seconds=15) - utcnow())
    await _until_photos(tg.fake, 3)  # the refused try, then the funnel and the managers
    shown = [m for m in tg.fake.messages(GROUP) if m.media is not None]
    assert [m.text.splitlines()[1].split(" · ")[0] for m in shown] == ["Funnel", "Managers"]
    async with committing_factory() as session:
        stmt = select(OutboxRow.status, OutboxRow.attempts).where(OutboxRow.dedupe_key.like("weekly-summary:%"))
        rows = sorted((await session.execute(stmt)).all(), key=lambda r: r.attempts)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1), ("sent", 2)]


async def test_a_photo_row_naming_no_report_fails_at_once_and_the_admins_are_told(fake_tg, committing_factory) -> None:
    import functools

    from bot.outbox import OutboxSender
    from bot.render import outbox_message
    from core.services.weekly import summary_messages
    from core.storage.uow import SqlUnitOfWork

    monday = date(2026, 11, 30)
    (forged, *_) = summary_messages(monday, monday + timedelta(days=6), MOSCOW)
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        await uow.outbox.enqueue(
            dedupe_key=forged.dedupe_key,
            payload={**forged.payload, "report": "horoscope"},
            destination=forged.destination,
            method=forged.method,
        )
        await uow.commit()
    sender = OutboxSender(
        fake_tg.make_bot(timeout=2),
        committing_factory,
        render=functools.partial(outbox_message, bot_username="leadcrm_bot", locale="en"),
        render_photo=functools.partial(weekly_photo, session_factory=committing_factory, locale="en"),
        team_leads_chat_id=GROUP,
        admin_ids=[4242],
    )
    try:
        await sender.drain_once()
    finally:
        await sender.bot.session.close()
    async with committing_factory() as session:
        rows = {r.dedupe_key: (r.status, r.last_error) for r in (await session.execute(select(OutboxRow))).scalars()}
    status, error = rows[forged.dedupe_key]
    assert status == "failed" and "horoscope" in error
    notices = [key for key in rows if key.startswith("outbox-failed:") and key.endswith(":4242")]
    assert len(notices) == 1  # the admin's notice, queued in the same transaction
    assert not fake_tg.calls_of("sendPhoto")
