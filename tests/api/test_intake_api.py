"""The intake API's contract for partners: API keys scoped to a source, an Idempotency-Key reused with another
body, and /webhooks (the secret shown once, behind an unscoped key)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from core.services.api_keys import create_api_key
from core.storage.models import LeadRow
from core.storage.uow import SqlUnitOfWork

BODY = {"source": "partner", "name": "Retry Co", "business_domain": "fintech"}


async def _partner(app, session_factory) -> httpx.AsyncClient:
    _, secret = await create_api_key(SqlUnitOfWork(session_factory), "partner-x", source="partner")
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://api.test", headers={"X-API-Key": secret})


async def test_a_key_scoped_to_a_source_creates_only_that_sources_leads(app, session_factory) -> None:
    async with await _partner(app, session_factory) as partner:
        refused = await partner.post("/leads/", json={"source": "scanner", "name": "X"})
        assert refused.status_code == 403
        assert refused.json() == {"detail": "This API key creates 'partner' leads only, not 'scanner'"}
        implied = await partner.post("/leads/", json={"name": "No source given"})
        assert implied.status_code == 201 and implied.json()["source"] == "partner"
        explicit = await partner.post("/leads/", json={"source": "partner"})
        assert explicit.status_code == 201
        assert (await partner.get("/webhooks/")).status_code == 403  # a partner's key cannot see every lead's events


async def test_an_unscoped_key_must_name_the_source(client) -> None:
    answer = await client.post("/leads/", json={"name": "No source"})
    assert answer.status_code == 422 and "source" in answer.json()["detail"]


async def test_an_idempotency_key_reused_with_another_body_is_a_422_and_creates_nothing(client, session_factory):
    first = await client.post("/leads/", json=BODY, headers={"Idempotency-Key": "k-body"})
    assert first.status_code == 201
    reordered = dict(reversed(list(BODY.items())))  # the same request: key order does not matter
    assert (await client.post("/leads/", json=reordered, headers={"Idempotency-Key": "k-body"})).status_code == 201
    other = await client.post("/leads/", json={**BODY, "name": "Other Co"}, headers={"Idempotency-Key": "k-body"})
    assert other.status_code == 422
    assert other.json() == {"detail": "Idempotency-Key reused with a different request body"}
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(LeadRow)) == 1


async def test_webhooks_are_created_with_a_secret_shown_once_listed_without_it_and_removed(client) -> None:
    made = await client.post("/webhooks/", json={"url": "https://example.com/h", "events": ["lead.created"]})
    assert made.status_code == 201, made.text
    hook = made.json()
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["lead.created"]
    listed = (await client.get("/webhooks/")).json()
    assert listed == [{k: v for k, v in hook.items() if k != "secret"}]
    assert (await client.delete(f"/webhooks/{hook['id']}")).status_code == 204
    gone = await client.delete(f"/webhooks/{hook['id']}")
    assert gone.status_code == 404 and gone.json() == {"detail": f"No webhook #{hook['id']}"}
    assert (await client.get("/webhooks/")).json() == []


async def test_a_webhook_url_must_be_https_unless_it_is_local(client) -> None:
    plain = await client.post("/webhooks/", json={"url": "http://example.com/h", "events": ["lead.created"]})
    assert plain.status_code == 422 and "https" in plain.json()["detail"]
    local = await client.post("/webhooks/", json={"url": "http://127.0.0.1:9/h", "events": ["lead.created"]})
    assert local.status_code == 201
    odd = await client.post("/webhooks/", json={"url": "ftp://example.com", "events": ["lead.created"]})
    assert odd.status_code == 422
    unknown = await client.post("/webhooks/", json={"url": "https://example.com", "events": ["lead.deleted"]})
    assert unknown.status_code == 422
