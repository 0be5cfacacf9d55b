"""Dockerfile and docker-compose.yml can't be run here (no Docker engine); check they match the code."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import yaml

from cli.main import build_parser
from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def _subcommands() -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_parses_and_has_db_migrate_and_api() -> None:
    services = _compose()["services"]
    assert {"db", "migrate", "api"} <= set(services)
    assert services["db"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_every_compose_command_is_a_leadcrm_subcommand() -> None:
    commands = _subcommands()
    for name, service in _compose()["services"].items():
        if "build" not in service:
            continue
        cmd = service["command"]
        assert cmd[0] == "leadcrm", name
        assert cmd[1] in commands, f"{name}: leadcrm {cmd[1]} does not exist"
        build_parser().parse_args(cmd[1:])  # the arguments parse too


def test_compose_environment_names_only_real_settings() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for name, service in _compose()["services"].items():
        for var in service.get("environment") or {}:
            if not var.startswith("POSTGRES_"):
                assert var in fields, f"{name}: {var} is not a setting"


def test_compose_database_url_points_at_the_db_service() -> None:
    env = _compose()["services"]["api"]["environment"]
    assert "@db:5432/lead_ai_crm" in env["DATABASE_URL"]
    assert Settings(database_url=env["DATABASE_URL"]).database_url.startswith("postgresql+asyncpg://")


def test_dockerfile_uses_python_312_slim_runs_as_non_root_and_copies_every_package() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.12-slim\b", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for pkg in packages:
        top = pkg.rstrip("*")
        assert re.search(rf"^COPY {top} \./{top}$", text, re.MULTILINE), f"Dockerfile does not copy {top}/"
    for path in re.findall(r"^COPY (\S+) ", text, re.MULTILINE):
        for part in path.split():
            assert (ROOT / part).exists(), f"Dockerfile copies missing {part}"
    assert 'CMD ["leadcrm"' in text


def test_console_script_points_at_the_cli() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["leadcrm"] == "cli.main:main"
