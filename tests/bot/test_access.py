"""Who may use the bot: strangers are refused with their Telegram id, invites register people once,
admins manage users, a deactivated user loses access at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.domain.enums import Role
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services import users as users_svc
from core.storage.models import LeadRow, UserRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import (
    ADMIN_ID,
    MANAGER_ID,
    OTHER_MANAGER_ID,
    STRANGER_ID,
    TEAM_LEAD_ID,
    alert_text,
    bot_settings,
    invite_link,
)


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def _user(committing_factory, user_id, role, name="User"):
    user = await users_svc.ensure_user(SqlUnitOfWork(committing_factory), user_id=user_id, full_name=name, role=role)
    return Actor.from_user(user)


async def test_a_stranger_is_refused_politely_with_their_telegram_id(tg, running, committing_factory) -> None:
    stranger = tg.fake.user(STRANGER_ID, "Eve", language_code="de")  # not ru/en: the default, Russian
    for text in ("/start", "/leads", "/new", "hello", "/lead 1"):
        await tg.say(stranger, text)
    replies = tg.fake.messages(stranger.id)
    assert len(replies) == 5
    for reply in replies:
        assert "только для команды продаж" in reply.text and str(STRANGER_ID) in reply.text
        assert reply.buttons == []  # sees nothing else
    async with committing_factory() as session:
        assert await session.get(UserRow, STRANGER_ID) is None


async def test_a_strangers_button_press_gets_an_alert_with_their_id(tg, running) -> None:
    stranger = tg.fake.user(STRANGER_ID, "Eve", language_code="en")
    answer = await tg.press_data(stranger, 1, "ld:a:1:1:call")
    assert answer.params.get("show_alert") is True
    assert "No access" in alert_text(answer) and str(STRANGER_ID) in alert_text(answer)


async def test_an_invite_registers_once_and_a_second_person_is_refused(tg, running, committing_factory) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/invite team_lead")
    link = invite_link(tg.text(admin))
    first = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    second = tg.fake.user(STRANGER_ID, "Eve", language_code="en")
    await tg.open_link(first, link)
    assert "signed in as <b>Team lead</b>" in tg.fake.last_message(first.id).raw_text
    await tg.open_link(second, link)
    assert "already been used" in tg.text(second)
    async with committing_factory() as session:
        assert (await session.get(UserRow, TEAM_LEAD_ID)).role == Role.TEAM_LEAD
        assert await session.get(UserRow, STRANGER_ID) is None
    await tg.say(second, "/leads")
    assert str(STRANGER_ID) in tg.text(second)  # still a stranger


async def test_an_unknown_invite_code_is_explained(tg, running) -> None:
    stranger = tg.fake.user(STRANGER_ID, "Eve", language_code="ru")
    await tg.open_link(stranger, "https://t.me/leadcrm_bot?start=not-a-real-code")
    assert "Приглашение недействительно" in tg.text(stranger)


async def test_a_registered_user_opening_an_invite_keeps_their_role(tg, running, committing_factory) -> None:
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/invite manager")
    link = invite_link(tg.text(admin))
    await tg.open_link(admin, link)  # an admin checking their own link must not demote themselves
    assert "already registered as Admin" in tg.text(admin)
    async with committing_factory() as session:
        assert (await session.get(UserRow, ADMIN_ID)).role == Role.ADMIN


async def test_a_team_lead_may_invite_managers_but_not_admins(tg, running, committing_factory) -> None:
    await _user(committing_factory, TEAM_LEAD_ID, "team_lead", "Tina")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, "/invite admin")
    assert "A team lead can invite managers only" in tg.text(tina)
    await tg.say(tina, "/invite manager")
    assert "https://t.me/leadcrm_bot?start=" in tg.text(tina)


async def test_a_manager_cannot_invite_or_manage_users(tg, running, committing_factory) -> None:
    await _user(committing_factory, MANAGER_ID, "manager", "Maria")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/invite manager")
    assert "Only an admin or a team lead can invite people" in tg.text(maria)
    await tg.say(maria, "/users")
    assert "Only an admin can do this" in tg.text(maria)
    forged = await tg.press_data(maria, 1, f"us:r:{MANAGER_ID}:admin")
    assert forged.params.get("show_alert") is True
    async with committing_factory() as session:
        assert (await session.get(UserRow, MANAGER_ID)).role == Role.MANAGER


async def test_a_deactivated_user_loses_access_at_once(tg, running, services, committing_factory) -> None:
    maria_actor = await _user(committing_factory, MANAGER_ID, "manager", "Maria")
    lead = await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, maria_actor, source="manual")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {lead.id}")
    card = tg.card(maria)

    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/users")
    users_msg = tg.fake.last_message(admin.id)
    assert "Maria" in users_msg.text and "Manager" in users_msg.text
    await tg.press(admin, "Maria · Manager", message_id=users_msg.message_id)
    await tg.press(admin, "🚫 Deactivate", message_id=users_msg.message_id)  # she owns a lead: where to?
    await tg.press(admin, "📥 To the queue", message_id=users_msg.message_id)
    asked = tg.fake.message(admin.id, users_msg.message_id)
    assert "Deactivate this user? They lose access at once." in asked.text
    yes = next(b["callback_data"] for b in asked.buttons if b["text"] == "✅ Yes")
    done = await tg.press(admin, "✅ Yes", message_id=users_msg.message_id)
    assert "lost access" in alert_text(done) or "handed over" in alert_text(done)
    again = await tg.press_data(admin, users_msg.message_id, yes)  # a stale "Yes": nothing more happens
    assert again.params.get("show_alert") is True and "out of date" in alert_text(again)

    answer = await tg.press(maria, "📞 Call", message_id=card.message_id)
    assert answer.params.get("show_alert") is True and "access was disabled" in alert_text(answer)
    await tg.say(maria, "/leads")  # told what happened, not taken for a stranger
    assert "access to this bot was disabled" in tg.text(maria) and "invite" not in tg.text(maria)
    async with committing_factory() as session:
        assert (await session.get(LeadRow, lead.id)).activity_count == 0
        assert (await session.get(UserRow, MANAGER_ID)).is_active is False


async def test_an_admin_changes_a_role_with_a_button(tg, running, committing_factory) -> None:
    await _user(committing_factory, MANAGER_ID, "manager", "Maria")
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="ru")
    await tg.say(admin, "/users")
    msg = tg.fake.last_message(admin.id)
    await tg.press(admin, "Maria · Менеджер", message_id=msg.message_id)
    answer = await tg.press(admin, "Сделать: Тимлид", message_id=msg.message_id)
    assert "Роль изменена: Тимлид" in alert_text(answer)
    async with committing_factory() as session:
        assert (await session.get(UserRow, MANAGER_ID)).role == Role.TEAM_LEAD


async def test_a_lead_deep_link_opens_the_card_only_for_those_who_may_see_it(
    tg, running, services, committing_factory
) -> None:
    oleg = await _user(committing_factory, OTHER_MANAGER_ID, "manager", "Oleg")
    await _user(committing_factory, MANAGER_ID, "manager", "Maria")
    await _user(committing_factory, TEAM_LEAD_ID, "team_lead", "Tina")
    lead = await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, oleg, source="manual", name="Zeta")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.open_link(tina, f"https://t.me/leadcrm_bot?start=lead_{lead.id}")
    assert "Zeta" in tg.card(tina).text
    await tg.open_link(maria, f"https://t.me/leadcrm_bot?start=lead_{lead.id}")
    assert f"Lead #{lead.id} not found" in tg.text(maria)
    async with committing_factory() as session:
        assert (await session.scalars(select(LeadRow.name))).all() == ["Zeta"]


async def test_card_links_that_name_no_card_are_not_taken_for_invite_codes(tg, running, committing_factory) -> None:
    await _user(committing_factory, MANAGER_ID, "manager", "Maria")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.open_link(maria, "https://t.me/leadcrm_bot?start=lead_abc")
    assert "Такого лида нет" in tg.text(maria) and "приглаш" not in tg.text(maria).lower()
    await tg.open_link(maria, "https://t.me/leadcrm_bot?start=sale_" + "9" * 40)
    assert "Такой сделки нет" in tg.text(maria) and "приглаш" not in tg.text(maria).lower()
