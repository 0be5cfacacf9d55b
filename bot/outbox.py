"""The durable notification sender: delivers rows of the ``outbox`` table through the Bot API.

Rows are written in the same transaction as the change they announce (e.g. a lead transfer); this
sender claims the due ones, sends them and records what Telegram said, each step its own short
transaction (state transitions in ``core.services.outbox``):

- accepted                -> ``sent`` (only now, in its own short transaction right after the answer)
- 429 Too Many Requests   -> retried after Telegram's ``retry_after``
- 5xx, network, timeout, an answer that cannot be decoded (a proxy's HTML 502, JSON of the wrong shape)
                          -> retried with exponential backoff and jitter (schedule stored in the DB)
- other 4xx (chat not found, bot kicked, bad markup) -> ``failed`` at once
- still failing ``give_up_after`` seconds after it was queued -> ``failed``
- its chat (or the bot) is at Telegram's flood limit (bot/ratelimit.py) -> given back unsent, due again when
  the limit allows; the other chats' rows go meanwhile, and the chat's later rows stay behind it

Every failure is also queued, in the same transaction, as a direct message to each admin.

A row's ``method`` is ``sendMessage`` (a text, rendered from its payload by ``render``) or ``sendPhoto`` (a
picture with a caption: ``render_photo`` draws it from the payload when it is sent — e.g. the weekly summary's
charts, bot/weekly.py — so the outbox stores parameters, not images; a payload it cannot read fails, a drawing
that fails otherwise, e.g. the database away while it reads the report, is retried like a 5xx).

Rows for the team leads' group carry no chat: this sender resolves them from its own settings
(``team_leads_chat_id``/``team_leads_thread_id``: the bot's TEAM_LEADS_CHAT_ID/THREAD_ID). Without a chat it
leaves them waiting, in order, and says so in the log.

Delivery is at least once: Telegram has no idempotency key. A message is sent twice only when Telegram
accepts it after ``send_timeout`` (the sender took it for failed and retries) or when the process dies (or
the database is lost) between Telegram's answer and the commit that marks it sent.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramAPIError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.ratelimit import Limiter, LocalLimiter, RateLimiter, outbox_send
from bot.render.notifications import delivery_failed
from bot.waiting import wait_or_wake
from core import metrics
from core.domain.clock import utcnow
from core.domain.models import OutboxMessage
from core.services import outbox as outbox_service
from core.services.outbox import TEAM_LEADS, RetryPolicy
from core.services.ports import UnitOfWork
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

Rendered = tuple[str, InlineKeyboardMarkup | None]
RenderFn = Callable[[dict[str, Any]], Awaitable[Rendered] | Rendered]


@dataclass(frozen=True, slots=True)
class Photo:
    """What a ``sendPhoto`` row sends: the PNG, its file name and the caption (HTML)."""

    png: bytes
    filename: str
    caption: str


PhotoFn = Callable[[dict[str, Any]], Awaitable[Photo]]
# A photo payload that cannot be read (a report or a day it does not name) never will be: failed at once
UNREADABLE = (KeyError, ValueError, TypeError)

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
# An answer that cannot be read (a proxy's HTML error page, bytes that are not UTF-8, JSON of another
# shape): the message may go through next time like after a 5xx; it must not fail the whole pass.
UNDECODABLE = (ClientDecodeError, UnicodeDecodeError)

# Telegram answers sendMessage in well under a second, seconds when it is loaded; past this the sender
# takes the send for failed and retries it (a duplicate if Telegram did accept it after all).
SEND_TIMEOUT = 30


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        session_factory: Any,
        *,
        render: RenderFn,
        render_photo: PhotoFn | None = None,
        give_up_after: float = 3600.0,
        poll_interval: float = 1.0,
        base_backoff: float = 1.0,
        max_backoff: float = 300.0,
        admin_ids: Sequence[int] = (),
        on_give_up_text: Callable[[dict[str, Any], str], str] | None = None,
        batch: int = 20,
        lease_seconds: float = 120.0,
        send_timeout: int = SEND_TIMEOUT,
        team_leads_chat_id: int | None = None,
        team_leads_thread_id: int | None = None,
        clock: Callable[[], datetime] | None = None,
        limiter: RateLimiter | Limiter | None = None,
    ) -> None:
        if lease_seconds <= send_timeout:
            # a claimed row must not be claimed again (by another sender) while its send may be in flight
            raise ValueError(f"lease_seconds ({lease_seconds}) must exceed send_timeout ({send_timeout})")
        self.bot = bot
        self.session_factory = session_factory
        self.render = render
        self.render_photo = render_photo
        self.policy = RetryPolicy(give_up_after=give_up_after, base_backoff=base_backoff, max_backoff=max_backoff)
        self.poll_interval = poll_interval
        self.admin_ids = tuple(admin_ids)
        self.on_give_up_text = on_give_up_text
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.send_timeout = send_timeout
        self.team_leads_chat_id = team_leads_chat_id
        self.team_leads_thread_id = team_leads_thread_id
        self.clock = clock or utcnow
        # Telegram's limits (shared by the replicas through Redis: bot.shared_ratelimit), or this process's own,
        # timed by the sender's clock when it is given one (tests move it), else monotonic
        if limiter is None:
            limiter = RateLimiter(clock=lambda: self.clock().timestamp()) if clock else RateLimiter()
        self.limiter: Limiter = LocalLimiter(limiter) if isinstance(limiter, RateLimiter) else limiter
        self._pause: float | None = None  # seconds until the limiter allows the next send, when it held one back
        self._held = 0  # rows the last pass gave back because their chat must wait
        self._wake = asyncio.Event()
        self._waiting_reported = 0

    def wake(self) -> None:
        """Check the outbox now instead of at the next poll (e.g. right after a transfer)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set. A failing pass is logged (without secrets) and retried."""
        if self.team_leads_chat_id is None:
            log.warning(
                "outbox sender started without TEAM_LEADS_CHAT_ID: the team leads' notifications wait in the "
                "outbox until the bot runs with it"
            )
        else:
            log.info("outbox sender started (team leads' group: chat %s)", self.team_leads_chat_id)
        while not stop.is_set():
            try:
                sent = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                sent = 0
                log.error("outbox pass failed: %s", self._redact(f"{type(error).__name__}: {error}"))
                log.debug("outbox pass traceback", exc_info=True)
            if sent or self._held:
                # The next message of the same chat may be due already; and rows given back for a chat that must
                # wait are skipped by the next claim, which takes other chats' rows instead of sleeping on them
                # (bench/scheduler.py: 4 messages/s with 100 busy chats, 30/s with this).
                continue
            self._wake.clear()
            timeout = self.poll_interval if self._pause is None else min(self.poll_interval, self._pause)
            await wait_or_wake(stop, self._wake, timeout)
        log.info("outbox sender stopped")

    async def drain_once(self) -> int:
        """One pass: claim the due rows (the oldest per chat and per destination), send each, record the
        result. Returns the number sent. Never more than the bot's flood limit allows now; a row whose chat
        must wait is given back for later."""
        self._pause = None
        self._held = 0
        capacity = await self.limiter.bot_capacity()
        if capacity <= 0:
            self._pause = await self.limiter.bot_wait()
            return 0
        items = await outbox_service.claim_due(
            SqlUnitOfWork(self.session_factory),
            limit=min(self.batch, capacity),
            lease_seconds=self.lease_seconds,
            destinations=() if self.team_leads_chat_id is None else (TEAM_LEADS,),
            now=self.clock(),
        )
        if self.team_leads_chat_id is None:
            await self._report_waiting()
        sent = 0
        for item in items:
            chat_id = self._address(item).chat_id
            delay = await self.limiter.take(chat_id) if chat_id is not None else 0.0
            if delay > 0:
                metrics.RATE_WAITS.inc()
                metrics.RATE_WAIT_SECONDS.observe(delay)
                until = self.clock() + timedelta(seconds=delay)
                await outbox_service.postpone(SqlUnitOfWork(self.session_factory), item, until=until)
                self._pause = delay if self._pause is None else min(self._pause, delay)
                self._held += 1
            elif await self._deliver(item):
                sent += 1
        return sent

    async def _report_waiting(self) -> None:
        """Say (once per change of the count) that team leads' notifications wait for a chat, and why."""
        count = await outbox_service.waiting(SqlUnitOfWork(self.session_factory), TEAM_LEADS)
        if count and count != self._waiting_reported:
            log.warning(
                "outbox: team leads notifications waiting: %d; TEAM_LEADS_CHAT_ID is not set for the bot (the "
                "process that sends them), so they are kept and go out once the bot runs with it",
                count,
            )
        self._waiting_reported = count

    def _address(self, item: OutboxMessage) -> OutboxMessage:
        """The message with the chat it goes to now: a destination resolved from this sender's settings."""
        if item.destination == TEAM_LEADS:
            return replace(item, chat_id=self.team_leads_chat_id, thread_id=self.team_leads_thread_id)
        return item

    async def _deliver(self, item: OutboxMessage) -> bool:
        uow = SqlUnitOfWork(self.session_factory)
        item = self._address(item)
        if item.method == "sendPhoto":
            send = await self._photo_send(uow, item)
        else:
            send = await self._text_send(uow, item)
        if send is None:
            return False
        try:
            if item.chat_id is None:
                raise ValueError(f"outbox #{item.id} has no chat (destination {item.destination!r})")
            with outbox_send():  # recorded by the limiter's take() already, not again by CountReplies
                await send(item.chat_id)
        except TelegramRetryAfter as error:
            log.warning("outbox #%s: flood control, retry after %ss", item.id, error.retry_after)
            await self._retry(uow, item, f"429: {error.message}", retry_after=float(error.retry_after))
            return False
        except (*TRANSIENT, *UNDECODABLE) as error:
            log.warning("outbox #%s: attempt %s failed: %s", item.id, item.attempts, self._describe(error))
            await self._retry(uow, item, self._describe(error))
            return False
        except TelegramAPIError as error:
            log.error("outbox #%s to chat %s refused: %s", item.id, item.chat_id, self._describe(error))
            await self._fail(uow, item, self._describe(error))
            return False
        await outbox_service.mark_sent(uow, item, now=self.clock())  # at once: the at-least-once window
        metrics.OUTBOX_SENT.inc()
        return True

    async def _text_send(self, uow: UnitOfWork, item: OutboxMessage) -> Callable[[int], Awaitable[Any]] | None:
        """The send of a text row (None: it cannot be rendered, and is failed)."""
        try:
            text, markup, parse_mode = await self._render(item)
        except Exception as error:
            log.exception("outbox #%s: cannot render %s", item.id, item.payload.get("event"))
            await self._fail(uow, item, f"cannot render: {type(error).__name__}: {error}")
            return None
        kwargs: dict[str, Any] = {"message_thread_id": item.thread_id, "reply_markup": markup}
        if parse_mode:
            kwargs["parse_mode"] = parse_mode

        def send(chat_id: int) -> Awaitable[Any]:
            return self.bot.send_message(chat_id, text, request_timeout=self.send_timeout, **kwargs)

        return send

    async def _photo_send(self, uow: UnitOfWork, item: OutboxMessage) -> Callable[[int], Awaitable[Any]] | None:
        """The send of a photo row, drawn now (None: not drawn; failed when it never can be, else retried)."""
        if self.render_photo is None:
            await self._fail(uow, item, "this sender cannot draw photos (no render_photo)")
            return None
        try:
            photo = await self.render_photo(item.payload)
        except UNREADABLE as error:
            log.error("outbox #%s: cannot draw %s: %s", item.id, item.payload.get("event"), error)
            await self._fail(uow, item, f"cannot draw: {type(error).__name__}: {error}")
            return None
        except Exception as error:  # the database away while reading the report: like a 5xx, try again later
            log.warning("outbox #%s: drawing failed: %s", item.id, self._describe(error))
            await self._retry(uow, item, f"cannot draw: {self._describe(error)}")
            return None

        def send(chat_id: int) -> Awaitable[Any]:
            return self.bot.send_photo(
                chat_id,
                BufferedInputFile(photo.png, photo.filename),
                caption=photo.caption,
                message_thread_id=item.thread_id,
                request_timeout=self.send_timeout,
            )

        return send

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
            metrics.OUTBOX_FAILED.inc()
            log.error("outbox #%s: gave up after %s attempts: %s", item.id, item.attempts, error)
        else:
            metrics.OUTBOX_RETRIED.inc()

    async def _fail(self, uow: UnitOfWork, item: OutboxMessage, error: str) -> None:
        metrics.OUTBOX_FAILED.inc()
        await outbox_service.mark_failed(
            uow, item, error=error, admin_ids=self.admin_ids, notice_text=self._notice(item, error), now=self.clock()
        )

    def _notice(self, item: OutboxMessage, error: str) -> str:
        if self.on_give_up_text is not None:
            return self.on_give_up_text(item.payload, error)
        return delivery_failed(item.payload, item.chat_id, error)

    def _describe(self, error: BaseException) -> str:
        if isinstance(error, ClientDecodeError):
            original = type(error.original).__name__
            text = f"undecodable answer: {error.message} ({original}): {str(error.data)[:120]!r}"
        elif isinstance(error, UnicodeDecodeError):
            text = f"undecodable answer: UnicodeDecodeError: {error}"
        elif isinstance(error, TelegramAPIError):
            text = f"{type(error).__name__}: {error.message}"
        else:
            text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return self._redact(text)

    def _redact(self, text: str) -> str:
        token = getattr(self.bot, "token", None)
        return text.replace(token, "<token>") if token else text
