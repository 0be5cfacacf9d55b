"""The sandbox's terminal: lines read from stdin without blocking the event loop (log lines are kept out of
the chat by ``cli.logs.to_file``)."""

from __future__ import annotations

import asyncio
import contextlib
import threading

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
