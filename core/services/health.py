"""Liveness and readiness. ``/health`` (liveness) answers without touching anything: the process serves.
``/ready`` (readiness) asks ``readiness``: the database answers within a timeout and is migrated to the code's
head revision (or ahead of it), Redis answers when one is configured, and, when READY_OUTBOX_MAX_WAIT_SECONDS is
set, the outbox is not stuck (its longest-waiting due message is younger than that). A load balancer sends
traffic only to ready replicas."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from core.domain.clock import utcnow
from core.services.ports import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")

# Probes that ran out of time and are still cleaning up (see _within); kept so they are not collected.
_abandoned: set[asyncio.Task[object]] = set()


@dataclass(frozen=True)
class DatabaseState:
    answers: bool
    revision: str | None = None  # what alembic_version holds (None: never migrated, or no answer)
    oldest_due: datetime | None = None  # the outbox's longest-waiting due message


@dataclass(frozen=True)
class Readiness:
    """Each check: True (passes), False (fails), None (not asked: no Redis configured, or no database to ask)."""

    database: bool
    migrated: bool | None
    outbox: bool | None
    redis: bool | None
    outbox_wait_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return self.database and self.migrated is True and self.outbox is not False and self.redis is not False


async def _database_state(uow: UnitOfWork) -> DatabaseState:
    async with uow:
        if not await uow.ping():
            return DatabaseState(False)
        revision = await uow.schema_revision()
        if revision is None:  # never migrated: there is no outbox to ask
            return DatabaseState(True)
        return DatabaseState(True, revision, await uow.outbox.oldest_due(utcnow()))


async def _within(probe: Awaitable[T], timeout: float, what: str) -> tuple[bool, T | None]:
    """(True, result) when ``probe`` ends within ``timeout`` seconds without an OSError; else (False, None).

    The answer never waits longer than ``timeout``: on a database that hangs, giving the connection back (a
    rollback the server does not answer either) would wait as long again, so a probe that ran out of time is
    cancelled and left to clean up in the background."""
    task: asyncio.Task[T] = asyncio.ensure_future(probe)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        log.warning("%s check failed: no answer within %g s", what, timeout)
        task.cancel()
        _abandoned.add(task)
        task.add_done_callback(_forget)
        return False, None
    try:
        return True, task.result()
    except OSError as err:  # connection refused/reset, asyncpg's connect or command timeout (TimeoutError)
        log.warning("%s check failed: %s", what, type(err).__name__)
        return False, None


def _forget(probe: asyncio.Task[object]) -> None:
    _abandoned.discard(probe)
    if not probe.cancelled() and probe.exception() is not None:
        log.debug("abandoned readiness check ended with %r", probe.exception())


async def readiness(
    uow: UnitOfWork,
    *,
    head: str,
    known: frozenset[str] = frozenset(),
    outbox_max_wait_seconds: float,
    redis_ping: Callable[[], Awaitable[bool]] | None = None,
    timeout: float = 3.0,
) -> Readiness:
    """Every check of ``/ready`` (the database and Redis at once), each bounded by ``timeout``; never raises
    for an unreachable database or Redis. ``outbox_max_wait_seconds`` 0 turns the outbox check off.

    Migrated: at ``head``, or at a revision this code does not know (``known``: all it knows), which a newer
    release applied during a rolling deploy: the old replicas stay in service until they are replaced. At a
    known revision before the head, the database is behind: not ready."""
    db_probe = _within(_database_state(uow), timeout, "database")
    if redis_ping is None:
        (answered, state), redis = await db_probe, None
    else:
        (answered, state), (redis_answered, pong) = await asyncio.gather(
            db_probe, _within(redis_ping(), timeout, "redis")
        )
        redis = redis_answered and pong is True
    if not answered or state is None or not state.answers:
        return Readiness(database=False, migrated=None, outbox=None, redis=redis)
    wait = (utcnow() - state.oldest_due).total_seconds() if state.oldest_due is not None else None
    outbox = None if outbox_max_wait_seconds <= 0 else (wait is None or wait <= outbox_max_wait_seconds)
    migrated = state.revision == head or (state.revision is not None and bool(known) and state.revision not in known)
    return Readiness(database=True, migrated=migrated, outbox=outbox, redis=redis, outbox_wait_seconds=wait)
