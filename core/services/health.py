"""Is the database answering? Used by the API's /health and anything else that needs a liveness probe."""

from __future__ import annotations

import asyncio
import logging

from core.services.ports import UnitOfWork

log = logging.getLogger(__name__)

# Probes that ran out of time and are still cleaning up (see database_answers); kept so they are not collected.
_abandoned: set[asyncio.Task[bool]] = set()


async def _ping(uow: UnitOfWork) -> bool:
    async with uow:
        return await uow.ping()


async def database_answers(uow: UnitOfWork, *, timeout: float = 3.0) -> bool:
    """True when ``SELECT 1`` succeeds within ``timeout`` seconds; never raises for an unreachable database.

    The answer never waits longer than ``timeout``: on a database that hangs, giving the connection back
    (a rollback the server does not answer either) would wait as long again, so a probe that ran out of time
    is cancelled and left to clean up in the background."""
    probe = asyncio.ensure_future(_ping(uow))
    try:
        done, _ = await asyncio.wait({probe}, timeout=timeout)
    except asyncio.CancelledError:
        probe.cancel()
        raise
    if not done:
        log.warning("database health check failed: no answer within %g s", timeout)
        probe.cancel()
        _abandoned.add(probe)
        probe.add_done_callback(_forget)
        return False
    try:
        return probe.result()
    except OSError as err:  # connection refused/reset, asyncpg's connect or command timeout (TimeoutError)
        log.warning("database health check failed: %s", type(err).__name__)
        return False


def _forget(probe: asyncio.Task[bool]) -> None:
    _abandoned.discard(probe)
    if not probe.cancelled() and probe.exception() is not None:
        log.debug("abandoned health check ended with %r", probe.exception())
