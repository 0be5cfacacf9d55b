"""/model for admins through the real Dispatcher: the chart (a PNG), the transfer gate changed after a
confirmation (buttons or typed, ru and en) and recorded, a stale "Yes" refused, a roll-back to an older version."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.scoring.provider import LearnedOrRules
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import ADMIN_ID, bot_settings, register
from tests.model_versions import version

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    await register(uow, "maria")
    async with uow:
        await uow.ml.add(version("logreg-old", auc=0.81, day=1), activate=False)
        await uow.ml.add(version("logreg-new", auc=0.78, day=20), activate=True)
        await uow.commit()
    LearnedOrRules.activations_changed()
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def _scalar(factory, sql: str):
    async with factory() as session:
        return (await session.execute(text(sql))).scalar()


async def test_model_sends_the_chart_as_a_png_before_the_plain_words(tg, running) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/model")
    photo, words = tg.fake.messages(admin.id)[-2:]
    assert photo.media is not None and photo.media.kind == "photo" and photo.media.data.startswith(PNG)
    assert "active scorer: logreg-new" in words.text
    assert words.button_texts == ["🎚 Transfer gate", "🗂 Model versions"]


async def test_an_admin_moves_the_gate_with_buttons_after_confirming_and_it_is_recorded(
    tg, running, committing_factory
) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/model")
    await tg.press(admin, "🎚 Transfer gate")
    assert "The transfer gate is 0.60" in tg.text(admin)
    assert "0.55" in tg.card(admin).button_texts and "0.60" not in tg.card(admin).button_texts
    await tg.press(admin, "0.50")
    assert "Set the transfer gate to 0.50 (now 0.60)?" in tg.text(admin)
    assert await _scalar(committing_factory, "SELECT count(*) FROM model_changes") == 0  # only asked so far
    answer = await tg.press(admin, "✅ Yes")
    assert answer.params.get("text") == "Transfer gate set."
    assert "The transfer gate is now 0.50" in tg.text(admin)
    gate = await _scalar(
        committing_factory, "SELECT value->>'threshold' FROM team_settings WHERE key = 'transfer_gate'"
    )
    assert float(gate) == 0.5
    detail = await _scalar(committing_factory, "SELECT detail::text FROM model_changes WHERE kind = 'gate'")
    assert '"to": 0.5' in detail and '"from": 0.6' in detail
    await tg.say(admin, "/model")
    assert "Alice: transfer gate 0.60 → 0.50" in tg.text(admin)


async def test_a_second_yes_on_the_same_question_changes_nothing(tg, running, committing_factory) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/model")
    await tg.press(admin, "🎚 Transfer gate")
    await tg.press(admin, "0.70")
    question = tg.card(admin)
    yes = next(b["callback_data"] for b in question.buttons if b["text"] == "✅ Yes")
    await tg.press(admin, "✅ Yes", message_id=question.message_id)
    answer = await tg.press_data(admin, question.message_id, yes)
    assert "out of date" in answer.params.get("text", "")
    assert await _scalar(committing_factory, "SELECT count(*) FROM model_changes") == 1


async def test_a_typed_gate_in_russian_asks_first_and_a_bad_one_is_refused_politely(tg, running) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="ru")
    await tg.say(admin, "/model порог 0,55")
    assert "Установить порог передачи 0.55 (сейчас 0.60)?" in tg.text(admin)
    await tg.say(admin, "/model gate 2")
    assert "от 0.05 до 0.95" in tg.text(admin)


async def test_an_admin_rolls_back_to_an_older_version_after_confirming(tg, running, committing_factory) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/model")
    await tg.press(admin, "🗂 Model versions")
    buttons = tg.card(admin).button_texts
    assert buttons == ["✅ 2026-11-20 09:00 · 78/100", "2026-11-01 09:00 · 81/100", "⬅️ Back"]
    await tg.press(admin, "2026-11-01 09:00 · 81/100")
    assert "Switch the scorer to logreg-old?" in tg.text(admin) and "Active now: logreg-new" in tg.text(admin)
    await tg.press(admin, "✅ Yes")
    assert "Model logreg-old is now active" in tg.text(admin)
    active = await _scalar(committing_factory, "SELECT version FROM model_versions WHERE is_active")
    assert active == "logreg-old"
    detail = await _scalar(committing_factory, "SELECT detail::text FROM model_changes WHERE kind = 'activate'")
    assert '"version": "logreg-old"' in detail and '"from": "logreg-new"' in detail
    await tg.say(admin, "/model")
    assert "active scorer: logreg-old" in tg.text(admin)


async def test_the_model_screens_are_in_russian_for_a_russian_admin(tg, running) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="ru")
    await tg.say(admin, "/model")
    assert tg.card(admin).button_texts == ["🎚 Порог передачи", "🗂 Версии модели"]
    await tg.press(admin, "🗂 Версии модели")
    assert "Сохранённые версии модели" in tg.text(admin)
