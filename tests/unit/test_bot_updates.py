"""bot.updates and BotSession's getUpdates parsing: a batch is read one update at a time, one that does not
parse is skipped and logged with its id, and the offset still moves past it."""

from __future__ import annotations

import json
import logging

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import GetUpdates

from bot.session import BotSession
from bot.updates import next_offset, parse_updates, update_id_of

CHAT = {"id": 7, "type": "private", "first_name": "Ann"}


def good(update_id: int) -> dict:
    message = {"message_id": 1, "date": 0, "chat": CHAT, "from": {"id": 7, "is_bot": False, "first_name": "Ann"}}
    return {"update_id": update_id, "message": {**message, "text": "hi"}}


def bad(update_id: int) -> dict:
    return {"update_id": update_id, "message": {"message_id": "x", "text": "secret text"}}


def test_updates_that_parse_are_kept_in_order_and_the_others_are_logged_by_id(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="bot.updates")
    raw = [good(10), bad(11), "garbage", {"no": "id"}, good(12)]
    assert [u.update_id for u in parse_updates(raw)] == [10, 12]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 3 and "update 11 skipped" in logged[0] and "update None skipped" in logged[1]
    assert "message.message_id" in logged[0] and "secret text" not in " ".join(logged)  # fields, not content


@pytest.mark.parametrize(
    ("raw", "offset"),
    [([good(1), bad(5)], 6), ([bad(3)], 4), ([], None), (["garbage", {"update_id": "9"}], None), ([good(2)], 3)],
)
def test_the_next_offset_confirms_every_update_of_the_batch_parsed_or_not(raw, offset) -> None:
    assert next_offset(raw) == offset


def test_an_update_id_is_an_int_or_nothing() -> None:
    raws: list[object] = [{"update_id": 4}, {"update_id": True}, {"update_id": "4"}, []]
    assert [update_id_of(x) for x in raws] == [4, None, None, None]


@pytest.fixture
def bot() -> Bot:
    return Bot("42:TEST", session=BotSession())


def answer(*items: object) -> str:
    return json.dumps({"ok": True, "result": list(items)})


def test_a_batch_with_an_update_that_does_not_parse_keeps_the_others(bot) -> None:
    method = GetUpdates(offset=10)
    result = bot.session.check_response(bot, method, 200, answer(good(10), bad(11), good(12))).result
    assert [u.update_id for u in result] == [10, 12]
    assert result[0].message.text == "hi" and result[0].message.bot is bot  # bound to the bot, as aiogram's


def test_skipped_updates_at_the_end_of_a_batch_are_confirmed_by_the_next_poll(bot) -> None:
    method = GetUpdates(offset=10)
    result = bot.session.check_response(bot, method, 200, answer(good(10), bad(11), bad(12))).result
    method.offset = result[-1].update_id + 1  # what aiogram's polling does after handing out update 10
    bot.session._confirm_skipped(method)
    assert method.offset == 13


def test_a_batch_of_only_skipped_updates_is_confirmed_by_the_next_poll(bot) -> None:
    method = GetUpdates()
    assert bot.session.check_response(bot, method, 200, answer(bad(7))).result == []
    bot.session._confirm_skipped(method)
    assert method.offset == 8


def test_a_poll_from_elsewhere_does_not_confirm_what_it_has_not_handed_out(bot) -> None:
    bot.session.check_response(bot, GetUpdates(offset=10), 200, answer(good(10), bad(11)))
    restarted = GetUpdates()  # polling started again: updates before the skipped one may not be handled yet
    bot.session._confirm_skipped(restarted)
    assert restarted.offset is None


def test_getupdates_errors_are_aiograms_as_before(bot) -> None:
    conflict = json.dumps({"ok": False, "error_code": 409, "description": "Conflict: terminated by other"})
    with pytest.raises(TelegramConflictError):
        bot.session.check_response(bot, GetUpdates(), 409, conflict)
