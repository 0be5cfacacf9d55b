"""What a command needs before it starts: a reachable database and, for the bot, a reachable Telegram.

Each problem a person fixes outside the code (PostgreSQL not running, a database that does not exist, a
wrong password, Telegram out of reach) becomes a :class:`StartupError` with one line to print; ``cli.main``
prints it and exits non-zero. Errors not recognised here are bugs and keep their traceback.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cli.logs import redact
from core.config import Settings
from core.storage.db import EmbeddedPostgresFailed, EmbeddedPostgresMissing, with_database_url

log = logging.getLogger("leadcrm.startup")

CONNECT_TIMEOUT_SECONDS = 10.0
TELEGRAM_DEFAULT_URL = "https://api.telegram.org"


class StartupError(Exception):
    """A command cannot start; the message is one line for a person (English / Russian)."""


def prepare_database(settings: Settings) -> Settings:
    """Settings with a database URL that answers: DATABASE_URL, or the embedded server started under DATA_DIR."""
    try:
        settings = with_database_url(settings)
    except EmbeddedPostgresMissing:
        raise StartupError(
            "DATABASE_URL is not set and the embedded PostgreSQL is not installed: set DATABASE_URL or "
            "pip install 'lead-ai-crm[embedded]' / DATABASE_URL не задан, а встроенный PostgreSQL не установлен"
        ) from None
    except EmbeddedPostgresFailed as error:
        raise StartupError(_embedded_failed(error)) from error
    assert settings.database_url is not None
    asyncio.run(check_database(settings.database_url))
    return settings


async def check_database(url: str) -> None:
    """Open one connection to ``url``; raise :class:`StartupError` saying why that is impossible."""
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS})
    try:
        async with engine.connect():
            pass
    except (OSError, DBAPIError) as error:
        log.debug("database check failed", exc_info=True)
        raise StartupError(describe_database_error(error, url)) from error
    finally:
        await engine.dispose()


def describe_database_error(error: BaseException, url: str) -> str:
    """One line for a failed connection to ``url``: what happened, where, and what to check."""
    parsed = make_url(url)
    socket_dir = parsed.query.get("host")
    where = f"{parsed.host}:{parsed.port or 5432}" if parsed.host else f"socket {socket_dir}"
    database = parsed.database or ""
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None)
        detail = _first_line(error.orig or error)
        if sqlstate == "3D000":
            return (
                f'database "{database}" does not exist on {where}: create it (createdb {database}) or fix '
                f'DATABASE_URL / базы данных "{database}" нет на {where}: создайте её или исправьте DATABASE_URL'
            )
        if sqlstate in ("28000", "28P01"):
            return (
                f"PostgreSQL at {where} refused the login ({detail}): check the user and password in DATABASE_URL"
                f" / PostgreSQL отказал во входе: проверьте пользователя и пароль в DATABASE_URL"
            )
        return (
            f"PostgreSQL at {where} refused the connection ({detail}): check DATABASE_URL"
            f" / PostgreSQL отказал в подключении: проверьте DATABASE_URL"
        )
    if isinstance(error, socket.gaierror):
        reason = f"unknown host {parsed.host}"
    elif isinstance(error, TimeoutError):
        reason = f"no answer in {CONNECT_TIMEOUT_SECONDS:g} s"
    elif isinstance(error, ConnectionRefusedError):
        reason = "connection refused"
    else:
        reason = _first_line(error)
    return (
        f"cannot reach PostgreSQL at {where} ({reason}): is it running? Check DATABASE_URL"
        f" / PostgreSQL недоступен ({where}): запущен ли он? Проверьте DATABASE_URL"
    )


def _embedded_failed(error: EmbeddedPostgresFailed) -> str:
    pgdata = _shown(error.pgdata)
    if error.found_major:
        return (
            f"{pgdata} holds a PostgreSQL {error.found_major} database, the embedded server is PostgreSQL "
            f"{error.bundled_major}: move {pgdata} away (its data needs PostgreSQL {error.found_major} to dump) "
            f"/ в {pgdata} база PostgreSQL {error.found_major}, встроенный сервер — {error.bundled_major}: "
            f"перенесите {pgdata}"
        )
    return (
        f"the embedded PostgreSQL did not start; its log: {_shown(error.log_path)}"
        f" / встроенный PostgreSQL не запустился; журнал: {_shown(error.log_path)}"
    )


async def wait_for_telegram(settings: Settings, *, first_delay: float = 1.0, max_delay: float = 60.0) -> None:
    """Call getMe until Telegram answers, backing off between tries and saying so on stderr.

    Gives up with :class:`StartupError` after ``TELEGRAM_START_RETRY_SECONDS``. Any answer from Telegram
    (even "Unauthorized", which the bot reports itself) ends the wait."""
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramServerError
    from aiogram.utils.backoff import Backoff, BackoffConfig

    from bot.app import create_bot

    where = settings.telegram_api_url or TELEGRAM_DEFAULT_URL
    backoff = Backoff(BackoffConfig(min_delay=first_delay, max_delay=max_delay, factor=2.0, jitter=0.0))
    give_up_at = time.monotonic() + settings.telegram_start_retry_seconds
    bot = create_bot(settings)
    try:
        while True:
            try:
                await bot.get_me()
                return
            except (TelegramNetworkError, TelegramServerError) as error:
                log.debug("getMe failed", exc_info=True)
                reason = _first_line(error).removeprefix("HTTP Client says - ")  # aiogram's wrapper of aiohttp's
                delay = round(min(next(backoff), give_up_at - time.monotonic()), 1)
                if delay <= 0:
                    raise StartupError(
                        f"Telegram Bot API at {where} did not answer for {settings.telegram_start_retry_seconds:g} s "
                        f"({reason}): check the network or TELEGRAM_API_URL"
                        f" / Telegram недоступен ({where}): проверьте сеть или TELEGRAM_API_URL"
                    ) from error
                print(
                    f"Telegram Bot API at {where} is unreachable ({reason}); retrying in {delay:g} s"
                    f" / Telegram недоступен, повтор через {delay:g} с",
                    file=sys.stderr,
                    flush=True,
                )
                await asyncio.sleep(delay)
            except TelegramAPIError:  # any other answer (e.g. Unauthorized): Telegram is there; the bot words it
                return
    finally:
        await bot.session.close()


def _first_line(error: BaseException) -> str:
    text = redact(str(error)).strip()  # aiohttp's errors name the URL, and the URL holds the bot token
    return text.splitlines()[0] if text else type(error).__name__


def _shown(path: Path) -> str:
    """A path relative to the working directory when it lies under it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
