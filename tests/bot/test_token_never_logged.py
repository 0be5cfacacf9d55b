"""The bot token never reaches a log line: when the Bot API redirects, aiohttp's error names the request URL
(``…/bot<TOKEN>/getUpdates``) and aiogram logs it; ``cli.logs.REDACT`` (on every handler the product and this
test suite set up) takes it out of the message, its arguments and the traceback."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from cli import logs
from cli.startup import wait_for_telegram
from tests.bot.support import bot_settings

TOKEN = "7000001:AAH-a-realistic-secret_0123456789abcdef"  # the shape BotFather issues
REDIRECTS = 10  # aiohttp gives up on the 10th answer that redirects: one call fails with TooManyRedirects


@pytest.fixture
async def fake_tg():
    from sandbox.emulator import FakeTelegram

    fake = FakeTelegram(token=TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def log_file(tmp_path: Path):
    """A real log file on the root logger, set up as ``cli.logs`` sets up its handlers."""
    path = tmp_path / "leadcrm.log"
    handler = logs.guard(logging.FileHandler(path, encoding="utf-8"))
    handler.setFormatter(logging.Formatter(logs.FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    yield path
    root.removeHandler(handler)
    handler.close()


async def test_a_polling_error_that_names_the_url_is_logged_without_the_token(
    fake_tg, bot_runner, services, committing_factory, caplog, log_file
) -> None:
    caplog.set_level(logging.INFO)
    await bot_runner(bot_settings(), services=services, session_factory=committing_factory)
    fake_tg.fail("getUpdates", status=307, times=REDIRECTS)
    fake_tg.send_text(fake_tg.user(101, "Ann"), "/start")  # ends the long poll in flight: the next one fails
    for _ in range(100):  # aiogram logs the failed fetch, backs off ~1 s, then polls again
        if "Failed to fetch updates" in caplog.text:
            break
        await asyncio.sleep(0.05)
    logged = caplog.text + log_file.read_text(encoding="utf-8")
    assert "TooManyRedirects" in logged and "bot<redacted>/getUpdates" in logged  # the URL was logged...
    assert TOKEN not in logged  # ...without the token
    assert TOKEN.split(":")[1] not in logged


async def test_the_start_up_getme_failure_is_logged_and_printed_without_the_token(
    fake_tg, caplog, capsys, log_file
) -> None:
    caplog.set_level(logging.DEBUG, logger="leadcrm.startup")
    settings = bot_settings(bot_token=SecretStr(TOKEN), telegram_api_url=fake_tg.url)
    fake_tg.fail("getMe", status=307, times=REDIRECTS)
    await wait_for_telegram(settings, first_delay=0.1)
    printed = capsys.readouterr().err
    logged = caplog.text + log_file.read_text(encoding="utf-8")
    assert "getMe failed" in logged and "Traceback" in logged and "bot<redacted>/getMe" in logged
    assert "TooManyRedirects" in printed
    assert TOKEN not in logged and TOKEN not in printed


@pytest.mark.parametrize(
    ("message", "args"),
    [
        ("GET http://api.telegram.org/bot%s/getMe failed", (TOKEN,)),
        ("token is %s", (TOKEN,)),
        ("%s", (RuntimeError(f"url='http://x/bot{TOKEN}/getUpdates'"),)),
        (f"literal http://x/bot{TOKEN}/sendMessage", ()),
        ("%(url)s", ({"url": f"https://x/bot{TOKEN}/getUpdates"},)),
    ],
)
def test_the_filter_takes_the_token_out_of_messages_and_arguments(message, args) -> None:
    record = logging.LogRecord("aiogram", logging.ERROR, __file__, 1, message, args, None)
    assert logs.RedactSecrets().filter(record)
    assert TOKEN not in record.getMessage() and "<redacted>" in record.getMessage()


def test_the_filter_takes_the_token_out_of_the_traceback_and_any_configured_secret() -> None:
    try:
        raise ConnectionError(f"Cannot connect: url='https://api.telegram.org/bot{TOKEN}/getMe'")
    except ConnectionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("aiogram", logging.ERROR, __file__, 1, "boom %s", ("short-secret",), exc_info)
    redact = logs.RedactSecrets(["short-secret"])
    redact.filter(record)
    text = logging.Formatter(logs.FORMAT).format(record)
    assert "ConnectionError" in text and "Traceback" in text
    assert TOKEN not in text and "short-secret" not in text


def test_uvicorn_s_access_log_arguments_still_format() -> None:
    from uvicorn.logging import AccessFormatter

    args = ("127.0.0.1:5000", "GET", "/leads?limit=5", "1.1", 200)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None)
    logs.RedactSecrets().filter(record)
    assert "GET /leads?limit=5 HTTP/1.1" in AccessFormatter(use_colors=False).format(record)


def test_every_handler_cli_logs_configures_redacts(tmp_path: Path) -> None:
    from uvicorn.config import LOGGING_CONFIG

    root = logging.getLogger()
    before = list(root.handlers)
    try:
        logs.configure(verbose=False)
        assert all(logs.REDACT in handler.filters for handler in root.handlers)
        assert all("redact" in handler["filters"] for handler in LOGGING_CONFIG["handlers"].values())
    finally:
        for handler in root.handlers:
            if handler not in before:
                root.removeHandler(handler)
