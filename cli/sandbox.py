"""``leadcrm sandbox``: try the whole product in this terminal, without Telegram.

The CLI assembles the parts and hands them to the sandbox (``sandbox.app.run_sandbox``): the real bot
(``bot.app.run_bot``: dispatcher, database, outbox sender), the database (DATABASE_URL or the embedded
PostgreSQL, migrated here) and the REST API beside the chat. The sandbox starts the Bot API emulator, the bot
against it, and the terminal chat.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from cli import logs
from core.config import Settings
from sandbox.app import run_sandbox
from sandbox.chat import HELP, Read, Write
from sandbox.terminal import stdin_reader

log = logging.getLogger("leadcrm.sandbox")


def main(settings: Settings) -> int:
    """Entry point of ``leadcrm sandbox``."""
    print("Lead AI CRM sandbox — the bot in your terminal, no Telegram needed / песочница без Telegram")
    log_path = logs.to_file(Path(settings.data_dir) / "sandbox.log")  # before importing alembic (it logs on import)

    from cli.startup import StartupError, prepare_database
    from core.storage.migrate import upgrade

    print(f"Logs / журнал: {log_path}")
    print("Preparing the database… / готовим базу данных…", flush=True)
    try:
        settings = prepare_database(settings)  # DATABASE_URL, or the embedded server; one line if it cannot
        assert settings.database_url is not None
        database_url = settings.database_url
        upgrade(database_url)
    except StartupError as error:
        print(error)
        return 1
    except Exception as error:
        log.exception("sandbox: database preparation failed")
        print(f"Could not prepare the database / не удалось подготовить базу: {type(error).__name__}: {error}")
        print(f"Check DATABASE_URL / DATA_DIR; details in {log_path}")
        return 1
    print(HELP)
    try:
        return asyncio.run(run(settings, database_url, read=stdin_reader(), write=lambda text: print(text, flush=True)))
    except KeyboardInterrupt:
        print("\nbye / пока")
        return 0
    except Exception as error:
        log.exception("sandbox failed")
        print(f"The sandbox stopped / песочница остановилась: {type(error).__name__}: {str(error).splitlines()[0]}")
        print(f"Details / подробности: {log_path}")
        return 1


async def run(settings: Settings, database_url: str, *, read: Read, write: Write) -> int:
    """The sandbox on a migrated database, with the real bot and the REST API."""
    from bot.app import run_bot
    from core.storage.db import make_engine, make_session_factory
    from core.storage.uow import SqlUnitOfWork

    engine = make_engine(database_url, pool_size=settings.db_pool_size)
    session_factory = make_session_factory(engine)
    try:
        return await run_sandbox(
            settings,
            read=read,
            write=write,
            run_bot=run_bot,
            session_factory=session_factory,
            new_uow=lambda: SqlUnitOfWork(session_factory),
            serve_api=_serve_api,
        )
    finally:
        await engine.dispose()


async def _serve_api(settings: Settings, stop: asyncio.Event) -> None:
    from api.server import serve_async

    # dev_login: the board's sign-in for the demo users (initData signed with the emulator's token), sandbox only
    await serve_async(settings, settings.api_host, settings.api_port, stop, dev_login=True)
