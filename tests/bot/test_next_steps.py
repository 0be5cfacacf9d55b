"""Next steps, stalled leads, /today and /settings through the real Dispatcher against the emulator, with
PostgreSQL and real commits. Times are controlled with core.domain.clock (reset after each test)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.callbacks import LeadAction, LeadCb
from core.domain import clock
from core.domain.enums import StepKind
from core.services import leads as leads_svc
from core.services import next_steps as steps_svc
from core.storage.models import LeadEventRow, LeadRow, UserRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, TEAM_LEAD_ID, alert_text, bot_settings, register


@pytest.fixture(autouse=True)
def _clock():
    yield
    clock.reset()


@pytest.fixture
async def team(committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    return {
        "maria": await register(uow, "maria"),
        "oleg": await register(uow, "oleg"),
        "tina": await register(uow, "tina"),
    }


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def _lead(committing_factory, services, actor, **kw):
    return await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, actor, source="partner", **kw)


async def _row(committing_factory, lead_id) -> LeadRow:
    async with committing_factory() as session:
        return await session.get(LeadRow, lead_id)


async def _set_zone(committing_factory, user_id, zone) -> None:
    async with committing_factory() as session, session.begin():
        (await session.get(UserRow, user_id)).timezone = zone


async def test_a_preset_sets_the_step_and_the_card_shows_it_then_done_clears_it_in_one_tap(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Acme")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {lead.id}")
    card = tg.card(maria)
    await tg.press(maria, "📅 Next step", message_id=card.message_id)
    assert "Next step: Call. When?" in tg.fake.message(maria.id, card.message_id).text
    answer = await tg.press(maria, "Tomorrow 10:00", message_id=card.message_id)
    assert "Next step set: Call" in alert_text(answer)
    row = await _row(committing_factory, lead.id)
    local = row.next_step_due_at.astimezone(ZoneInfo("Europe/Moscow"))  # Maria has the team's default zone
    assert (local.hour, local.minute) == (10, 0) and row.next_step_kind == StepKind.CALL
    shown = tg.fake.message(maria.id, card.message_id)
    assert "Next step: 📞 Call ·" in shown.text and "10:00" in shown.text
    assert "✅ Done" in shown.button_texts

    await tg.press(maria, "✅ Done", message_id=card.message_id)
    assert (await _row(committing_factory, lead.id)).next_step_due_at is None
    async with committing_factory() as session:
        kinds = (await session.scalars(select(LeadEventRow.kind).where(LeadEventRow.lead_id == lead.id))).all()
    assert sorted(kinds) == ["next_step_done", "next_step_set"]


async def test_the_card_says_overdue_and_stalled_and_the_list_flags_it(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Sleepy")
    await steps_svc.set_next_step(
        SqlUnitOfWork(committing_factory),
        team["maria"],
        lead.id,
        kind="call",
        due_at=clock.utcnow() + timedelta(hours=1),
    )
    clock.advance(timedelta(days=2, hours=1))  # an hour later the step was due; a new lead stalls after a day
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {lead.id}")
    card = tg.card(maria)
    assert "overdue by 2 d" in card.text and "Stalled: no activity for 2 d" in card.text
    assert "😴 Snooze" in card.button_texts
    await tg.say(maria, "/leads")
    assert "Sleepy" in tg.text(maria) and "⏰ 😴" in tg.text(maria)

    await tg.press(maria, "😴 Snooze", message_id=card.message_id)
    answer = await tg.press(maria, "Waiting for the client's reply · 3 d", message_id=card.message_id)
    assert "Snoozed for 3 d" in alert_text(answer)
    row = await _row(committing_factory, lead.id)
    assert row.stale_snoozed_until is not None
    assert "Stalled flag snoozed until" in tg.fake.message(maria.id, card.message_id).text


async def test_a_typed_time_is_echoed_before_saving_and_saved_with_its_note(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Typed")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.say(maria, f"/lead {lead.id}")
    card = tg.card(maria)
    await tg.press(maria, "📅 Следующий шаг", message_id=card.message_id)
    await tg.press(maria, "✍️ Написать время", message_id=card.message_id)
    await tg.say(maria, "завтра в 15:00 — отправить договор")
    echo = tg.card(maria)
    assert "Следующий шаг — " in echo.text and "15:00" in echo.text and "отправить договор" in echo.text
    assert (await _row(committing_factory, lead.id)).next_step_due_at is None  # nothing saved yet
    await tg.press(maria, "💾 Сохранить", message_id=echo.message_id)
    row = await _row(committing_factory, lead.id)
    local = row.next_step_due_at.astimezone(ZoneInfo("Europe/Moscow"))
    today = clock.utcnow().astimezone(ZoneInfo("Europe/Moscow")).date()
    assert (local.date(), local.hour) == (today + timedelta(days=1), 15) and row.next_step_note == "отправить договор"


async def test_text_that_is_not_a_time_is_asked_again_with_examples(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {lead.id}")
    await tg.press(maria, "📅 Next step", message_id=tg.card(maria).message_id)
    await tg.press(maria, "✍️ Type a time")
    await tg.say(maria, "whenever you like")
    assert "could not read a date" in tg.text(maria) and "fri 10am" in tg.text(maria)
    await tg.say(maria, "yesterday")
    assert "has already passed" in tg.text(maria)
    await tg.say(maria, "fri 10am")  # still in the dialog: read again
    assert "Save it?" in tg.text(maria)
    assert (await _row(committing_factory, lead.id)).next_step_due_at is None


async def test_forged_or_stale_step_buttons_change_nothing(tg, team, running, services, committing_factory) -> None:
    olegs = await _lead(committing_factory, services, team["oleg"])
    mine = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {mine.id}")
    card = tg.card(maria)
    far = str(int((clock.utcnow() + timedelta(days=1)).timestamp()))
    forged = [
        LeadCb(a=LeadAction.STEP_SET, id=olegs.id, v=1, x="call.m10").pack(),  # not her lead
        LeadCb(a=LeadAction.STEP_SAVE, id=olegs.id, v=1, x=f"call.{far}").pack(),
        LeadCb(a=LeadAction.STEP_SET, id=mine.id, v=mine.version + 5, x="call.m10").pack(),  # stale version
        LeadCb(a=LeadAction.STEP_SET, id=mine.id, v=mine.version, x="call.never").pack(),  # no such preset
        LeadCb(a=LeadAction.STEP_SET, id=mine.id, v=mine.version, x="dance.m10").pack(),  # no such kind
        LeadCb(a=LeadAction.STEP_SAVE, id=mine.id, v=mine.version, x="call.99999999999").pack(),  # beyond a year
        LeadCb(a=LeadAction.STEP_SAVE, id=mine.id, v=mine.version, x="call.1").pack(),  # in the past
        LeadCb(a=LeadAction.STEP_DONE, id=mine.id, v=mine.version).pack(),  # nothing to complete
        LeadCb(a=LeadAction.SNOOZE, id=mine.id, v=mine.version, x="bored").pack(),
    ]
    for data in forged:
        answer = await tg.press_data(maria, card.message_id, data)
        assert answer.params.get("show_alert") is True, data
    for lead in (olegs, mine):
        row = await _row(committing_factory, lead.id)
        assert row.next_step_due_at is None and row.stale_snoozed_until is None and row.version == lead.version


async def test_settings_change_the_zone_and_times_are_shown_in_it(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    due = (clock.utcnow() + timedelta(days=2)).replace(hour=7, minute=0, second=0, microsecond=0)  # 07:00 UTC
    await steps_svc.set_next_step(SqlUnitOfWork(committing_factory), team["maria"], lead.id, kind="call", due_at=due)
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/settings")
    assert "Time zone: Europe/Moscow (the team's default)" in tg.text(maria)
    assert "English" in tg.text(maria)
    await tg.say(maria, f"/lead {lead.id}")
    assert "10:00" in tg.card(maria).text  # Moscow, UTC+3

    await tg.say(maria, "/settings")
    await tg.press(maria, "Asia/Vladivostok")
    async with committing_factory() as session:
        assert (await session.get(UserRow, MANAGER_ID)).timezone == "Asia/Vladivostok"
    await tg.say(maria, f"/lead {lead.id}")
    assert "17:00" in tg.card(maria).text  # Vladivostok, UTC+10

    await tg.say(maria, "/settings")
    await tg.press(maria, "✍️ Type a zone")
    await tg.say(maria, "Mars/Olympus")
    assert "is not a time zone" in tg.text(maria) and "Europe/Moscow" in tg.text(maria)  # refused, with an example
    await tg.say(maria, "America/New_York")
    assert "America/New_York" in tg.text(maria)
    await tg.say(maria, f"/lead {lead.id}")
    assert "02:00" in tg.card(maria).text  # New York in winter: UTC-5


async def test_today_for_a_manager_lists_overdue_today_and_leads_without_a_step(
    tg, team, running, services, committing_factory
) -> None:
    await _set_zone(committing_factory, MANAGER_ID, "UTC")
    noon = datetime.combine(clock.utcnow().date() + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=12)
    clock.advance(noon - timedelta(hours=2) - clock.utcnow())  # 10:00 UTC tomorrow
    uow = SqlUnitOfWork(committing_factory)
    late = await _lead(committing_factory, services, team["maria"], name="Late one")
    soon = await _lead(committing_factory, services, team["maria"], name="Later today")
    await _lead(committing_factory, services, team["maria"], name="No plan")
    await _lead(committing_factory, services, team["oleg"], name="Olegs lead")
    await steps_svc.set_next_step(
        uow, team["maria"], late.id, kind="call", due_at=clock.utcnow() + timedelta(minutes=30)
    )
    await steps_svc.set_next_step(
        uow, team["maria"], soon.id, kind="meeting", due_at=clock.utcnow() + timedelta(hours=5)
    )
    clock.advance(timedelta(hours=1))  # the first is now 30 min overdue
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/today")
    text = tg.text(maria)
    assert text.index("Overdue") < text.index("Late one") < text.index("📅 Today") < text.index("Later today")
    assert text.index("No next step") < text.index("No plan") and "Olegs lead" not in text
    assert "overdue by 30 min" in text
    buttons = tg.card(maria).button_texts
    assert any("Late one" in b for b in buttons)
    await tg.press(maria, next(b for b in buttons if "Late one" in b))
    assert "Late one" in tg.card(maria).text and "overdue by" in tg.card(maria).text


async def test_today_for_a_team_lead_is_per_manager_with_counts(
    tg, team, running, services, committing_factory
) -> None:
    uow = SqlUnitOfWork(committing_factory)
    a = await _lead(committing_factory, services, team["maria"], name="Maria A")
    await _lead(committing_factory, services, team["oleg"], name="Oleg B")
    await steps_svc.set_next_step(uow, team["maria"], a.id, kind="call", due_at=clock.utcnow() + timedelta(minutes=5))
    clock.advance(timedelta(minutes=10))
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, "/today")
    text = tg.text(tina)
    assert "Maria: overdue 1 · today 0 · no next step 0" in text
    assert "Oleg: overdue 0 · today 0 · no next step 1" in text
    assert text.index("Maria:") < text.index("Maria A") < text.index("Oleg:") < text.index("Oleg B")
