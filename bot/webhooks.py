"""The webhook sender: posts the deliveries of ``webhook_deliveries`` to their receivers (aiohttp).

It runs beside the Telegram outbox sender in the bot process (``bot.app.run_bot``, so in the sandbox too).
Each pass claims the due heads of the (hook, lead) queues (``core.services.webhooks.claim_due``: leased in one
short transaction, so two senders never post the same delivery and a lead's events go in order), posts them
concurrently (one receiver's slowness holds up only its own queues), and records each answer: 2xx →
``delivered``; anything else (a status, a timeout, a refused connection) → retried with exponential backoff,
``failed`` with the last error after ``max_attempts``.

Delivery is at least once: a receiver that takes longer than the timeout but does accept, or a sender dying
between the answer and its commit, means one more post of the same ``X-LeadCRM-Delivery`` id, which a receiver
uses to drop duplicates. Secrets are never logged (nor the URL's path and query: only its host).
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.waiting import wait_or_wake
from core.services import webhooks as svc
from core.services.ports import Delivery
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


class WebhookSender:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        policy: svc.DeliveryPolicy | None = None,
        timeout: float = 10.0,
        poll_interval: float = 1.0,
        batch: int = 20,
    ) -> None:
        self.session_factory = session_factory
        # the lease outlives a post that times out, so no second sender takes a delivery still in flight
        self.policy = policy or svc.DeliveryPolicy(lease_seconds=max(60.0, 2 * timeout + 5))
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; a failing pass (the database away) is logged and retried."""
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while not stop.is_set():
                try:
                    done = await self.drain_once(http)
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # the database: the loop must outlive an outage
                    done = 0
                    log.error("webhook pass failed: %s", type(error).__name__)
                if done:
                    continue
                self._wake.clear()
                await wait_or_wake(stop, self._wake, self.poll_interval)

    async def drain_once(self, http: aiohttp.ClientSession) -> int:
        """One pass: claim, post concurrently, record. Returns how many were claimed."""
        claimed = await svc.claim_due(SqlUnitOfWork(self.session_factory), self.policy, limit=self.batch)
        await asyncio.gather(*(self._deliver(http, d) for d in claimed))
        return len(claimed)

    async def _deliver(self, http: aiohttp.ClientSession, delivery: Delivery) -> None:
        error = await self._post(http, delivery)
        uow = SqlUnitOfWork(self.session_factory)
        if error is None:
            await svc.mark_delivered(uow, delivery)
            return
        outcome = await svc.mark_retry(uow, delivery, error, self.policy)
        host = urlsplit(delivery.url).hostname
        log.warning(
            "webhook #%s delivery %s to %s: %s (attempt %s, %s)",
            delivery.hook_id,
            delivery.id,
            host,
            error,
            delivery.attempts,
            "gave up" if outcome == "failed" else "will retry",
        )

    async def _post(self, http: aiohttp.ClientSession, delivery: Delivery) -> str | None:
        """None when the receiver answered 2xx, else what went wrong (no secrets in it)."""
        body = svc.body_bytes(delivery)
        headers = svc.headers(delivery, body, int(time.time()))
        try:
            async with http.post(delivery.url, data=body, headers=headers, allow_redirects=False) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except TimeoutError:
            return f"no answer within {self.timeout:g} s"
        except aiohttp.ClientError as error:
            return f"{type(error).__name__}"
