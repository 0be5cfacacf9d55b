"""Which handler takes an update: the router order in bot.app.build_dispatcher is tuned for speed (the card's
buttons first, the errors router last), so these pin the winners that order must keep. Handlers are replaced
by recorders; no database, no Telegram."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery, Chat, Message
from aiogram.types import User as TgUser

from bot.states import CardInput, Find, NewLead
from core.config import Settings
from core.services.context import Policy, Services

USER = TgUser(id=1, is_bot=False, first_name="A", language_code="en")
PRIVATE = Chat(id=1, type="private")
GROUP = Chat(id=-100, type="supergroup")


@pytest.fixture(scope="module")
def recorded() -> tuple[Dispatcher, list[str]]:
    from bot.app import build_dispatcher

    settings = Settings(_env_file=None, redis_url=None)
    dp = build_dispatcher(
        settings=settings,
        services=Services(Policy(domains=frozenset({"saas"}))),
        session_factory=None,  # type: ignore[arg-type]  # no database: only the routers are inspected
    )
    winners: list[str] = []
    for router in dp.chain_tail:
        module = router.name.split(".")[2] if router.name.startswith("bot.routers.") else router.name
        for observer in router.observers.values():
            for handler in observer.handlers:

                async def record(*_: Any, _label: str = f"{module}.{handler.callback.__name__}", **__: Any) -> bool:
                    winners.append(_label)
                    return True

                handler.callback = record
    return dp, winners


async def _winner(
    recorded: tuple[Dispatcher, list[str]], update_type: str, event: Any, state: str | None
) -> str | None:
    dp, winners = recorded
    winners.clear()
    chat = event.chat if isinstance(event, Message) else PRIVATE
    bot = Bot("42:TEST")
    bot._me = TgUser(id=42, is_bot=True, first_name="Test", username="TestBot")  # what bot.me() caches
    await dp.propagate_event(
        update_type,
        event,
        bot=bot,
        event_from_user=USER,
        event_chat=chat,
        state=None,
        raw_state=state,
        uow=None,
        user=None,
        actor=None,
    )
    assert len(winners) <= 1
    return winners[0] if winners else None


CALLBACKS = [
    ("ld:o:5:3:", None, "lead_card.open_card"),
    ("ld:o:5:3:n", CardInput.note.state, "lead_card.open_card"),
    ("ld:a:5:3:call", NewLead.source.state, "lead_card.log_activity"),
    ("ld:z:5:3:", None, "lead_card.analyze"),
    ("ld:x:5:3:contacted", None, "lead_card.next_stage"),
    ("ld:t:5:3:", None, "lead_card.transfer"),
    ("ld:l:5:3:", None, "lead_card.lost_menu"),
    ("ld:lr:5:3:price", None, "lead_card.lost"),
    ("ld:d:5:3:", None, "lead_card.domain_menu"),
    ("ld:ds:5:3:saas", None, "lead_card.set_domain"),
    ("ld:h:5:3:", None, "lead_card.history"),
    ("ld:n:5:3:", None, "lead_card.ask_text"),
    ("ld:c:5:3:", None, "contacts.show_contacts"),
    ("ld:ca:5:3:", None, "contacts.ask_contact"),
    ("ld:cd:5:3:9", None, "contacts.remove_contact"),
    ("fd:1", None, "lists.find_page"),
    ("ld:lt:5:3:", None, "lead_card.ask_text"),
    ("ld:s:5:0:", None, "sale.sale_of_lead"),
    ("ld:q:5:3:", None, "fallback.unknown_button"),  # forged action
    ("ld:o:x:3:", None, "fallback.unknown_button"),  # forged id
    ("ld:o:5:3", None, "fallback.unknown_button"),  # a field short
    ("ld:o:5:3::", None, "fallback.unknown_button"),  # a field too many
    ("sl:o:7:new:", None, "sale.open_sale"),
    ("sl:x:7:new:kyc", None, "sale.next_stage"),
    ("sl:l:7:new:", None, "sale.lost_menu"),
    ("sl:lr:7:new:price", None, "sale.lost"),
    ("sl:ly:7:new:price", None, "sale.lost"),
    ("sl:xy:7:agreement:paid", None, "sale.next_stage"),
    ("ld:ly:5:3:no_budget", None, "lead_card.lost_confirmed"),
    ("us:offy:9:q", None, "admin.set_active"),
    ("sl:q:7::", None, "fallback.unknown_button"),
    ("mn:help", None, "start.help_button"),
    ("mn:leads", None, "lists.leads_button"),
    ("mn:find", None, "lists.find_button"),
    ("mn:new", NewLead.contact.state, "new_lead.new_button"),
    ("mn:zz", None, "fallback.unknown_button"),
    ("ls:new:2", None, "lists.leads_page"),
    ("lm:new:2", None, "lists.leads_page"),  # a team lead's own leads
    ("mn:all", None, "lists.leads_button"),
    ("ld:om:5:3:call", None, "activity.outcome_menu"),
    ("ld:ao:5:3:call.reached.c", None, "activity.log_outcome"),
    ("ls:zz:x", None, "fallback.unknown_button"),
    ("us:o:9:", None, "admin.open_user"),
    ("us:r:9:admin", None, "admin.set_role"),
    ("us:off:9:", None, "admin.set_active"),
    ("us:on:9:", None, "admin.set_active"),
    ("nl:src:web", NewLead.source.state, "new_lead.got_source"),
    ("nl:src:web", NewLead.domain.state, "new_lead.dialog_over"),
    ("nl:dom:saas", NewLead.domain.state, "new_lead.got_domain"),
    ("nl:ct:", NewLead.contact.state, "new_lead.skip_contact"),
    ("nl:ct:", None, "new_lead.dialog_over"),
    ("zz:1", None, "fallback.unknown_button"),
    ("", None, "fallback.unknown_button"),
]


@pytest.mark.parametrize(("data", "state", "expected"), CALLBACKS)
async def test_a_button_press_reaches_its_handler(recorded, data: str, state: str | None, expected: str) -> None:
    query = CallbackQuery(id="1", from_user=USER, chat_instance="c", data=data or None)
    assert await _winner(recorded, "callback_query", query, state) == expected


MESSAGES = [
    ("/start", None, PRIVATE, "start.start"),
    ("/start lead_5", None, PRIVATE, "start.open_lead_link"),
    ("/start sale_5", None, PRIVATE, "start.open_sale_link"),
    ("/start CODE", None, PRIVATE, "start.invite"),
    ("/cancel", CardInput.note.state, PRIVATE, "start.cancel"),
    ("/cancel", NewLead.name.state, PRIVATE, "start.cancel"),
    ("/cancel", Find.query.state, PRIVATE, "start.cancel"),
    ("/help", NewLead.domain.state, PRIVATE, "start.help_command"),
    ("/users", CardInput.contact.state, PRIVATE, "admin.users"),
    ("/invite admin", None, PRIVATE, "admin.invite"),
    ("/train", None, PRIVATE, "admin.train_command"),
    ("/lead 5", CardInput.note.state, PRIVATE, "lists.lead_command"),
    ("/leads", NewLead.source.state, PRIVATE, "lists.leads_command"),
    ("/find acme", None, PRIVATE, "lists.find_command"),
    ("acme", Find.query.state, PRIVATE, "lists.find_text"),
    ("/new", NewLead.domain.state, PRIVATE, "new_lead.new_command"),
    ("Acme", NewLead.name.state, PRIVATE, "new_lead.got_name"),
    ("Acme", NewLead.source.state, PRIVATE, "new_lead.use_buttons"),
    ("+7 900", NewLead.contact.state, PRIVATE, "new_lead.got_contact"),
    ("a note", CardInput.note.state, PRIVATE, "lead_input.got_note"),
    ("/unknown", CardInput.note.state, PRIVATE, "lead_input.got_note"),  # the handler refuses it politely
    ("@maria", CardInput.contact.state, PRIVATE, "lead_input.got_contact"),
    ("too pricey", CardInput.lost_reason.state, PRIVATE, "lead_input.got_lost_reason"),
    ("hello", None, PRIVATE, "fallback.unknown_message"),
    (None, CardInput.note.state, PRIVATE, "fallback.unknown_message"),
    ("hello", CardInput.note.state, GROUP, None),
    ("/lead 5", None, GROUP, None),
    ("/users@OtherBot", None, PRIVATE, "fallback.unknown_message"),  # a command for another bot
    ("/users@TestBot", None, PRIVATE, "admin.users"),
    ("/help@testbot", CardInput.note.state, PRIVATE, "start.help_command"),
    ("/LEADS", None, PRIVATE, "fallback.unknown_message"),  # commands are case-sensitive
]


@pytest.mark.parametrize(("text", "state", "chat", "expected"), MESSAGES)
async def test_a_message_reaches_its_handler(
    recorded, text: str | None, state: str | None, chat: Chat, expected: str | None
) -> None:
    message = Message(message_id=1, date=datetime.datetime.now(datetime.UTC), chat=chat, from_user=USER, text=text)
    assert await _winner(recorded, "message", message, state) == expected


@pytest.mark.parametrize(
    ("caption", "state", "expected"),
    [
        ("/users", None, "admin.users"),  # aiogram's Command reads a caption too
        ("/start lead_5", None, "start.open_lead_link"),
        ("/cancel", CardInput.note.state, "start.cancel"),
        ("a note", CardInput.note.state, "fallback.unknown_message"),  # typed answers need text
    ],
)
async def test_a_captioned_message_reaches_its_handler(
    recorded, caption: str, state: str | None, expected: str
) -> None:
    message = Message(
        message_id=1, date=datetime.datetime.now(datetime.UTC), chat=PRIVATE, from_user=USER, caption=caption
    )
    assert await _winner(recorded, "message", message, state) == expected


def test_only_the_errors_router_handles_errors(recorded) -> None:
    """Why the errors router's place in the order does not matter (bot.app.build_dispatcher puts it last)."""
    dp, _ = recorded
    with_error_handlers = [router.name for router in dp.chain_tail if router.observers["error"].handlers]
    assert with_error_handlers == ["bot.routers.errors"]
