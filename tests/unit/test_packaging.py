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


def test_compose_takes_the_database_password_from_env_and_hard_codes_none() -> None:
    services = _compose()["services"]
    assert services["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name, service in services.items():
        url = (service.get("environment") or {}).get("DATABASE_URL")
        if url is not None:
            assert "postgres:${POSTGRES_PASSWORD:?" in url, f"{name}: {url}"
    assert "POSTGRES_PASSWORD=" in (ROOT / ".env.example").read_text()


def test_every_published_port_is_bound_to_localhost() -> None:
    for name, service in _compose()["services"].items():
        for port in service.get("ports") or ():
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port} is published on every interface"


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy() -> None:
    for name, service in _compose()["services"].items():
        if name == "migrate":
            assert service["restart"] == "no"  # once per `up`; api and the bots wait for it to finish
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") in ("unless-stopped", "always"), f"{name} has no restart policy"


def test_webhook_profile_runs_two_bot_replicas_behind_the_proxy_on_the_port_they_listen_on() -> None:
    services = _compose()["services"]
    bot, proxy = services["bot"], services["webhook-proxy"]
    assert bot["profiles"] == ["webhook"] and proxy["profiles"] == ["webhook"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["command"][1:] == ["bot", "--webhook"]
    assert build_parser().parse_args(bot["command"][1:]).webhook is True
    env = bot["environment"]
    assert env["REDIS_URL"].startswith("redis://redis:")  # FSM and flood limits shared by the replicas
    assert env["WEBHOOK_HOST"] == "0.0.0.0"
    port = env["WEBHOOK_PORT"]
    assert f"127.0.0.1:{port}/health" in " ".join(bot["healthcheck"]["test"])
    mounted = [v.split(":")[0] for v in proxy["volumes"]]
    config = (ROOT / mounted[0]).read_text()
    assert f"http://bot:{port}" in config and "resolver 127.0.0.11" in config  # every replica, re-resolved
    for module in ("app.py", "inbox.py", "inbox_workers.py", "telegram_webhook.py"):
        code = (ROOT / "bot" / module).read_text().lower()
        assert "delete_webhook(" not in code and "deletewebhook(" not in code, module  # a deploy keeps the webhook


def test_polling_profile_runs_one_bot_by_long_polling() -> None:
    services = _compose()["services"]
    polling = [s for s in services.values() if "polling" in s.get("profiles", ()) and "command" in s]
    assert [s["command"] for s in polling] == [["leadcrm", "bot"]]
    assert "deploy" not in polling[0]  # Telegram refuses a second getUpdates


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
