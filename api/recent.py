"""A value computed at most once every few seconds per process (``/ready``'s answer, ``/metrics``' backlog): the
open probes then cost the database one short query every ``seconds`` however often they are called, so a flood
of them cannot take the pool's connections from real requests."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")

PROBE_SECONDS = 2.0


class Recent(Generic[T]):
    def __init__(self, seconds: float = PROBE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._value: tuple[float, T] | None = None

    async def get(self, compute: Callable[[], Awaitable[T]]) -> T:
        now = self.clock()
        if self._value is not None and now - self._value[0] < self.seconds:
            return self._value[1]
        value = await compute()
        self._value = (self.clock(), value)
        return value
