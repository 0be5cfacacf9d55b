"""Is the database answering? Used by the API's /health and anything else that needs a liveness probe."""

from __future__ import annotations

import asyncio
import logging

from core.services.ports import UnitOfWork

log = logging.getLogger(__name__)


async def database_answers(uow: UnitOfWork, *, timeout: float = 3.0) -> bool:
    """True when ``SELECT 1`` succeeds within ``timeout`` seconds; never raises for an unreachable database."""
    try:
        async with asyncio.timeout(timeout):
            async with uow:
                return await uow.ping()
    except (OSError, TimeoutError) as err:
        log.warning("database health check failed: %s", type(err).__name__)
        return False
