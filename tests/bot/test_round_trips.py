"""SQL round trips per update, BEGIN/COMMIT included.

Issue 3's bound was ≤ 5 for a logged activity, auth included; issue 8 made the service's nested unit of work a
SAVEPOINT (taken lazily before its first write), so every update that changes something costs one more: 6.
Reads still cost 4. Issue 9 stores every batch in the inbox before it is acknowledged: 3 more per batch
(BEGIN, one INSERT for the whole batch, COMMIT), here one update per batch; the update's own unit of work
marks it done with its change, so its count stays (a read now ends with COMMIT instead of ROLLBACK)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from core.scoring.provider import LearnedOrRules
from core.services import leads as leads_svc
from core.services.context import Services
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, bot_settings, one_tap_call, register


@contextmanager
def counting(engine) -> Iterator[list[str]]:
    """Every round trip to PostgreSQL: the statements (``before_cursor_execute``) and BEGIN / COMMIT /
    ROLLBACK (the connection's transaction events; asyncpg sends each as one simple query)."""
    trips: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        trips.append(statement.split()[0].upper() + " " + " ".join(statement.split()[1:4]))

    def begin(conn) -> None:
        trips.append("BEGIN")

    def commit(conn) -> None:
        trips.append("COMMIT")

    def rollback(conn) -> None:
        trips.append("ROLLBACK")

    listeners: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", before),
        ("begin", begin),
        ("commit", commit),
        ("rollback", rollback),
    ]
    for name, fn in listeners:
        event.listen(engine.sync_engine, name, fn)
    try:
        yield trips
    finally:
        for name, fn in listeners:
            event.remove(engine.sync_engine, name, fn)


def statements(trips: list[str]) -> list[str]:
    return [t for t in trips if t not in ("BEGIN", "COMMIT", "ROLLBACK")]


def applying(trips: list[str]) -> list[str]:
    """The update's own round trips: ``trips`` without the receipt (the batch stored in the inbox), which must be
    exactly BEGIN, one INSERT INTO inbox, COMMIT."""
    at = next(i for i, t in enumerate(trips) if t.startswith("INSERT INTO inbox"))
    assert trips[at - 1 : at + 2] == ["BEGIN", trips[at], "COMMIT"], trips
    return trips[: at - 1] + trips[at + 2 :]


@pytest.fixture
def learned_services(policy) -> Services:
    """The product's scorer provider (make_services): the learned model when one is active, else rules-v1."""
    return Services(policy=policy, scorers=LearnedOrRules())


@pytest.fixture
async def card(tg, bot_runner, learned_services, committing_factory):
    services = learned_services
    maria = await register(SqlUnitOfWork(committing_factory), "maria")
    lead = await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, maria, source="partner")
    # The outbox sender polls on its own clock, not per update: keep it asleep while counting.
    await bot_runner(bot_settings(outbox_poll_seconds=3600), services=services, session_factory=committing_factory)
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, f"/lead {lead.id}")
    await tg.press(user, "📞 Call")  # warm up: connections, prepared statements (how did it go?)
    await tg.press(user, "📵 Call · no answer")
    await tg.press(user, "Skip ⏭")  # "next step?" after the call: not now, back to the card
    await tg.press(user, "🔮 Analyze")  # ... and the scorer provider's active-version check
    return user


# Every update's first statement claims its update id (redelivery guard) and reads the user (auth) at once.


async def test_logging_an_activity_takes_six_round_trips_with_auth(tg, card, engine) -> None:
    shown = tg.card(card)
    with counting(engine) as received:
        await tg.press_data(card, shown.message_id, one_tap_call(shown))  # the outcome: the press that logs
    trips = applying(received)
    # BEGIN, claim+user, lock the lead, SAVEPOINT, insert the activity and update the lead (one statement), COMMIT
    assert len(statements(trips)) == 4 and len(trips) <= 6, trips


async def test_opening_a_card_takes_four_round_trips_with_auth(tg, card, engine) -> None:
    with counting(engine) as received:
        await tg.press(card, "🔄 Refresh")
    trips = applying(received)
    # BEGIN, claim+user, the lead, COMMIT (the done mark alone)
    assert len(statements(trips)) == 2 and len(trips) <= 4, trips


async def test_moving_to_the_next_stage_takes_seven_round_trips_with_auth(tg, card, engine) -> None:
    with counting(engine) as received:
        await tg.press(card, "➡️ Contacted")
    trips = applying(received)
    # BEGIN, claim+user, lock the lead, SAVEPOINT, update it and record the stage change (one statement), queue
    # its webhook event for the hooks that want it (one INSERT … SELECT, in the same transaction), COMMIT
    assert len(statements(trips)) == 5 and len(trips) <= 7, trips


async def test_analyzing_takes_six_round_trips_with_auth_and_no_model_version_query(tg, card, engine) -> None:
    with counting(engine) as received:
        await tg.press(card, "🔮 Analyze")
    trips = applying(received)
    # BEGIN, claim+user, lock the lead, SAVEPOINT, store the score, COMMIT; the active model version is
    # remembered by the scorer provider (LearnedOrRules' TTL), not read on every press
    assert not [t for t in trips if "model_versions" in t], trips
    assert len(statements(trips)) == 4 and len(trips) <= 6, trips
