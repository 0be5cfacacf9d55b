"""Admin model commands: /model shows the active scorer, /train trains or says why it cannot."""

from __future__ import annotations

import pytest

from core.storage.uow import SqlUnitOfWork
from tests.bot.support import ADMIN_ID, MANAGER_ID, bot_settings, register


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    await register(SqlUnitOfWork(committing_factory), "maria")
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def test_model_shows_the_hand_rule_until_a_model_is_trained(tg, running) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/model")
    assert "active scorer: rules-v1" in tg.text(admin)


async def test_train_without_enough_history_says_why_in_the_users_language(tg, running) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="ru")
    mark = len(tg.fake.calls) - 1
    await tg.say(admin, "/train")
    # the report comes from a background task, after the update itself was handled
    await tg.fake.wait_for("sendMessage", after=mark, predicate=lambda c: "Мало истории" in str(c.params.get("text")))
    replies = [m.text for m in tg.fake.messages(admin.id)]
    assert "Обучаю" in replies[-2]
    assert "Мало истории для обучения" in replies[-1] and "rules-v1" in replies[-1]


async def test_model_commands_are_for_admins_only(tg, running) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/train")
    assert tg.text(maria) == "Only an admin can do this."
    await tg.say(maria, "/model")
    assert tg.text(maria) == "Only an admin can do this."
