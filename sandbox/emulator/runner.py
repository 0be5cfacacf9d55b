"""Run the real bot (``bot.app.run_bot``) against a FakeTelegram: used by tests/bot and the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from bot.emulator.server import FakeTelegram

log = logging.getLogger(__name__)


@dataclass
class RunningBot:
    """A ``run_bot`` task polling the emulator. ``await stop()`` sets the stop event and waits for it."""

    bot: Any
    task: asyncio.Task[None]
    stop_event: asyncio.Event
    owns_bot: bool = True
    _stopped: bool = field(default=False, repr=False)

    async def stop(self, timeout: float = 10.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.stop_event.set()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout)
        except TimeoutError:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            raise TimeoutError(f"run_bot did not stop within {timeout}s after the stop event was set") from None
        finally:
            if self.owns_bot:
                await self.bot.session.close()


async def start_bot(
    fake: FakeTelegram,
    settings: Any,
    *,
    services: Any = None,
    session_factory: Any = None,
    bot: Any = None,
    startup_timeout: float = 10.0,
    run: Callable[..., Awaitable[None]] | None = None,
    make_bot: bool = True,
    **bot_kwargs: Any,
) -> RunningBot:
    """Start ``bot.app.run_bot(settings, bot=..., session_factory=..., services=..., stop=...)`` in a task
    and return once it long-polls the emulator (a getUpdates call arrived).

    ``settings.bot_token`` / ``settings.telegram_api_url`` are pointed at the emulator first. Unless ``bot``
    is given, the Bot is ``bot.app.create_bot(settings)`` (the production one, now aimed at the emulator),
    or, with ``bot_kwargs``, ``fake.make_bot(**bot_kwargs)``; it is closed on stop. ``run`` replaces
    ``bot.app.run_bot`` (same signature). ``make_bot=False`` passes ``bot=None`` so ``run_bot`` builds its
    own Bot from the settings (the production path: BOT_TOKEN + TELEGRAM_API_URL).
    """
    if run is None:
        from bot.app import run_bot as run

    settings.bot_token = SecretStr(fake.token)
    settings.telegram_api_url = fake.url
    owns_bot = bot is None and make_bot
    if owns_bot:
        bot = _app_bot(settings) if not bot_kwargs else None
        bot = bot or fake.make_bot(**bot_kwargs)
    stop_event = asyncio.Event()
    after = len(fake.calls) - 1
    task = asyncio.create_task(
        run(settings, bot=bot, session_factory=session_factory, services=services, stop=stop_event),
        name="run_bot",
    )
    polling = asyncio.create_task(fake.wait_for("getUpdates", after=after, timeout=startup_timeout, finished=False))
    done, _ = await asyncio.wait({task, polling}, return_when=asyncio.FIRST_COMPLETED)
    if polling in done and polling.exception() is None:
        return RunningBot(bot=bot, task=task, stop_event=stop_event, owns_bot=owns_bot)
    polling.cancel()
    stop_event.set()
    if task not in done:
        task.cancel()
    error: list[Any] = []
    with contextlib.suppress(asyncio.CancelledError):
        error = await asyncio.gather(task, return_exceptions=True)
    if owns_bot:
        await bot.session.close()
    if polling in done and polling.exception() is not None:
        raise TimeoutError(f"run_bot did not start polling within {startup_timeout}s\n{fake.dump()}")
    failure = error[0] if error and isinstance(error[0], BaseException) else None
    raise RuntimeError(f"run_bot ended before polling: {failure!r}\n{fake.dump()}") from failure


def _app_bot(settings: Any) -> Any:
    try:
        from bot.app import create_bot
    except ImportError:
        return None
    return create_bot(settings)
