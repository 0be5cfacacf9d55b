"""A lead's contacts in the bot: add / remove from the card (a phone is never dropped for a username), the
/new dialog's duplicate guard, /find by a phone however typed and its pages. Real Dispatcher + emulator +
PostgreSQL with real commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.services import leads as leads_svc
from core.storage.models import LeadContactRow, LeadRow, OutboxRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import (
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
        "maria": await register(uow, "maria"),
        "oleg": await register(uow, "oleg", language="ru"),
        "tina": await register(uow, "tina"),
    }


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


def lead_id_of_button(text: str) -> int:
    return int(text.split()[0].lstrip("#"))


async def _lead(committing_factory, services, actor, **kw):
    return await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, actor, source="partner", **kw)


async def _contacts(committing_factory, lead_id) -> list[tuple[str, str]]:
    async with committing_factory() as session:
        rows = await session.execute(
            select(LeadContactRow.kind, LeadContactRow.normal)
            .where(LeadContactRow.lead_id == lead_id)
            .order_by(LeadContactRow.id)
        )
        return [tuple(r) for r in rows.all()]


async def _new_lead_dialog(tg, user, name: str, contact: str) -> None:
    await tg.say(user, "/new")
    await tg.say(user, name)
    await tg.press(user, "Partner")
    await tg.press(user, "Skip ⏭")
    await tg.say(user, contact)


async def test_adding_a_username_keeps_the_phone_and_removing_the_primary_promotes_the_next(
    tg, team, running, services, committing_factory
) -> None:
    lead = await _lead(committing_factory, services, team["maria"], contact="+7 900 000-00-00")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {lead.id}")
    await tg.press(maria, "☎️ Edit contact", message_id=tg.card(maria).message_id)
    assert "phone: +7 900 000-00-00 ⭐" in tg.text(maria)
    await tg.press(maria, "➕ Add a contact", message_id=tg.card(maria).message_id)
    assert "Send one more contact" in tg.text(maria)
    await tg.say(maria, "not a contact")
    assert "phone number, an e-mail address or a Telegram @username" in tg.text(maria)
    await tg.say(maria, "@maria_client")
    screen = tg.card(maria)
    assert "Contact added" in screen.text and "+7 900 000-00-00 ⭐" in screen.text and "@maria_client" in screen.text
    assert await _contacts(committing_factory, lead.id) == [("phone", "+79000000000"), ("telegram", "maria_client")]

    await tg.press(maria, "✖ +7 900 000-00-00", message_id=screen.message_id)
    screen = tg.fake.message(maria.id, screen.message_id)
    assert "Contact removed" in screen.text and "@maria_client ⭐" in screen.text
    async with committing_factory() as session:
        assert (await session.get(LeadRow, lead.id)).contact == "@maria_client"
    await tg.press(maria, "⬅️ Back to the card", message_id=screen.message_id)
    assert "Contact: @maria_client" in tg.card(maria).text


async def test_a_stale_remove_button_changes_nothing(tg, team, running, services, committing_factory) -> None:
    lead = await _lead(committing_factory, services, team["maria"], contact="+7 900 000-00-00")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {lead.id}")
    await tg.press(maria, "☎️ Edit contact", message_id=tg.card(maria).message_id)
    screen = tg.card(maria)
    await tg.press_data(maria, screen.message_id, f"ld:cd:{lead.id}:{lead.version}:999999")
    await tg.press_data(maria, screen.message_id, f"ld:cd:{lead.id}:{lead.version}:abc")
    assert await _contacts(committing_factory, lead.id) == [("phone", "+79000000000")]


async def test_new_with_a_known_contact_shows_that_lead_and_opens_it(tg, team, running, services, committing_factory):
    known = await _lead(committing_factory, services, team["maria"], name="Acme", contact="+7 999 123-45-67")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await _new_lead_dialog(tg, maria, "Acme again", "8 999 123 45 67")
    screen = tg.card(maria)
    assert "already a lead's" in screen.text and "Acme" in screen.text and "Stage: New" in screen.text
    assert "Owner: Maria" in screen.text
    await tg.press(maria, "📂 Open it", message_id=screen.message_id)
    assert lead_id_of(tg.card(maria).text) == known.id
    async with committing_factory() as session:
        assert (await session.execute(select(func.count()).select_from(LeadRow))).scalar_one() == 1


async def test_new_with_a_known_contact_can_be_created_anyway(tg, team, running, services, committing_factory):
    known = await _lead(committing_factory, services, team["maria"], contact="ann@example.com")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await _new_lead_dialog(tg, maria, "Ann", "Ann@Example.com")
    await tg.press(maria, "➕ Create anyway", message_id=tg.card(maria).message_id)
    card = tg.card(maria)
    assert "Lead created" in card.text and lead_id_of(card.text) != known.id


async def test_another_managers_lead_is_not_shown_and_its_owner_is_told(
    tg, team, running, services, committing_factory
) -> None:
    await _lead(committing_factory, services, team["oleg"], name="Secret Co", contact="+7 999 123-45-67")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await _new_lead_dialog(tg, maria, "Mine", "+79991234567")
    screen = tg.card(maria)
    assert "another manager" in screen.text and "Secret Co" not in screen.text
    assert "📂 Open it" not in screen.button_texts and "➕ Create anyway" in screen.button_texts
    async with committing_factory() as session:
        told = (await session.execute(select(OutboxRow).where(OutboxRow.chat_id == OTHER_MANAGER_ID))).scalars().all()
    assert [row.payload["event"] for row in told] == ["duplicate_attempt"]
    assert told[0].payload["language"] == "ru"


async def test_find_finds_a_phone_however_typed_and_pages_through_every_match(
    tg, team, running, services, committing_factory
) -> None:
    await _lead(committing_factory, services, team["maria"], name="Phone Co", contact="+7 999 123-45-67")
    for i in range(12):
        await _lead(committing_factory, services, team["maria"], name=f"Acme {i}")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/find 9991234567")
    assert "Phone Co" in tg.text(maria)
    await tg.say(maria, "/find acme")
    page = tg.fake.last_message(maria.id)
    assert len([t for t in page.button_texts if t.startswith("#")]) == 10 and "▶" in page.button_texts
    await tg.press(maria, "▶", message_id=page.message_id)
    page = tg.fake.message(maria.id, page.message_id)
    assert len([t for t in page.button_texts if t.startswith("#")]) == 2
    assert "◀" in page.button_texts and "▶" not in page.button_texts


async def test_a_team_lead_sees_whose_the_known_contact_is(tg, team, running, services, committing_factory) -> None:
    await _lead(committing_factory, services, team["oleg"], name="Oleg's Co", contact="@olegs_client")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await _new_lead_dialog(tg, tina, "Dup", "@OLEGS_CLIENT")
    assert "Oleg's Co" in tg.card(tina).text and "📂 Open it" in tg.card(tina).button_texts


def test_the_owners_duplicate_message_names_who_tried_and_links_the_lead() -> None:
    from bot.render.notifications import outbox_message

    payload = {
        "event": "duplicate_attempt",
        "lead_id": 7,
        "name": "Acme",
        "kind": "phone",
        "contact": "+7 999",
        "by": "Maria",
        "language": "ru",
    }
    text, markup = outbox_message(payload, bot_username="crm_bot")
    assert "Maria" in text and "телефон" in text and "#7" in text
    assert markup is not None and markup.inline_keyboard[0][0].url == "https://t.me/crm_bot?start=lead_7"


async def test_find_says_which_results_a_page_shows_and_whether_more_follow(
    tg, team, running, services, committing_factory
) -> None:
    ids = [(await _lead(committing_factory, services, team["maria"], name=f"Acme {i}")).id for i in range(23)]
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, "/find acme")
    page = tg.fake.last_message(maria.id)
    seen = [lead_id_of_button(t) for t in page.button_texts if t.startswith("#")]
    assert "1–10, more on ▶" in page.text and "◀" not in page.button_texts
    for expected in ("11–20, more on ▶", "21–23 of 23"):
        await tg.press(maria, "▶", message_id=page.message_id)
        page = tg.fake.message(maria.id, page.message_id)
        assert expected in page.text
        seen += [lead_id_of_button(t) for t in page.button_texts if t.startswith("#")]
    assert "▶" not in page.button_texts
    assert seen == sorted(ids, reverse=True)  # every lead once, newest first
    await tg.press(maria, "◀", message_id=page.message_id)
    assert "11–20, more on ▶" in tg.fake.message(maria.id, page.message_id).text


async def test_find_pages_a_typo_search_and_ignores_a_page_it_never_showed(
    tg, team, running, services, committing_factory
) -> None:
    for _ in range(12):
        await _lead(committing_factory, services, team["maria"], name="Ivan Petrov", allow_duplicate=True)
    oleg = await _lead(committing_factory, services, team["oleg"], name="Ivan Petrov", allow_duplicate=True)
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.say(maria, "/find Ivna Petrov")
    page = tg.fake.last_message(maria.id)
    assert "1–10" in page.text and len([t for t in page.button_texts if t.startswith("#")]) == 10
    assert f"#{oleg.id}" not in page.text  # another manager's lead stays out, typo or not
    await tg.press(maria, "▶", message_id=page.message_id)
    page = tg.fake.message(maria.id, page.message_id)
    assert "11–12 из 12" in page.text
    before = page.text
    answer = await tg.press_data(maria, page.message_id, "fd:7")  # a page this search never reached
    assert "/find" in alert_text(answer) and tg.fake.message(maria.id, page.message_id).text == before
