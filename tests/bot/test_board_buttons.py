"""The board from the chat: with WEBAPP_URL the bot's menu button opens it and a lead card in a private chat has an
"Open board" web_app button (on that lead); without WEBAPP_URL neither (and no button changes its callbacks)."""

from __future__ import annotations

import pytest

from core.services import leads as leads_svc
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, bot_settings, register

BOARD = "https://crm.example.com/app/"


@pytest.fixture
async def maria(committing_factory):
    return await register(SqlUnitOfWork(committing_factory), "maria", language="en")


async def _card_buttons(tg, committing_factory, services, actor) -> tuple[int, list[dict]]:
    lead = await leads_svc.create_lead(
        SqlUnitOfWork(committing_factory), services, actor, source="partner", name="Acme"
    )
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, f"/lead {lead.id}")
    message = tg.card(user)
    return lead.id, [b for row in message.reply_markup["inline_keyboard"] for b in row]


async def test_with_webapp_url_the_menu_button_and_the_card_open_the_board(
    tg, bot_runner, services, committing_factory, maria
):
    await bot_runner(bot_settings(webapp_url=BOARD), services=services, session_factory=committing_factory)
    calls = tg.fake.calls_of("setChatMenuButton")
    assert len(calls) == 1
    button = calls[0].params["menu_button"]
    assert button["type"] == "web_app" and button["web_app"]["url"] == BOARD and button["text"]
    lead_id, buttons = await _card_buttons(tg, committing_factory, services, maria)
    board = [b for b in buttons if b.get("web_app")]
    assert len(board) == 1 and board[0]["web_app"]["url"] == f"{BOARD}?lead={lead_id}"
    assert "Open board" in board[0]["text"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons if b.get("callback_data"))


async def test_without_webapp_url_there_is_no_board_button(tg, bot_runner, services, committing_factory, maria):
    await bot_runner(bot_settings(), services=services, session_factory=committing_factory)
    assert tg.fake.calls_of("setChatMenuButton") == []
    _, buttons = await _card_buttons(tg, committing_factory, services, maria)
    assert not any(b.get("web_app") for b in buttons)
    assert any("Refresh" in b["text"] for b in buttons)


def test_webapp_url_must_be_https():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="https"):
        bot_settings(webapp_url="http://crm.example.com/app/")
    assert bot_settings(webapp_url="  ").webapp_url is None
