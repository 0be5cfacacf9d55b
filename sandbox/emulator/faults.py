"""Fault injection: make the next calls of a Bot API method fail as Telegram sometimes does (429 with
retry_after, 4xx, 5xx) or hang first, so a client with a shorter timeout gives up."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from sandbox.emulator.models import ApiError

_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def status_text(status: int) -> str:
    """Telegram's description for an HTTP status."""
    return _STATUS_TEXT.get(status, f"Error {status}")


@dataclass
class Failure:
    status: int
    retry_after: int | None
    delay: float | None
    description: str | None

    def error(self) -> ApiError:
        if self.description:
            description = self.description
        elif self.status == 429:
            description = f"Too Many Requests: retry after {self.retry_after}"
        else:
            description = status_text(self.status)
        return ApiError(self.status, description, self.retry_after)


class Faults:
    """Failures queued per method name (case-insensitive), each used once, in order."""

    def __init__(self) -> None:
        self._queued: dict[str, deque[Failure]] = {}

    def add(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        times: int = 1,
        delay: float | None = None,
        description: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail: ``status=429`` (with ``retry_after``, default 1), a
        4xx/5xx error, or with ``delay`` a hang of that many seconds before the error (the call is not
        applied), which makes a client with a shorter timeout give up. A 3xx redirects to the same URL; each
        hop is a call, so ``times=11`` makes aiohttp give up after its 10 redirects (``TooManyRedirects``,
        whose message names the URL, token included)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        queue = self._queued.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(Failure(status=status, retry_after=retry_after, delay=delay, description=description))

    def clear(self) -> None:
        """Drop every failure not used yet (Telegram is back)."""
        self._queued.clear()

    async def apply(self, method: str) -> None:
        """Raise the next failure queued for ``method`` (after its delay), if there is one."""
        queue = self._queued.get(method.lower())
        if not queue:
            return
        failure = queue.popleft()
        if failure.delay:
            await asyncio.sleep(failure.delay)
        raise failure.error()
