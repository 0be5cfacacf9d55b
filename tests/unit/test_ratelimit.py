"""Telegram's flood limits in the outbox sender (bot/ratelimit.py), on a clock the test moves."""

from __future__ import annotations

import pytest

from bot.ratelimit import RateLimiter

USER, OTHER_USER, GROUP = 101, 102, -1001


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_one_message_per_second_per_chat_while_other_chats_still_go(clock: Clock) -> None:
    limits = RateLimiter(clock=clock)
    assert limits.take(USER) == 0
    assert limits.take(USER) == pytest.approx(1.0)  # refused, and nothing recorded
    assert limits.take(OTHER_USER) == 0
    clock.now += 0.6
    assert limits.wait(USER) == pytest.approx(0.4)
    clock.now += 0.4
    assert limits.take(USER) == 0


def test_thirty_messages_per_second_per_bot(clock: Clock) -> None:
    limits = RateLimiter(clock=clock)
    for chat in range(30):
        assert limits.take(chat + 1) == 0
        clock.now += 0.01
    assert limits.bot_capacity() == 0
    assert limits.take(999) == pytest.approx(1.0 - 0.30)
    clock.now = 1001.0  # a second after the first
    assert limits.bot_capacity() == 1 and limits.take(999) == 0


def test_twenty_messages_per_minute_per_group(clock: Clock) -> None:
    limits = RateLimiter(clock=clock)
    for _ in range(20):
        assert limits.take(GROUP) == 0
        clock.now += 1.0  # the per-chat limit allows one a second
    assert limits.take(GROUP) == pytest.approx(40.0)  # the first of the 20 leaves the minute at 60 s
    assert limits.take(USER) == 0  # a private chat is not a group
    clock.now += 40.0
    assert limits.take(GROUP) == 0


def test_scaled_limits_keep_the_counts_and_shorten_the_periods(clock: Clock) -> None:
    limits = RateLimiter.scaled(10, clock=clock)
    assert limits.take(USER) == 0
    assert limits.take(USER) == pytest.approx(0.1)
    assert RateLimiter.unlimited().take(USER) == RateLimiter.unlimited().take(USER) == 0


async def test_direct_replies_count_against_the_limits_but_the_outboxs_own_sends_are_not_counted_twice(
    clock: Clock,
) -> None:
    from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

    from bot.ratelimit import CountReplies, outbox_send

    limits = RateLimiter(clock=clock)
    count = CountReplies(limits)

    async def telegram(bot: object, method: object) -> str:
        return "ok"

    answer: object = await count(telegram, None, SendMessage(chat_id=USER, text="card"))  # type: ignore[arg-type]
    assert answer == "ok"
    assert limits.wait(USER) == pytest.approx(1.0)  # the outbox now waits a second for this chat
    await count(telegram, None, AnswerCallbackQuery(callback_query_id="1"))  # type: ignore[arg-type]
    assert limits.bot_capacity() == 29  # only messages count
    clock.now += 1.0
    with outbox_send():  # the sender took its slot itself
        assert limits.take(OTHER_USER) == 0
        await count(telegram, None, SendMessage(chat_id=OTHER_USER, text="reminder"))  # type: ignore[arg-type]
    assert limits.bot_capacity() == 29
    for chat in range(29):
        await count(telegram, None, EditMessageText(chat_id=chat + 500, message_id=1, text="edit"))  # type: ignore[arg-type]
    assert limits.bot_capacity() == 0 and limits.bot_wait() > 0  # 30 in this second: the outbox holds back
