"""Telegram's side of a webhook, with a load balancer in front of the bot's replicas.

``WebhookPusher(fake, targets, secret)`` POSTs each queued update (``FakeTelegram``'s users act as usual) to
the targets in turn, with ``X-Telegram-Bot-Api-Secret-Token``, as Telegram posts to one URL behind which a load
balancer picks a replica. An update leaves the queue when a target answers 2xx; any other answer, a refused
connection or a timeout, and it is posted again after ``retry_delay`` (to the next target), as Telegram
redelivers. One update of a chat is in flight at a time, the chat's later ones wait behind it, and at most
``max_connections`` posts run at once (Telegram's ``max_connections``, 40 by default).

The counts (``answers`` by status, ``posted``) let tests say what was refused and what was redelivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import Counter
from typing import Any

import aiohttp

from sandbox.emulator.server import FakeTelegram
from sandbox.emulator.state import QueuedUpdate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def update_chat(update: dict[str, Any]) -> object:
    """The chat whose order an update keeps (a button's message's chat, else the sender), else the update itself."""
    for name, event in update.items():
        if name == "update_id" or not isinstance(event, dict):
            continue
        for holder in (event, event.get("message")):
            if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                return holder["chat"].get("id")
        if isinstance(event.get("from"), dict):
            return event["from"].get("id")
    return ("update", update.get("update_id"))


class WebhookPusher:
    def __init__(
        self,
        fake: FakeTelegram,
        targets: list[str],
        secret: str,
        *,
        max_connections: int = 40,
        retry_delay: float = 0.2,
        timeout: float = 10.0,
    ) -> None:
        self.fake = fake
        self.targets = list(targets)
        self.secret = secret
        self.max_connections = max_connections
        self.retry_delay = retry_delay
        self.timeout = timeout
        self.answers: Counter[int | str] = Counter()  # HTTP status, or "error" (refused, reset, timed out)
        self.posted = 0
        self._turn = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._loop = asyncio.create_task(self._run(), name="webhook-pusher")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> WebhookPusher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def waiting(self) -> int:
        """Updates not yet acknowledged by a replica."""
        return len(self.fake.state.queue)

    async def _run(self) -> None:
        state = self.fake.state
        while True:
            changed = state.changed
            busy = {update_chat(q.update) for q in state.queue if q.delivered}  # in flight
            for queued in list(state.queue):
                if len(self._tasks) >= self.max_connections:
                    break
                chat = update_chat(queued.update)
                if queued.delivered or chat in busy:
                    continue
                busy.add(chat)  # the chat's later updates wait behind this one
                queued.delivered = True
                task = asyncio.create_task(self._deliver(queued))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), 0.05)

    async def _deliver(self, queued: QueuedUpdate) -> None:
        assert self._session is not None
        while True:
            target = self.targets[next(self._turn) % len(self.targets)]
            self.posted += 1
            try:
                async with self._session.post(
                    target, json=queued.update, headers={SECRET_HEADER: self.secret}
                ) as response:
                    status: int | str = response.status
            except (aiohttp.ClientError, TimeoutError, OSError):
                status = "error"
            self.answers[status] += 1
            if isinstance(status, int) and 200 <= status < 300:
                with contextlib.suppress(ValueError):
                    self.fake.state.queue.remove(queued)
                self.fake.state.notify()
                return
            await asyncio.sleep(self.retry_delay)
