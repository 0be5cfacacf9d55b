"""``leadcrm run``: everything in one process.

1. the database: DATABASE_URL, or the embedded PostgreSQL under DATA_DIR;
2. migrations (alembic upgrade head);
3. the REST API and the Telegram bot side by side. Without BOT_TOKEN the bot runs in the terminal
   sandbox against the bundled Telegram emulator (when stdin is a terminal; the sandbox prepares the
   database itself and names its own log file), or is left off with a message (e.g. under Docker without
   a token).

The terminal shows a banner naming the log file (DATA_DIR/leadcrm.log) and the lines a person acts on;
everything else goes to that file.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from cli import logs
from cli.startup import StartupError, prepare_database, wait_for_telegram
from core.config import Settings
from core.storage.migrate import upgrade

log = logging.getLogger("leadcrm.run")


def run_all(settings: Settings, *, host: str | None = None, port: int | None = None) -> int:
    address = {key: value for key, value in (("api_host", host), ("api_port", port)) if value}
    settings = settings.model_copy(update=address)
    if settings.bot_token is None and sys.stdin.isatty():
        from cli.sandbox import main as sandbox_main

        return sandbox_main(settings)
    log_path = logs.to_file(Path(settings.data_dir) / "leadcrm.log")
    print(f"Lead AI CRM — logs / журнал: {log_path}", flush=True)
    settings = prepare_database(settings)
    assert settings.database_url is not None
    upgrade(settings.database_url)
    print(f"REST API: http://{settings.api_host}:{settings.api_port}/docs", flush=True)
    return asyncio.run(_serve(settings))


async def _bot(settings: Settings, stop: asyncio.Event) -> None:
    from bot.app import run_bot

    await wait_for_telegram(settings)
    await run_bot(settings, stop=stop)


async def _serve(settings: Settings) -> int:
    from api.server import serve_async

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(serve_async(settings, settings.api_host, settings.api_port, stop), name="api")]
    if settings.bot_token is not None:
        tasks.append(asyncio.create_task(_bot(settings, stop), name="bot"))
    else:
        print("BOT_TOKEN is not set and stdin is not a terminal: the bot is off, only the REST API runs", flush=True)
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    for err in failed:
        log.error("stopped by an error", exc_info=err)
    if not failed:
        return 0
    if isinstance(failed[0], StartupError):
        raise failed[0]  # cli.main prints its one line
    first_line = (str(failed[0]).strip() or type(failed[0]).__name__).splitlines()[0]
    print(f"leadcrm: stopped: {first_line} (details in the log)", file=sys.stderr)
    return 1
