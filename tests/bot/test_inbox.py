"""Durable receipt under a database outage: the bot's PostgreSQL goes away (a TCP proxy in front of the test
server is taken down, tests/bot/pg_proxy.py) and comes back; every press is applied once after it returns, the
user is told once per press that it will be, and never sees the text meant for bugs.

The real bot (run_bot) against the emulator, with an engine through the proxy; the test reads the database
directly (committing_factory)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.services import leads as leads_svc
from core.storage.db import make_engine, make_session_factory
from core.storage.models import ActivityRow, InboxRow, LeadRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.pg_proxy import PgProxy
from tests.bot.support import MANAGER_ID, bot_settings, one_tap_call, register

UNAVAILABLE = "briefly unavailable"
BUG = "Something went wrong"


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[PgProxy]:
    url = make_url(database_url)
    if not url.host:
        pytest.skip("the test PostgreSQL is not on TCP (no proxy can stand in front of it)")
    proxy = await PgProxy.start(url.host, url.port or 5432)
    yield proxy
    await proxy.close()


@pytest.fixture
async def proxied_factory(proxy: PgProxy, database_url: str, committing_factory) -> AsyncIterator[Any]:
    """Sessions through the proxy (``committing_factory`` empties the tables afterwards)."""
    engine = make_engine(proxy.url(database_url), pool_size=4)
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def maria(committing_factory):
    return await register(SqlUnitOfWork(committing_factory), "maria", language="en")


async def _cards(tg, committing_factory, services, actor, count: int) -> list[tuple[int, int]]:
    """``count`` leads with their cards open in Maria's chat: (lead id, card message id)."""
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    cards = []
    for n in range(count):
        lead = await leads_svc.create_lead(
            SqlUnitOfWork(committing_factory), services, actor, source="partner", name=f"Lead {n}"
        )
        await tg.say(user, f"/lead {lead.id}")
        cards.append((lead.id, tg.card(user).message_id))
    return cards


async def _activity_counts(factory: async_sessionmaker[AsyncSession], lead_ids: list[int]) -> dict[int, int]:
    async with factory() as session:
        rows = await session.execute(select(LeadRow.id, LeadRow.activity_count).where(LeadRow.id.in_(lead_ids)))
        return {lead_id: count for lead_id, count in rows}


async def _until(condition, timeout: float = 20.0) -> None:
    """Wait until ``condition()`` (a bool or an awaitable of one) holds."""
    deadline = time.monotonic() + timeout
    while not await _value(condition()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def _sent(fake, chat_id: int, words: str) -> list[Any]:
    return [
        c
        for c in fake.calls_of("sendMessage")
        if c.ok and str(c.params.get("chat_id")) == str(chat_id) and words in str(c.params.get("text"))
    ]


def _alerts(fake, words: str) -> list[Any]:
    return [c for c in fake.calls_of("answerCallbackQuery") if words in str(c.params.get("text") or "")]


OUTAGE_SECONDS = 20


async def test_presses_while_the_database_is_down_are_held_by_telegram_and_all_applied_when_it_returns(
    tg, bot_runner, services, committing_factory, proxied_factory, proxy, maria
) -> None:
    await bot_runner(bot_settings(), services=services, session_factory=proxied_factory)
    cards = await _cards(tg, committing_factory, services, maria, 5)
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")

    proxy.down()
    queries = [tg.fake.press(user, mid, one_tap_call(tg.fake.message(user.id, mid))) for _, mid in cards]
    presses = [tg.last_update_id() - n for n in reversed(range(len(cards)))]
    await _until(lambda: len(_sent(tg.fake, MANAGER_ID, UNAVAILABLE)) == len(cards), timeout=10)
    await asyncio.sleep(OUTAGE_SECONDS)  # the outage goes on (the probe: 20 s): the bot keeps retrying

    lead_ids = [lead_id for lead_id, _ in cards]
    assert set((await _activity_counts(committing_factory, lead_ids)).values()) == {0}
    held = {q.update["update_id"] for q in tg.fake.state.queue}
    assert set(presses) <= held  # not acknowledged: Telegram still has every press

    await proxy.up()
    await _until(lambda: _all_applied(committing_factory, lead_ids))

    assert await _activity_counts(committing_factory, lead_ids) == dict.fromkeys(lead_ids, 1)
    async with committing_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ActivityRow)) == len(cards)
        done = await session.scalars(select(InboxRow.update_id).where(InboxRow.done_at.is_not(None)))
        assert set(presses) <= set(done)
    assert len(_sent(tg.fake, MANAGER_ID, UNAVAILABLE)) == len(cards)  # told once per press
    assert not _sent(tg.fake, MANAGER_ID, BUG) and not _alerts(tg.fake, BUG)
    for query_id in queries:
        tg.answer_of(query_id)  # each press answered exactly once, after it was applied
    await _until(lambda: not set(presses) & {q.update["update_id"] for q in tg.fake.state.queue})


async def test_an_update_whose_handling_loses_the_database_stays_stored_and_is_applied_once_it_returns(
    tg, bot_runner, services, committing_factory, proxied_factory, proxy, maria
) -> None:
    await bot_runner(bot_settings(), services=services, session_factory=proxied_factory)
    [(lead_id, message_id)] = await _cards(tg, committing_factory, services, maria, 1)
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    engine = proxied_factory.kw["bind"].sync_engine
    armed = [True]

    def cut_at_the_claim(conn, cursor, statement, parameters, context, executemany) -> None:
        if armed[0] and "WITH claimed AS" in statement:  # the update was stored; now it is being applied
            armed[0] = False
            proxy.down()

    event.listen(engine, "before_cursor_execute", cut_at_the_claim)
    try:
        query_id = tg.fake.press(user, message_id, one_tap_call(tg.fake.message(user.id, message_id)))
        update_id = tg.last_update_id()
        await tg.fake.wait_for("sendMessage", predicate=lambda c: UNAVAILABLE in str(c.params.get("text")))
    finally:
        event.remove(engine, "before_cursor_execute", cut_at_the_claim)
    async with committing_factory() as session:
        stored = await session.get(InboxRow, update_id)
        assert stored is not None and stored.done_at is None  # stored, not applied
    await asyncio.sleep(1.5)
    assert (await _activity_counts(committing_factory, [lead_id]))[lead_id] == 0

    await proxy.up()
    await _until(lambda: _all_applied(committing_factory, [lead_id]))

    assert (await _activity_counts(committing_factory, [lead_id]))[lead_id] == 1
    assert len(_sent(tg.fake, MANAGER_ID, UNAVAILABLE)) == 1
    assert not _sent(tg.fake, MANAGER_ID, BUG) and not _alerts(tg.fake, BUG)
    tg.answer_of(query_id)


async def _value(result: Any) -> bool:
    return bool(await result) if inspect.isawaitable(result) else bool(result)


async def _all_applied(factory, lead_ids: list[int]) -> bool:
    return set((await _activity_counts(factory, lead_ids)).values()) == {1}


async def test_forged_texts_are_stored_with_their_batch_and_do_not_hold_it_up(
    tg, bot_runner, services, committing_factory, maria
) -> None:
    """U+0000 (which jsonb refuses) and a lone surrogate: the batch is stored, and the update after them answered."""
    await bot_runner(bot_settings(), services=services, session_factory=committing_factory)
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    forged = [tg.fake.send_text(user, "nul \x00 text"), tg.fake.send_text(user, "bad \ud800 text")]
    help_id = tg.fake.send_text(user, "/help")  # queued at once: the same getUpdates batch
    await tg.wait(help_id)
    async with committing_factory() as session:
        for update_id in [*forged, help_id]:
            assert (await session.get(InboxRow, update_id)).done_at is not None
