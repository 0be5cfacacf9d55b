"""The scheduler loop of the bot process: every ``SCHEDULER_POLL_SECONDS`` (and whenever poked) it runs the
jobs of ``core.services.scheduler`` (due reminders, the first-contact SLA, digests, the weekly summary), each
batch one transaction writing outbox rows, and wakes the outbox sender when it queued something.

Several bot processes may each run one: the jobs claim rows with ``FOR UPDATE SKIP LOCKED`` or an advisory
lock and every row has a dedupe key, so whatever runs where, each message is queued once. A failing pass (the
database away) is logged without secrets and tried again at the next tick.

Between full passes it sleeps the poll interval, but wakes for the reminders alone when the next step falls
due sooner (one index probe per tick, at most two such ticks a second), so reminders are queued within about
half a second of their time, not up to a poll interval late. The sandbox moves ``core.domain.clock`` forward
(``:clock +2h``); the loop listens for that and runs a full pass at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from bot.waiting import wait_or_wake
from core.domain import clock
from core.services import scheduler as jobs
from core.services.context import Policy
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)
# Seconds between ticks at least: while steps fall due one after another (20,000 in a minute in
# bench/scheduler.py) the loop claims them twice a second, in batches, instead of spinning on each one.
MIN_PAUSE = 0.5


class Scheduler:
    def __init__(
        self,
        session_factory: Any,
        policy: Policy,
        *,
        poll_interval: float = 10.0,
        on_queued: Callable[[], None] | None = None,
        batch: int = jobs.BATCH,
    ) -> None:
        self.session_factory = session_factory
        self.policy = policy
        self.poll_interval = poll_interval
        self.on_queued = on_queued
        self.batch = batch
        self._poke = asyncio.Event()
        self.passes = 0  # finished passes (tests and the sandbox wait on it)
        self._passed = asyncio.Condition()

    def poke(self) -> None:
        """Run a pass now instead of at the next tick (the clock moved)."""
        self._poke.set()

    async def tick(self) -> jobs.Queued:
        """One pass over every job; wakes the sender when anything was queued."""
        queued = await jobs.run_due(SqlUnitOfWork(self.session_factory), self.policy, batch=self.batch)
        if queued.total:
            log.info(
                "scheduler queued %d reminders, %d SLA reminders, %d escalations, %d digests, %d weekly charts",
                queued.reminders,
                queued.sla_reminders,
                queued.escalations,
                queued.digests,
                queued.weekly,
            )
            if self.on_queued is not None:
                self.on_queued()
        return queued

    async def wait_passes(self, count: int, timeout: float = 10.0) -> None:
        """Until ``count`` passes have finished since start (tests, the sandbox)."""
        async with self._passed:
            await asyncio.wait_for(self._passed.wait_for(lambda: self.passes >= count), timeout)

    async def _reminders_only(self) -> None:
        """Between full passes: just the due reminders (a step fell due before the next poll)."""
        queued = await jobs.queue_reminders(SqlUnitOfWork(self.session_factory), self.policy, batch=self.batch)
        if queued:
            log.info("scheduler queued %d reminders", queued)
            if self.on_queued is not None:
                self.on_queued()

    async def _next_step_in(self) -> float | None:
        """Seconds until the next step not reminded yet falls due (None: none waits, or it is unknown)."""
        try:
            due = await jobs.next_due(SqlUnitOfWork(self.session_factory))
        except Exception as error:  # the database may be away: the next full pass will say so
            log.debug("scheduler: next due time unknown: %s", type(error).__name__)
            return None
        return None if due is None else (due - clock.utcnow()).total_seconds()

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until ``stop`` is set: every job each poll interval (or when poked), and in between the
        reminders alone when a step falls due sooner (at most every ``MIN_PAUSE`` seconds)."""
        unsubscribe = clock.on_advance(self.poke)
        loop = asyncio.get_running_loop()
        next_full = loop.time()
        log.info("scheduler started (every %ss)", self.poll_interval)
        try:
            while not stop.is_set():
                full = self._poke.is_set() or loop.time() >= next_full
                self._poke.clear()
                try:
                    if full:
                        next_full = loop.time() + self.poll_interval
                        await self.tick()
                    else:
                        await self._reminders_only()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # the database may be away: log it (no secrets) and try next tick
                    log.error("scheduler pass failed: %s: %s", type(error).__name__, str(error)[:300])
                    log.debug("scheduler pass traceback", exc_info=True)
                async with self._passed:
                    self.passes += 1
                    self._passed.notify_all()
                pause = next_full - loop.time()
                step_in = await self._next_step_in()
                if step_in is not None:
                    pause = min(pause, step_in)
                await wait_or_wake(stop, self._poke, max(pause, MIN_PAUSE))
        finally:
            unsubscribe()
            log.info("scheduler stopped")
