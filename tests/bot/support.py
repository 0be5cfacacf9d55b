"""Helpers for bot tests: the standing cast, settings for a bot under test, and ``Driver``, which plays
users and waits until the bot has finished handling each update (sandbox.emulator.watch.HandledUpdates).
The fixtures that hand them out (``handled``, ``tg``) are in tests/bot/conftest.py."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from core.config import Settings
from core.domain.models import Actor
from core.services import users as users_svc
from core.services.ports import UnitOfWork
from sandbox.emulator.watch import HandledUpdates
from tests.conftest import TEST_DOMAINS

GROUP = -100500  # the team leads' chat (the bot's TEAM_LEADS_CHAT_ID in bot_settings)
ADMIN_ID = 5001
MANAGER_ID = 5002
OTHER_MANAGER_ID = 5003
TEAM_LEAD_ID = 5004
STRANGER_ID = 5999
CAST = {  # the people of the bot tests: Telegram id, name, role
    "maria": (MANAGER_ID, "Maria", "manager"),
    "oleg": (OTHER_MANAGER_ID, "Oleg", "manager"),
    "tina": (TEAM_LEAD_ID, "Tina", "team_lead"),
}


async def register(uow: UnitOfWork, who: str, **profile: Any) -> Actor:
    """Register one of the CAST (``profile``: e.g. ``language``) and return them as an actor."""
    user_id, full_name, role = CAST[who]
    return Actor.from_user(await users_svc.ensure_user(uow, user_id=user_id, full_name=full_name, role=role, **profile))


def bot_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "admin_ids": [ADMIN_ID],
        "team_leads_chat_id": GROUP,
        "business_domains": sorted(TEST_DOMAINS),
        "outbox_poll_seconds": 0.05,
        "outbox_give_up_seconds": 60.0,
        "redis_url": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class Driver:
    """Plays users against the emulator; each action returns once the bot handled the update."""

    def __init__(self, fake: Any, watcher: HandledUpdates) -> None:
        self.fake = fake
        self.watcher = watcher

    def last_update_id(self) -> int:
        return self.fake.last_update_id

    async def wait(self, update_id: int) -> None:
        assert await self.watcher.wait(update_id), f"update {update_id} not handled in time\n{self.fake.dump()}"

    async def redeliver(self, update_id: int, timeout: float = 10.0) -> None:
        """Send an update again (as Telegram may) and return once the bot has acknowledged it: the emulator
        drops a delivered update when a getUpdates with a higher offset comes."""
        self.fake.redeliver(update_id)
        deadline = time.monotonic() + timeout
        while any(q.update["update_id"] == update_id for q in self.fake.state.queue):
            assert time.monotonic() < deadline, f"update {update_id} not acknowledged again\n{self.fake.dump()}"
            await asyncio.sleep(0.01)

    async def say(self, user: Any, text: str) -> int:
        update_id = self.fake.send_text(user, text)
        await self.wait(update_id)
        return update_id

    async def open_link(self, user: Any, link: str) -> int:
        update_id = self.fake.open_link(user, link)
        await self.wait(update_id)
        return update_id

    async def press(self, user: Any, button: str | int, *, message_id: int | None = None) -> Any:
        """Press a button; returns the answerCallbackQuery call (every press must be answered)."""
        query_id = self.fake.press_button(user, button, message_id=message_id)
        await self.wait(self.last_update_id())
        return self.answer_of(query_id)

    async def press_data(self, user: Any, message_id: int, data: str) -> Any:
        query_id = self.fake.press(user, message_id, data)
        await self.wait(self.last_update_id())
        return self.answer_of(query_id)

    def answer_of(self, query_id: str) -> Any:
        answers = [
            c for c in self.fake.calls_of("answerCallbackQuery") if c.params.get("callback_query_id") == query_id
        ]
        assert len(answers) == 1, f"callback {query_id} answered {len(answers)} times\n{self.fake.dump()}"
        return answers[0]

    def card(self, user: Any) -> Any:
        return self.fake.last_keyboard_message(user.id)

    def text(self, user: Any) -> str:
        return self.fake.last_message(user.id).text


def one_tap_call(card: Any, outcome: str = "no_answer") -> str:
    """The data of the outcome button a card's "📞 Call" opens (``ld:om:ID:V:call`` -> ``ld:ao:ID:V:call.<outcome>``,
    the same version): for tests about presses, not about the menu, so one press logs one call."""
    data = next(b["callback_data"] for b in card.buttons if b["callback_data"].startswith("ld:om:"))
    assert data.endswith(":call"), data
    return data.replace("ld:om:", "ld:ao:", 1) + "." + outcome


def alert_text(answer: Any) -> str:
    return answer.params.get("text") or ""


def invite_link(text: str) -> str:
    match = re.search(r"https://t\.me/\S+\?start=[A-Za-z0-9_-]+", text)
    assert match, f"no invite link in {text!r}"
    return match.group(0)


def lead_id_of(card_text: str) -> int:
    match = re.search(r"(?:· |Lead |Лид )#(\d+)", card_text)  # "Acme · #4", an unnamed one "Lead #4"
    assert match, f"no lead id in {card_text!r}"
    return int(match.group(1))
