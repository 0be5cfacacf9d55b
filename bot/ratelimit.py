"""Telegram's flood limits for everything the outbox sender sends, in this process.

Telegram documents ≈ 30 messages per second per bot, ≈ 1 per second per chat and 20 per minute per group
(groups and channels have negative chat ids); going over earns a 429 with ``retry_after``, which the sender
honours on top of this. ``RateLimiter`` keeps a sliding window of send times per limit and answers, for one
chat, how long until a message may go (``wait``), recording it when it does (``take``). It never sleeps: the
sender leaves a row whose chat must wait in the outbox (its order kept) and sends the others meanwhile.

Replies that handlers send directly (a card edited after a tap, an answer to a command) are not delayed, but
they count: ``CountReplies``, a middleware on the bot's HTTP session, records each of them in the same windows,
so the sender leaves room for them and all the bot's traffic together stays within the limits. Several bot
processes share their windows through Redis instead (``bot.shared_ratelimit``, with REDIS_URL).
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod


@dataclass(frozen=True)
class Limit:
    count: int
    per: float  # seconds


BOT = Limit(30, 1.0)
CHAT = Limit(1, 1.0)
GROUP = Limit(20, 60.0)


class _Window:
    __slots__ = ("limit", "times")

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.limit.per:
            self.times.popleft()
        if len(self.times) < self.limit.count:
            return 0.0
        return self.times[0] + self.limit.per - now

    def take(self, now: float) -> None:
        self.times.append(now)


class RateLimiter:
    """Sliding windows: one for the bot, one per chat, a second one per group. ``clock``: seconds (monotonic
    by default; tests and the sender pass their own)."""

    def __init__(
        self,
        *,
        per_bot: Limit = BOT,
        per_chat: Limit = CHAT,
        per_group: Limit = GROUP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_bot, self.per_chat, self.per_group = per_bot, per_chat, per_group
        self.clock = clock
        self._bot = _Window(per_bot)
        self._chats: dict[int, _Window] = {}
        self._groups: dict[int, _Window] = {}

    @classmethod
    def scaled(cls, factor: float, **kwargs: Callable[[], float]) -> RateLimiter:
        """Every limit ``factor`` times as fast (bench/scheduler.py delivers 20,000 reminders in minutes)."""

        def faster(limit: Limit) -> Limit:
            return Limit(limit.count, limit.per / factor)

        return cls(per_bot=faster(BOT), per_chat=faster(CHAT), per_group=faster(GROUP), **kwargs)

    @classmethod
    def unlimited(cls) -> RateLimiter:
        """No limits (tests of other behaviour that send several messages to one chat at one instant)."""
        endless = Limit(10**9, 1.0)
        return cls(per_bot=endless, per_chat=endless, per_group=endless)

    def _windows(self, chat_id: int) -> list[_Window]:
        windows = [self._bot, self._chats.setdefault(chat_id, _Window(self.per_chat))]
        if chat_id < 0:
            windows.append(self._groups.setdefault(chat_id, _Window(self.per_group)))
        return windows

    def bot_capacity(self) -> int:
        """How many messages the bot may send right now (whatever their chats)."""
        self._bot.wait(self.clock())
        return self.per_bot.count - len(self._bot.times)

    def bot_wait(self) -> float:
        """Seconds until the bot may send anything (0: now)."""
        return self._bot.wait(self.clock())

    def wait(self, chat_id: int) -> float:
        """Seconds until a message to ``chat_id`` may be sent (0: now)."""
        now = self.clock()
        return max(window.wait(now) for window in self._windows(chat_id))

    def take(self, chat_id: int) -> float:
        """Record a send to ``chat_id`` now if allowed and return 0; else record nothing and return the wait."""
        delay = self.wait(chat_id)
        if delay > 0:
            return delay
        now = self.clock()
        for window in self._windows(chat_id):
            window.take(now)
        self._forget(now)
        return 0.0

    def note(self, chat_id: int) -> None:
        """Record a message already sent to ``chat_id`` (a direct reply: it was not asked to wait)."""
        now = self.clock()
        for window in self._windows(chat_id):
            window.wait(now)  # drops what has left the window
            window.take(now)
        self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop the windows of chats quiet for longer than their period (the dicts do not grow forever)."""
        if len(self._chats) > 10_000:
            for chats in (self._chats, self._groups):
                for chat_id in [c for c, w in chats.items() if not w.times or w.times[-1] <= now - w.limit.per]:
                    del chats[chat_id]


class Limiter(Protocol):
    async def bot_capacity(self) -> int:
        """How many messages the bot may send right now (whatever their chats)."""

    async def bot_wait(self) -> float:
        """Seconds until the bot may send anything (0: now)."""

    async def take(self, chat_id: int) -> float:
        """Record a send to ``chat_id`` now if allowed and return 0; else record nothing and return the wait."""

    async def note(self, chat_id: int) -> None:
        """Record a message already sent to ``chat_id`` (a direct reply: it was not asked to wait)."""

    async def aclose(self) -> None:
        """Release what it holds (the Redis connection)."""


class LocalLimiter:
    """``Limiter`` over this process's ``RateLimiter``."""

    def __init__(self, limiter: RateLimiter | None = None) -> None:
        self.limiter = limiter or RateLimiter()

    async def bot_capacity(self) -> int:
        return self.limiter.bot_capacity()

    async def bot_wait(self) -> float:
        return self.limiter.bot_wait()

    async def take(self, chat_id: int) -> float:
        return self.limiter.take(chat_id)

    async def note(self, chat_id: int) -> None:
        self.limiter.note(chat_id)

    async def aclose(self) -> None:
        return None


_from_outbox: ContextVar[bool] = ContextVar("from_outbox", default=False)


@contextlib.contextmanager
def outbox_send() -> Iterator[None]:
    """Around the outbox sender's own sends, which ``RateLimiter.take`` has recorded already."""
    token = _from_outbox.set(True)
    try:
        yield
    finally:
        _from_outbox.reset(token)


class CountReplies(BaseRequestMiddleware):
    """Records every message the bot sends or edits outside the outbox in ``limiter`` (after Telegram took it)."""

    COUNTED = frozenset(
        {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument", "editMessageMedia"}
    )

    def __init__(self, limiter: RateLimiter | Limiter) -> None:
        self.limiter: Limiter = LocalLimiter(limiter) if isinstance(limiter, RateLimiter) else limiter

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if not _from_outbox.get() and method.__api_method__ in self.COUNTED:
            chat_id: Any = getattr(method, "chat_id", None)
            if isinstance(chat_id, int):
                await self.limiter.note(chat_id)
        return response
