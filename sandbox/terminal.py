"""The sandbox's terminal: lines read from stdin without blocking the event loop, and log lines kept out of
the chat (they go to a file)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path

from sandbox.chat import Read


def stdin_reader() -> Read:
    """input() in a daemon thread, so Ctrl-C / exit never waits for a pending read."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - line editing and history for input()

    async def read(prompt: str) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def worker() -> None:
            try:
                line: str | None = input(prompt)
            except EOFError:
                line = None
            except KeyboardInterrupt:
                line = None

            def deliver() -> None:
                if not future.done():
                    future.set_result(line)

            loop.call_soon_threadsafe(deliver)

        threading.Thread(target=worker, daemon=True, name="sandbox-input").start()
        return await future

    return read


def log_to_file(data_dir: str | Path) -> Path:
    """Keep log lines out of the chat: they go to DATA_DIR/sandbox.log."""
    path = Path(data_dir) / "sandbox.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    logging.captureWarnings(True)  # library warnings (e.g. from the embedded PostgreSQL) to the file too
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return path
