"""An update the bot cannot parse (a malformed or unexpected Bot API object) is skipped and logged with its
update_id; it never holds up the updates after it. Real Dispatcher + HTTP to the emulator."""

from __future__ import annotations

import logging

import pytest

from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, bot_settings, register

MALFORMED = (
    {"message": {"message_id": "not a number", "chat": "nope"}},
    {"callback_query": {"id": 1}},
    {"message": {"message_id": 1, "date": 0, "chat": {"id": MANAGER_ID, "type": "private"}, "from": {"id": "x"}}},
)


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    await register(SqlUnitOfWork(committing_factory), "maria", language="en")
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


def _skipped(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.updates"]


async def test_updates_that_do_not_parse_are_skipped_and_the_next_one_is_answered(tg, running, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bot.updates")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    bad = [tg.fake.inject_update(body) for body in MALFORMED]
    await tg.say(maria, "/help")
    assert "/new" in tg.text(maria)
    await tg.fake.settle()  # every update confirmed to Telegram, the skipped ones included
    logged = _skipped(caplog)
    assert all(any(str(update_id) in line for line in logged) for update_id in bad), logged


async def test_a_last_update_that_does_not_parse_is_confirmed_not_fetched_again(tg, running, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bot.updates")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/help")
    bad = tg.fake.inject_update(MALFORMED[0])  # last in its batch: nothing after it moves the offset
    await tg.fake.settle()
    assert [line for line in _skipped(caplog) if str(bad) in line] and len(_skipped(caplog)) == 1  # skipped once
    polls = len(tg.fake.calls_of("getUpdates"))
    await tg.say(maria, "/help")
    assert "/new" in tg.text(maria)
    assert len(tg.fake.calls_of("getUpdates")) - polls <= 3  # long polls, not a loop over the same update
