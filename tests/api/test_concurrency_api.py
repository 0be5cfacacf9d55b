"""Concurrent HTTP requests on one lead go through the row lock: one transfer wins, the rest get the 400."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from api.app import create_app
from core.services.api_keys import create_api_key
from core.storage.models import SaleRow, StageChangeRow
from core.storage.uow import SqlUnitOfWork


async def test_thirty_concurrent_transfers_over_http_create_one_sale(settings, committing_factory, services) -> None:
    app = create_app(settings, session_factory=committing_factory, services=services)
    _, secret = await create_api_key(SqlUnitOfWork(committing_factory), "race")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test", headers={"X-API-Key": secret}
    ) as client:
        lead = (await client.post("/leads/", json={"source": "partner", "business_domain": "fintech"})).json()
        path = f"/leads/{lead['id']}"
        for _ in range(4):
            await client.post(f"{path}/activities", json={"kind": "call"})
        for stage in ("contacted", "qualified"):
            await client.patch(f"{path}/stage", json={"stage": stage})
        assert (await client.post(f"{path}/analyze")).json()["ai_score"] >= 0.6

        responses = await asyncio.gather(
            *(client.patch(f"{path}/stage", json={"stage": "transferred"}) for _ in range(30))
        )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [400] * 29
    assert {r.json()["detail"] for r in responses if r.status_code == 400} == {
        "Invalid stage transition from 'transferred' to 'transferred'"
    }
    async with committing_factory() as session:
        sales = await session.scalar(select(func.count()).select_from(SaleRow).where(SaleRow.lead_id == lead["id"]))
        transfers = await session.scalar(
            select(func.count())
            .select_from(StageChangeRow)
            .where(StageChangeRow.lead_id == lead["id"], StageChangeRow.to_stage == "transferred")
        )
    assert (sales, transfers) == (1, 1)
