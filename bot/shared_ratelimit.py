"""Telegram's flood limits shared by every bot replica: the same sliding windows as ``bot.ratelimit.RateLimiter``
(≈ 30 messages/s per bot, 1/s per chat, 20/min per group), kept in Redis so two replicas together stay within
them. Each window is a sorted set of send times; one Lua script drops what has left the windows, checks them and
records a send in one atomic step, on Redis's own clock (replicas' clocks may differ). Keys expire with their
window, so quiet chats leave nothing behind.

``RedisLimiter`` is a ``bot.ratelimit.Limiter``, what the outbox sender and ``CountReplies`` use (without
REDIS_URL: ``bot.ratelimit.LocalLimiter``, one process, in memory). While Redis is away it counts in this
process, as ``LocalLimiter`` does, and says so once in the log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from bot.ratelimit import BOT, CHAT, GROUP, Limit, RateLimiter

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from redis.asyncio import Redis


# KEYS: a sequence counter, then the windows (bot, chat[, group]), all with one hash tag (one Redis Cluster slot);
# ARGV: mode ("take", "note" or "peek"), then count and period (ms) per window. Returns the wait in ms (0: allowed;
# "note" always records) and the bot window's free room.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode = ARGV[1]
local wait = 0
local room = 0
for i = 2, #KEYS do
  local key = KEYS[i]
  local count = tonumber(ARGV[2 * i - 2])
  local per = tonumber(ARGV[2 * i - 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - per)
  local used = redis.call('ZCARD', key)
  if i == 2 then room = count - used end
  if used >= count then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + per - now
    if w > wait then wait = w end
  end
end
if mode == 'peek' or (mode == 'take' and wait > 0) then
  return {wait, room}
end
local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 60000)
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], now, now .. ':' .. seq)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 * i - 1]))
end
return {0, room - 1}
"""


class RedisLimiter:
    """``Limiter`` shared through Redis by every replica of one bot (``prefix`` names the bot's keys)."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        *,
        per_bot: Limit = BOT,
        per_chat: Limit = CHAT,
        per_group: Limit = GROUP,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.per_bot, self.per_chat, self.per_group = per_bot, per_chat, per_group
        self._script = redis.register_script(_SCRIPT)
        # While Redis is away each replica keeps the same limits on its own (N replicas may then send up to N
        # times the bot's rate; Telegram's 429 and retry_after cover the excess) instead of not sending at all.
        self.local = RateLimiter(per_bot=per_bot, per_chat=per_chat, per_group=per_group)
        self.away = False

    def _windows(self, chat_id: int | None) -> tuple[list[str], list[int]]:
        tag = "{" + self.prefix + "}"  # one hash slot for all of a bot's keys: the script touches several
        keys = [f"{tag}:seq", f"{tag}:bot"]
        args = [self.per_bot.count, round(self.per_bot.per * 1000)]
        if chat_id is not None:
            keys.append(f"{tag}:chat:{chat_id}")
            args += [self.per_chat.count, round(self.per_chat.per * 1000)]
            if chat_id < 0:
                keys.append(f"{tag}:group:{chat_id}")
                args += [self.per_group.count, round(self.per_group.per * 1000)]
        return keys, args

    async def _run(self, mode: str, chat_id: int | None) -> tuple[float, int]:
        keys, args = self._windows(chat_id)
        wait_ms, room = await self._script(keys=keys, args=[mode, *args])
        return max(0, int(wait_ms)) / 1000, int(room)

    async def _shared(self, mode: str, chat_id: int | None) -> tuple[float, int] | None:
        """The shared windows' answer, or None while Redis is away (the caller then counts on its own)."""
        try:
            answer = await self._run(mode, chat_id)
        except RedisError as error:
            if not self.away:
                log.warning("flood windows unreachable (%s): this replica counts on its own", type(error).__name__)
            self.away = True
            return None
        if self.away:
            log.warning("flood windows reachable again: shared by every replica")
        self.away = False
        return answer

    async def bot_capacity(self) -> int:
        answer = await self._shared("peek", None)
        return max(0, answer[1]) if answer is not None else self.local.bot_capacity()

    async def bot_wait(self) -> float:
        answer = await self._shared("peek", None)
        return answer[0] if answer is not None else self.local.bot_wait()

    async def take(self, chat_id: int) -> float:
        answer = await self._shared("take", chat_id)
        return answer[0] if answer is not None else self.local.take(chat_id)

    async def note(self, chat_id: int) -> None:
        """A reply Telegram took already: Redis being away must not turn it into an error for the user."""
        if await self._shared("note", chat_id) is None:
            self.local.note(chat_id)

    async def aclose(self) -> None:
        await self.redis.aclose()
