"""Run a bot against a FakeTelegram: used by tests/bot and the sandbox.

The bot comes from the caller (``run``: a coroutine function shaped like ``bot.app.run_bot``; ``create_bot``:
like ``bot.app.create_bot``), so the emulator does not depend on the bot package."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from sandbox.emulator.server import FakeTelegram

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


RunBot = Callable[..., Coroutine[Any, Any, None]]  # run(settings, *, bot, session_factory, services, stop)


async def start_bot(
    fake: FakeTelegram,
    settings: Any,
    *,
    run: RunBot,
    services: Any = None,
    session_factory: Any = None,
    bot: Any = None,
    create_bot: Callable[[Any], Any] | None = None,
    startup_timeout: float = 30.0,  # a bound, not a speed check: a loaded machine may take a while
    make_bot: bool = True,
    ready_method: str = "getUpdates",
    **bot_kwargs: Any,
) -> RunningBot:
    """Start ``run(settings, bot=..., session_factory=..., services=..., stop=...)`` in a task and return once
    it long-polls the emulator (a getUpdates call arrived; ``ready_method="setWebhook"`` for webhook mode).

    ``settings.bot_token`` / ``settings.telegram_api_url`` are pointed at the emulator first. Unless ``bot``
    is given, the Bot is ``create_bot(settings)`` (e.g. the production one, now aimed at the emulator), or,
    with ``bot_kwargs`` or without ``create_bot``, ``fake.make_bot(**bot_kwargs)``; it is closed on stop.
    ``make_bot=False`` passes ``bot=None`` so ``run`` builds its own Bot from the settings (the production
    path: BOT_TOKEN + TELEGRAM_API_URL).
    """
    settings.bot_token = SecretStr(fake.token)
    settings.telegram_api_url = fake.url
    owns_bot = bot is None and make_bot
    if owns_bot:
        bot = create_bot(settings) if create_bot is not None and not bot_kwargs else fake.make_bot(**bot_kwargs)
    stop_event = asyncio.Event()
    after = len(fake.calls) - 1
    task = asyncio.create_task(
        run(settings, bot=bot, session_factory=session_factory, services=services, stop=stop_event),
        name="run_bot",
    )
    polling = asyncio.create_task(fake.wait_for(ready_method, after=after, timeout=startup_timeout, finished=False))
    done, _ = await asyncio.wait({task, polling}, return_when=asyncio.FIRST_COMPLETED)
    if polling in done and polling.exception() is None:
        return RunningBot(bot=bot, task=task, stop_event=stop_event, owns_bot=owns_bot)
    polling.cancel()
    stop_event.set()
    if task not in done:
        task.cancel()
    error: tuple[object, ...] = ()
    with contextlib.suppress(asyncio.CancelledError):
        error = await asyncio.gather(task, return_exceptions=True)
    if owns_bot:
        await bot.session.close()
    if polling in done and polling.exception() is not None:
        raise TimeoutError(f"run_bot did not call {ready_method} within {startup_timeout}s\n{fake.dump()}")
    failure = error[0] if error and isinstance(error[0], BaseException) else None
    raise RuntimeError(f"run_bot ended before polling: {failure!r}\n{fake.dump()}") from failure
