"""bot.updates: a batch is read one update at a time; one that does not parse is skipped and logged with its id
(not its content), the others are kept in order."""

from __future__ import annotations

import logging

from bot.updates import parse_updates, update_id_of

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


def test_an_update_id_is_an_int_or_nothing() -> None:
    raws: list[object] = [{"update_id": 4}, {"update_id": True}, {"update_id": "4"}, []]
    assert [update_id_of(x) for x in raws] == [4, None, None, None]
