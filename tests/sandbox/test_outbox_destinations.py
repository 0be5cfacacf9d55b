"""Where a notification goes is decided when it is sent: a transfer always queues its notification, for
"the team leads' group", and the sender (the bot process) resolves that from its own settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import create_app
from bot.outbox import OutboxSender
from bot.ratelimit import RateLimiter
from core.config import Settings
from core.services import outbox as outbox_service
from core.services.api_keys import create_api_key
from core.storage.models import OutboxRow
from core.storage.uow import SqlUnitOfWork
from core.wiring import make_services
from sandbox.emulator import FakeTelegram
from tests.conftest import TEST_DOMAINS
from tests.sandbox.test_outbox import GROUP, Clock, render, rows

THREAD = 77


@pytest.fixture
async def bot(fake_tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fake_tg.make_bot(timeout=2)
    yield bot
    await bot.session.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def api_without_a_group(database_url: str, committing_factory: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The REST API as docker-compose.yml runs it: no TEAM_LEADS_CHAT_ID in its environment."""
    # ASSIGNMENT_RULE=manual: the leads wait in the queue quietly (with a rule on and no manager, intake would
    # also tell the team leads, and these tests are about the transfer notifications alone)
    settings = Settings(
        _env_file=None, database_url=database_url, business_domains=sorted(TEST_DOMAINS), assignment_rule="manual"
    )
    assert settings.team_leads_chat_id is None
    app = create_app(settings, session_factory=committing_factory, services=make_services(settings))
    _, secret = await create_api_key(SqlUnitOfWork(committing_factory), "integration")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test", headers={"X-API-Key": secret}) as c:
        yield c


async def transfer_over_rest(client: httpx.AsyncClient, name: str = "Acme Bank") -> int:
    lead = (await client.post("/leads/", json={"source": "partner", "business_domain": "saas", "name": name})).json()
    for _ in range(4):
        assert (await client.post(f"/leads/{lead['id']}/activities", json={"kind": "call"})).status_code == 201
    for stage in ("contacted", "qualified"):
        assert (await client.patch(f"/leads/{lead['id']}/stage", json={"stage": stage})).status_code == 200
    assert (await client.post(f"/leads/{lead['id']}/analyze")).json()["ai_score"] >= 0.6
    response = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "transferred"})
    assert response.status_code == 200, response.text
    return int(lead["id"])


def group_sender(bot: Bot, factory: Any, clock: Clock, chat_id: int | None = GROUP, **kwargs: Any) -> OutboxSender:
    """The bot process's sender; ``chat_id`` is its TEAM_LEADS_CHAT_ID."""
    thread = kwargs.pop("team_leads_thread_id", THREAD if chat_id is not None else None)
    return OutboxSender(
        bot,
        factory,
        render=render,
        clock=clock,
        team_leads_chat_id=chat_id,
        team_leads_thread_id=thread,
        limiter=RateLimiter.unlimited(),  # the clock stands still: flood limits are tested apart
        **kwargs,
    )


async def test_a_rest_transfer_from_an_api_without_a_group_is_announced_by_the_bot(
    fake_tg: FakeTelegram, bot: Bot, api_without_a_group: httpx.AsyncClient, committing_factory: Any, clock: Clock
) -> None:
    lead_id = await transfer_over_rest(api_without_a_group)

    (row,) = await rows(committing_factory)
    assert (row.destination, row.chat_id, row.thread_id, row.status) == ("team_leads", None, None, "pending")
    assert row.payload["event"] == "lead_transferred" and row.payload["lead_id"] == lead_id

    assert await group_sender(bot, committing_factory, clock).drain_once() == 1
    (message,) = fake_tg.messages(GROUP)
    assert (message.text, message.thread_id) == ("Lead Acme Bank transferred", THREAD)
    (row,) = await rows(committing_factory)
    assert (row.status, row.chat_id, row.thread_id) == ("sent", GROUP, THREAD)  # where it went, for the record


async def test_a_sender_without_a_group_keeps_the_notification_waiting_and_says_why(
    fake_tg: FakeTelegram,
    bot: Bot,
    api_without_a_group: httpx.AsyncClient,
    committing_factory: Any,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await transfer_over_rest(api_without_a_group, "First")
    await transfer_over_rest(api_without_a_group, "Second")
    unconfigured = group_sender(bot, committing_factory, clock, chat_id=None)
    caplog.set_level(logging.WARNING, logger="bot.outbox")

    for _ in range(3):
        assert await unconfigured.drain_once() == 0
        clock.advance(7200)  # hours go by: the rows wait, they are neither tried nor given up
    assert fake_tg.calls_of("sendMessage") == []
    assert [(r.status, r.attempts, r.last_error) for r in await rows(committing_factory)] == [("pending", 0, None)] * 2
    waiting = [r.getMessage() for r in caplog.records if "TEAM_LEADS_CHAT_ID" in r.getMessage()]
    assert len(waiting) == 1  # said once, not on every pass
    assert "team leads notifications waiting: 2" in waiting[0] and "bot" in waiting[0]

    configured = group_sender(bot, committing_factory, clock)  # the bot restarted with TEAM_LEADS_CHAT_ID set
    assert await configured.drain_once() == 1
    assert await configured.drain_once() == 1
    assert [m.text for m in fake_tg.messages(GROUP)] == ["Lead First transferred", "Lead Second transferred"]


async def test_team_leads_notifications_keep_their_order_while_admin_notices_go_to_their_user_ids(
    fake_tg: FakeTelegram, bot: Bot, committing_factory: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    fake_tg.user(777, "Env admin")
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        for lead_id in (1, 2):
            await uow.outbox.enqueue(
                dedupe_key=f"lead-transferred:{lead_id}",
                destination=outbox_service.TEAM_LEADS,
                payload={"event": "lead_transferred", "lead_id": lead_id, "name": f"L{lead_id}"},
            )
        await uow.commit()
    fake_tg.fail("sendMessage", status=400, description="Bad Request: chat not found")  # L1 is refused
    outbox = group_sender(bot, committing_factory, clock, admin_ids=[777])

    assert await outbox.drain_once() == 0
    failed, later, notice = await rows(committing_factory)
    assert (failed.status, failed.chat_id) == ("failed", GROUP)  # the chat it was refused by
    assert (notice.destination, notice.chat_id, notice.payload["failed_chat_id"]) == (None, 777, GROUP)
    assert later.status == "pending"
    assert await outbox.drain_once() == 2  # L2 and the admin's notice, one per queue
    assert [m.text for m in fake_tg.messages(GROUP)] == ["Lead L2 transferred"]
    assert f"chat {GROUP}" in fake_tg.last_message(777).text


async def test_the_database_refuses_a_message_with_no_address(committing_factory: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    async with committing_factory() as session:
        with pytest.raises(IntegrityError):
            await session.execute(
                OutboxRow.__table__.insert().values(dedupe_key="nowhere", payload={"event": "x"})  # type: ignore[attr-defined]
            )
    async with committing_factory() as session:
        assert (await session.execute(select(OutboxRow))).first() is None
