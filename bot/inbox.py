"""Durable receipt of Telegram updates: long polling through a PostgreSQL inbox.

aiogram's own polling acknowledges a batch when it fetches the next one, whether or not the updates were
applied: a bot killed mid-batch lost the rest, and during a database outage every update was acknowledged
and dropped. Here:

1. **Receive** (``Inbox._receive``): fetch a batch (``getUpdates``, raw JSON), store it in the ``inbox``
   table (one statement, ``core.services.inbox.receive``), and only then move the offset past it; Telegram
   takes the new offset as the acknowledgement with the next ``getUpdates``. While the database is down the
   offset stays where it is, so Telegram keeps the updates; the store is retried with backoff (one log line
   when it starts failing, one when it is back).
2. **Apply** (``ChatQueues``): stored updates run through the real Dispatcher (``dp.feed_update``), one at a
   time and in ``update_id`` order per chat, different chats in parallel (at most ``DB_POOL_SIZE``: each
   update holds one pooled connection). The update's unit of work marks it done with its change
   (bot/middlewares/db.py), so it is applied exactly once, also across a crash: at start-up the pending
   updates are applied first (``Inbox._recover``), before new ones are fetched.
3. **Database away while applying**: the update stays stored and at the head of its chat's queue, retried
   with backoff; its user is told once that the action will be applied (``render.briefly_unavailable``).

One polling process per token (Telegram itself refuses a second ``getUpdates``): the chat queues are in memory.
Webhook mode (any number of replicas) stores what Telegram posts (bot/telegram_webhook.py) and applies it with
leases in the database instead of these queues (bot/inbox_workers.py), through the same ``apply_until_done``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, ClassVar, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import AiogramError
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import render
from bot.middlewares.db import Delivery, database_unavailable
from bot.updates import parse_updates
from core.domain.ids import storable_id
from core.services import inbox as inbox_svc
from core.services.ports import ReceivedUpdate
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")

POLLING_TIMEOUT = 10  # seconds a getUpdates call waits for updates (aiogram's default)
TELEGRAM_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)  # aiogram's polling
DATABASE_BACKOFF = BackoffConfig(min_delay=0.5, max_delay=5.0, factor=1.5, jitter=0.1)
MAX_BACKLOG = 1000  # stored updates waiting in memory; the poller fetches no more until there is room


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """``getUpdates`` answered as plain JSON: the updates are stored as Telegram sent them, parsed later."""

    __returning__: ClassVar[type] = list[dict[str, Any]]
    __api_method__: ClassVar[str] = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def chat_key(payload: dict[str, Any]) -> int | None:
    """The chat an update belongs to (a button's message's chat), else its user; None for neither. Updates of
    one key are applied in order."""
    for name, event in payload.items():
        if name == "update_id" or not isinstance(event, dict):
            continue
        for holder in (event, event.get("message")):
            if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
                return _bigint(holder["chat"].get("id"))
        for field in ("from", "user"):
            if isinstance(event.get(field), dict):
                return _bigint(event[field].get("id"))
    return None


def _bigint(value: Any) -> int | None:
    return value if isinstance(value, int) and storable_id(value) else None


def received(payload: dict[str, Any]) -> ReceivedUpdate | None:
    """The update as stored, or None (logged) when it has no usable ``update_id``."""
    update_id = payload.get("update_id") if isinstance(payload, dict) else None
    if _bigint(update_id) is None:
        log.warning("update without a usable update_id skipped: %.200r", payload)
        return None
    return ReceivedUpdate(update_id=update_id, chat_key=chat_key(payload), payload=payload)  # type: ignore[arg-type]


def parse_update(payload: dict[str, Any], bot: Bot) -> Update | None:
    """The stored JSON as aiogram's ``Update``, or None when aiogram cannot parse it (``bot.updates.parse_updates``
    logs it with its id); the worker then marks it done without applying it, so it holds up nothing."""
    parsed = parse_updates([payload], bot=bot)
    return parsed[0] if parsed else None


async def until_stopped(work: Coroutine[Any, Any, T], stop: asyncio.Event) -> tuple[bool, T | None]:
    """Run ``work`` unless ``stop`` is set first (then it is cancelled): (finished, its result)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False, None
    return True, task.result()


async def pause(backoff: Backoff, stop: asyncio.Event) -> bool:
    """Sleep the backoff's next delay; False if ``stop`` was set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), next(backoff))
    return not stop.is_set()


class ChatQueues:
    """Runs ``apply`` for every update added: one at a time and in id order per chat key, different keys in
    parallel, at most ``concurrency`` at once. An update leaves its queue when ``apply`` returns."""

    def __init__(self, apply: Callable[[ReceivedUpdate], Awaitable[None]], *, concurrency: int, stop: asyncio.Event):
        self._apply = apply
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._stop = stop
        self._queues: dict[object, deque[ReceivedUpdate]] = {}
        self._tasks: dict[object, asyncio.Task[None]] = {}
        self._queued: set[int] = set()
        self._progress = asyncio.Event()

    @property
    def backlog(self) -> int:
        return len(self._queued)

    def add(self, updates: Iterable[ReceivedUpdate]) -> None:
        for update in sorted(updates, key=lambda u: u.update_id):
            if update.update_id in self._queued:
                continue
            self._queued.add(update.update_id)
            key: object = update.chat_key if update.chat_key is not None else ("update", update.update_id)
            self._queues.setdefault(key, deque()).append(update)
            if key not in self._tasks:
                self._tasks[key] = asyncio.create_task(self._run(key), name=f"inbox:{key}")

    async def room(self, limit: int) -> None:
        """Return once fewer than ``limit`` updates wait."""
        while self.backlog >= limit:
            self._progress.clear()
            await self._progress.wait()

    async def _run(self, key: object) -> None:
        queue = self._queues[key]
        try:
            while queue and not self._stop.is_set():
                update = queue[0]
                async with self._slots:
                    if self._stop.is_set():
                        break
                    try:
                        await self._apply(update)
                    except Exception:  # a bug in applying: logged; the update stays stored until a restart
                        log.exception("update %s could not be applied", update.update_id)
                queue.popleft()
                self._queued.discard(update.update_id)
                self._progress.set()
        finally:
            del self._tasks[key]
            if not queue:
                del self._queues[key]

    async def close(self, timeout: float) -> None:
        """After ``stop``: wait for the updates being applied (the rest stay stored), then cancel."""
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)


class Inbox:
    """Receive updates into the inbox and apply them (see the module docstring). ``await run(stop)``."""

    def __init__(
        self,
        bot: Bot,
        dp: Dispatcher,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        concurrency: int,
        allowed_updates: list[str] | None = None,
        polling_timeout: int = POLLING_TIMEOUT,
        database_backoff: BackoffConfig = DATABASE_BACKOFF,
    ) -> None:
        self.bot = bot
        self.dp = dp
        self.session_factory = session_factory
        self.concurrency = concurrency
        self.allowed_updates = allowed_updates
        self.polling_timeout = polling_timeout
        self.database_backoff = database_backoff
        self._told: set[int] = set()  # updates whose user was told the database is away
        self._database_down = False

    async def run(self, stop: asyncio.Event) -> None:
        queues = ChatQueues(self.apply_until_done(stop), concurrency=self.concurrency, stop=stop)
        try:
            if await self._recover(queues, stop):
                await self._receive(queues, stop)
        finally:
            await queues.close(timeout=10)

    async def _recover(self, queues: ChatQueues, stop: asyncio.Event) -> bool:
        """Queue the updates stored but not applied before (a crash, a stop, an outage); False if stopped."""
        after: int | None = None
        while True:
            ok, page = await self._with_database(
                functools.partial(inbox_svc.pending, SqlUnitOfWork(self.session_factory), after=after),
                stop,
                "read the inbox",
            )
            if not ok:
                return False
            if not page:
                return True
            if after is None:
                log.info("applying updates stored before the start (first %d)", len(page))
            queues.add(page)
            after = page[-1].update_id

    async def _receive(self, queues: ChatQueues, stop: asyncio.Event) -> None:
        offset: int | None = None
        backoff = Backoff(TELEGRAM_BACKOFF)
        request_timeout = int((self.bot.session.timeout or 60) + self.polling_timeout)
        while not stop.is_set():
            if not (await until_stopped(queues.room(MAX_BACKLOG), stop))[0]:
                return
            fetch = self.bot(
                GetRawUpdates(offset=offset, timeout=self.polling_timeout, allowed_updates=self.allowed_updates),
                request_timeout=request_timeout,
            )
            try:
                finished, raw = await until_stopped(fetch, stop)
            except AiogramError as error:
                if backoff.counter == 0:
                    log.error("failed to fetch updates - %s: %s; retrying", type(error).__name__, error)
                if not await pause(backoff, stop):
                    return
                continue
            if not finished:
                return
            if backoff.counter:
                log.info("fetching updates again after %d failed tries", backoff.counter)
                backoff.reset()
            batch = [update for payload in raw or () if (update := received(payload)) is not None]
            if batch:
                stored, new = await self._store(batch, stop)
                if not stored:
                    return  # stopped while the database was away; Telegram still has the batch
                fresh = set(new or ())  # a redelivered update is already queued, or done
                queues.add(u for u in batch if u.update_id in fresh)
            if batch:  # acknowledged with the next getUpdates (the offset never goes back)
                offset = max(offset or 0, *(u.update_id + 1 for u in batch))

    async def _store(self, batch: list[ReceivedUpdate], stop: asyncio.Event) -> tuple[bool, list[int] | None]:
        """Store a batch, waiting for the database while it is away: (stored, the new ids); (False, None) if
        stopped first. The payload column is ``json`` (it takes any JSON Telegram sends, U+0000 included) and
        ``received`` dropped ids outside BIGINT, so the database has nothing to refuse in a batch."""
        return await self._with_database(
            functools.partial(inbox_svc.receive, SqlUnitOfWork(self.session_factory), batch),
            stop,
            f"store {len(batch)} updates (not acknowledged: Telegram keeps them)",
            told=batch,
        )

    async def _with_database(
        self,
        work: Callable[[], Awaitable[T]],
        stop: asyncio.Event,
        what: str,
        *,
        told: list[ReceivedUpdate] | None = None,
    ) -> tuple[bool, T | None]:
        """Run ``work`` until the database lets it (retried with backoff, the users of ``told`` told once);
        (False, None) if ``stop`` came first."""
        backoff = Backoff(self.database_backoff)
        while True:
            try:
                result = await work()
            except Exception as error:
                if not database_unavailable(error):
                    raise
                self._went_down(error, what)
                for update in told or ():
                    await self._tell_once(update)
                if not await pause(backoff, stop):
                    return False, None
                continue
            self._came_back()
            return True, result

    def apply_until_done(self, stop: asyncio.Event) -> Callable[[ReceivedUpdate], Awaitable[None]]:
        """The function that applies one stored update through the Dispatcher (retried while the database is
        away, until ``stop``), and marks it done if its unit of work did not: polling's chat queues and webhook
        mode's workers (bot/inbox_workers.py) both use it."""

        async def apply(stored: ReceivedUpdate) -> None:
            update = parse_update(stored.payload, self.bot)
            delivery = Delivery()  # an update aiogram cannot read is marked done without being applied
            backoff = Backoff(self.database_backoff)
            while update is not None:
                delivery = Delivery()
                try:
                    await self.dp.feed_update(self.bot, update, delivery=delivery)
                except Exception:  # the error handlers failed too: a bug, logged; retrying would fail again
                    log.exception("update %s failed", stored.update_id)
                    break
                if delivery.database_error is None:
                    break
                self._went_down(delivery.database_error, f"apply update {stored.update_id} (kept, will be retried)")
                await self._tell_once(stored, update)
                if not await pause(backoff, stop):
                    return  # stays stored: applied at the next start
            if not delivery.committed:  # refused or failed: done all the same, so it is not retried
                await self._with_database(
                    lambda: inbox_svc.finish(SqlUnitOfWork(self.session_factory), stored.update_id),
                    stop,
                    f"mark update {stored.update_id} done",
                )
            self._came_back()
            self._told.discard(stored.update_id)

        return apply

    def _went_down(self, error: BaseException, what: str) -> None:
        if not self._database_down:
            self._database_down = True
            cause = getattr(error, "orig", None) or error  # SQLAlchemy's wrapper repeats the SQL: the cause will do
            first_line = str(cause).split("\n", 1)[0]
            log.warning("database unavailable (%s: %s): cannot %s; retrying", type(cause).__name__, first_line, what)

    def _came_back(self) -> None:
        if self._database_down:
            self._database_down = False
            log.info("database available again")

    async def _tell_once(self, stored: ReceivedUpdate, update: Update | None = None) -> None:
        """Tell the user in a private chat, once per update, that their action is kept and will be applied."""
        if stored.update_id in self._told:
            return
        self._told.add(stored.update_id)
        update = update or parse_update(stored.payload, self.bot)
        if update is None:
            return
        context = UserContextMiddleware.resolve_event_context(update)
        if context.chat is None or context.chat.type != "private" or context.user is None:
            return
        try:
            await self.bot.send_message(context.chat.id, render.briefly_unavailable(context.user.language_code))
        except AiogramError as error:  # Telegram may be away too; the update itself is kept all the same
            log.info("could not tell chat %s the database is away: %s", context.chat.id, error)
