"""How an activity went, in one extra tap: "📞 Call" asks reached / no answer / call back (a meeting held /
cancelled); on a new lead "… → Contacted" moves it in the same tap; the history says who logged what and
who moved the stage, by name."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.domain.enums import Stage
from core.services import leads as leads_svc
from core.storage.models import ActivityRow, LeadRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, alert_text, bot_settings, register


@pytest.fixture
async def maria(committing_factory):
    return await register(SqlUnitOfWork(committing_factory), "maria")


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def _card(tg, committing_factory, services, actor, **kw):
    lead = await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, actor, source="partner", **kw)
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, f"/lead {lead.id}")
    return lead, user, tg.card(user)


async def _rows(committing_factory, lead_id):
    async with committing_factory() as session:
        lead = await session.get(LeadRow, lead_id)
        acts = (await session.execute(select(ActivityRow.kind, ActivityRow.outcome))).all()
        return lead, [(str(k), o) for k, o in acts]


async def test_the_first_call_logs_reached_and_moves_the_lead_to_contacted_in_one_tap(
    tg, running, services, committing_factory, maria
) -> None:
    lead, user, card = await _card(tg, committing_factory, services, maria, name="Acme")
    await tg.press(user, "📞 Call", message_id=card.message_id)
    menu = tg.fake.message(user.id, card.message_id)
    assert "Call: how did it go?" in menu.text
    assert {"✅ Call · reached → Contacted", "✅ Call · reached", "📵 Call · no answer"} <= set(menu.button_texts)
    answer = await tg.press(user, "✅ Call · reached → Contacted", message_id=card.message_id)
    assert "Logged: Call · reached; stage: Contacted" in alert_text(answer)
    row, acts = await _rows(committing_factory, lead.id)
    assert row.stage == Stage.CONTACTED and acts == [("call", "reached")]


async def test_a_meeting_on_a_contacted_lead_asks_held_or_cancelled_only(
    tg, running, services, committing_factory, maria
) -> None:
    lead, user, card = await _card(tg, committing_factory, services, maria)
    await leads_svc.log_activity(
        SqlUnitOfWork(committing_factory), services, maria, lead.id, kind="call", to_contacted=True
    )
    await tg.say(user, f"/lead {lead.id}")
    card = tg.card(user)
    await tg.press(user, "🤝 Meeting", message_id=card.message_id)
    menu = tg.fake.message(user.id, card.message_id)
    assert [t for t in menu.button_texts if "Meeting" in t] == ["✅ Meeting · held", "❌ Meeting · cancelled"]
    await tg.press(user, "❌ Meeting · cancelled", message_id=card.message_id)
    row, acts = await _rows(committing_factory, lead.id)
    assert row.stage == Stage.CONTACTED and ("meeting", "cancelled") in acts


async def test_a_message_on_a_contacted_lead_is_still_one_tap(tg, running, services, committing_factory, maria) -> None:
    lead, user, _card_shown = await _card(tg, committing_factory, services, maria)
    await leads_svc.change_stage(SqlUnitOfWork(committing_factory), services, maria, lead.id, "contacted")
    await tg.say(user, f"/lead {lead.id}")
    answer = await tg.press(user, "✉️ Message", message_id=tg.card(user).message_id)
    assert "Logged: Message" in alert_text(answer)
    assert (await _rows(committing_factory, lead.id))[1] == [("message", None)]


async def test_a_forged_outcome_for_the_kind_changes_nothing(tg, running, services, committing_factory, maria) -> None:
    lead, user, card = await _card(tg, committing_factory, services, maria)
    answer = await tg.press_data(user, card.message_id, f"ld:ao:{lead.id}:{lead.version}:call.held.c")
    assert answer.params.get("show_alert") is True
    row, acts = await _rows(committing_factory, lead.id)
    assert row.stage == Stage.NEW and acts == []


async def test_history_names_who_logged_each_activity_and_moved_each_stage(
    tg, running, services, committing_factory, maria
) -> None:
    lead, user, card = await _card(tg, committing_factory, services, maria, name="Acme")
    await tg.press(user, "📞 Call", message_id=card.message_id)
    await tg.press(user, "✅ Call · reached → Contacted", message_id=card.message_id)
    await tg.say(user, f"/lead {lead.id}")
    await tg.press(user, "🕓 History", message_id=tg.card(user).message_id)
    text = tg.fake.last_keyboard_message(user.id).text
    assert "New → Contacted · Maria" in text and "Call · reached · Maria" in text
    assert f"tg:{MANAGER_ID}" not in text


async def _acts_with_text(committing_factory, lead_id):
    async with committing_factory() as session:
        stmt = select(ActivityRow.kind, ActivityRow.text).where(ActivityRow.lead_id == lead_id).order_by(ActivityRow.id)
        return [(str(k), t) for k, t in (await session.execute(stmt)).all()]


async def test_a_logged_call_takes_an_optional_comment_shown_in_the_history(
    tg, running, services, committing_factory, maria
) -> None:
    lead, user, card = await _card(tg, committing_factory, services, maria, name="Acme")
    await tg.press(user, "📞 Call", message_id=card.message_id)
    await tg.press(user, "📵 Call · no answer", message_id=card.message_id)
    assert "💬 Add a comment" in tg.fake.message(user.id, card.message_id).button_texts
    await tg.press(user, "💬 Add a comment", message_id=card.message_id)
    assert "Type a comment for Acme" in tg.text(user)
    await tg.say(user, "Secretary says he is on holiday till Monday")
    assert "Comment saved: Call · no answer." in tg.text(user)
    assert await _acts_with_text(committing_factory, lead.id) == [
        ("call", "Secretary says he is on holiday till Monday")
    ]
    await tg.say(user, f"/lead {lead.id}")
    await tg.press(user, "🕓 History", message_id=tg.card(user).message_id)
    assert "Call · no answer — Secretary says he is on holiday till Monday · Maria" in tg.text(user)


async def test_a_comment_for_another_leads_activity_or_a_forged_one_changes_nothing(
    tg, running, services, committing_factory, maria
) -> None:
    other, _user, _card_shown = await _card(tg, committing_factory, services, maria, name="Other")
    _lead, other_act = await leads_svc.log_activity(
        SqlUnitOfWork(committing_factory), services, maria, other.id, kind="call"
    )
    lead, user, card = await _card(tg, committing_factory, services, maria, name="Acme")
    answer = await tg.press_data(user, card.message_id, f"ld:cm:{lead.id}:0:abc")
    assert answer.params.get("show_alert") is True
    await tg.press_data(user, card.message_id, f"ld:cm:{lead.id}:0:{other_act.id}")  # asks, then checks the id
    await tg.say(user, "a comment that must go nowhere")
    assert "out of date" in tg.text(user)
    await tg.say(user, "and neither must this")  # the dialog is over: a plain text, not a comment
    assert await _acts_with_text(committing_factory, other.id) == [("call", None)]
    assert await _acts_with_text(committing_factory, lead.id) == []


async def test_ru_the_comment_prompt_and_confirmation_are_russian(tg, running, services, committing_factory, maria):
    lead = await leads_svc.create_lead(
        SqlUnitOfWork(committing_factory), services, maria, source="partner", name="Acme"
    )
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.say(user, f"/lead {lead.id}")
    card = tg.card(user)
    await tg.press(user, "📞 Звонок", message_id=card.message_id)
    buttons = tg.fake.message(user.id, card.message_id).button_texts
    await tg.press(
        user, next(b for b in buttons if "не ответил" in b or "недозвон" in b.lower()), message_id=card.message_id
    )
    await tg.press(user, "💬 Добавить комментарий", message_id=card.message_id)
    assert "Комментарий для: Acme. Напишите его" in tg.text(user)
    await tg.say(user, "перезвонить после обеда")
    assert "Комментарий сохранён" in tg.text(user)
