"""The deal card: team leads move a sale from a transferred lead's card or the notification's link."""

from __future__ import annotations

import pytest

from core.domain.enums import SaleStage
from core.storage.models import SaleRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import (
    MANAGER_ID,
    TEAM_LEAD_ID,
    alert_text,
    bot_settings,
    register,
)
from tests.journeys import transferred_lead


@pytest.fixture
async def transferred(bot_runner, services, committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    maria = await register(uow, "maria")
    await register(uow, "tina")
    result = await transferred_lead(uow, services, maria, name="Deal Co")
    await bot_runner(bot_settings(), services=services, session_factory=committing_factory)
    return result


async def _sale_stage(committing_factory, sale_id) -> SaleStage:
    async with committing_factory() as session:
        return (await session.get(SaleRow, sale_id)).stage


async def test_a_team_lead_moves_the_deal_from_the_lead_card(tg, transferred, committing_factory) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.say(tina, f"/lead {transferred.lead.id}")
    card = tg.card(tina)
    assert "💼 Deal" in card.button_texts
    await tg.press(tina, "💼 Deal", message_id=card.message_id)
    deal = tg.fake.message(tina.id, card.message_id)
    assert "Deal Co" in deal.text and "Stage: New deal" in deal.text
    stale = next(b["callback_data"] for b in deal.buttons if b["text"] == "➡️ KYC")
    await tg.press(tina, "➡️ KYC", message_id=card.message_id)
    assert await _sale_stage(committing_factory, transferred.sale.id) == SaleStage.KYC
    again = await tg.press_data(tina, card.message_id, stale)  # a double press
    assert again.params.get("show_alert") is True and "out of date" in alert_text(again)
    assert await _sale_stage(committing_factory, transferred.sale.id) == SaleStage.KYC
    assert "Stage: KYC" in tg.fake.message(tina.id, card.message_id).text  # refreshed

    await tg.press(tina, "❌ Deal lost", message_id=card.message_id)
    await tg.press(tina, "Chose a competitor", message_id=card.message_id)
    assert "Mark the deal as lost (Chose a competitor)?" in tg.fake.message(tina.id, card.message_id).text
    assert await _sale_stage(committing_factory, transferred.sale.id) == SaleStage.KYC  # are you sure?
    await tg.press(tina, "✅ Yes", message_id=card.message_id)
    assert await _sale_stage(committing_factory, transferred.sale.id) == SaleStage.LOST
    final = tg.fake.message(tina.id, card.message_id)
    assert "Stage: Deal lost" in final.text and "Chose a competitor" in final.text
    assert "❌ Deal lost" not in final.button_texts


async def test_the_notification_link_opens_the_deal(tg, transferred) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="ru")
    await tg.open_link(tina, f"https://t.me/leadcrm_bot?start=sale_{transferred.sale.id}")
    assert "Сделка" in tg.text(tina) and "Новая сделка" in tg.text(tina)


async def test_a_manager_sees_their_deal_but_cannot_move_it(tg, transferred, committing_factory) -> None:
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.open_link(maria, f"https://t.me/leadcrm_bot?start=sale_{transferred.sale.id}")
    deal = tg.fake.last_message(maria.id)
    assert "Deal Co" in deal.text and not any(t.startswith("➡️") for t in deal.button_texts)
    forged = await tg.press_data(maria, deal.message_id, f"sl:x:{transferred.sale.id}:new:kyc")
    assert forged.params.get("show_alert") is True and "Only team leads and admins" in alert_text(forged)
    assert await _sale_stage(committing_factory, transferred.sale.id) == SaleStage.NEW


async def test_paid_asks_once_and_a_stale_yes_changes_nothing(tg, transferred, committing_factory) -> None:
    tina = tg.fake.user(TEAM_LEAD_ID, "Tina", language_code="en")
    await tg.open_link(tina, f"https://t.me/leadcrm_bot?start=sale_{transferred.sale.id}")
    deal = tg.fake.last_message(tina.id)
    for step in ("➡️ KYC", "➡️ Agreement"):
        await tg.press(tina, step, message_id=deal.message_id)
    await tg.press(tina, "➡️ Paid", message_id=deal.message_id)
    asked = tg.fake.message(tina.id, deal.message_id)
    assert "Mark the deal as paid? This closes it for good." in asked.text
    assert await _sale_stage(committing_factory, transferred.sale.id) == SaleStage.AGREEMENT
    yes = next(b["callback_data"] for b in asked.buttons if b["text"] == "✅ Yes")
    assert yes.startswith(f"sl:xy:{transferred.sale.id}:agreement:")  # the stage the card showed
    await tg.press(tina, "✖️ No", message_id=deal.message_id)
    assert await _sale_stage(committing_factory, transferred.sale.id) == SaleStage.AGREEMENT
    await tg.press_data(tina, deal.message_id, yes)
    assert await _sale_stage(committing_factory, transferred.sale.id) == SaleStage.PAID
    again = await tg.press_data(tina, deal.message_id, yes)
    assert again.params.get("show_alert") is True and "out of date" in alert_text(again)
