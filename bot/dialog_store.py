"""Dialog state in Redis that keeps the bot answering while Redis is away.

aiogram's FSM middleware reads the chat's state (and takes the chat's lock) before any handler runs, so with a
bare ``RedisStorage`` an unreachable Redis turns every update, ``/start`` included, into an error. Here:
- reads see no dialog (state ``None``, data ``{}``): buttons and commands that need none work as usual;
- a write (a handler starting or moving a dialog) raises ``DialogsUnavailable``, which the error router turns
  into a polite "dialogs are paused, try again in a minute"; text typed into a dialog meanwhile gets the same
  answer from the fallback router (``away``), not "I did not understand";
- the per-chat lock falls back to this process's own (the inbox already orders a chat's updates).
A clear (``/start``, ``/cancel``, a dialog's end) goes on without it: the dialog Redis still holds comes back
with Redis (``/cancel`` then ends it). Nothing stored is lost: the dialogs Redis held are there again when it is
back. The first failure and the
recovery are logged once each (WARNING), not per update."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class DialogsUnavailable(Exception):
    """A dialog step could not be stored: Redis is unreachable."""


class DegradingStorage(BaseStorage):
    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner
        self.away = False

    def _went_away(self, error: RedisError) -> None:
        if not self.away:
            log.warning("dialog store unreachable (%s): dialogs paused, everything else answers", type(error).__name__)
        self.away = True

    def _is_back(self) -> None:
        if self.away:
            log.warning("dialog store reachable again: dialogs resume")
        self.away = False

    async def get_state(self, key: StorageKey) -> str | None:
        try:
            state = await self.inner.get_state(key)
        except RedisError as error:
            self._went_away(error)
            return None
        self._is_back()
        return state

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            data = await self.inner.get_data(key)
        except RedisError as error:
            self._went_away(error)
            return {}
        self._is_back()
        return data

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        try:
            await self.inner.set_state(key, value)
        except RedisError as error:
            self._went_away(error)
            if value is not None:  # a clear (/start, /cancel, a dialog's end) goes on: there is nothing to keep
                raise DialogsUnavailable from error

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        try:
            await self.inner.set_data(key, data)
        except RedisError as error:
            self._went_away(error)
            if data:
                raise DialogsUnavailable from error

    async def close(self) -> None:
        await self.inner.close()


class DegradingIsolation(BaseEventIsolation):
    """The inner (Redis) lock of a chat, or this process's lock of it while Redis is away."""

    def __init__(self, inner: BaseEventIsolation, storage: DegradingStorage) -> None:
        self.inner = inner
        self.local = SimpleEventIsolation()
        self.storage = storage

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        held: AbstractAsyncContextManager[None] = self.inner.lock(key)
        try:
            await held.__aenter__()
        except RedisError as error:
            self.storage._went_away(error)
            async with self.local.lock(key):
                yield
            return
        try:
            yield
        finally:
            await _release(held)

    async def close(self) -> None:
        await self.inner.close()
        await self.local.close()


async def _release(held: AbstractAsyncContextManager[None]) -> None:
    """Let go of a Redis lock; Redis gone meanwhile lets it expire by itself (its timeout), not fail the update."""
    try:
        await held.__aexit__(None, None, None)
    except RedisError as error:
        log.warning("dialog lock not released (%s): it expires by itself", type(error).__name__)


def degrading(storage: BaseStorage, isolation: BaseEventIsolation) -> tuple[DegradingStorage, DegradingIsolation]:
    wrapped = DegradingStorage(storage)
    return wrapped, DegradingIsolation(isolation, wrapped)
