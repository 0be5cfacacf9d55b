"""The background loops' pause (outbox sender, webhook sender, scheduler): until ``stop`` or ``wake`` is set, or
``timeout`` seconds pass, whichever comes first."""

from __future__ import annotations

import asyncio


async def wait_or_wake(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
