"""The lead card under pressure: double presses, old cards, forged buttons, redelivered updates,
too-long text, /cancel. Real Dispatcher + HTTP to the emulator + PostgreSQL with real commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.callbacks import LeadAction, LeadCb, NewLeadCb
from core.domain.enums import LostReason, Stage
from core.services import leads as leads_svc
from core.storage.models import ActivityRow, InboxRow, LeadRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import (
    MANAGER_ID,
    TEAM_LEAD_ID,
    alert_text,
    bot_settings,
    lead_id_of,
    one_tap_call,
    register,
)


@pytest.fixture
async def team(committing_factory):
    """Two managers and a team lead, registered; returns their actors."""
    uow = SqlUnitOfWork(committing_factory)
    return {
        "maria": await register(uow, "maria", language="ru"),
        "oleg": await register(uow, "oleg"),
        "tina": await register(uow, "tina"),
    }


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def _lead(committing_factory, services, actor, **kw):
    return await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, actor, source="partner", **kw)


async def _open(tg, user, lead_id):
    await tg.say(user, f"/lead {lead_id}")
    return tg.card(user)


async def _lead_row(committing_factory, lead_id) -> LeadRow:
    async with committing_factory() as session:
        return await session.get(LeadRow, lead_id)


async def test_a_double_press_logs_one_activity_and_the_second_press_gets_an_alert(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Acme")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "📞 Call", message_id=card.message_id)  # how did it go?
    menu = tg.fake.message(maria.id, card.message_id)
    assert "Call: how did it go?" in menu.text
    stale_call = next(b["callback_data"] for b in menu.buttons if b["text"] == "📵 Call · no answer")

    first = await tg.press_data(maria, card.message_id, stale_call)
    second = await tg.press_data(maria, card.message_id, stale_call)  # the same button data again

    assert "Logged: Call · no answer" in alert_text(first)
    assert second.params.get("show_alert") is True
    assert "out of date" in alert_text(second)
    row = await _lead_row(committing_factory, lead.id)
    assert row.activity_count == 1
    async with committing_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ActivityRow)) == 1
    # The card was refreshed: it shows the current state and buttons with the current version.
    refreshed = tg.fake.message(maria.id, card.message_id)
    assert "Activities: 1" in refreshed.text
    assert all(
        f":{row.version}:" in b["callback_data"] for b in refreshed.buttons if b["callback_data"].startswith("ld:")
    )


async def test_two_presses_in_flight_at_once_still_act_once(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "🤝 Meeting", message_id=card.message_id)
    menu = tg.fake.message(maria.id, card.message_id)
    data = next(b["callback_data"] for b in menu.buttons if b["text"] == "✅ Meeting · held")
    q1 = tg.fake.press(maria, card.message_id, data)
    q2 = tg.fake.press(maria, card.message_id, data)
    await tg.wait(tg.last_update_id())
    await tg.wait(tg.last_update_id() - 1)
    answers = [tg.answer_of(q1), tg.answer_of(q2)]
    assert sorted(bool(a.params.get("show_alert")) for a in answers) == [False, True]
    assert (await _lead_row(committing_factory, lead.id)).activity_count == 1


async def test_an_old_card_cannot_move_the_stage(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    old = await _open(tg, maria, lead.id)
    old_next = next(b["callback_data"] for b in old.buttons if b["text"].startswith("➡️"))
    # Meanwhile the lead changes elsewhere (e.g. in the API or another card).
    await leads_svc.log_activity(SqlUnitOfWork(committing_factory), services, team["maria"], lead.id, kind="call")

    answer = await tg.press_data(maria, old.message_id, old_next)

    assert answer.params.get("show_alert") is True and "out of date" in alert_text(answer)
    assert (await _lead_row(committing_factory, lead.id)).stage == Stage.NEW
    assert "Activities: 1" in tg.fake.message(maria.id, old.message_id).text  # refreshed in place


async def test_a_forged_button_for_another_managers_lead_changes_nothing(
    tg, team, running, services, committing_factory
) -> None:
    olegs = await _lead(committing_factory, services, team["oleg"], name="Oleg's secret client")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/start")
    menu = tg.fake.last_message(maria.id)
    before = await _lead_row(committing_factory, olegs.id)

    for action, x in [(LeadAction.LOG, "call"), (LeadAction.NEXT, ""), (LeadAction.ANALYZE, ""), (LeadAction.OPEN, "")]:
        forged = LeadCb(a=action, id=olegs.id, v=before.version, x=x).pack()
        answer = await tg.press_data(maria, menu.message_id, forged)
        assert answer.params.get("show_alert") is True
        assert f"Lead #{olegs.id} not found" in alert_text(answer)

    after = await _lead_row(committing_factory, olegs.id)
    assert (after.version, after.activity_count, after.stage, after.ai_score) == (before.version, 0, Stage.NEW, None)
    assert "secret" not in " ".join(m.text for m in tg.fake.messages(maria.id))
    await tg.say(maria, f"/lead {olegs.id}")
    assert f"Lead #{olegs.id} not found" in tg.text(maria)


async def test_a_team_lead_sees_and_works_every_managers_lead(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["oleg"], name="Shared Co")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    card = await _open(tg, tina, lead.id)
    assert "Shared Co" in card.text and "Owner: Oleg" in card.text
    await tg.press(tina, "✉️ Message", message_id=card.message_id)  # a new lead: "→ Contacted" too?
    await tg.press(tina, "✉️ Message", message_id=card.message_id)  # no: just the message
    row = await _lead_row(committing_factory, lead.id)
    assert row.activity_count == 1 and row.stage == Stage.NEW


async def test_a_redelivered_update_does_not_act_twice(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    tg.fake.press(maria, card.message_id, one_tap_call(card))
    update_id = tg.last_update_id()
    await tg.wait(update_id)
    calls_before = len(tg.fake.calls)

    await tg.redeliver(update_id)

    assert (await _lead_row(committing_factory, lead.id)).activity_count == 1
    async with committing_factory() as session:
        assert (await session.get(InboxRow, update_id)).done_at is not None
    sent_again = [c for c in tg.fake.calls[calls_before:] if c.method != "getUpdates"]
    assert sent_again == []  # skipped silently: no second answer, no second edit


async def test_a_redelivered_note_is_saved_once(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "📝 Note", message_id=card.message_id)
    assert "Type the note" in tg.text(maria)
    update_id = await tg.say(maria, "Asked for the price list")
    await tg.redeliver(update_id)
    async with committing_factory() as session:
        texts = (await session.scalars(select(ActivityRow.text))).all()
    assert texts == ["Asked for the price list"]


async def test_a_note_that_looks_like_a_command_offers_cancel_once(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "📝 Note", message_id=card.message_id)
    await tg.say(maria, "/price list sent")
    reply = tg.text(maria)
    assert "looks like a command" in reply and reply.count("/cancel") == 1
    assert (await _lead_row(committing_factory, lead.id)).activity_count == 0


async def test_a_too_long_note_is_refused_with_the_reason_and_asked_again(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "📝 Note", message_id=card.message_id)

    await tg.say(maria, "x" * 4050)
    reply = tg.text(maria)
    assert "too long" in reply and "4000" in reply and "4050" in reply and "/cancel" in reply
    assert (await _lead_row(committing_factory, lead.id)).activity_count == 0

    await tg.say(maria, "short and sweet")  # still asking: the next text is the note
    assert "Note saved" in tg.text(maria)
    assert (await _lead_row(committing_factory, lead.id)).activity_count == 1


async def test_a_too_long_name_in_the_dialog_is_asked_again_in_russian(tg, team, running, committing_factory) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.say(maria, "/new")
    await tg.say(maria, "Я" * 201)
    assert "слишком длинно" in tg.text(maria) and "200" in tg.text(maria)
    await tg.say(maria, "Короткое имя")
    assert "Откуда пришёл лид?" in tg.text(maria)


async def test_a_bad_contact_is_explained_and_asked_again(tg, team, running, committing_factory) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/new")
    await tg.say(maria, "Acme")
    await tg.press(maria, "Scanner")
    await tg.press(maria, "saas")
    await tg.say(maria, "call me maybe")
    assert "phone number, an e-mail address or a Telegram @username" in tg.text(maria)
    await tg.say(maria, "ceo@acme.io")
    card = tg.card(maria)
    assert "Lead created" in card.text and "ceo@acme.io" in card.text and "Domain: saas" in card.text
    row = await _lead_row(committing_factory, lead_id_of(card.text))
    assert (row.name, row.source, row.business_domain, row.owner_id) == ("Acme", "scanner", "saas", MANAGER_ID)


async def test_cancel_stops_the_dialog_at_any_step(tg, team, running, committing_factory) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/new")
    await tg.say(maria, "Acme")
    await tg.say(maria, "/cancel")
    assert "Cancelled" in tg.text(maria)
    answer = await tg.press(maria, "Partner", message_id=tg.fake.messages(maria.id)[-2].message_id)
    assert answer.params.get("show_alert") is True and "dialog is over" in alert_text(answer)
    await tg.say(maria, "/cancel")
    assert "Nothing to cancel" in tg.text(maria)
    async with committing_factory() as session:
        assert await session.scalar(select(func.count()).select_from(LeadRow)) == 0


async def test_lost_with_a_preset_reason(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "❌ Lost", message_id=card.message_id)
    await tg.press(maria, "No budget", message_id=card.message_id)
    asked = tg.fake.message(maria.id, card.message_id)
    assert "Mark the lead as lost (No budget)? This cannot be undone." in asked.text
    assert (await _lead_row(committing_factory, lead.id)).stage == Stage.NEW  # nothing yet
    yes = next(b["callback_data"] for b in asked.buttons if b["text"] == "✅ Yes")
    await tg.press(maria, "✅ Yes", message_id=card.message_id)
    row = await _lead_row(committing_factory, lead.id)
    assert (row.stage, row.lost_reason_code, row.lost_reason) == (Stage.LOST, LostReason.NO_BUDGET, None)
    again = await tg.press_data(maria, card.message_id, yes)  # a stale confirmation changes nothing
    assert again.params.get("show_alert") is True
    assert (await _lead_row(committing_factory, lead.id)).version == row.version
    final = tg.fake.message(maria.id, card.message_id)
    assert "Lost reason: No budget" in final.text
    assert final.button_texts == ["🕓 History", "🔄 Refresh"]  # a final lead offers no actions


async def test_no_on_the_lost_confirmation_keeps_the_lead_open(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "❌ Lost", message_id=card.message_id)
    await tg.press(maria, "Chose a competitor", message_id=card.message_id)
    await tg.press(maria, "✖️ No", message_id=card.message_id)
    assert (await _lead_row(committing_factory, lead.id)).stage == Stage.NEW
    assert "❌ Lost" in tg.fake.message(maria.id, card.message_id).button_texts  # back on the card


async def test_history_shows_stage_changes_and_activities(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    await leads_svc.log_activity(
        SqlUnitOfWork(committing_factory), services, team["maria"], lead.id, kind="note", text="<b>hi</b>"
    )
    await leads_svc.change_stage(SqlUnitOfWork(committing_factory), services, team["maria"], lead.id, "contacted")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "🕓 History", message_id=card.message_id)
    shown = tg.fake.message(maria.id, card.message_id)
    assert "New → Contacted" in shown.text and "Note — <b>hi</b>" in shown.text
    assert shown.button_texts == ["⬅️ Back to the card"]


async def test_every_callback_is_answered_exactly_once(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    for data in [b["callback_data"] for b in card.buttons] + [
        "garbage",
        "ld:zz:1:1:",
        "ls:bogus:x",
        "mn:nope",
        "us:o:1:",
    ]:
        await tg.press_data(maria, card.message_id, data)  # answer_of asserts exactly one answer
    for call in tg.fake.calls_of("answerCallbackQuery"):
        assert call.ok, call


async def test_lost_with_a_typed_reason(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    card = await _open(tg, maria, lead.id)
    await tg.press(maria, "❌ Потерян", message_id=card.message_id)
    await tg.press(maria, "✍️ Другая причина (текстом)", message_id=card.message_id)
    await tg.say(maria, "r" * 501)
    assert "не больше 500 символов" in tg.text(maria)
    await tg.say(maria, "Ушёл к <другу>")
    row = await _lead_row(committing_factory, lead.id)
    assert (row.stage, row.lost_reason) == (Stage.LOST, "Ушёл к <другу>")
    assert "Причина потери: Ушёл к <другу>" in tg.card(maria).text


async def test_a_forged_next_stage_button_cannot_skip_a_stage(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"])
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    card = await _open(tg, maria, lead.id)
    for target in ("qualified", "transferred", "lost"):
        forged = LeadCb(a=LeadAction.NEXT, id=lead.id, v=1, x=target).pack()
        answer = await tg.press_data(maria, card.message_id, forged)
        assert answer.params.get("show_alert") is True
    row = await _lead_row(committing_factory, lead.id)
    assert (row.stage, row.version) == (Stage.NEW, 1)


async def test_a_forged_source_in_the_new_lead_dialog_is_refused_politely(
    tg, team, running, committing_factory
) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/new")
    await tg.say(maria, "Initech")
    question = tg.card(maria)
    answer = await tg.press_data(maria, question.message_id, NewLeadCb(step="src", val="cold-call").pack())
    assert answer.params.get("show_alert") is True
    assert "source" in alert_text(answer) and "cold-call" in alert_text(answer)
    await tg.press(maria, 0, message_id=question.message_id)  # the dialog goes on with a real source
    assert "business domain" in tg.text(maria).lower()
