"""The durable notification sender: delivers rows of the ``outbox`` table through the Bot API.

Rows are written in the same transaction as the change they announce (e.g. a lead transfer); this
sender claims the due ones, sends them and records what Telegram said, each step its own short
transaction (state transitions in ``core.services.outbox``):

- accepted                -> ``sent`` (only now)
- 429 Too Many Requests   -> retried after Telegram's ``retry_after``
- 5xx, network, timeout   -> retried with exponential backoff and jitter (schedule stored in the DB)
- other 4xx (chat not found, bot kicked, bad markup) -> ``failed`` at once
- still failing ``give_up_after`` seconds after it was queued -> ``failed``

Every failure is also queued, in the same transaction, as a direct message to each admin.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    RestartingTelegram,
    TelegramAPIError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup

from bot.render.notifications import delivery_failed
from core.domain.clock import utcnow
from core.domain.models import OutboxMessage
from core.services import outbox as outbox_service
from core.services.outbox import RetryPolicy
from core.services.ports import UnitOfWork
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

Rendered = tuple[str, InlineKeyboardMarkup | None]
RenderFn = Callable[[dict[str, Any]], Awaitable[Rendered] | Rendered]

# Errors after which the same message may well go through later. 401/409 are about the bot, not the
# message: keep the message and retry rather than lose it.
TRANSIENT = (
    TelegramServerError,
    RestartingTelegram,
    TelegramNetworkError,
    TelegramUnauthorizedError,
    TelegramConflictError,
    asyncio.TimeoutError,
)


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        session_factory: Any,
        *,
        render: RenderFn,
        give_up_after: float = 3600.0,
        poll_interval: float = 1.0,
        base_backoff: float = 1.0,
        max_backoff: float = 300.0,
        admin_ids: Sequence[int] = (),
        on_give_up_text: Callable[[dict[str, Any], str], str] | None = None,
        batch: int = 20,
        lease_seconds: float = 120.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.render = render
        self.policy = RetryPolicy(give_up_after=give_up_after, base_backoff=base_backoff, max_backoff=max_backoff)
        self.poll_interval = poll_interval
        self.admin_ids = tuple(admin_ids)
        self.on_give_up_text = on_give_up_text
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.clock = clock or utcnow
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Check the outbox now instead of at the next poll (e.g. right after a transfer)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set. A failing pass is logged (without secrets) and retried."""
        log.info("outbox sender started")
        while not stop.is_set():
            try:
                sent = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                sent = 0
                log.error("outbox pass failed: %s", self._redact(f"{type(error).__name__}: {error}"))
                log.debug("outbox pass traceback", exc_info=True)
            if sent:
                continue  # the next message of the same chat may be due already
            self._wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
            try:
                await asyncio.wait(waiters, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
        log.info("outbox sender stopped")

    async def drain_once(self) -> int:
        """One pass: claim the due rows (oldest per chat), send each, record the result. Returns sent count."""
        items = await outbox_service.claim_due(
            SqlUnitOfWork(self.session_factory), limit=self.batch, lease_seconds=self.lease_seconds, now=self.clock()
        )
        sent = 0
        for item in items:
            if await self._deliver(item):
                sent += 1
        return sent

    async def _deliver(self, item: OutboxMessage) -> bool:
        uow = SqlUnitOfWork(self.session_factory)
        try:
            text, markup, parse_mode = await self._render(item)
        except Exception as error:
            log.exception("outbox #%s: cannot render %s", item.id, item.payload.get("event"))
            await self._fail(uow, item, f"cannot render: {type(error).__name__}: {error}")
            return False
        try:
            kwargs: dict[str, Any] = {"message_thread_id": item.thread_id, "reply_markup": markup}
            if parse_mode:
                kwargs["parse_mode"] = parse_mode
            await self.bot.send_message(item.chat_id, text, **kwargs)
        except TelegramRetryAfter as error:
            log.warning("outbox #%s: flood control, retry after %ss", item.id, error.retry_after)
            await self._retry(uow, item, f"429: {error.message}", retry_after=float(error.retry_after))
            return False
        except TRANSIENT as error:
            log.warning("outbox #%s: attempt %s failed: %s", item.id, item.attempts, self._describe(error))
            await self._retry(uow, item, self._describe(error))
            return False
        except TelegramAPIError as error:
            log.error("outbox #%s to chat %s refused: %s", item.id, item.chat_id, self._describe(error))
            await self._fail(uow, item, self._describe(error))
            return False
        await outbox_service.mark_sent(uow, item.id, now=self.clock())
        return True

    async def _render(self, item: OutboxMessage) -> tuple[str, InlineKeyboardMarkup | None, str | None]:
        if item.method != "sendMessage":
            raise ValueError(f"unsupported outbox method {item.method!r}")
        if item.payload.get("event") == "outbox_failed":
            return html.escape(str(item.payload.get("text", ""))), None, "HTML"
        result = self.render(item.payload)
        if inspect.isawaitable(result):
            result = await result
        text, markup = result
        return text, markup, None

    async def _retry(self, uow: UnitOfWork, item: OutboxMessage, error: str, retry_after: float | None = None) -> None:
        outcome = await outbox_service.mark_retry(
            uow,
            item,
            error=error,
            policy=self.policy,
            retry_after=retry_after,
            admin_ids=self.admin_ids,
            notice_text=self._notice(item, error),
            now=self.clock(),
        )
        if outcome == "failed":
            log.error("outbox #%s: gave up after %s attempts: %s", item.id, item.attempts, error)

    async def _fail(self, uow: UnitOfWork, item: OutboxMessage, error: str) -> None:
        await outbox_service.mark_failed(
            uow, item, error=error, admin_ids=self.admin_ids, notice_text=self._notice(item, error), now=self.clock()
        )

    def _notice(self, item: OutboxMessage, error: str) -> str:
        if self.on_give_up_text is not None:
            return self.on_give_up_text(item.payload, error)
        return delivery_failed(item.payload, item.chat_id, error)

    def _describe(self, error: BaseException) -> str:
        if isinstance(error, TelegramAPIError):
            text = f"{type(error).__name__}: {error.message}"
        else:
            text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return self._redact(text)

    def _redact(self, text: str) -> str:
        token = getattr(self.bot, "token", None)
        return text.replace(token, "<token>") if token else text
