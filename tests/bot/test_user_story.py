"""The issue's user story end to end: real Dispatcher, real aiogram HTTP session, the Bot API emulator,
real PostgreSQL with real commits, the outbox sender delivering to the team leads' group."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core.domain.enums import Role, Stage
from core.storage.models import ActivityRow, LeadRow, OutboxRow, UserRow
from tests.bot.support import (
    ADMIN_ID,
    GROUP,
    MANAGER_ID,
    alert_text,
    bot_settings,
    invite_link,
    lead_id_of,
    register,
)


async def test_admin_invites_a_manager_who_works_a_lead_through_to_a_transfer(
    fake_tg, tg, bot_runner, services, committing_factory
) -> None:
    await bot_runner(bot_settings(), services=services, session_factory=committing_factory)
    admin = fake_tg.user(ADMIN_ID, "Alice", language_code="en")
    manager = fake_tg.user(MANAGER_ID, "Maria", username="maria", language_code="ru")

    # The admin (bootstrapped from ADMIN_IDS) creates an invite for a manager.
    await tg.say(admin, "/invite manager")
    link = invite_link(fake_tg.last_message(admin.id).text)
    assert link.startswith("https://t.me/leadcrm_bot?start=")

    # The manager follows the deep link and is registered.
    await tg.open_link(manager, link)
    assert "Менеджер" in fake_tg.last_message(manager.id).text
    async with committing_factory() as session:
        row = await session.get(UserRow, MANAGER_ID)
        assert row is not None and row.role == Role.MANAGER and row.full_name == "Maria"

    # The /new dialog: name -> source -> domain (skipped) -> contact -> card.
    await tg.say(manager, "/new")
    assert "Как его зовут" in fake_tg.last_message(manager.id).text
    await tg.say(manager, "ООО <Ромашка>")
    await tg.press(manager, "Партнёр")
    await tg.press(manager, "Пропустить ⏭")
    await tg.say(manager, "+7 900 123-45-67")
    card = fake_tg.last_keyboard_message(manager.id)
    assert "ООО <Ромашка>" in card.text  # shown as typed: escaped for HTML, not interpreted
    assert "Этап: Новый" in card.text and "Сфера: не задана" in card.text
    lead_id = lead_id_of(card.text)

    # Three activities on the same card message, edited in place.
    for _ in range(3):
        await tg.press(manager, "📞 Звонок", message_id=card.message_id)  # как прошло?
        answer = await tg.press(manager, "📵 Звонок · не ответил", message_id=card.message_id)
        assert "Записано: Звонок · не ответил" in alert_text(answer)
        assert "Следующий шаг: Звонок. Когда?" in fake_tg.message(manager.id, card.message_id).text
        await tg.press(manager, "Пропустить ⏭", message_id=card.message_id)  # "next step?": not now
    card = fake_tg.last_keyboard_message(manager.id)
    assert "Активностей: 3" in card.text

    await tg.press(manager, "🔮 Анализ", message_id=card.message_id)
    assert "0.55" in fake_tg.last_keyboard_message(manager.id).text  # no domain: capped
    await tg.press(manager, "➡️ Контакт установлен", message_id=card.message_id)
    await tg.press(manager, "➡️ Квалифицирован", message_id=card.message_id)
    assert "Этап: Квалифицирован" in fake_tg.last_keyboard_message(manager.id).text

    # Transfer is refused and says exactly why; the card offers Analyze and Set domain.
    refused = await tg.press(manager, "🚀 Передать в продажи", message_id=card.message_id)
    assert refused.params.get("show_alert") is True
    assert "скоринг 0.55 ниже требуемого 0.60" in alert_text(refused)
    assert "не задана сфера бизнеса" in alert_text(refused)
    offered = fake_tg.last_keyboard_message(manager.id).button_texts
    assert "🔮 Анализ" in offered and "🏷 Сфера" in offered

    await tg.press(manager, "🏷 Сфера", message_id=card.message_id)
    await tg.press(manager, "финтех", message_id=card.message_id)
    assert "Сфера: финтех" in fake_tg.last_keyboard_message(manager.id).text
    await tg.press(manager, "🔮 Анализ", message_id=card.message_id)
    assert "1.00" in fake_tg.last_keyboard_message(manager.id).text
    done = await tg.press(manager, "🚀 Передать в продажи", message_id=card.message_id)
    assert "Передан в продажи" in alert_text(done)
    assert "Этап: <b>Передан в продажи</b>" in fake_tg.last_keyboard_message(manager.id).raw_text

    # The group receives exactly one notification, delivered by the outbox sender.
    await fake_tg.wait_for("sendMessage", predicate=lambda c: c.params.get("chat_id") == GROUP, timeout=5)
    await fake_tg.settle()
    group = fake_tg.messages(GROUP)
    assert len(group) == 1
    note = group[0]
    assert "Лид передан в продажи" in note.text and "ООО <Ромашка>" in note.text and "Maria" in note.text
    assert "1.00" in note.text
    urls = [b.get("url") for b in note.buttons]
    assert f"https://t.me/leadcrm_bot?start=lead_{lead_id}" in urls

    async with committing_factory() as session:
        lead = await session.get(LeadRow, lead_id)
        assert (lead.stage, lead.activity_count, lead.business_domain, lead.owner_id) == (
            Stage.TRANSFERRED,
            3,
            "fintech",
            MANAGER_ID,
        )
        assert await session.scalar(select(func.count()).select_from(ActivityRow)) == 3
        transfer = select(OutboxRow.status).where(OutboxRow.dedupe_key.like("lead-transferred:%"))
        assert await session.scalar(transfer) == "sent"

    # Every callback query got exactly one answer.
    pressed = {c.params["callback_query_id"] for c in fake_tg.calls_of("answerCallbackQuery")}
    assert len(pressed) == len(fake_tg.calls_of("answerCallbackQuery"))


async def _qualified_lead_of_maria(services, committing_factory) -> int:
    from core.services import leads as leads_svc
    from core.storage.uow import SqlUnitOfWork
    from tests.journeys import qualify

    uow = SqlUnitOfWork(committing_factory)
    maria = await register(uow, "maria")
    lead = await leads_svc.create_lead(uow, services, maria, source="partner", business_domain="saas")
    await qualify(uow, services, maria, lead.id, kind="meeting")
    return lead.id


async def test_a_transfer_wakes_the_outbox_sender_instead_of_waiting_for_its_next_poll(
    fake_tg, tg, bot_runner, services, committing_factory
) -> None:
    import time

    lead_id = await _qualified_lead_of_maria(services, committing_factory)
    await bot_runner(bot_settings(outbox_poll_seconds=30), services=services, session_factory=committing_factory)
    await fake_tg.wait_for("getUpdates", finished=False)
    await asyncio.sleep(0.3)  # the sender has done its first (empty) pass and sleeps for 30 s

    user = fake_tg.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, f"/lead {lead_id}")
    started = time.monotonic()
    await tg.press(user, "🚀 Transfer to sales")
    await fake_tg.wait_for("sendMessage", predicate=lambda c: c.params.get("chat_id") == GROUP, timeout=5)
    assert time.monotonic() - started < 5
    assert len(fake_tg.messages(GROUP)) == 1


async def test_the_group_is_told_in_team_leads_language_whatever_the_manager_speaks(
    fake_tg, tg, bot_runner, services, committing_factory
) -> None:
    lead_id = await _qualified_lead_of_maria(services, committing_factory)
    await bot_runner(bot_settings(team_leads_language="en"), services=services, session_factory=committing_factory)
    user = fake_tg.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.say(user, f"/lead {lead_id}")
    await tg.press(user, "🚀 Передать в продажи")
    await fake_tg.wait_for("sendMessage", predicate=lambda c: c.params.get("chat_id") == GROUP, timeout=5)
    [note] = fake_tg.messages(GROUP)
    assert "Lead transferred to sales" in note.text and "Source: Partner" in note.text
    assert "Лид" not in note.text
