"""LeadOut's read-only ``next_step`` and ``stale``."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain import clock
from core.domain.models import Actor
from core.services import next_steps
from core.storage.uow import SqlUnitOfWork


@pytest.fixture(autouse=True)
def _clock():
    yield
    clock.reset()


async def test_a_lead_shows_its_next_step_and_whether_it_is_stale(client, session_factory) -> None:
    lead = (await client.post("/leads", json={"source": "partner"})).json()
    assert lead["next_step"] is None and lead["stale"] is False
    due = clock.utcnow() + timedelta(hours=3)
    await next_steps.set_next_step(
        SqlUnitOfWork(session_factory), Actor.system(), lead["id"], kind="meeting", due_at=due, note="demo"
    )
    clock.advance(timedelta(days=2))  # a new lead with no activity for two days: stalled
    got = (await client.get(f"/leads/{lead['id']}")).json()
    assert got["next_step"]["kind"] == "meeting" and got["next_step"]["note"] == "demo"
    assert got["next_step"]["due_at"].startswith(due.strftime("%Y-%m-%dT%H:%M"))
    assert got["stale"] is True
    listed = (await client.get("/leads")).json()["items"]
    assert next(item for item in listed if item["id"] == lead["id"])["stale"] is True
