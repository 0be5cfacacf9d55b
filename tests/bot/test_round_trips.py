"""SQL round trips per update (the benchmark's target: ≤ 5 for a logged activity, auth included)."""

# ruff: noqa: F811  (pytest fixtures imported from tests.bot.support)
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services import users as users_svc
from core.storage.uow import UnitOfWork
from tests.bot.support import MANAGER_ID, bot_settings, handled, tg  # noqa: F401 (fixtures)


@contextmanager
def counting(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement.split()[0].upper() + " " + " ".join(statement.split()[1:4]))

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)


@pytest.fixture
async def card(tg, bot_runner, services, committing_factory):
    maria = Actor.from_user(
        await users_svc.ensure_user(UnitOfWork(committing_factory), user_id=MANAGER_ID, full_name="Maria", role="manager")
    )
    lead = await leads_svc.create_lead(UnitOfWork(committing_factory), services, maria, source="partner")
    # The outbox sender polls on its own clock, not per update: keep it asleep while counting.
    await bot_runner(bot_settings(outbox_poll_seconds=3600), services=services, session_factory=committing_factory)
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, f"/lead {lead.id}")
    await tg.press(user, "📞 Call")  # warm up: connections, prepared statements
    return user


async def test_logging_an_activity_takes_four_sql_statements_with_auth(tg, card, engine) -> None:
    with counting(engine) as statements:
        await tg.press(card, "📞 Call")
    assert len(statements) <= 4, statements  # claim+user, lock lead, insert activity, update lead


async def test_opening_a_card_takes_two_sql_statements_with_auth(tg, card, engine) -> None:
    with counting(engine) as statements:
        await tg.press(card, "🔄 Refresh")
    assert len(statements) <= 2, statements  # claim+user, the lead


async def test_moving_to_the_next_stage_takes_four_sql_statements_with_auth(tg, card, engine) -> None:
    with counting(engine) as statements:
        await tg.press(card, "➡️ Contacted")
    # claim+user, lock the lead, update it, record the stage change (the button names its target stage)
    assert len(statements) <= 4, statements
