"""/report in the bot: the chart as a photo with a caption, buttons that switch the report and the period by
editing the same message (editMessageMedia), a typed range in ru/en, a manager's own numbers, forged buttons.
Real Dispatcher + HTTP to the emulator + PostgreSQL with real commits, over the hand-counted week of
tests/report_week.py."""

from __future__ import annotations

import pytest

from core.storage.uow import SqlUnitOfWork
from tests.bot.support import bot_settings
from tests.report_week import BORIS, TINA, seed_week

PNG = b"\x89PNG\r\n\x1a\n"
NBSP = "\u00a0"


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        await seed_week(uow.session)
        await uow.commit()
    await bot_runner(
        bot_settings(default_timezone="Europe/Moscow"), services=services, session_factory=committing_factory
    )


async def _week_report(tg, user, dates: str = "2.11.2026 - 8.11.2026"):
    await tg.say(user, "/report")
    first = tg.fake.last_message(user.id)
    await tg.press(user, first.button_texts[-1], message_id=first.message_id)  # 📅 Dates…
    await tg.say(user, dates)
    return tg.fake.last_message(user.id)


async def test_report_sends_the_weeks_funnel_as_a_photo_with_a_caption_and_buttons(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    await tg.say(tina, "/report")
    shown = tg.fake.last_message(tina.id)
    assert shown.media is not None and shown.media.kind == "photo" and shown.media.data.startswith(PNG)
    assert shown.text.startswith("Funnel · team\nThis week · ")
    assert shown.button_texts == [
        "• Funnel", "Managers", "Lost", "Sources", "Scorer",
        "Today", "• This week", "This month", "Last 30 days", "Dates…",
    ]  # fmt: skip


async def test_a_typed_range_shows_the_hand_counted_funnel(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    shown = await _week_report(tg, tina)
    assert shown.media is not None
    assert "2 Nov 2026 – 8 Nov 2026" in shown.text
    assert f"New → Contacted: 80{NBSP}%" in shown.text
    assert f"Transferred to sales → Won: 50{NBSP}%" in shown.text
    assert "Lost: 3" in shown.text
    assert "Median time in stage: New 2 h, Contacted 1 d, Qualified 1 d" in shown.text
    assert "• Dates…" in shown.button_texts


async def test_a_report_button_edits_the_same_message_with_the_other_chart(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    shown = await _week_report(tg, tina)
    before = len(tg.fake.messages(tina.id))
    first_chart = shown.media.data
    await tg.press(tina, "Managers", message_id=shown.message_id)
    edited = tg.fake.message(tina.id, shown.message_id)
    assert len(tg.fake.messages(tina.id)) == before  # no new message
    assert edited.edits == 1 and tg.fake.calls_of("editMessageMedia")
    assert edited.text.startswith("Managers · team\n2 Nov 2026 – 8 Nov 2026")
    assert (
        "<b>" not in edited.text and "Anna: new 2, activities 3, first contact 2 h, transfers 1, won 1" in edited.text
    )
    assert f"won 1 (1{NBSP}000{NBSP}RUB), win rate 50{NBSP}%" in edited.text
    assert "Team: new 5" in edited.text
    assert edited.media.data != first_chart
    assert "• Managers" in edited.button_texts and "• Dates…" in edited.button_texts  # the range is kept


async def test_a_period_button_switches_to_that_period(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    shown = await _week_report(tg, tina)
    await tg.press(tina, "This month", message_id=shown.message_id)
    edited = tg.fake.message(tina.id, shown.message_id)
    assert edited.text.startswith("Funnel · team\nThis month · 1 Dec 2026")
    assert "• This month" in edited.button_texts


async def test_a_manager_sees_only_their_own_numbers_in_russian(tg, running) -> None:
    boris = tg.fake.user(BORIS, "Boris", language_code="ru")
    shown = await _week_report(tg, boris, "с 2 по 8 ноября")
    assert shown.text.startswith("Воронка · мои лиды\n2 ноя 2026 – 8 ноя 2026")
    assert f"Новый → Контакт установлен: 100{NBSP}%" in shown.text  # L3, L4 (older) and L5 moved on
    await tg.press(boris, "Менеджеры", message_id=shown.message_id)
    edited = tg.fake.message(boris.id, shown.message_id)
    assert "Boris: новых 2" in edited.text
    assert "Anna" not in edited.text and "Команда" not in edited.text


@pytest.mark.parametrize("data", ["rp:bogus:week:0:0", "rp:funnel:custom:20261199:20261108", "rp:funnel:year:0:0"])
async def test_a_forged_report_button_changes_nothing(tg, running, data: str) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    await tg.say(tina, "/report")
    shown = tg.fake.last_message(tina.id)
    answer = await tg.press_data(tina, shown.message_id, data)
    assert answer.ok
    after = tg.fake.message(tina.id, shown.message_id)
    assert after.edits == 0 and after.text == shown.text
    assert not tg.fake.calls_of("editMessageMedia")


async def test_unreadable_or_reversed_dates_are_asked_again_politely(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    await tg.say(tina, "/report")
    first = tg.fake.last_message(tina.id)
    await tg.press(tina, "Dates…", message_id=first.message_id)
    assert "Type the dates of the report" in tg.text(tina)
    await tg.say(tina, "whenever")
    assert "I could not read dates in “whenever”" in tg.text(tina)
    await tg.say(tina, "15.11.2026 - 1.11.2026")
    assert "The range ends (1 Nov 2026) before it starts (15 Nov 2026)" in tg.text(tina)
    await tg.say(tina, "1.1.2024 - 1.6.2025")
    assert "at most 366 days" in tg.text(tina)
    await tg.say(tina, "2.11.2026 - 8.11.2026")  # still in the dialog: now it is read
    assert tg.fake.last_message(tina.id).media is not None
