"""Deals for team leads in the bot: /deals with its totals and filter, the deal card's amount, expected close and
owner, typed lost reasons, the lost screen naming the lead, and the manager told when the deal closes. Real
Dispatcher + HTTP to the emulator + PostgreSQL with real commits."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.domain.clock import utcnow
from core.domain.enums import SaleStage
from core.storage.models import SaleRow, SaleStageChangeRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, TEAM_LEAD_ID, alert_text, bot_settings, register
from tests.journeys import transferred_lead

NBSP = "\u00a0"


@pytest.fixture
async def transferred(bot_runner, services, committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    maria = await register(uow, "maria", language="ru")
    await register(uow, "tina", language="en")
    result = await transferred_lead(uow, services, maria, name="Deal Co")
    await bot_runner(bot_settings(), services=services, session_factory=committing_factory)
    return result


async def _row(committing_factory, sale_id) -> SaleRow:
    async with committing_factory() as session:
        return await session.get(SaleRow, sale_id)


async def _open_deal(tg, user, sale_id):
    await tg.open_link(user, f"https://t.me/leadcrm_bot?start=sale_{sale_id}")
    return tg.card(user)


async def test_the_lost_screen_names_the_lead(tg, transferred) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    deal = await _open_deal(tg, tina, transferred.sale.id)
    await tg.press(tina, "❌ Deal lost", message_id=deal.message_id)
    screen = tg.fake.message(tina.id, deal.message_id)
    assert "Why is the deal lost?" in screen.text
    assert "Deal Co" in screen.text and f"(#{transferred.lead.id})" not in screen.text
    assert "✍️ Other reason (type it)" in screen.button_texts


async def test_a_typed_lost_reason_closes_the_deal_and_tells_the_manager(
    tg, fake_tg, transferred, committing_factory
) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    deal = await _open_deal(tg, tina, transferred.sale.id)
    await tg.press(tina, "❌ Deal lost", message_id=deal.message_id)
    await tg.press(tina, "✍️ Other reason (type it)", message_id=deal.message_id)
    assert "Why is the deal lost? Type the reason" in tg.text(tina)
    await tg.say(tina, "Budget frozen till spring")
    row = await _row(committing_factory, transferred.sale.id)
    assert row.stage == SaleStage.LOST and row.owner_id == TEAM_LEAD_ID  # the team lead who moved it
    async with committing_factory() as session:
        change = (await session.execute(select(SaleStageChangeRow))).scalars().one()
    assert change.reason == "Budget frozen till spring" and change.reason_code is None
    card = tg.text(tina)
    assert "Deal lost." in card and "Budget frozen till spring" in card and "by Tina" in card
    told = await fake_tg.wait_for("sendMessage", predicate=lambda c: c.params.get("chat_id") == MANAGER_ID)
    assert "Ваша сделка потеряна" in told.params["text"] and "Deal Co" in told.params["text"]
    assert "Budget frozen till spring" in told.params["text"]


async def test_a_team_lead_types_the_amount_and_a_bad_one_is_asked_again(tg, transferred, committing_factory) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    deal = await _open_deal(tg, tina, transferred.sale.id)
    assert "Transferred by: Maria" in deal.text and "Amount: —" in deal.text
    await tg.press(tina, "💰 Amount", message_id=deal.message_id)
    assert "without a currency: RUB" in tg.text(tina)
    await tg.say(tina, "a lot")
    assert "I could not read an amount in “a lot”" in tg.text(tina)
    assert (await _row(committing_factory, transferred.sale.id)).amount is None
    await tg.say(tina, "150 000 руб")
    assert f"Amount: 150{NBSP}000{NBSP}RUB" in tg.text(tina)
    await tg.press(tina, "💰 Amount", message_id=tg.card(tina).message_id)
    await tg.say(tina, "2,500 USD")
    row = await _row(committing_factory, transferred.sale.id)
    assert (str(row.amount), row.currency) == ("2500.00", "USD")
    assert f"Amount: 2{NBSP}500{NBSP}USD" in tg.text(tina)


async def test_the_expected_close_is_set_by_preset_or_typed_in_the_viewers_zone(
    tg, transferred, committing_factory
) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    deal = await _open_deal(tg, tina, transferred.sale.id)
    assert "Expected close: not set" in deal.text
    await tg.press(tina, "📅 Expected close", message_id=deal.message_id)
    await tg.press(tina, "In a week", message_id=deal.message_id)
    row = await _row(committing_factory, transferred.sale.id)
    moscow = ZoneInfo("Europe/Moscow")  # DEFAULT_TIMEZONE: Tina has not chosen one
    week = (utcnow().astimezone(moscow) + timedelta(days=7)).date()
    assert row.expected_close_at is not None and row.expected_close_at.astimezone(moscow).date() == week
    assert f"{week.day} " in tg.fake.message(tina.id, deal.message_id).text

    await tg.press(tina, "📅 Expected close", message_id=deal.message_id)
    await tg.press(tina, "⌨️ Type a date", message_id=deal.message_id)
    await tg.say(tina, "01.01.2020")
    assert "That day has passed" in tg.text(tina)
    await tg.say(tina, "25.12.2030")
    assert "Expected close: Wed 25 Dec 2030" in tg.text(tina)
    row = await _row(committing_factory, transferred.sale.id)
    assert row.expected_close_at.astimezone(moscow).date().isoformat() == "2030-12-25"


async def test_the_deal_card_and_the_lead_history_show_who_changed_the_amount(tg, transferred) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    deal = await _open_deal(tg, tina, transferred.sale.id)
    await tg.press(tina, "💰 Amount", message_id=deal.message_id)
    await tg.say(tina, "150 000 руб")
    await tg.press(tina, "💰 Amount", message_id=tg.card(tina).message_id)
    await tg.say(tina, "200 000")
    card = tg.text(tina)
    assert f"amount: — → 150{NBSP}000{NBSP}RUB · changed by Tina" in card
    assert f"amount: 150{NBSP}000{NBSP}RUB → 200{NBSP}000{NBSP}RUB · changed by Tina" in card
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="ru")
    await tg.open_link(maria, f"https://t.me/leadcrm_bot?start=lead_{transferred.lead.id}")
    await tg.press(maria, "🕓 История", message_id=tg.card(maria).message_id)
    assert f"💼 сделка #{transferred.sale.id}: сумма: 150{NBSP}000{NBSP}RUB → 200{NBSP}000{NBSP}RUB" in tg.text(maria)


async def test_a_team_lead_picks_the_deals_owner(tg, transferred, committing_factory) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    deal = await _open_deal(tg, tina, transferred.sale.id)
    assert "Owner: nobody" in deal.text
    await tg.press(tina, "👤 Owner", message_id=deal.message_id)
    picker = tg.fake.message(tina.id, deal.message_id)
    assert "Tina" in picker.button_texts and "Maria" not in picker.button_texts  # team leads and admins
    await tg.press(tina, "Tina", message_id=deal.message_id)
    assert (await _row(committing_factory, transferred.sale.id)).owner_id == TEAM_LEAD_ID
    assert "Owner: Tina" in tg.fake.message(tina.id, deal.message_id).text
    forged = await tg.press_data(tina, deal.message_id, f"sl:ws:{transferred.sale.id}:new:{MANAGER_ID}0")
    assert forged.params.get("show_alert") is True
    assert (await _row(committing_factory, transferred.sale.id)).owner_id == TEAM_LEAD_ID


async def test_deals_lists_by_stage_with_totals(tg, transferred, services, committing_factory) -> None:
    uow = SqlUnitOfWork(committing_factory)
    maria = await register(uow, "maria", language="ru")
    second = await transferred_lead(uow, services, maria, name="Second Co")
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    deal = await _open_deal(tg, tina, transferred.sale.id)
    await tg.press(tina, "💰 Amount", message_id=deal.message_id)
    await tg.say(tina, "150000")
    await tg.press(tina, "➡️ KYC", message_id=tg.card(tina).message_id)

    await tg.say(tina, "/deals")
    page = tg.card(tina)
    assert "Deals" in page.text and "all stages" in page.text and "2 total" in page.text
    assert "New deal: 1" in page.text and f"KYC: 1 · 150{NBSP}000{NBSP}RUB" in page.text
    assert f"#{second.sale.id} Second Co" in page.button_texts
    await tg.press(tina, "KYC", message_id=page.message_id)
    kyc = tg.fake.message(tina.id, page.message_id)
    assert "Deal Co" in kyc.text and "Second Co" not in kyc.text and "1 total" in kyc.text
    await tg.press(tina, "Paid", message_id=page.message_id)
    assert "No deals here yet" in tg.fake.message(tina.id, page.message_id).text


async def test_a_managers_lead_card_links_to_its_deal_but_deals_are_for_team_leads(tg, transferred) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(maria, f"/lead {transferred.lead.id}")
    card = tg.card(maria)
    assert "💼 Deal" in card.button_texts
    answer = await tg.press(maria, "💼 Deal", message_id=card.message_id)
    deal = tg.fake.message(maria.id, card.message_id)
    assert "Deal Co" in deal.text and "💰 Amount" not in deal.button_texts
    assert not answer.params.get("show_alert")
    forged = await tg.press_data(maria, card.message_id, f"sl:am:{transferred.sale.id}:new:")
    assert forged.params.get("show_alert") is True and "Only team leads and admins" in alert_text(forged)
    await tg.say(maria, "/deals")
    assert "Only team leads and admins" in tg.text(maria)
