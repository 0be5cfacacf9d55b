"""Fault injection: make the next calls of a Bot API method fail as Telegram (or a proxy in front of it)
sometimes does: 429 with retry_after, 4xx, 5xx, a hang before the error (a client with a shorter timeout
gives up), an answer that is not Telegram's JSON (a proxy's HTML error page, bytes that are not UTF-8, JSON
of the wrong shape), a connection dropped without an answer, or a late acceptance (the call is applied, but only
after a delay)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Literal

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

# What a proxy in front of the Bot API (nginx, a cloud load balancer) answers when its upstream is away.
HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>{status} {text}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

# An answer that cannot be read as Telegram's: "html" a proxy's error page, "bytes" a body that is not
# UTF-8 although it says so, "shape" JSON that is not a Bot API response.
Garbage = Literal["html", "bytes", "shape"]


def status_text(status: int) -> str:
    """Telegram's description for an HTTP status."""
    return _STATUS_TEXT.get(status, f"Error {status}")


class Dropped(Exception):
    """The connection is closed without an answer (a proxy or the network gave up): the call is not applied."""


class RawAnswer(Exception):
    """An answer that is not in Telegram's JSON shape: the HTTP layer sends ``body`` as it is."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        super().__init__(f"{status} {content_type}")
        self.status = status
        self.body = body
        self.content_type = content_type


@dataclass
class Failure:
    status: int
    retry_after: int | None
    delay: float | None
    description: str | None
    garbage: Garbage | None = None
    accept: bool = False  # a late acceptance: after ``delay`` the call is applied and answered as usual
    drop: bool = False  # the connection is closed without an answer

    def error(self) -> ApiError | RawAnswer | Dropped:
        if self.drop:
            return Dropped()
        if self.garbage == "html":
            page = HTML_ERROR_PAGE.format(status=self.status, text=status_text(self.status).split(":")[0])
            return RawAnswer(self.status, page.encode(), "text/html")
        if self.garbage == "bytes":
            return RawAnswer(self.status, b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00", "text/plain")
        if self.garbage == "shape":
            return RawAnswer(self.status, b'{"ok": true, "result": "accepted"}', "application/json")
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
        garbage: Garbage | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail: ``status=429`` (with ``retry_after``, default 1), a
        4xx/5xx error, or with ``delay`` a hang of that many seconds before the error (the call is not
        applied), which makes a client with a shorter timeout give up. With ``garbage`` the answer (with
        ``status``) cannot be decoded: ``"html"`` a proxy's HTML error page, ``"bytes"`` a body that is not
        UTF-8, ``"shape"`` JSON that is not a Bot API response; the call is not applied. A 3xx redirects to the
        same URL; each hop is a call, so ``times=11`` makes aiohttp give up after its 10 redirects
        (``TooManyRedirects``, whose message names the URL, token included)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        failure = Failure(status=status, retry_after=retry_after, delay=delay, description=description, garbage=garbage)
        self._queue(method, failure, times)

    def accept_late(self, method: str, *, delay: float, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are applied (the message is in the chat) and answered as
        usual, but only after ``delay`` seconds: a client with a shorter timeout thinks they failed."""
        self._queue(method, Failure(status=200, retry_after=None, delay=delay, description=None, accept=True), times)

    def drop(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get no answer: the connection is closed (not applied)."""
        self._queue(method, Failure(status=0, retry_after=None, delay=None, description=None, drop=True), times)

    def _queue(self, method: str, failure: Failure, times: int) -> None:
        queue = self._queued.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(failure)

    def clear(self) -> None:
        """Drop every failure not used yet (Telegram is back)."""
        self._queued.clear()

    async def apply(self, method: str) -> None:
        """Raise the next failure queued for ``method`` (after its delay), if there is one; a late
        acceptance only waits, and the call then goes through."""
        queue = self._queued.get(method.lower())
        if not queue:
            return
        failure = queue.popleft()
        if failure.delay:
            await asyncio.sleep(failure.delay)
        if failure.accept:
            return
        raise failure.error()
