"""Owners in the bot: the card's Assign picker, the new owner's message, /queue, /assignment, the deactivation
hand-over, /new for the queue. Real Dispatcher + HTTP to the emulator + PostgreSQL with real commits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.domain.enums import AssignmentRule
from core.services import assignment
from core.services import leads as leads_svc
from core.storage.models import LeadRow, UserRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import (
    ADMIN_ID,
    MANAGER_ID,
    OTHER_MANAGER_ID,
    TEAM_LEAD_ID,
    alert_text,
    bot_settings,
    lead_id_of,
    register,
)


@pytest.fixture
async def team(committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    return {
        "maria": await register(uow, "maria", language="en"),
        "oleg": await register(uow, "oleg", language="ru"),
        "tina": await register(uow, "tina", language="en"),
    }


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def _lead(committing_factory, services, actor, **kw):
    return await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, actor, source="partner", **kw)


async def _owner(committing_factory, lead_id: int) -> int | None:
    async with committing_factory() as session:
        return (await session.get(LeadRow, lead_id)).owner_id


async def test_a_team_lead_assigns_from_the_card_and_the_new_owner_gets_a_message_with_a_link(
    tg, fake_tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Acme")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, f"/lead {lead.id}")
    card = tg.card(tina)
    await tg.press(tina, "👤 Assign", message_id=card.message_id)
    picker = tg.fake.message(tina.id, card.message_id)
    assert "Whom should Acme go to?" in picker.text
    labels = [b["text"] for b in picker.buttons]
    assert "✅ Maria · Manager" in labels and "Oleg · Manager" in labels and "📥 Back to the queue" in labels

    answer = await tg.press(tina, "Oleg · Manager", message_id=card.message_id)
    assert "Assigned to Oleg" in alert_text(answer)
    assert "Owner: Oleg" in tg.fake.message(tina.id, card.message_id).text
    assert await _owner(committing_factory, lead.id) == OTHER_MANAGER_ID

    told = await fake_tg.wait_for("sendMessage", predicate=lambda c: c.params.get("chat_id") == OTHER_MANAGER_ID)
    assert "Вам назначен лид" in told.params["text"] and "Acme" in told.params["text"]  # Oleg reads Russian
    [[button]] = told.params["reply_markup"]["inline_keyboard"]
    assert button["url"].endswith(f"?start=lead_{lead.id}")

    await tg.press(tina, "🕓 History", message_id=card.message_id)
    history = tg.fake.message(tina.id, card.message_id).text
    assert "Owners and steps" in history and "Maria → Oleg, by Tina" in history


async def test_a_manager_has_no_assign_button_and_a_forged_one_changes_nothing(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Acme")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {lead.id}")
    card = tg.card(maria)
    assert all(b["text"] != "👤 Assign" for b in card.buttons)
    forged = await tg.press_data(maria, card.message_id, f"ld:as:{lead.id}:{lead.version}:{OTHER_MANAGER_ID}")
    assert forged.params.get("show_alert") is True and "team leads" in alert_text(forged)
    odd = await tg.press_data(maria, card.message_id, f"ld:as:{lead.id}:{lead.version}:x1")
    assert odd.params.get("show_alert") is True
    assert await _owner(committing_factory, lead.id) == MANAGER_ID


async def test_the_queue_lists_leads_without_an_owner_for_team_leads_only(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Orphan")
    await assignment.assign_lead(SqlUnitOfWork(committing_factory), services, team["tina"], lead.id, None)
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, "/queue")
    queue = tg.card(tina)
    assert "Unassigned leads" in queue.text and f"#{lead.id} Orphan" in queue.text
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/queue")
    assert "Only team leads and admins can assign leads" in tg.text(maria)


async def test_an_admin_changes_the_rule_and_a_team_lead_only_sees_it(
    tg, team, running, services, committing_factory
) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/assignment")
    screen = tg.card(admin)
    assert "Round robin" in screen.text and "default from the settings" in screen.text
    answer = await tg.press(admin, "Manual (leads wait in the queue)", message_id=screen.message_id)
    assert "Manual" in alert_text(answer)
    info = await assignment.get_rule(SqlUnitOfWork(committing_factory), services, team["tina"])
    assert info.rule == AssignmentRule.MANUAL and info.chosen
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, "/assignment")
    shown = tg.fake.last_message(tina.id)
    assert "Manual" in shown.text and not shown.buttons


async def test_deactivating_a_manager_hands_their_open_leads_to_a_chosen_manager(
    tg, team, running, services, committing_factory
) -> None:
    leads = [await _lead(committing_factory, services, team["maria"], name=f"L{n}") for n in range(2)]
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/users")
    msg = tg.fake.last_message(admin.id)
    await tg.press(admin, "Maria · Manager", message_id=msg.message_id)
    await tg.press(admin, "🚫 Deactivate", message_id=msg.message_id)
    assert "Open leads of Maria: 2" in tg.fake.message(admin.id, msg.message_id).text
    assert await _owner(committing_factory, leads[0].id) == MANAGER_ID  # nothing happened yet
    await tg.press(admin, "👤 Choose a manager", message_id=msg.message_id)
    await tg.press(admin, "Oleg · Manager", message_id=msg.message_id)
    assert "Deactivate this user?" in tg.fake.message(admin.id, msg.message_id).text
    assert await _owner(committing_factory, leads[0].id) == MANAGER_ID  # still nothing: are you sure?
    done = await tg.press(admin, "✅ Yes", message_id=msg.message_id)
    assert "open leads handed over: 2" in alert_text(done)
    assert [await _owner(committing_factory, lead.id) for lead in leads] == [OTHER_MANAGER_ID] * 2
    async with committing_factory() as session:
        assert (await session.get(UserRow, MANAGER_ID)).is_active is False


async def test_a_team_leads_new_lead_for_the_queue_goes_to_a_manager_by_the_rule(
    tg, team, running, services, committing_factory
) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, "/new")
    prompt = tg.card(tina)
    await tg.press(tina, "📥 For the queue (assigned by the rule)", message_id=prompt.message_id)
    await tg.say(tina, "Queue Co")
    await tg.press(tina, "Partner")
    await tg.press(tina, "Skip ⏭")
    await tg.press(tina, "Skip ⏭")
    lead_id = lead_id_of(tg.card(tina).text)
    assert await _owner(committing_factory, lead_id) in (MANAGER_ID, OTHER_MANAGER_ID)
    async with committing_factory() as session:
        mine = (await session.execute(select(LeadRow).where(LeadRow.owner_id == TEAM_LEAD_ID))).first()
    assert mine is None
