"""Fixtures for bot tests: the Telegram Bot API emulator and a runner for the real bot against it.

    async def test_start_greets(fake_tg, bot_runner, settings, services, committing_factory):
        await bot_runner(settings, services=services, session_factory=committing_factory)
        ann = fake_tg.user(101, "Ann")
        fake_tg.send_text(ann, "/start")
        await fake_tg.settle()
        assert "..." in fake_tg.last_message(ann.id).text

``bot_runner(settings, *, services=None, session_factory=None, bot=None, **bot_kwargs)`` starts
``bot.app.run_bot(settings, bot=..., session_factory=..., services=..., stop=...)`` in a task, returns a
``RunningBot`` (``.bot``, ``.task``, ``await .stop()``) once the bot long-polls the emulator, and stops it
(stop event, 10 s timeout) after the test. The Bot is ``bot.app.create_bot(settings)`` with
``settings.bot_token``/``telegram_api_url`` pointed at the emulator; pass ``bot=`` or Bot kwargs to
override. See sandbox/emulator for the emulator's API (send_text, press_button, wait_for, settle, messages,
fail, ...).

``tg`` is a ``tests.bot.support.Driver`` on ``fake_tg``: ``await tg.say(user, "/start")``,
``await tg.press(user, "Button")`` return once the bot has handled that update (``handled`` watches).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from bot.app import create_bot, run_bot
from sandbox.emulator import FakeTelegram
from sandbox.emulator.runner import RunningBot, start_bot
from sandbox.emulator.watch import HandledUpdates
from tests.bot.support import Driver


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot_runner(fake_tg: FakeTelegram) -> AsyncIterator[Callable[..., Awaitable[RunningBot]]]:
    running: list[RunningBot] = []

    async def start(settings: Any, **kwargs: Any) -> RunningBot:
        kwargs.setdefault("run", run_bot)
        kwargs.setdefault("create_bot", create_bot)
        runner = await start_bot(fake_tg, settings, **kwargs)
        running.append(runner)
        return runner

    yield start
    for runner in running:
        await runner.stop()


@pytest.fixture
def handled() -> Iterator[HandledUpdates]:
    watcher = HandledUpdates().install()
    yield watcher
    watcher.uninstall()


@pytest.fixture
def tg(fake_tg: FakeTelegram, handled: HandledUpdates) -> Driver:
    return Driver(fake_tg, handled)
