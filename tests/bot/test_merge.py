"""Merging leads in the bot (team leads and admins): 🔗 Merge on the card, by a typed #id or a lead sharing a
contact, confirmed, in Russian and English; forged and stale buttons change nothing; a merged lead's id answers
"merged into #N" with a button to open it; a contact added to a lead that another lead has asks first. Real
Dispatcher + emulator + PostgreSQL with real commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.services import leads as leads_svc
from core.storage.models import ActivityRow, LeadContactRow, LeadRow, OutboxRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, OTHER_MANAGER_ID, TEAM_LEAD_ID, alert_text, bot_settings, lead_id_of, register


@pytest.fixture
async def team(committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    return {
        "maria": await register(uow, "maria"),
        "oleg": await register(uow, "oleg"),
        "tina": await register(uow, "tina"),
    }


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


async def _lead(committing_factory, services, actor, **kw):
    kw.setdefault("allow_duplicate", True)
    return await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, actor, source="partner", **kw)


async def _row(committing_factory, lead_id: int):
    async with committing_factory() as session:
        return (await session.execute(select(LeadRow.__table__).where(LeadRow.id == lead_id))).one()


async def _activities(committing_factory, lead_id: int) -> int:
    async with committing_factory() as session:
        stmt = select(func.count()).select_from(ActivityRow).where(ActivityRow.lead_id == lead_id)
        return int(await session.scalar(stmt))


async def test_a_team_lead_merges_a_typed_lead_in_russian_and_sees_the_survivor(
    tg, team, running, services, committing_factory
) -> None:
    keep = await _lead(committing_factory, services, team["maria"], name="Акме", contact="+7 999 123-45-67")
    gone = await _lead(committing_factory, services, team["maria"], name="Акме дубль", contact="a@acme.example")
    await leads_svc.log_activity(SqlUnitOfWork(committing_factory), services, team["maria"], gone.id, kind="call")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="ru")
    await tg.say(tina, f"/lead {keep.id}")
    await tg.press(tina, "🔗 Объединить", message_id=tg.card(tina).message_id)
    prompt = tg.card(tina)
    assert "Влить другой лид в этот" in prompt.text and "Пришлите номер другого лида" in prompt.text

    await tg.say(tina, f"#{gone.id}")
    question = tg.card(tina)
    assert f"Влить лид #{gone.id} в лид #{keep.id}?" in question.text
    assert "Остаётся: Акме · #" in question.text and "Будет влит: Акме дубль · #" in question.text
    assert "ответственный: Maria" in question.text and "нельзя отменить" in question.text
    await tg.press(tina, "✅ Да", message_id=question.message_id)

    card = tg.fake.message(tina.id, question.message_id)
    assert f"Лид #{gone.id} влит в этот" in card.text and f"Акме · #{keep.id}" in card.text
    assert "a@acme.example" in card.text and "+7 999 123-45-67" in card.text
    row = await _row(committing_factory, gone.id)
    assert row.merged_into_id == keep.id and row.merged_by == f"tg:{TEAM_LEAD_ID}"
    assert await _activities(committing_factory, keep.id) == 1
    await tg.press(tina, "🕓 История", message_id=card.message_id)
    history = tg.fake.message(tina.id, card.message_id).text
    assert f"🔗 лид #{gone.id} «Акме дубль» влит в этот, объединил(а) Tina" in history


async def test_a_lead_sharing_a_contact_is_offered_as_a_button_in_english(
    tg, team, running, services, committing_factory
) -> None:
    keep = await _lead(committing_factory, services, team["maria"], name="Acme", contact="+7 999 123-45-67")
    twin = await _lead(committing_factory, services, team["maria"], name="Acme twin", contact="8 999 123 45 67")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, f"/lead {keep.id}")
    await tg.press(tina, "🔗 Merge", message_id=tg.card(tina).message_id)
    prompt = tg.card(tina)
    assert "share a contact" in prompt.text
    await tg.press(tina, f"🔗 #{twin.id} Acme twin", message_id=prompt.message_id)
    question = tg.fake.message(tina.id, prompt.message_id)
    assert f"Merge lead #{twin.id} into lead #{keep.id}?" in question.text
    await tg.press(tina, "✖️ No", message_id=question.message_id)
    assert (await _row(committing_factory, twin.id)).merged_into_id is None  # No changes nothing
    assert lead_id_of(tg.fake.message(tina.id, question.message_id).text) == keep.id


async def test_forged_and_stale_merge_buttons_change_nothing(tg, team, running, services, committing_factory) -> None:
    keep = await _lead(committing_factory, services, team["maria"], name="Keep")
    other = await _lead(committing_factory, services, team["maria"], name="Other")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(tina, f"/lead {keep.id}")
    card = tg.card(tina)
    assert "🔗 Merge" in card.button_texts
    await tg.say(maria, f"/lead {keep.id}")
    assert "🔗 Merge" not in tg.card(maria).button_texts

    v = keep.version
    # a manager forging the confirmation; wrong versions of either lead; junk; merging a lead into itself
    answer = await tg.press_data(maria, tg.card(maria).message_id, f"ld:my:{keep.id}:{v}:{other.id}.{other.version}")
    assert "Only team leads and admins can merge leads" in alert_text(answer)
    answer = await tg.press_data(tina, card.message_id, f"ld:my:{keep.id}:{v + 1}:{other.id}.{other.version}")
    assert "out of date" in alert_text(answer)
    answer = await tg.press_data(tina, card.message_id, f"ld:my:{keep.id}:{v}:{other.id}.{other.version + 3}")
    assert "out of date" in alert_text(answer)
    await tg.press_data(tina, card.message_id, f"ld:my:{keep.id}:{v}:abc")
    answer = await tg.press_data(tina, card.message_id, f"ld:mp:{keep.id}:{v}:{keep.id}")
    assert "cannot be merged into itself" in alert_text(answer)
    answer = await tg.press_data(tina, card.message_id, f"ld:mp:{keep.id}:{v}:99999999")
    assert "not found" in alert_text(answer)
    for lead in (keep, other):
        row = await _row(committing_factory, lead.id)
        assert row.merged_into_id is None and row.version == lead.version

    # the real confirmation, pressed twice: the second press is refused
    await tg.press_data(tina, card.message_id, f"ld:mp:{keep.id}:{v}:{other.id}")
    question = tg.card(tina)
    await tg.press(tina, "✅ Yes", message_id=question.message_id)
    answer = await tg.press_data(tina, question.message_id, f"ld:my:{keep.id}:{v}:{other.id}.{other.version}")
    assert alert_text(answer) == f"Lead #{other.id} was already merged into #{keep.id}."
    assert (await _row(committing_factory, keep.id)).version == v + 1


async def test_a_merged_leads_id_answers_merged_into_with_a_button_to_open_it(
    tg, team, running, services, committing_factory
) -> None:
    from core.services import merge

    keep = await _lead(committing_factory, services, team["maria"], name="Keep")
    gone = await _lead(committing_factory, services, team["maria"], name="Gone")
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.say(maria, f"/lead {gone.id}")
    old_card = tg.card(maria)
    await merge.merge_leads(SqlUnitOfWork(committing_factory), services, team["tina"], keep.id, gone.id)

    await tg.say(maria, f"/lead {gone.id}")
    notice = tg.card(maria)
    assert notice.text == f"Лид #{gone.id} объединён с лидом #{keep.id}."
    assert notice.button_texts == [f"Открыть #{keep.id}"]
    await tg.open_link(maria, f"https://t.me/testbot?start=lead_{gone.id}")
    assert tg.card(maria).text == notice.text

    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.press(maria, "📝 Заметка", message_id=old_card.message_id)  # a button of the old (Russian) card
    edited = tg.fake.message(maria.id, old_card.message_id)
    assert edited.text == f"Lead #{gone.id} was merged into #{keep.id}."
    await tg.press(maria, f"Open #{keep.id}", message_id=old_card.message_id)
    assert lead_id_of(tg.card(maria).text) == keep.id


async def test_a_contact_another_lead_has_asks_before_it_is_added(tg, team, running, services, committing_factory):
    other = await _lead(committing_factory, services, team["maria"], name="Acme", contact="+7 999 123-45-67")
    lead = await _lead(committing_factory, services, team["maria"], name="Mine", contact="me@example.com")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, f"/lead {lead.id}")
    await tg.press(tina, "☎️ Edit contact", message_id=tg.card(tina).message_id)
    await tg.press(tina, "➕ Add a contact", message_id=tg.card(tina).message_id)
    await tg.say(tina, "8 999 123 45 67")

    screen = tg.card(tina)
    assert "already a lead's" in screen.text and "Acme" in screen.text and "Owner: Maria" in screen.text
    assert screen.button_texts == ["➕ Add anyway", "📂 Open it", "🔗 Merge it into this lead", "⬅️ Back to the card"]
    async with committing_factory() as session:
        stmt = select(func.count()).select_from(LeadContactRow).where(LeadContactRow.lead_id == lead.id)
        assert await session.scalar(stmt) == 1
    anyway = next(b["callback_data"] for b in screen.buttons if b["text"] == "➕ Add anyway")
    await tg.press(tina, "➕ Add anyway", message_id=screen.message_id)
    added = tg.fake.message(tina.id, screen.message_id)
    assert "Contact added" in added.text and "8 999 123 45 67" in added.text
    answer = await tg.press_data(tina, screen.message_id, anyway)  # the old button again: nothing more
    assert "This question is over" in alert_text(answer)
    async with committing_factory() as session:
        assert await session.scalar(stmt) == 2
    assert (await _row(committing_factory, other.id)).merged_into_id is None


async def test_a_manager_adding_another_managers_contact_is_told_only_that_it_is_taken(
    tg, team, running, services, committing_factory
) -> None:
    await _lead(committing_factory, services, team["oleg"], name="Secret Co", contact="+7 999 123-45-67")
    lead = await _lead(committing_factory, services, team["maria"], name="Mine")
    tg.fake.user(OTHER_MANAGER_ID, "Oleg", language_code="en")  # has a chat with the bot: the notice is delivered
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {lead.id}")
    await tg.press(maria, "☎️ Edit contact", message_id=tg.card(maria).message_id)
    await tg.press(maria, "➕ Add a contact", message_id=tg.card(maria).message_id)
    await tg.say(maria, "+79991234567")
    screen = tg.card(maria)
    assert "another manager" in screen.text and "Secret Co" not in screen.text
    assert screen.button_texts == ["➕ Add anyway", "⬅️ Back to the card"]
    async with committing_factory() as session:
        told = (await session.execute(select(OutboxRow.chat_id, OutboxRow.payload))).all()
    assert [(chat, payload["event"], payload["adding_to"]) for chat, payload in told] == [
        (OTHER_MANAGER_ID, "duplicate_attempt", lead.id)
    ]


async def test_the_duplicate_question_of_an_added_contact_merges_the_other_lead_in(
    tg, team, running, services, committing_factory
) -> None:
    other = await _lead(committing_factory, services, team["maria"], name="Acme old", contact="ann@acme.example")
    lead = await _lead(committing_factory, services, team["maria"], name="Acme")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, f"/lead {lead.id}")
    await tg.press(tina, "☎️ Edit contact", message_id=tg.card(tina).message_id)
    await tg.press(tina, "➕ Add a contact", message_id=tg.card(tina).message_id)
    await tg.say(tina, "Ann@Acme.example")
    screen = tg.card(tina)
    await tg.press(tina, "🔗 Merge it into this lead", message_id=screen.message_id)
    assert f"Merge lead #{other.id} into lead #{lead.id}?" in tg.fake.message(tina.id, screen.message_id).text
    await tg.press(tina, "✅ Yes", message_id=screen.message_id)
    card = tg.fake.message(tina.id, screen.message_id)
    assert f"Lead #{other.id} was merged into this one." in card.text and "ann@acme.example" in card.text
    assert (await _row(committing_factory, other.id)).merged_into_id == lead.id
