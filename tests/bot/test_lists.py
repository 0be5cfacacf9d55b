"""/leads (8 per page, ◀ ▶, stage filter), /find, the main menu."""

from __future__ import annotations

import pytest

from core.services import leads as leads_svc
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import (
    MANAGER_ID,
    TEAM_LEAD_ID,
    bot_settings,
    register,
)


@pytest.fixture
async def leads(bot_runner, services, committing_factory):
    """Maria owns 10 leads (two of them contacted), Oleg 2; Tina is a team lead."""
    uow = SqlUnitOfWork(committing_factory)
    maria = await register(uow, "maria")
    oleg = await register(uow, "oleg")
    await register(uow, "tina")
    for i in range(10):
        lead = await leads_svc.create_lead(
            uow, services, maria, source="manual", name=f"Maria client {i}", contact=f"client{i}@example.com"
        )
        if i < 2:
            await leads_svc.change_stage(uow, services, maria, lead.id, "contacted")
    for i in range(2):
        await leads_svc.create_lead(uow, services, oleg, source="scanner", name=f"Oleg client {i}")
    await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


def _lead_buttons(message) -> list[str]:
    return [t for t in message.button_texts if t.startswith("#")]


async def test_a_manager_pages_through_their_own_leads(tg, leads) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/leads")
    page = tg.fake.last_message(maria.id)
    assert "My leads" in page.text and "page 1/2" in page.text and "10 total" in page.text
    assert len(_lead_buttons(page)) == 8 and "◀" not in page.button_texts and "▶" in page.button_texts
    assert "Oleg" not in page.text

    await tg.press(maria, "▶", message_id=page.message_id)
    page = tg.fake.message(maria.id, page.message_id)  # the same message, edited
    assert "page 2/2" in page.text and len(_lead_buttons(page)) == 2
    assert "◀" in page.button_texts and "▶" not in page.button_texts

    await tg.press(maria, "Contacted", message_id=page.message_id)
    page = tg.fake.message(maria.id, page.message_id)
    assert "2 total" in page.text and "• Contacted" in page.button_texts
    assert all("Contacted" in line for line in page.text.splitlines()[2:])


async def test_a_team_lead_sees_everyones_leads(tg, leads) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, "/leads")
    assert "All leads" in tg.text(tina) and "12 total" in tg.text(tina)


async def test_a_team_leads_my_leads_button_opens_their_own_and_all_leads_shows_owners(
    tg, leads, services, committing_factory
) -> None:
    tina_actor = await register(SqlUnitOfWork(committing_factory), "tina")
    await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, tina_actor, source="manual", name="Own")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, "/start")
    await tg.press(tina, "📋 My leads")
    mine = tg.fake.last_message(tina.id)
    assert "My leads" in mine.text and "1 total" in mine.text and "Own" in mine.text and "👤" not in mine.text
    await tg.press(tina, "Contacted", message_id=mine.message_id)  # the filter keeps to her own leads
    assert "My leads" in tg.fake.message(tina.id, mine.message_id).text
    await tg.say(tina, "/start")
    await tg.press(tina, "🗂 All leads")
    everyone = tg.fake.last_message(tina.id)
    assert "All leads" in everyone.text and "13 total" in everyone.text
    assert "👤 Maria" in everyone.text or "👤 maria" in everyone.text.lower()


async def test_a_managers_menu_has_no_all_leads(tg, leads) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/start")
    assert "🗂 All leads" not in tg.fake.last_message(maria.id).button_texts


async def test_a_lead_button_in_the_list_opens_its_card(tg, leads) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/leads")
    page = tg.fake.last_message(maria.id)
    first = _lead_buttons(page)[0]
    await tg.press(maria, first, message_id=page.message_id)
    card = tg.card(maria)
    assert card.message_id != page.message_id  # a new message: the list stays
    assert first.split(" ", 1)[1] in card.text and "📞 Call" in card.button_texts
    assert "My leads" in tg.fake.message(maria.id, page.message_id).text


async def test_find_by_name_or_contact_within_what_you_may_see(tg, leads) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/find client1@")
    assert "Maria client 1" in tg.text(maria) and "Oleg" not in tg.text(maria)
    await tg.say(maria, "/find Oleg")
    assert "Nothing found" in tg.text(maria)
    await tg.say(maria, "/find x")
    assert "at least 2 characters" in tg.text(maria)


async def test_find_from_the_menu_asks_for_the_text(tg, leads) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.say(maria, "/start")
    assert "Менеджер" in tg.text(maria)
    await tg.press(maria, "🔎 Найти")
    assert "Что ищем?" in tg.text(maria)
    await tg.say(maria, "client 3")
    assert "Maria client 3" in tg.text(maria)


async def test_lead_command_needs_a_number(tg, leads) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/lead abc")
    assert "Send the lead number" in tg.text(maria)
