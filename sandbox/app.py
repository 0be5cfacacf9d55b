"""Run the sandbox: the local Bot API emulator, the bot polling it, optionally the REST API beside them, and
the terminal chat in front, until the user quits.

The product's parts come from the caller (``cli/sandbox.py`` assembles them): ``run_bot`` (``bot.app.run_bot``),
the database's ``session_factory`` for the bot and ``new_uow`` for the sandbox's own service calls, and
``serve_api``. The sandbox itself imports neither the bot nor the API, and no storage.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from core.config import Settings
from sandbox.chat import ChatRepl, Read, Write
from sandbox.demo import DemoUser, demo_settings, seed_demo_users
from sandbox.emulator import FakeTelegram
from sandbox.emulator.runner import RunBot, start_bot

ServeApi = Callable[[Settings, asyncio.Event], Coroutine[Any, Any, None]]  # serve(settings, stop) until stop is set
API_START_GRACE = 0.5  # seconds the API gets to fail (e.g. port in use) before the chat says it runs


async def run_sandbox(
    settings: Settings,
    *,
    read: Read,
    write: Write,
    run_bot: RunBot,
    session_factory: Any,
    new_uow: Callable[[], Any],
    serve_api: ServeApi | None = None,
    start_as: str = "manager",
) -> int:
    """Start the emulator, the bot (and the API), run the chat until quit; the database must be migrated.
    ``settings`` are not changed: the sandbox runs on a copy aimed at the demo group and the emulator."""
    settings = demo_settings(settings)
    fake = FakeTelegram()
    fake.state.files_dir = Path(settings.data_dir) / "sandbox-files"  # charts and exports, to open
    await fake.start()
    api_stop = asyncio.Event()
    api_task: asyncio.Task[None] | None = None
    running = None
    try:
        users = await seed_demo_users(new_uow)
        running = await start_bot(fake, settings, run=run_bot, session_factory=session_factory, make_bot=False)
        write(f"Telegram emulator: {fake.url} (bot @{fake.bot_username})")
        if serve_api is not None:
            api_task = await _start_api(serve_api, settings, api_stop, write)
            if api_task is not None:
                _board_links(settings, users, write)
        repl = ChatRepl(fake, read=read, write=write, users=users, start_as=start_as)
        return await repl.run()
    finally:
        api_stop.set()
        if api_task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(api_task, 10)
        if running is not None:
            try:
                await running.stop()
            except Exception as error:
                write(f"the bot did not stop cleanly: {error}")
        await fake.stop()


BOARD_LOGIN = "/app/api/dev-login?user_id={user_id}"  # the API's sandbox-only sign-in (api.board, dev_login)


def board_url(settings: Settings, user_id: int) -> str:
    """The local URL that opens the pipeline board in a browser as ``user_id`` (initData signed by the sandbox)."""
    return f"http://{settings.api_host}:{settings.api_port}" + BOARD_LOGIN.format(user_id=user_id)


def _board_links(settings: Settings, users: tuple[DemoUser, ...], write: Write) -> None:
    registered = [u for u in users if u.role is not None]
    write("Pipeline board (open in a browser) / доска воронки (откройте в браузере):")
    for user in registered:
        write(f"  {user.full_name} ({user.role}): {board_url(settings, user.user_id)}")


async def _start_api(
    serve_api: ServeApi, settings: Settings, stop: asyncio.Event, write: Write
) -> asyncio.Task[None] | None:
    task = asyncio.create_task(serve_api(settings, stop))
    await asyncio.sleep(API_START_GRACE)
    if task.done():
        error = task.exception()
        write(f"REST API not started: {error} (the chat works without it)")
        return None
    write(f"REST API: http://{settings.api_host}:{settings.api_port}/docs")
    return task
