"""Webhook mode's workers: every replica applies the stored updates, each exactly once, in order per chat.

A pass leases free chat heads (``core.services.inbox.lease``: the oldest pending update of each chat, locked
``FOR UPDATE SKIP LOCKED`` and leased to this replica until ``lease_until``) and applies each in a task of its
own through the same path as polling (``Inbox.apply_until_done``: the real Dispatcher, the update's unit of work
marks it done with its change). A chat's next update becomes a head only when the earlier one is done, so two
replicas never apply one chat's updates at once or out of order. Passes run when this replica stored an update
(``wake``), when an update in hand is done (its chat may have a next one), and every ``poll_interval`` (updates
the other replicas stored, leases that expired). Leases in hand are renewed every third of their length.

A replica killed mid-batch leaves its leases; they expire after ``lease_seconds`` and another replica takes
the updates over (counted: ``leadcrm_inbox_leases_taken_over``). An update whose lease expired while it was
still being applied is not applied twice: the replica taking it over waits on the first one's row lock in
``claim`` and then finds it done.

``run(stop)``: after ``stop`` no lease is taken, the updates in hand are finished (up to ``drain_timeout``), and
the leases of any not done are given back so another replica takes them at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable

from aiogram.utils.backoff import Backoff
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.inbox import DATABASE_BACKOFF, pause
from bot.middlewares.db import database_unavailable
from core import metrics
from core.services import inbox as inbox_svc
from core.services.ports import ReceivedUpdate
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


def worker_name() -> str:
    """This replica's name in ``inbox.leased_by``: host, process and a random part (a restart is a new worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class InboxWorkers:
    """Lease and apply stored updates until stopped (see the module docstring)."""

    def __init__(
        self,
        apply: Callable[[ReceivedUpdate], Awaitable[None]],
        session_factory: async_sessionmaker[AsyncSession],
        *,
        concurrency: int,
        lease_seconds: float,
        poll_interval: float,
        drain_timeout: float = 10.0,
        name: str | None = None,
    ) -> None:
        self._apply = apply
        self.session_factory = session_factory
        self.concurrency = max(1, concurrency)
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.drain_timeout = drain_timeout
        self.name = name or worker_name()
        self._wake = asyncio.Event()
        self._in_hand: dict[int, asyncio.Task[None]] = {}
        self._database_down = False

    def wake(self) -> None:
        """Look for work now (this replica stored an update)."""
        self._wake.set()

    @property
    def in_hand(self) -> int:
        return len(self._in_hand)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(DATABASE_BACKOFF)
        renew_every = self.lease_seconds / 3
        renewed_at = time.monotonic()
        try:
            while not stop.is_set():
                self._wake.clear()  # a wake from here on asks for another pass
                try:
                    await self._lease()
                    if time.monotonic() - renewed_at >= renew_every:
                        renewed_at = time.monotonic()
                        await self._renew()
                except Exception as error:
                    if not database_unavailable(error):
                        raise
                    self._went_down(error)
                    if not await pause(backoff, stop):
                        break
                    continue
                if self._database_down:
                    self._database_down = False
                    backoff.reset()
                    log.info("inbox workers: database available again")
                await self._idle(stop)
        finally:
            await self._drain()

    async def _lease(self) -> None:
        free = self.concurrency - len(self._in_hand)
        if free <= 0:
            return
        leased = await inbox_svc.lease(
            SqlUnitOfWork(self.session_factory), self.name, limit=free, lease_seconds=self.lease_seconds
        )
        if not leased.updates:
            return
        metrics.INBOX_LEASES.inc(len(leased.updates))
        if leased.taken_over:
            metrics.INBOX_LEASES_TAKEN_OVER.inc(leased.taken_over)
            log.info("took over %d updates whose lease had expired", leased.taken_over)
        for update in leased.updates:
            self._in_hand[update.update_id] = asyncio.create_task(
                self._run_one(update), name=f"inbox:{update.update_id}"
            )
        if len(leased.updates) == free:
            self._wake.set()  # there may be more; look again once a slot frees

    async def _run_one(self, update: ReceivedUpdate) -> None:
        try:
            await self._apply(update)
        except Exception:  # a bug in applying: logged; the lease expires and the update is tried again
            log.exception("update %s could not be applied", update.update_id)
        finally:
            self._in_hand.pop(update.update_id, None)
            self._wake.set()  # the chat's next update may be due now

    async def _renew(self) -> None:
        if self._in_hand:
            await inbox_svc.renew(
                SqlUnitOfWork(self.session_factory), self.name, list(self._in_hand), lease_seconds=self.lease_seconds
            )

    async def _idle(self, stop: asyncio.Event) -> None:
        """Until woken, stopped, or ``poll_interval`` passed (while every slot is busy: until one frees)."""
        waits = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
        try:
            await asyncio.wait(waits, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _drain(self) -> None:
        tasks = list(self._in_hand.values())
        if tasks:
            log.info("draining: finishing %d updates in hand", len(tasks))
            _, late = await asyncio.wait(tasks, timeout=self.drain_timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        try:
            released = await inbox_svc.release(SqlUnitOfWork(self.session_factory), self.name)
        except Exception as error:
            if not database_unavailable(error):
                raise
            log.warning("could not give back the leases (database unavailable): they expire instead")
            return
        if released:
            metrics.INBOX_LEASES_RELEASED.inc(released)
            log.info("gave back %d leased updates not applied", released)

    def _went_down(self, error: BaseException) -> None:
        if not self._database_down:
            self._database_down = True
            cause = getattr(error, "orig", None) or error
            log.warning("inbox workers: database unavailable (%s); retrying", type(cause).__name__)
