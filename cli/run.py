"""``leadcrm run``: everything in one process.

1. the database: DATABASE_URL, or the embedded PostgreSQL under DATA_DIR;
2. migrations (alembic upgrade head);
3. the REST API and the Telegram bot side by side. Without BOT_TOKEN the bot runs in the terminal
   sandbox against the bundled Telegram emulator (when stdin is a terminal), or is left off with a
   message (e.g. under Docker without a token).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from core.config import Settings
from core.storage.db import resolve_database_url
from core.storage.migrate import upgrade

log = logging.getLogger("leadcrm.run")


def run_all(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    if host:
        settings.api_host = host
    if port:
        settings.api_port = port
    url = resolve_database_url(settings)
    upgrade(url)
    if settings.bot_token is None and sys.stdin.isatty():
        from cli.sandbox import main as sandbox_main

        return sandbox_main(settings)
    return asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> int:
    from api.server import serve_async

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(serve_async(settings, settings.api_host, settings.api_port, stop), name="api")]
    if settings.bot_token is not None:
        from bot.app import run_bot

        tasks.append(asyncio.create_task(run_bot(settings, stop=stop), name="bot"))
    else:
        log.warning("BOT_TOKEN is not set and stdin is not a terminal: the bot is off, only the REST API runs")
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    for err in failed:
        log.error("%s", err)
    return 1 if failed else 0
