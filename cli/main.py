"""``leadcrm`` console script. Each subcommand imports only what it needs."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from cli import logs
from cli.startup import StartupError
from core.config import LogSettings, Settings


class ConfigError(Exception):
    """A setting from the environment or .env has a value the product cannot use."""


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'_'.join(str(part) for part in e['loc']).upper() or 'settings'}: {e['msg']}" for e in error.errors()
        )
        raise ConfigError(f"configuration error: {problems}") from None
    if settings.bot_token is not None:
        logs.REDACT.add(settings.bot_token.get_secret_value())  # never in a log line, wherever it shows up
    if settings.webhook_secret is not None:
        logs.REDACT.add(settings.webhook_secret.get_secret_value())
    return settings


def cmd_migrate(args: argparse.Namespace) -> int:
    from cli.startup import prepare_database
    from core.storage.migrate import upgrade

    settings = prepare_database(_settings())
    assert settings.database_url is not None
    upgrade(settings.database_url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def cmd_api_key(args: argparse.Namespace) -> int:
    from cli.api_keys import run
    from cli.startup import prepare_database

    return asyncio.run(run(prepare_database(_settings()), args))


def cmd_webhook(args: argparse.Namespace) -> int:
    from cli.startup import prepare_database
    from cli.webhooks import run

    return asyncio.run(run(prepare_database(_settings()), args))


def cmd_api(args: argparse.Namespace) -> int:
    from api.server import serve

    return serve(_settings(), host=args.host, port=args.port)


def cmd_bot(args: argparse.Namespace) -> int:
    from bot.app import run_polling_cli
    from cli.startup import prepare_database, wait_for_telegram

    settings = _settings()
    if args.webhook:
        settings.bot_mode = "webhook"
    if settings.bot_mode == "webhook":
        from bot.app import BotStartError, check_webhook_settings

        try:
            check_webhook_settings(settings)  # before the database and Telegram are waited for
        except BotStartError as error:
            print(f"leadcrm: configuration error: {error}", file=sys.stderr)
            return 2
    if settings.bot_token is not None:  # without one, run_polling_cli says how to get one
        settings = prepare_database(settings)
        asyncio.run(wait_for_telegram(settings))
    return run_polling_cli(settings)


def cmd_sandbox(args: argparse.Namespace) -> int:
    from cli.sandbox import main as sandbox_main

    return sandbox_main(_settings())


def cmd_run(args: argparse.Namespace) -> int:
    from cli.run import run_all

    return run_all(_settings(), host=args.host, port=args.port)


def cmd_ml(args: argparse.Namespace) -> int:
    from cli.ml import run
    from cli.startup import prepare_database

    return run(prepare_database(_settings()), args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadcrm", description="Lead AI CRM: Telegram bot, REST API and AI scorer")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("run", help="run everything: migrations, REST API and the bot (sandbox without BOT_TOKEN)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("api", help="run the REST API (uvicorn)")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(func=cmd_api)

    p = sub.add_parser("bot", help="run the Telegram bot: long polling, or --webhook (needs BOT_TOKEN)")
    p.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by Telegram's webhook (as BOT_MODE=webhook; needs WEBHOOK_URL, WEBHOOK_SECRET)",
    )
    p.set_defaults(func=cmd_bot)

    p = sub.add_parser("sandbox", help="try the bot in this terminal against a local Telegram emulator")
    p.set_defaults(func=cmd_sandbox)

    p = sub.add_parser("api-key", help="manage API keys for integrations")
    keys = p.add_subparsers(dest="action", required=True)
    k = keys.add_parser("create", help="create a key and print it once")
    k.add_argument("name")
    k.add_argument("--source", help="the only lead source this key may create (partner, scanner, manual, …)")
    keys.add_parser("list", help="list keys (never the secrets)")
    k = keys.add_parser("revoke", help="revoke a key by name")
    k.add_argument("name")
    p.set_defaults(func=cmd_api_key)

    p = sub.add_parser("webhook", help="manage outbound webhooks (signed event deliveries)")
    hooks = p.add_subparsers(dest="action", required=True)
    h = hooks.add_parser("add", help="register a URL and print its signing secret once")
    h.add_argument("url")
    h.add_argument(
        "--events",
        required=True,
        help="comma-separated: lead.created,lead.stage_changed,lead.transferred,lead.merged,sale.stage_changed",
    )
    hooks.add_parser("list", help="list webhooks (never the secrets)")
    for action in ("remove", "rotate-secret"):
        h = hooks.add_parser(action, help=f"{action.replace('-', ' ')} a webhook by id")
        h.add_argument("id", type=int)
    p.set_defaults(func=cmd_webhook)

    p = sub.add_parser("import", help="import historical leads from CSV with a TOML mapping")
    p.add_argument("file")
    p.add_argument("--mapping", required=True)
    p.set_defaults(func=cmd_ml, ml_action="import")

    p = sub.add_parser("train", help="train the learned scorer on closed leads")
    p.set_defaults(func=cmd_ml, ml_action="train")

    p = sub.add_parser("rescore", help="re-score all open leads with the active scorer")
    p.set_defaults(func=cmd_ml, ml_action="rescore")

    p = sub.add_parser("model", help="show the active scoring model and its metrics")
    p.set_defaults(func=cmd_ml, ml_action="model")
    return parser


def _json_logs() -> bool:
    """LOG_FORMAT=json; an unreadable value falls back to text here and is reported by the command's Settings."""
    try:
        return LogSettings().log_format == "json"
    except ValidationError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(verbose=args.verbose, as_json=_json_logs())
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ConfigError as error:
        print(f"leadcrm: {error}", file=sys.stderr)
        return 2
    except StartupError as error:  # the database or Telegram is out of reach: one line, details in the log
        logging.getLogger("leadcrm").debug("start-up failed", exc_info=True)
        print(f"leadcrm: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
