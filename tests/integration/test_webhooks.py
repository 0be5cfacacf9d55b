"""Outbound webhooks against a real receiver on 127.0.0.1 (an aiohttp server in the test) that fails, times
out and succeeds: each event arrives once, signed, in order per lead; give-up recorded; removed hooks get
nothing; two senders deliver each event once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.webhooks import WebhookSender
from core.domain.errors import InvalidTransition
from core.domain.models import Actor
from core.services import leads, sales, webhooks
from core.services.webhooks import DeliveryPolicy
from core.storage.uow import SqlUnitOfWork

API = Actor.api("partner-intake")
TIMEOUT = 0.3


@dataclass
class Receiver:
    """Answers from ``script`` in turn ("500", "slow", "ok"), then ok; records every request it got."""

    script: list[str] = field(default_factory=list)
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.got.append((dict(request.headers), body))
        answer = self.script.pop(0) if self.script else "ok"
        if answer == "500":
            return web.Response(status=500)
        if answer == "slow":
            await asyncio.sleep(TIMEOUT * 4)
        self.accepted.append(json.loads(body))
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    rec.url = f"http://127.0.0.1:{port}/hook"
    yield rec
    await runner.cleanup()


def sender(factory, max_attempts: int = 5) -> WebhookSender:
    policy = DeliveryPolicy(max_attempts=max_attempts, base_backoff=0.01, max_backoff=0.05, lease_seconds=5)
    return WebhookSender(factory, policy=policy, timeout=TIMEOUT)


async def drain(senders: list[WebhookSender], until, seconds: float = 10.0) -> None:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not await until():
            assert loop.time() < deadline, "deliveries did not finish"
            await asyncio.gather(*(s.drain_once(http) for s in senders))
            await asyncio.sleep(0.02)


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    signed = headers["X-LeadCRM-Timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-LeadCRM-Signature"])


async def states(factory, hook_id: int) -> list[str]:
    return [d.status for d in await webhooks.deliveries(SqlUnitOfWork(factory), hook_id)]


async def test_an_event_arrives_once_signed_after_a_500_and_a_timeout(committing_factory, services, receiver):
    hook, secret = await webhooks.add_webhook(SqlUnitOfWork(committing_factory), receiver.url, ["lead.created"])
    receiver.script = ["500", "slow"]
    lead = await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner", name="ACME")

    async def done() -> bool:
        return await states(committing_factory, hook.id) == ["delivered"]

    await drain([sender(committing_factory)], done)
    assert len(receiver.got) == 3 and len(receiver.accepted) == 1
    body = receiver.accepted[0]
    assert body["event"] == "lead.created" and body["lead"]["id"] == lead.id and body["lead"]["name"] == "ACME"
    assert body["lead"]["source"] == "partner" and "occurred_at" in body
    headers, raw = receiver.got[-1]
    assert verify(secret, headers, raw) and not verify("whsec_other", headers, raw)
    assert headers["X-LeadCRM-Event"] == "lead.created" and headers["X-LeadCRM-Delivery"] == str(body["id"])
    assert {h["X-LeadCRM-Delivery"] for h, _ in receiver.got} == {str(body["id"])}  # retries: the same id
    (state,) = await webhooks.deliveries(SqlUnitOfWork(committing_factory), hook.id)
    assert state.attempts == 3 and state.last_error is None


async def test_a_leads_events_arrive_in_order_even_when_the_first_one_fails(committing_factory, services, receiver):
    events = ["lead.created", "lead.stage_changed"]
    hook, _ = await webhooks.add_webhook(SqlUnitOfWork(committing_factory), receiver.url, events)
    receiver.script = ["500", "500"]
    lead = await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner")
    await leads.change_stage(SqlUnitOfWork(committing_factory), services, API, lead.id, "contacted")
    await leads.change_stage(SqlUnitOfWork(committing_factory), services, API, lead.id, "qualified")

    async def done() -> bool:
        return await states(committing_factory, hook.id) == ["delivered"] * 3

    await drain([sender(committing_factory)], done)
    seen = [(b["event"], b["lead"]["stage"]) for b in receiver.accepted]
    assert seen == [("lead.created", "new"), ("lead.stage_changed", "contacted"), ("lead.stage_changed", "qualified")]
    assert [json.loads(raw)["event"] for _, raw in receiver.got[:3]] == ["lead.created"] * 3  # the rest waited


async def test_a_delivery_gives_up_after_max_attempts_with_the_last_error(committing_factory, services, receiver):
    hook, _ = await webhooks.add_webhook(SqlUnitOfWork(committing_factory), receiver.url, ["lead.created"])
    receiver.script = ["500"] * 10
    await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner")

    async def done() -> bool:
        return await states(committing_factory, hook.id) == ["failed"]

    await drain([sender(committing_factory, max_attempts=3)], done)
    (state,) = await webhooks.deliveries(SqlUnitOfWork(committing_factory), hook.id)
    assert state.attempts == 3 and state.last_error == "gave up after 3 attempts: HTTP 500"
    assert len(receiver.got) == 3


async def test_a_removed_hook_gets_nothing_new_and_its_pending_events_are_cancelled(
    committing_factory, services, receiver
):
    hook, _ = await webhooks.add_webhook(SqlUnitOfWork(committing_factory), receiver.url, ["lead.created"])
    await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner")
    await webhooks.remove_webhook(SqlUnitOfWork(committing_factory), hook.id)
    await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner")
    async with aiohttp.ClientSession() as http:
        assert await sender(committing_factory).drain_once(http) == 0
    assert await states(committing_factory, hook.id) == ["cancelled"] and receiver.got == []
    assert await webhooks.list_webhooks(SqlUnitOfWork(committing_factory)) == []


async def test_a_hook_gets_only_the_events_it_asked_for(committing_factory, services, receiver):
    hook, _ = await webhooks.add_webhook(SqlUnitOfWork(committing_factory), receiver.url, ["lead.stage_changed"])
    lead = await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner")
    await leads.change_stage(SqlUnitOfWork(committing_factory), services, API, lead.id, "lost", reason="no")
    deliveries = await webhooks.deliveries(SqlUnitOfWork(committing_factory), hook.id)
    assert [d.event for d in deliveries] == ["lead.stage_changed"]


async def test_two_senders_deliver_every_event_exactly_once(committing_factory, services, receiver):
    hook, _ = await webhooks.add_webhook(SqlUnitOfWork(committing_factory), receiver.url, ["lead.created"])
    receiver.script = ["ok", "500", "ok", "500", "slow"]
    for i in range(30):
        await leads.create_lead(SqlUnitOfWork(committing_factory), services, API, source="partner", name=f"L{i}")

    async def done() -> bool:
        return await states(committing_factory, hook.id) == ["delivered"] * 30

    await drain([sender(committing_factory), sender(committing_factory)], done)
    ids = [b["id"] for b in receiver.accepted]
    assert len(ids) == 30 and len(set(ids)) == 30


async def test_a_transfer_and_a_sale_move_are_queued_with_their_changes(uow, services) -> None:
    everything = list(webhooks.EVENTS)
    hook, _ = await webhooks.add_webhook(uow, "https://example.com/h", everything)
    lead = await leads.create_lead(uow, services, API, source="partner", business_domain="fintech")
    await leads.analyze(uow, services, API, lead.id)
    for stage in ("contacted", "qualified", "transferred"):
        result = await leads.change_stage(uow, services, API, lead.id, stage)
    assert result.sale is not None
    await sales.change_sale_stage(uow, API, result.sale.id, "kyc")
    queued = await webhooks.deliveries(uow, hook.id)
    assert [d.event for d in queued] == [
        "lead.created",
        "lead.stage_changed",
        "lead.stage_changed",
        "lead.stage_changed",
        "lead.transferred",
        "sale.stage_changed",
    ]
    assert {d.lead_id for d in queued} == {lead.id}  # one queue: the sale's events keep the lead's order


async def test_a_failed_change_queues_no_event(uow, services) -> None:
    hook, _ = await webhooks.add_webhook(uow, "https://example.com/h", ["lead.stage_changed"])
    lead = await leads.create_lead(uow, services, API, source="partner")
    with pytest.raises(InvalidTransition):
        await leads.change_stage(uow, services, API, lead.id, "transferred")
    assert await webhooks.deliveries(uow, hook.id) == []
