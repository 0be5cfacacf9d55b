"""Process-level tuning shared by the long-running entry points (the bot, the API server)."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Move everything alive after start-up (modules, aiogram/pydantic/SQLAlchemy classes and schemas, the
    dispatcher or the FastAPI app) to the garbage collector's permanent generation, so full collections no
    longer scan it. In bench/bot.py, freezing after the imports cut full-collection pauses from 2.4 s to 0.9 s
    per run and the bot's p99 from ~290 ms to ~150 ms; for the API the issue's measurement was POST × 1.36,
    p99 227 → 148 ms. Call it once per process, after start-up: frozen cyclic garbage is never collected."""
    gc.collect()
    gc.freeze()
