"""Webhook mode in-process: the real bot (``run_bot`` with ``BOT_MODE=webhook``) against the emulator, which
plays Telegram posting to the bot's webhook (sandbox/emulator/webhook.py). What is stored, what is refused, and
two replicas with separate pools sharing one inbox."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.callbacks import LeadAction, pack_lead
from core import metrics
from core.services import leads as leads_svc
from core.storage.db import make_engine, make_session_factory
from core.storage.models import ActivityRow, InboxRow, LeadRow
from core.storage.uow import SqlUnitOfWork
from sandbox.emulator.webhook import SECRET_HEADER, WebhookPusher
from tests.bot.pg_proxy import PgProxy
from tests.bot.support import CAST, bot_settings, register

SECRET = "s3cret_Token-for-tests"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def webhook_settings(**overrides: Any) -> Any:
    port = _free_port()
    values = {
        "bot_mode": "webhook",
        "webhook_url": f"http://127.0.0.1:{port}/telegram",
        "webhook_secret": SECRET,
        "webhook_port": port,
        "inbox_poll_seconds": 0.1,
        "inbox_lease_seconds": 5.0,
        "db_pool_size": 4,
    }
    values.update(overrides)
    return bot_settings(**values)


async def _start(bot_runner, settings, factory, services):
    return await bot_runner(
        settings, services=services, session_factory=factory, ready_method="setWebhook", startup_timeout=60
    )


async def _post(url: str, body: Any, secret: str | None = SECRET) -> tuple[int, dict[str, Any]]:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as response:
        return response.status, await response.json()


async def _inbox(factory) -> tuple[int, int]:
    """(rows stored, rows done)."""
    async with factory() as session:
        stored = await session.scalar(select(func.count()).select_from(InboxRow))
        done = await session.scalar(select(func.count()).select_from(InboxRow).where(InboxRow.done_at.is_not(None)))
    return int(stored or 0), int(done or 0)


async def _inbox_once_settled(factory, timeout: float = 5.0) -> tuple[int, int]:
    """``_inbox`` once every stored row is done (or as it is after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.05)):
        counts = await _inbox(factory)
        if counts[0] == counts[1] or time.monotonic() >= deadline:
            return counts
        await asyncio.sleep(0.05)
    return await _inbox(factory)


def _start_update(update_id: int, user_id: int, text: str = "/start") -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Maria", "language_code": "en"}
    chat = {"id": user_id, "type": "private", "first_name": "Maria"}
    return {"update_id": update_id, "message": {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": text}}


async def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[PgProxy]:
    url = make_url(database_url)
    if not url.host:
        pytest.skip("the test PostgreSQL is not on TCP (no proxy can stand in front of it)")
    proxy = await PgProxy.start(url.host, url.port or 5432)
    yield proxy
    await proxy.close()


async def test_webhook_mode_sets_the_webhook_with_its_secret_keeps_pending_updates_and_never_deletes_it(
    fake_tg, bot_runner, services, committing_factory
) -> None:
    settings = webhook_settings()
    running = await _start(bot_runner, settings, committing_factory, services)
    params = fake_tg.state.webhook
    assert params["url"] == settings.webhook_url
    assert params["secret_token"] == SECRET
    assert params["drop_pending_updates"] is False
    assert {"message", "callback_query"} <= set(params["allowed_updates"])
    await running.stop()
    assert fake_tg.calls_of("deleteWebhook") == [] and fake_tg.calls_of("getUpdates") == []
    assert fake_tg.state.webhook_url == settings.webhook_url  # a stopping replica leaves the webhook to the others


async def test_a_wrong_or_missing_secret_is_refused_with_401_counted_and_nothing_is_stored(
    fake_tg, bot_runner, services, committing_factory
) -> None:
    settings = webhook_settings()
    await _start(bot_runner, settings, committing_factory, services)
    refused = metrics.WEBHOOK_REQUESTS.labels("unauthorized")
    before = refused._value.get()
    for secret in ("wrong", None, SECRET + "x", ""):
        assert (await _post(settings.webhook_url, _start_update(901, 5002), secret=secret))[0] == 401
    assert refused._value.get() - before == 4
    assert await _inbox(committing_factory) == (0, 0)
    assert fake_tg.calls_of("sendMessage") == []


async def test_a_body_that_is_not_an_update_is_a_400_with_a_message(
    fake_tg, bot_runner, services, committing_factory
) -> None:
    settings = webhook_settings()
    await _start(bot_runner, settings, committing_factory, services)
    status, body = await _post(settings.webhook_url, {"message": {"text": "no update_id"}})
    assert status == 400 and "update_id" in body["error"]
    assert await _inbox(committing_factory) == (0, 0)


async def test_an_update_is_answered_200_stored_and_applied_once_even_when_telegram_redelivers_it(
    fake_tg, bot_runner, services, committing_factory
) -> None:
    settings = webhook_settings()
    await _start(bot_runner, settings, committing_factory, services)
    fake_tg.user(5999, "Maria", language_code="en")
    update = _start_update(7001, 5999)  # a stranger: the bot answers with how to get an invite
    started = time.monotonic()
    assert (await _post(settings.webhook_url, update))[0] == 200
    acknowledged_in = time.monotonic() - started
    await fake_tg.wait_for("sendMessage", timeout=10)
    assert (await _post(settings.webhook_url, update))[0] == 200  # Telegram did not get the first answer
    await asyncio.sleep(0.5)  # a second application would have replied by now
    assert len(fake_tg.calls_of("sendMessage")) == 1
    assert await _inbox(committing_factory) == (1, 1)
    assert acknowledged_in < 2.0  # stored, not applied, before the answer (generous: the machine is shared)


async def test_posts_are_refused_with_503_while_the_database_is_away_and_stored_once_it_is_back(
    fake_tg, bot_runner, services, committing_factory, proxy, database_url
) -> None:
    engine = make_engine(proxy.url(database_url), pool_size=4)
    try:
        settings = webhook_settings(db_connect_timeout=1.0)
        await _start(bot_runner, settings, make_session_factory(engine), services)
        fake_tg.user(5999, "Maria", language_code="en")
        proxy.down()
        status, body = await _post(settings.webhook_url, _start_update(7101, 5999))
        assert status == 503 and "retry" in body["error"]
        assert fake_tg.calls_of("sendMessage") == []
        await proxy.up()
        assert (await _post(settings.webhook_url, _start_update(7101, 5999)))[0] == 200  # Telegram's redelivery
        await fake_tg.wait_for("sendMessage", timeout=15)
        # the reply goes out inside the update's transaction; the row is marked done when that commits
        assert await _inbox_once_settled(committing_factory) == (1, 1)
    finally:
        await engine.dispose()


async def test_two_replicas_with_their_own_pools_apply_every_press_once_and_in_order_per_chat(
    fake_tg, bot_runner, services, committing_factory, database_url
) -> None:
    presses_each = 8
    people = ["maria", "oleg", "tina"]
    leads_of: dict[int, list[int]] = {}
    for who in people:
        actor = await register(SqlUnitOfWork(committing_factory), who, language="en")
        leads = [
            await leads_svc.create_lead(
                SqlUnitOfWork(committing_factory), services, actor, source="partner", name=f"L{n}"
            )
            for n in range(presses_each)
        ]
        user_id = CAST[who][0]
        leads_of[user_id] = [lead.id for lead in leads]
        user = fake_tg.user(user_id, CAST[who][1], language_code="en")
        for lead in leads:  # queued before the replicas start: a burst the two share
            fake_tg.press(user, 1, pack_lead(LeadAction.LOG_OUTCOME, lead.id, lead.version, "call.no_answer"))
    engines = [make_engine(database_url, pool_size=4) for _ in range(2)]
    try:
        replicas = [webhook_settings() for _ in engines]
        for settings, engine in zip(replicas, engines, strict=True):
            await _start(bot_runner, settings, make_session_factory(engine), services)
        async with WebhookPusher(fake_tg, [s.webhook_url for s in replicas], SECRET) as pusher:

            async def all_done() -> bool:
                return (await _inbox(committing_factory))[1] == presses_each * len(people)

            await _until(all_done, 30, "every press applied")
            await asyncio.sleep(0.3)
        assert pusher.answers[200] == presses_each * len(people)
    finally:
        for engine in engines:
            await engine.dispose()
    async with committing_factory() as session:
        rows = (await session.execute(select(ActivityRow.lead_id, ActivityRow.id).order_by(ActivityRow.id))).all()
    applied = [lead_id for lead_id, _ in rows]
    assert sorted(applied) == sorted(i for ids in leads_of.values() for i in ids)  # each press exactly once
    for ids in leads_of.values():  # per chat: applied in the order pressed
        assert [lead_id for lead_id in applied if lead_id in ids] == ids


async def test_a_stopping_replica_takes_no_new_update_finishes_the_one_in_hand_and_exits(
    fake_tg, bot_runner, services, committing_factory
) -> None:
    """What SIGTERM does (``_stop_on_signals`` sets the same stop event): a drain, not a drop."""
    maria = await register(SqlUnitOfWork(committing_factory), "maria", language="en")
    first, second = [
        await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, maria, source="partner", name=name)
        for name in ("In hand", "Arrives while stopping")
    ]
    user = fake_tg.user(CAST["maria"][0], "Maria", language_code="en")
    settings = webhook_settings()
    running = await _start(bot_runner, settings, committing_factory, services)
    async with committing_factory() as blocker, blocker.begin():  # the press will wait inside its transaction
        await blocker.execute(select(LeadRow.id).where(LeadRow.id == first.id).with_for_update())
        async with WebhookPusher(fake_tg, [settings.webhook_url], SECRET) as pusher:
            fake_tg.press(user, 1, pack_lead(LeadAction.LOG_OUTCOME, first.id, first.version, "call.no_answer"))

            async def leased() -> bool:
                async with committing_factory() as session:
                    return bool(await session.scalar(select(func.count()).where(InboxRow.leased_by.is_not(None))))

            await _until(leased, 10, "the press to be leased")
            stopping = asyncio.create_task(running.stop())
            await asyncio.sleep(0.3)
            other = fake_tg.user(CAST["oleg"][0], "Oleg", language_code="en")  # another chat: free to be leased
            fake_tg.press(other, 1, pack_lead(LeadAction.LOG_OUTCOME, second.id, second.version, "call.no_answer"))

            async def stored_both() -> bool:
                return (await _inbox(committing_factory))[0] == 2

            await _until(stored_both, 10, "the second press to be stored")
            assert not stopping.done()  # still finishing the press in hand
    await asyncio.wait_for(stopping, 15)  # the lock is gone: the press in hand completes, then run_bot returns
    async with committing_factory() as session:
        logged = (await session.execute(select(ActivityRow.lead_id))).scalars().all()
        waiting = (await session.execute(select(InboxRow.leased_by).where(InboxRow.done_at.is_(None)))).all()
    assert logged == [first.id]  # finished, not dropped
    assert waiting == [(None,)]  # the later one was stored, not taken: it waits for another replica
    assert pusher.answers[200] == 2
