"""POST /leads/ with an Idempotency-Key: a retry within 24 h gets the first answer back and creates nothing, per
API key; concurrent identical requests create one lead; a failed request leaves the key free."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from api.app import create_app
from core.services.api_keys import create_api_key
from core.storage.models import IdempotencyKeyRow, LeadRow
from core.storage.uow import SqlUnitOfWork

BODY = {"source": "partner", "name": "Retry Co", "business_domain": "fintech"}


async def _leads(session_factory) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(LeadRow)))


async def test_a_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing(client, session_factory) -> None:
    first = await client.post("/leads/", json=BODY, headers={"Idempotency-Key": "order-42"})
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = await client.post("/leads/", json=BODY, headers={"Idempotency-Key": "order-42"})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await _leads(session_factory) == 1
    other = await client.post("/leads/", json=BODY, headers={"Idempotency-Key": "order-43"})
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    plain = await client.post("/leads/", json=BODY)  # no key: every request creates
    assert plain.status_code == 201 and await _leads(session_factory) == 3


async def test_keys_are_per_api_key_and_expire_after_a_day(app, client, session_factory) -> None:
    first = await client.post("/leads/", json=BODY, headers={"Idempotency-Key": "k1"})
    _, secret = await create_api_key(SqlUnitOfWork(session_factory), "another-partner")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers={"X-API-Key": secret}
    ) as partner:
        theirs = await partner.post("/leads/", json=BODY, headers={"Idempotency-Key": "k1"})
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    async with session_factory() as session:
        await session.execute(
            update(IdempotencyKeyRow).values(created_at=IdempotencyKeyRow.created_at - timedelta(hours=25))
        )
        await session.commit()
    later = await client.post("/leads/", json=BODY, headers={"Idempotency-Key": "k1"})
    assert later.status_code == 201 and later.json()["id"] not in (first.json()["id"], theirs.json()["id"])
    assert "Idempotent-Replayed" not in later.headers


async def test_a_refused_request_leaves_the_key_free_for_the_corrected_one(client, session_factory) -> None:
    bad = await client.post("/leads/", json={**BODY, "business_domain": "astrology"}, headers={"Idempotency-Key": "x"})
    assert bad.status_code == 422
    good = await client.post("/leads/", json=BODY, headers={"Idempotency-Key": "x"})
    assert good.status_code == 201 and "Idempotent-Replayed" not in good.headers
    assert await _leads(session_factory) == 1
    assert (await client.post("/leads/", json=BODY, headers={"Idempotency-Key": "k" * 201})).status_code == 422


async def test_concurrent_requests_with_one_key_create_one_lead_and_all_get_its_answer(
    settings, committing_factory, services
) -> None:
    app = create_app(settings, session_factory=committing_factory, services=services)
    _, secret = await create_api_key(SqlUnitOfWork(committing_factory), "race")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers={"X-API-Key": secret}
    ) as client:
        answers = await asyncio.gather(
            *(client.post("/leads/", json=BODY, headers={"Idempotency-Key": "same"}) for _ in range(8))
        )
    assert [r.status_code for r in answers] == [201] * 8, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in answers) == [""] + ["true"] * 7
    assert await _leads(committing_factory) == 1
