"""Editing a lead from its card (✏️ Edit): name, company, and custom fields, with the keys the team already
uses offered as buttons; forged or stale buttons change nothing. Real Dispatcher + emulator + PostgreSQL with
real commits."""

from __future__ import annotations

import asyncio

import pytest

from core.services import leads as leads_svc
from core.storage.models import LeadRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, OTHER_MANAGER_ID, bot_settings, register


@pytest.fixture
async def team(committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    return {"maria": await register(uow, "maria"), "oleg": await register(uow, "oleg", language="ru")}


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def _lead(committing_factory, services, actor, **kw):
    return await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, actor, source="partner", **kw)


async def _row(committing_factory, lead_id) -> LeadRow:
    async with committing_factory() as session:
        return await session.get(LeadRow, lead_id)


async def _edit_screen(tg, user, lead_id):
    await tg.say(user, f"/lead {lead_id}")
    card = tg.card(user)
    await tg.press(user, "✏️ Edit", message_id=card.message_id)
    return tg.fake.message(user.id, card.message_id)


async def test_a_manager_renames_the_lead_and_sets_then_clears_its_company(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Ivan")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    screen = await _edit_screen(tg, maria, lead.id)
    assert "What do you want to change?" in screen.text
    assert {"👤 Name", "🏢 Company", "🏷 Set domain", "☎️ Edit contact", "➕ Another field"} <= set(screen.button_texts)
    await tg.press(maria, "👤 Name", message_id=screen.message_id)
    assert "Type the new name for Ivan" in tg.text(maria)
    await tg.say(maria, "Ivan Petrov")
    await tg.press(maria, "🏢 Company", message_id=tg.card(maria).message_id)
    await tg.say(maria, "Acme Ltd")
    assert "Saved." in tg.text(maria) and "Company: Acme Ltd" in tg.text(maria)
    row = await _row(committing_factory, lead.id)
    assert (row.name, row.company) == ("Ivan Petrov", "Acme Ltd")

    await tg.press(maria, "👤 Name", message_id=tg.card(maria).message_id)
    prompt = tg.fake.last_keyboard_message(maria.id)
    await tg.press(maria, "⬅️ Back", message_id=prompt.message_id)  # the prompt becomes the edit screen
    await tg.say(maria, "not a name: the question was left")
    assert (await _row(committing_factory, lead.id)).name == "Ivan Petrov"
    await tg.press(maria, "🏢 Company", message_id=prompt.message_id)
    assert "Now: Acme Ltd" in tg.text(maria)
    await tg.press(maria, "🗑 Clear", message_id=tg.fake.last_keyboard_message(maria.id).message_id)
    assert (await _row(committing_factory, lead.id)).company is None


async def test_the_teams_field_names_are_offered_and_another_field_is_typed_as_name_value(
    tg, team, running, services, committing_factory
) -> None:
    await _lead(committing_factory, services, team["maria"], attributes={"country": "Spain", "segment": "SMB"})
    await _lead(committing_factory, services, team["maria"], attributes={"country": "Italy"})
    lead = await _lead(committing_factory, services, team["maria"], name="Fresh", attributes={"segment": "SMB"})
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    screen = await _edit_screen(tg, maria, lead.id)
    assert "segment: SMB" in screen.text
    assert {"✏️ segment", "➕ country"} <= set(screen.button_texts) and "➕ segment" not in screen.button_texts
    await tg.press(maria, "➕ country", message_id=screen.message_id)
    assert "Type the value of “country”" in tg.text(maria)
    await tg.say(maria, "Russia")
    assert "country: Russia" in tg.text(maria)

    await tg.press(maria, "➕ Another field", message_id=tg.card(maria).message_id)
    await tg.say(maria, "no colon here")
    assert "Please type it as name: value" in tg.text(maria)
    await tg.say(maria, "language: ru")
    row = await _row(committing_factory, lead.id)
    assert row.attributes == {"segment": "SMB", "country": "Russia", "language": "ru"}

    await tg.press(maria, "✏️ segment", message_id=tg.card(maria).message_id)
    await tg.press(maria, "🗑 Clear", message_id=tg.fake.last_keyboard_message(maria.id).message_id)
    assert (await _row(committing_factory, lead.id)).attributes == {"country": "Russia", "language": "ru"}


async def test_forged_stale_or_foreign_edit_buttons_change_nothing(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], name="Ivan", company="Acme")
    foreign = await _lead(committing_factory, services, team["oleg"], name="Not yours", company="Theirs")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    screen = await _edit_screen(tg, maria, lead.id)
    for data in (
        f"ld:ef:{lead.id}:{lead.version}:bogus",
        f"ld:ec:{lead.id}:{lead.version}:name",
        f"ld:ec:{lead.id}:{lead.version - 1}:company",  # an old card
        f"ld:ec:{foreign.id}:{foreign.version}:company",  # another manager's lead
        f"ld:ef:{foreign.id}:{foreign.version}:name",
    ):
        answer = await tg.press_data(maria, screen.message_id, data)
        assert answer.params.get("show_alert") is True, data
    await tg.say(maria, "typed after the refusals: not a name")
    assert ((await _row(committing_factory, lead.id)).name, (await _row(committing_factory, lead.id)).company) == (
        "Ivan",
        "Acme",
    )
    assert (
        (await _row(committing_factory, foreign.id)).name,
        (await _row(committing_factory, foreign.id)).company,
    ) == (
        "Not yours",
        "Theirs",
    )


async def test_ru_the_edit_screen_speaks_russian(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["oleg"], name="Иван", attributes={"flag": True})
    oleg = tg.fake.user(OTHER_MANAGER_ID, "Oleg", language_code="ru")
    await tg.say(oleg, f"/lead {lead.id}")
    card = tg.card(oleg)
    await tg.press(oleg, "✏️ Изменить", message_id=card.message_id)
    screen = tg.fake.message(oleg.id, card.message_id)
    assert "Что изменить?" in screen.text and "flag: да" in screen.text
    await tg.press(oleg, "🏢 Компания", message_id=card.message_id)
    assert "Компания для: Иван." in tg.text(oleg)


async def test_two_people_setting_two_fields_at_once_keep_both(team, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"], attributes={"a": "1"})
    await asyncio.gather(
        *(
            leads_svc.set_attribute(SqlUnitOfWork(committing_factory), services, team["maria"], lead.id, key, "x")
            for key in ("b", "c", "d", "e")
        )
    )
    assert (await _row(committing_factory, lead.id)).attributes == {"a": "1", "b": "x", "c": "x", "d": "x", "e": "x"}
