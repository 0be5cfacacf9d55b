"""Webhooks and their deliveries on PostgreSQL. Never commits.

An event is fanned out in one ``INSERT … SELECT`` over the active hooks that want it, in the caller's
transaction. The sender's claim is the outbox's (``repositories/outbox.py``): the due heads of the (hook, lead)
queues in one DISTINCT ON scan, then locked by id with SKIP LOCKED and leased in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Row, String, any_, bindparam, func, literal, select, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.services.ports.webhooks import Delivery, DeliveryState, Webhook
from core.storage.models import LeadRow, WebhookDeliveryRow, WebhookRow, table
from core.storage.repositories.base import BeforeWrite

HOOKS = table(WebhookRow)
DELIVERIES = table(WebhookDeliveryRow)
LEADS = table(LeadRow)


def _hook(row: Row[Any]) -> Webhook:
    return Webhook(row.id, row.url, tuple(row.events), row.created_at, row.removed_at)


_COLUMNS = ["hook_id", "event", "lead_id", "payload", "created_at", "next_attempt_at"]
# One event's fan-out, built once: every change that emits an event runs it (a lead created through the API
# among them), and building the INSERT … SELECT anew cost that request ~8 % of its CPU (py-spy, POST /leads/).
_EVENT = bindparam("event", type_=String(32))
_WANTED = select(HOOKS.c.id).where(HOOKS.c.removed_at.is_(None), any_(HOOKS.c.events) == _EVENT).subquery()
_ENQUEUE = insert(DELIVERIES).from_select(
    _COLUMNS,
    select(
        _WANTED.c.id,
        _EVENT,
        bindparam("lead_id", type_=DELIVERIES.c.lead_id.type),
        bindparam("payload", type_=JSONB),
        bindparam("now", type_=DELIVERIES.c.created_at.type),
        bindparam("now", type_=DELIVERIES.c.created_at.type),
    ),
)


class SqlWebhookRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

    async def add(self, *, url: str, events: Sequence[str], secret: str, created_at: datetime) -> Webhook:
        await self._before_write()
        stmt = insert(HOOKS).values(url=url, events=list(events), secret=secret, created_at=created_at)
        return _hook((await self.session.execute(stmt.returning(*HOOKS.c))).one())

    async def list_hooks(self) -> list[Webhook]:
        stmt = select(HOOKS).where(HOOKS.c.removed_at.is_(None)).order_by(HOOKS.c.id)
        return [_hook(r) for r in (await self.session.execute(stmt)).all()]

    async def remove(self, hook_id: int, *, when: datetime) -> Webhook | None:
        await self._before_write()
        stmt = (
            update(HOOKS)
            .where(HOOKS.c.id == hook_id, HOOKS.c.removed_at.is_(None))
            .values(removed_at=when)
            .returning(*HOOKS.c)
        )
        row = (await self.session.execute(stmt)).first()
        if row is None:
            return None
        await self.session.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.hook_id == hook_id, DELIVERIES.c.status == "pending")
            .values(status="cancelled", last_error="hook removed")
        )
        return _hook(row)

    async def set_secret(self, hook_id: int, secret: str) -> Webhook | None:
        await self._before_write()
        stmt = (
            update(HOOKS)
            .where(HOOKS.c.id == hook_id, HOOKS.c.removed_at.is_(None))
            .values(secret=secret)
            .returning(*HOOKS.c)
        )
        row = (await self.session.execute(stmt)).first()
        return _hook(row) if row is not None else None

    async def enqueue(self, event: str, *, lead_id: int | None, payload: dict[str, Any], now: datetime) -> int:
        await self._before_write()
        params = {"event": event, "lead_id": lead_id, "payload": payload, "now": now}
        result = await self.session.execute(_ENQUEUE, params)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def enqueue_created(self, lead_ids: Sequence[int], *, now: datetime) -> int:
        if not lead_ids:
            return 0
        await self._before_write()
        hooks = _WANTED  # with "event" given below
        lead = func.jsonb_build_object(
            "id", LEADS.c.id,
            "name", LEADS.c.name,
            "company", LEADS.c.company,
            "contact", LEADS.c.contact,
            "stage", LEADS.c.stage,
            "source", LEADS.c.source,
            "business_domain", LEADS.c.business_domain,
            "owner_id", LEADS.c.owner_id,
            "ai_score", LEADS.c.ai_score,
            "external_id", LEADS.c.external_id,
            "created_at", LEADS.c.created_at,
        )  # fmt: skip
        rows = (
            select(
                hooks.c.id,
                _EVENT,
                LEADS.c.id,
                func.jsonb_build_object("lead", lead),
                literal(now, DELIVERIES.c.created_at.type),
                literal(now, DELIVERIES.c.created_at.type),
            )
            .select_from(LEADS.join(hooks, literal(True)))
            # one array parameter: an import's 33,000 new leads would exceed the 32,767 bind parameters of IN (...)
            .where(LEADS.c.id == any_(literal(list(lead_ids), ARRAY(BigInteger))))
            .order_by(hooks.c.id, LEADS.c.id)
        )
        result = await self.session.execute(insert(DELIVERIES).from_select(_COLUMNS, rows), {"event": "lead.created"})
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def claim_due(self, now: datetime, limit: int, *, lease_until: datetime) -> list[Delivery]:
        heads = (
            select(DELIVERIES.c.id, DELIVERIES.c.next_attempt_at)
            .where(DELIVERIES.c.status == "pending")
            .ext(distinct_on(DELIVERIES.c.hook_id, DELIVERIES.c.lead_id))
            .order_by(DELIVERIES.c.hook_id, DELIVERIES.c.lead_id, DELIVERIES.c.id)
            .subquery("heads")
        )
        due = select(heads.c.id).where(heads.c.next_attempt_at <= now).order_by(heads.c.id).limit(limit)
        ids = list((await self.session.execute(due)).scalars())
        if not ids:
            return []
        locked = (
            select(DELIVERIES.c.id)
            .where(DELIVERIES.c.id.in_(ids), DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        await self._before_write()
        leased = (
            update(DELIVERIES)
            .where(DELIVERIES.c.id.in_(locked), DELIVERIES.c.hook_id == HOOKS.c.id)
            .values(attempts=DELIVERIES.c.attempts + 1, next_attempt_at=lease_until)
            .returning(*DELIVERIES.c, HOOKS.c.url, HOOKS.c.secret)
        )
        rows = sorted((await self.session.execute(leased)).all(), key=lambda r: r.id)
        return [
            Delivery(r.id, r.hook_id, r.event, r.lead_id, dict(r.payload), r.attempts, r.created_at, r.url, r.secret)
            for r in rows
        ]

    async def mark(self, delivery_id: int, **values: Any) -> None:
        await self._before_write()
        await self.session.execute(update(DELIVERIES).where(DELIVERIES.c.id == delivery_id).values(**values))

    async def deliveries(self, hook_id: int) -> list[DeliveryState]:
        stmt = select(DELIVERIES).where(DELIVERIES.c.hook_id == hook_id).order_by(DELIVERIES.c.id)
        return [
            DeliveryState(r.id, r.hook_id, r.event, r.lead_id, r.status, r.attempts, r.last_error)
            for r in (await self.session.execute(stmt)).all()
        ]
