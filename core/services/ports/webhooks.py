"""Port of ``uow.webhooks``: registered receivers and the deliveries queued for them (a sibling of the outbox)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    url: str
    events: tuple[str, ...]
    created_at: datetime
    removed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one hook, as the sender claimed it (with the hook's URL and secret, to sign it)."""

    id: int
    hook_id: int
    event: str
    lead_id: int | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class DeliveryState:
    id: int
    hook_id: int
    event: str
    lead_id: int | None
    status: str
    attempts: int
    last_error: str | None


class WebhookRepository(Protocol):
    async def add(self, *, url: str, events: Sequence[str], secret: str, created_at: datetime) -> Webhook: ...

    async def list_hooks(self) -> list[Webhook]:
        """The hooks not removed, oldest first."""

    async def remove(self, hook_id: int, *, when: datetime) -> Webhook | None:
        """Mark removed and cancel its pending deliveries; None when there is no such (active) hook."""

    async def set_secret(self, hook_id: int, secret: str) -> Webhook | None: ...

    async def enqueue(self, event: str, *, lead_id: int | None, payload: dict[str, Any], now: datetime) -> int:
        """Queue ``payload`` for every active hook that wants ``event`` (one statement); how many were queued."""

    async def enqueue_created(self, lead_ids: Sequence[int], *, now: datetime) -> int:
        """``lead.created`` for each of these stored leads (the importer's), built from their rows."""

    async def claim_due(self, now: datetime, limit: int, *, lease_until: datetime) -> list[Delivery]:
        """The oldest pending delivery of each (hook, lead) queue that is due, locked (SKIP LOCKED) and leased
        (``attempts`` + 1, due again at ``lease_until``) in this transaction."""

    async def mark(self, delivery_id: int, **values: Any) -> None:
        """Write status / next_attempt_at / last_error / delivered_at."""

    async def deliveries(self, hook_id: int) -> list[DeliveryState]: ...
