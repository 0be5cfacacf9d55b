"""Throttling of wrong API keys: a sliding window of failed attempts per client address.

Each wrong key costs a database lookup and is a guess; after ``max_failures`` wrong keys within ``window``
seconds from one address, every further key from it that is not already known to be valid is answered 429
(with ``Retry-After``) *without* a lookup, until the oldest failure of the window is ``window`` seconds old.
Requests with a valid key never count. The address is the ASGI client's (``request.client.host``): behind a
reverse proxy run uvicorn with ``--proxy-headers`` / ``--forwarded-allow-ips`` so it is the caller's, not
the proxy's. State is per API process and in memory.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class FailedKeyAttempts:
    def __init__(
        self,
        max_failures: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until ``address`` may try a key again, or None when it may now."""
        now = self._clock()
        failures = self._recent(address, now)
        if failures is None or len(failures) < self.max_failures:
            return None
        return max(1, math.ceil(failures[-self.max_failures] + self.window - now))

    def record_failure(self, address: str) -> None:
        now = self._clock()
        if address not in self._failures and len(self._failures) >= self._max_addresses:
            for known in list(self._failures):  # drop the addresses whose window has passed
                self._recent(known, now)
            if len(self._failures) >= self._max_addresses:
                self._failures.clear()  # bounded memory beats remembering every address
        self._failures.setdefault(address, deque()).append(now)
