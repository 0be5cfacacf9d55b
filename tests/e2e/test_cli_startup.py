"""Start-up problems a person fixes outside the code end a `leadcrm` command with one line, never a traceback.

Each test runs the real console entry point in a child process (a fresh interpreter, the environment of
a newcomer: no .env, no DATABASE_URL or BOT_TOKEN unless the test sets them) and reads what it prints.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _leadcrm(tmp_path: Path, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BOT_TOKEN", "TELEGRAM_API_URL")}
    clean.update(DATA_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        check=False,
        cwd=tmp_path,  # no .env here
        env=clean,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_migrate_with_postgres_not_running_says_so_in_one_line(tmp_path) -> None:
    port = _closed_port()
    result = _leadcrm(tmp_path, "migrate", DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/leadcrm")
    assert result.returncode == 1
    assert _lines(result.stderr) == [
        (
            f"leadcrm: cannot reach PostgreSQL at 127.0.0.1:{port} (connection refused): is it running? "
            f"Check DATABASE_URL / PostgreSQL недоступен (127.0.0.1:{port}): запущен ли он? Проверьте DATABASE_URL"
        )
    ]
    assert result.stdout == ""


def test_migrate_into_a_database_that_does_not_exist_names_it(tmp_path, database_url) -> None:
    missing = make_url(database_url).set(database="leadcrm_no_such_db")
    url = missing.render_as_string(hide_password=False)
    result = _leadcrm(tmp_path, "migrate", DATABASE_URL=url)
    assert result.returncode == 1
    [line] = _lines(result.stderr)
    assert line.startswith('leadcrm: database "leadcrm_no_such_db" does not exist on ')
    assert "createdb leadcrm_no_such_db" in line
    assert "Traceback" not in result.stderr


def test_migrate_prints_one_line_and_no_alembic_chatter(tmp_path, database_url) -> None:
    result = _leadcrm(tmp_path, "migrate", DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "database migrated to head\n"
    assert "alembic" not in result.stderr
    assert "INFO" not in result.stderr


def test_run_without_a_terminal_names_its_log_and_stops_on_an_unreachable_database(tmp_path) -> None:
    port = _closed_port()
    result = _leadcrm(tmp_path, "run", DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/leadcrm")
    assert result.returncode == 1
    assert _lines(result.stdout) == [f"Lead AI CRM — logs / журнал: {tmp_path / 'var' / 'leadcrm.log'}"]
    [line] = _lines(result.stderr)
    assert line.startswith(f"leadcrm: cannot reach PostgreSQL at 127.0.0.1:{port}")
    assert (tmp_path / "var" / "leadcrm.log").exists()


def test_bot_retries_an_unreachable_telegram_with_backoff_then_gives_up_in_one_line(tmp_path, database_url) -> None:
    port = _closed_port()
    result = _leadcrm(
        tmp_path,
        "bot",
        DATABASE_URL=database_url,
        BOT_TOKEN="123456:TEST",
        TELEGRAM_API_URL=f"http://127.0.0.1:{port}",
        TELEGRAM_START_RETRY_SECONDS="4",
    )
    assert result.returncode == 1
    lines = _lines(result.stderr)
    retries = [line for line in lines if "retrying in" in line]
    assert len(retries) >= 2, result.stderr
    assert retries[0].startswith(f"Telegram Bot API at http://127.0.0.1:{port} is unreachable (")
    assert "retrying in 1 s" in retries[0] and "retrying in 2 s" in retries[1]  # the wait doubles
    assert lines[-1].startswith(f"leadcrm: Telegram Bot API at http://127.0.0.1:{port} did not answer for 4 s")
    assert len(lines) == len(retries) + 1  # nothing else: no traceback, no log lines
    assert "123456:TEST" not in result.stderr
