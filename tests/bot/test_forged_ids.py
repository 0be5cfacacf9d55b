"""Forged or stale buttons and commands whose ids no row can have (beyond PostgreSQL's BIGINT, ±2^63) or no
row has (a deal that does not exist) get the polite "not found" answer, exactly once, and no traceback.
Real Dispatcher + HTTP to the emulator + PostgreSQL with real commits."""

from __future__ import annotations

import logging

import pytest

from tests.bot.support import (
    ADMIN_ID,
    MANAGER_ID,
    TEAM_LEAD_ID,
    alert_text,
    bot_settings,
    register,
)

HUGE = 2**63  # one past BIGINT's largest value
ENORMOUS = 99999999999999999999
TOO_NEGATIVE = -(2**63) - 1


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    from core.storage.uow import SqlUnitOfWork

    uow = SqlUnitOfWork(committing_factory)
    await register(uow, "maria")
    await register(uow, "tina")
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


@pytest.fixture
def bugs(caplog):
    """The ERROR records logged while the test runs: a bug's traceback (errors router ``unexpected``)."""
    caplog.set_level(logging.ERROR)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


IDS = (HUGE, ENORMOUS, TOO_NEGATIVE)


async def test_lead_buttons_with_ids_beyond_bigint_say_the_lead_is_not_found(tg, running, bugs) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    for lead_id in IDS:
        for data in ("o:{id}:0:", "a:{id}:1:call", "n:{id}:1:", "x:{id}:1:", "z:{id}:1:", "h:{id}:0:"):
            answer = await tg.press_data(tina, 1, "ld:" + data.format(id=lead_id))  # answered exactly once
            assert answer.params.get("show_alert") is True, data
            assert alert_text(answer) == f"Lead #{lead_id} not found.", data
        answer = await tg.press_data(tina, 1, f"ld:s:{lead_id}:0:")  # the card's deal button
        assert answer.params.get("show_alert") is True
        assert alert_text(answer) == "This lead has no deal."
    assert bugs() == []


async def test_deal_buttons_with_ids_beyond_bigint_say_the_deal_is_not_found(tg, running, bugs) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    for sale_id in IDS:
        for data in ("o:{id}::", "x:{id}:new:kyc", "l:{id}::", "lr:{id}:new:competitor"):
            answer = await tg.press_data(tina, 1, "sl:" + data.format(id=sale_id))
            assert answer.params.get("show_alert") is True, data
            assert alert_text(answer) == f"Deal #{sale_id} not found.", data
    assert bugs() == []


async def test_a_stale_deal_button_for_a_deal_that_does_not_exist_is_answered_once_with_the_alert(
    tg, running, bugs
) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    answer = await tg.press_data(tina, 1, "sl:o:424242::")  # answer_of asserts the press was answered once
    assert answer.params.get("show_alert") is True
    assert alert_text(answer) == "Deal #424242 not found."
    assert bugs() == []


async def test_users_buttons_with_ids_beyond_bigint_say_the_user_is_not_found(tg, running, bugs) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    for user_id in IDS:
        for data in ("o:{id}:", "r:{id}:manager", "off:{id}:", "on:{id}:"):
            answer = await tg.press_data(admin, 1, "us:" + data.format(id=user_id))
            assert answer.params.get("show_alert") is True, data
            assert alert_text(answer) == f"User {user_id} not found.", data
    assert bugs() == []


async def test_a_list_page_beyond_bigint_shows_the_last_page(tg, running, bugs) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    for page in (HUGE, TOO_NEGATIVE):
        answer = await tg.press_data(maria, 1, f"ls::{page}")
        assert not answer.params.get("show_alert")
        assert "My leads" in tg.text(maria)
    assert bugs() == []


async def test_lead_command_with_a_number_beyond_bigint_says_the_lead_is_not_found(tg, running, bugs) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    for number in (str(HUGE), str(ENORMOUS), "#" + str(ENORMOUS)):
        await tg.say(maria, f"/lead {number}")
        assert tg.text(maria) == f"Lead #{number.lstrip('#')} not found."
    await tg.say(maria, "/lead ²")  # a digit that is not a decimal number
    assert "Send the lead number" in tg.text(maria)
    assert bugs() == []


async def test_deep_links_with_numbers_beyond_bigint_say_not_found(tg, running, bugs) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.open_link(tina, f"https://t.me/leadcrm_bot?start=lead_{ENORMOUS}")
    assert tg.text(tina) == f"Lead #{ENORMOUS} not found."
    await tg.open_link(tina, f"https://t.me/leadcrm_bot?start=sale_{ENORMOUS}")
    assert tg.text(tina) == f"Deal #{ENORMOUS} not found."
    assert bugs() == []
