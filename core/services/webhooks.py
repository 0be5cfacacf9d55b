"""Outbound webhooks: registering receivers, queueing events with the change they announce, and the
delivery state transitions (the HTTP part is the sender's, ``bot/webhooks.py``).

Events go to a sibling of the Telegram outbox, ``webhook_deliveries``: one row per (hook, event), fanned out
in the transaction of the change (``lead_created`` and friends below). The sender claims the due heads of the
(hook, lead) queues, leasing them (attempts + 1, due again after the lease) in one short transaction, so a
second sender skips them and a lead's later events wait behind its earlier ones; then it posts and records
the answer (``mark_delivered`` / ``mark_retry``, which gives up after ``max_attempts``).

Signing: ``X-LeadCRM-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`` with the hook's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from core.domain.clock import utcnow
from core.domain.errors import InvalidValue, Rule, WebhookNotFound
from core.domain.models import Lead, Sale
from core.services.ports import Delivery, DeliveryState, UnitOfWork, Webhook

EVENTS = ("lead.created", "lead.stage_changed", "lead.transferred", "lead.merged", "sale.stage_changed")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
URL_MAX = 2000


def check_url(url: str, *, allow_http: bool = False) -> str:
    """http(s) with a host; plain http only for 127.0.0.1 / localhost (or with ``allow_http``)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if len(url) > URL_MAX or parts.scheme not in ("http", "https") or not host:
        raise InvalidValue("url", Rule.BAD_FORMAT, maximum=URL_MAX)
    if parts.scheme == "http" and host not in LOCAL_HOSTS and not allow_http:
        raise InvalidValue("url", Rule.NOT_ONE_OF, value="http", allowed=["https"])
    return url


def check_events(events: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(e.strip() for e in events if e.strip()))
    if not chosen:
        raise InvalidValue("events", Rule.REQUIRED)
    for event in chosen:
        if event not in EVENTS:
            raise InvalidValue("events", Rule.NOT_ONE_OF, value=event, allowed=list(EVENTS))
    return chosen


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def body_bytes(delivery: Delivery) -> bytes:
    """The JSON a receiver gets (the same bytes on every attempt)."""
    body = {"id": delivery.id, "event": delivery.event, "occurred_at": delivery.created_at.isoformat()}
    body.update(delivery.payload)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers(delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "LeadCRM-Webhooks/1",
        "X-LeadCRM-Event": delivery.event,
        "X-LeadCRM-Delivery": str(delivery.id),
        "X-LeadCRM-Timestamp": str(timestamp),
        "X-LeadCRM-Signature": signature(delivery.secret, timestamp, body),
    }


# --- registering ---------------------------------------------------------------------------------------


async def add_webhook(
    uow: UnitOfWork, url: str, events: Iterable[str], *, allow_http: bool = False
) -> tuple[Webhook, str]:
    """The hook and its secret (shown once by the caller; kept, since every delivery is signed with it)."""
    url, chosen, secret = check_url(url, allow_http=allow_http), check_events(events), new_secret()
    async with uow:
        hook = await uow.webhooks.add(url=url, events=chosen, secret=secret, created_at=utcnow())
        await uow.commit()
    return hook, secret


async def list_webhooks(uow: UnitOfWork) -> list[Webhook]:
    async with uow:
        return await uow.webhooks.list_hooks()


async def remove_webhook(uow: UnitOfWork, hook_id: int) -> Webhook:
    """Removed at once: its pending deliveries are cancelled in the same transaction, nothing new is queued."""
    async with uow:
        hook = await uow.webhooks.remove(hook_id, when=utcnow())
        if hook is None:
            raise WebhookNotFound(hook_id)
        await uow.commit()
    return hook


async def rotate_secret(uow: UnitOfWork, hook_id: int) -> tuple[Webhook, str]:
    secret = new_secret()
    async with uow:
        hook = await uow.webhooks.set_secret(hook_id, secret)
        if hook is None:
            raise WebhookNotFound(hook_id)
        await uow.commit()
    return hook, secret


async def deliveries(uow: UnitOfWork, hook_id: int) -> list[DeliveryState]:
    async with uow:
        return await uow.webhooks.deliveries(hook_id)


# --- events, in the caller's transaction --------------------------------------------------------------


def lead_body(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "name": lead.name,
        "company": lead.company,
        "contact": lead.contact,
        "stage": lead.stage.value,
        "source": lead.source.value,
        "business_domain": lead.business_domain,
        "owner_id": lead.owner_id,
        "ai_score": lead.ai_score,
        "external_id": lead.external_id,
        "created_at": lead.created_at.isoformat() if lead.created_at else None,
    }


def sale_body(sale: Sale) -> dict[str, Any]:
    return {
        "id": sale.id,
        "lead_id": sale.lead_id,
        "stage": sale.stage.value,
        "amount": str(sale.amount) if sale.amount is not None else None,
        "currency": sale.currency,
        "owner_id": sale.owner_id,
        "closed_at": sale.closed_at.isoformat() if sale.closed_at else None,
    }


async def lead_created(uow: UnitOfWork, lead: Lead, now: datetime) -> None:
    await uow.webhooks.enqueue("lead.created", lead_id=lead.id, payload={"lead": lead_body(lead)}, now=now)


async def leads_imported(uow: UnitOfWork, lead_ids: Sequence[int], now: datetime) -> None:
    await uow.webhooks.enqueue_created(lead_ids, now=now)


async def lead_stage_changed(uow: UnitOfWork, lead: Lead, from_stage: str, actor: str, now: datetime) -> None:
    payload = {"lead": lead_body(lead), "from_stage": from_stage, "actor": actor}
    await uow.webhooks.enqueue("lead.stage_changed", lead_id=lead.id, payload=payload, now=now)


async def lead_transferred(uow: UnitOfWork, lead: Lead, sale: Sale, actor: str, now: datetime) -> None:
    payload = {"lead": lead_body(lead), "sale": sale_body(sale), "actor": actor}
    await uow.webhooks.enqueue("lead.transferred", lead_id=lead.id, payload=payload, now=now)


async def lead_merged(uow: UnitOfWork, survivor: Lead, merged_id: int, actor: str, now: datetime) -> None:
    """``merged_id`` is gone into ``survivor`` (its /leads/{id} answers 410 from now on): a sync drops it."""
    payload = {"lead": lead_body(survivor), "merged_id": merged_id, "actor": actor}
    await uow.webhooks.enqueue("lead.merged", lead_id=survivor.id, payload=payload, now=now)


async def sale_stage_changed(uow: UnitOfWork, sale: Sale, from_stage: str, actor: str, now: datetime) -> None:
    payload = {"sale": sale_body(sale), "from_stage": from_stage, "actor": actor}
    await uow.webhooks.enqueue("sale.stage_changed", lead_id=sale.lead_id, payload=payload, now=now)


# --- delivery -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    base_backoff: float = 1.0
    max_backoff: float = 600.0
    lease_seconds: float = 60.0  # longer than the send timeout: a second sender never takes a row in flight

    def backoff(self, attempts: int) -> float:
        return min(self.max_backoff, self.base_backoff * 2.0 ** max(attempts - 1, 0))


async def claim_due(uow: UnitOfWork, policy: DeliveryPolicy, *, limit: int = 20) -> list[Delivery]:
    now = utcnow()
    async with uow:
        claimed = await uow.webhooks.claim_due(now, limit, lease_until=now + timedelta(seconds=policy.lease_seconds))
        await uow.commit()
    return claimed


async def mark_delivered(uow: UnitOfWork, delivery: Delivery) -> None:
    async with uow:
        await uow.webhooks.mark(delivery.id, status="delivered", delivered_at=utcnow(), last_error=None)
        await uow.commit()


async def mark_retry(uow: UnitOfWork, delivery: Delivery, error: str, policy: DeliveryPolicy) -> str:
    """Due again after the backoff; after ``max_attempts`` tries ``failed`` with the last error. Returns which."""
    now = utcnow()
    async with uow:
        if delivery.attempts >= policy.max_attempts:
            error = f"gave up after {delivery.attempts} attempts: {error}"
            await uow.webhooks.mark(delivery.id, status="failed", last_error=error[:2000], next_attempt_at=now)
            outcome = "failed"
        else:
            next_at = now + timedelta(seconds=policy.backoff(delivery.attempts))
            await uow.webhooks.mark(delivery.id, next_attempt_at=next_at, last_error=error[:2000])
            outcome = "retry"
        await uow.commit()
    return outcome
