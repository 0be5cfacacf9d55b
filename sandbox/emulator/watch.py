"""Know when the Dispatcher has finished an update: aiogram logs "Update id=N is handled" (or
"not handled") on the ``aiogram.event`` logger at INFO when it is done, errors included."""

from __future__ import annotations

import asyncio
import logging
import time


class HandledUpdates(logging.Handler):
    """Collects the ids of updates the Dispatcher finished. ``install()`` / ``uninstall()`` around use."""

    LOGGER = "aiogram.event"

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.done: set[int] = set()
        self._changed = asyncio.Event()
        self._old_level: int | None = None

    def install(self) -> HandledUpdates:
        logger = logging.getLogger(self.LOGGER)
        self._old_level = logger.level
        if not logger.isEnabledFor(logging.INFO):
            logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return self

    def uninstall(self) -> None:
        logger = logging.getLogger(self.LOGGER)
        logger.removeHandler(self)
        if self._old_level is not None:
            logger.setLevel(self._old_level)

    def emit(self, record: logging.LogRecord) -> None:
        if not (isinstance(record.msg, str) and record.msg.startswith("Update id=")):
            return
        # aiogram logs ``"Update id=%s is handled. ..." % (update_id, ...)``: the id is the first argument
        update_id = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if isinstance(update_id, int | str):
            try:
                self.done.add(int(update_id))
            except ValueError:
                return
            self._changed.set()
            self._changed = asyncio.Event()

    async def wait(self, update_id: int, timeout: float = 10.0) -> bool:
        """True once update ``update_id`` was finished; False on timeout."""
        deadline = time.monotonic() + timeout
        while update_id not in self.done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                return update_id in self.done
        return True
