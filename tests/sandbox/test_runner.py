"""The bot runner used by tests/bot and the sandbox: starts a run_bot-shaped coroutine and stops it cleanly."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.filters import CommandStart
from aiogram.types import Message as TgMessage

from core.config import Settings
from sandbox.emulator import FakeTelegram
from sandbox.emulator.runner import start_bot


async def tiny_run_bot(
    settings: Settings, *, bot: Any, session_factory: Any, services: Any, stop: asyncio.Event
) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: TgMessage) -> None:
        await message.answer(f"hello, token ends {settings.bot_token.get_secret_value()[-4:]}")

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    await stop.wait()
    await dp.stop_polling()
    await polling


async def test_runner_returns_once_the_bot_polls_and_stops_it_on_request(fake_tg: FakeTelegram) -> None:
    settings = Settings(_env_file=None)
    running = await start_bot(fake_tg, settings, run=tiny_run_bot)
    assert settings.telegram_api_url == fake_tg.url
    ann = fake_tg.user(11, "Ann")
    fake_tg.send_text(ann, "/start")
    await fake_tg.wait_for("sendMessage")
    assert fake_tg.last_message(11).text == "hello, token ends oken"
    await running.stop()
    assert running.task.done() and running.task.exception() is None


async def test_runner_reports_a_bot_that_crashes_before_polling(fake_tg: FakeTelegram) -> None:
    async def broken(settings: Settings, **kwargs: Any) -> None:
        raise ValueError("no token configured")

    with pytest.raises(RuntimeError, match="no token configured"):
        await start_bot(fake_tg, Settings(_env_file=None), run=broken)


async def test_runner_times_out_when_the_bot_never_polls(fake_tg: FakeTelegram) -> None:
    async def idle(settings: Settings, *, stop: asyncio.Event, **kwargs: Any) -> None:
        await stop.wait()

    with pytest.raises(TimeoutError, match="did not call getUpdates"):
        await start_bot(fake_tg, Settings(_env_file=None), run=idle, startup_timeout=0.3)
