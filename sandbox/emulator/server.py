"""A Telegram Bot API emulator on 127.0.0.1, spoken to over real HTTP by aiogram's AiohttpSession.

Point a bot at it with::

    fake = FakeTelegram()
    await fake.start()
    bot = fake.make_bot()   # Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)))

Then play users (``send_text``, ``press``, ``press_button``), and look at what the bot did (``calls``,
``messages``, ``wait_for``). Failures can be injected per method (``fail``): 429 with retry_after, 5xx,
a hang that makes the client time out, an undecodable answer (an HTML 502) or a late acceptance;
``inject_update`` queues an update as given, parseable or not.

``FakeTelegram`` is the face of the parts, one idea each:

* ``state.py``    ChatState: users, groups, messages, the update queue, callback queries, command menus;
* ``actions.py``  UserActions: what a simulated user does (type, press, open a link, block the bot);
* ``methods.py``  BotApiMethods: the Bot API methods and Telegram's checks of their parameters;
* ``http.py``     BotApiHttp: the HTTP server, request decoding, Telegram-shaped answers, the call record;
* ``faults.py``   Faults: injected failures.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, Self

from sandbox.emulator.actions import UserActions
from sandbox.emulator.faults import Faults, Garbage
from sandbox.emulator.http import BotApiHttp
from sandbox.emulator.methods import BotApiMethods
from sandbox.emulator.models import Call, FakeUser, Message
from sandbox.emulator.state import DEFAULT_GROUP_TITLE, ChatState, commands_key


class FakeTelegram:
    """An in-process Telegram Bot API server for tests and the sandbox. Not thread-safe: use it from
    the event loop it was started on."""

    def __init__(
        self,
        *,
        bot_id: int = 7000001,
        bot_username: str = "leadcrm_bot",
        token: str = "7000001:TEST-token",
        first_update_id: int | None = None,
    ) -> None:
        """``first_update_id``: see ``ChatState`` (by default update ids never repeat across runs)."""
        self.token = token
        self.url = ""
        self.state = ChatState(bot_id=bot_id, bot_username=bot_username, first_update_id=first_update_id)
        self.faults = Faults()
        self.methods = BotApiMethods(self.state)
        self.http = BotApiHttp(token=token, state=self.state, methods=self.methods, faults=self.faults)
        self.actions = UserActions(self.state, explain=self.dump)

    @property
    def bot_id(self) -> int:
        return self.state.bot_id

    @property
    def bot_username(self) -> str:
        return self.state.bot_username

    @property
    def calls(self) -> list[Call]:
        """Every Bot API call received, in order of arrival (``Call.index`` is its position)."""
        return self.http.calls

    @property
    def listeners(self) -> list[Callable[[Call], None]]:
        """Called with every finished call, ok or not."""
        return self.http.listeners

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.url = await self.http.start(host, port)
        self.methods.closing = False

    async def stop(self) -> None:
        self.methods.closing = True
        self.state.notify()
        await self.http.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def make_bot(self, **kwargs: Any) -> Any:
        """A real aiogram Bot whose AiohttpSession talks to this emulator (kwargs go to ``Bot``)."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        timeout = kwargs.pop("timeout", 10)
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.url), timeout=timeout)
        return Bot(token=kwargs.pop("token", self.token), session=session, **kwargs)

    # ------------------------------------------------------------------ playing users (actions.py)

    def user(
        self, user_id: int, first_name: str, *, username: str | None = None, language_code: str = "ru"
    ) -> FakeUser:
        """A user with a private chat (calling it again replaces the user, e.g. with another language)."""
        return self.state.add_user(
            FakeUser(id=user_id, first_name=first_name, username=username, language_code=language_code)
        )

    def group(self, chat_id: int, title: str = DEFAULT_GROUP_TITLE, *, is_forum: bool = False) -> dict[str, Any]:
        """Register a group (optional: any negative chat id is accepted as a group on first use)."""
        return self.state.add_group(chat_id, title, is_forum=is_forum)

    def block(self, user: FakeUser) -> None:
        self.actions.block(user)

    def send_text(self, user: FakeUser, text: str, *, chat_id: int | None = None) -> int:
        return self.actions.send_text(user, text, chat_id=chat_id)

    def open_link(self, user: FakeUser, link: str) -> int:
        return self.actions.open_link(user, link)

    def press(self, user: FakeUser, message_id: int, callback_data: str, *, chat_id: int | None = None) -> str:
        return self.actions.press(user, message_id, callback_data, chat_id=chat_id)

    def press_button(
        self, user: FakeUser, text_or_index: str | int, *, message_id: int | None = None, chat_id: int | None = None
    ) -> str:
        return self.actions.press_button(user, text_or_index, message_id=message_id, chat_id=chat_id)

    @property
    def last_update_id(self) -> int:
        """The id of the latest update queued (0 if none)."""
        return self.state.last_update_id

    def redeliver(self, update_id: int) -> None:
        self.state.redeliver(update_id)

    # ------------------------------------------------------------------ failure injection (faults.py)

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        times: int = 1,
        delay: float | None = None,
        description: str | None = None,
        garbage: Garbage | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail; see ``Faults.add``."""
        self.faults.add(
            method,
            status=status,
            retry_after=retry_after,
            times=times,
            delay=delay,
            description=description,
            garbage=garbage,
        )

    def accept_late(self, method: str, *, delay: float, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are applied but answered only after ``delay`` seconds."""
        self.faults.accept_late(method, delay=delay, times=times)

    def drop(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get no answer: the connection is closed; see ``Faults.drop``."""
        self.faults.drop(method, times=times)

    def inject_update(self, body: dict[str, Any]) -> int:
        """Queue ``body`` as an update exactly as given (with the next update_id): e.g. one a client library
        cannot parse, as a Bot API change or a bug on Telegram's side could send. Returns its update_id."""
        return self.state.queue_update(body)

    # ------------------------------------------------------------------ observing

    def messages(self, chat_id: int) -> list[Message]:
        """Bot messages in the chat, oldest first, edits applied, deleted ones left out."""
        return self.state.bot_messages(chat_id)

    def message(self, chat_id: int, message_id: int) -> Message:
        """One message of the chat as it is now (edits applied; a deleted one too, marked ``deleted``)."""
        message = self.state.find_message(chat_id, message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}\n{self.dump()}")
        return message

    def last_message(self, chat_id: int) -> Message:
        found = self.messages(chat_id)
        if not found:
            raise LookupError(f"the bot sent nothing to chat {chat_id}\n{self.dump()}")
        return found[-1]

    def last_keyboard_message(self, chat_id: int) -> Message:
        message = self.state.last_keyboard_message(chat_id)
        if message is None:
            raise LookupError(f"no bot message with an inline keyboard in chat {chat_id}\n{self.dump()}")
        return message

    def commands_for(self, scope_type: str = "default", language_code: str = "") -> list[dict[str, Any]]:
        """The command menu stored by setMyCommands for a simple scope and language."""
        return self.state.commands.get(commands_key({"type": scope_type}, language_code), [])

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def dump(self, last: int = 25) -> str:
        lines = [str(c) for c in self.calls[-last:]]
        return "recent Bot API calls:\n  " + ("\n  ".join(lines) if lines else "(none)")

    async def wait_for(
        self,
        method: str,
        *,
        predicate: Callable[[Call], bool] | None = None,
        after: int = -1,
        timeout: float = 5.0,
        finished: bool = True,
    ) -> Call:
        """The first finished call of ``method`` (``"*"``: any but getUpdates) with index > ``after`` that
        matches ``predicate`` (``finished=False``: the first one that arrived, e.g. a long poll still waiting)."""
        deadline = time.monotonic() + timeout
        wanted = method.lower()
        checked = 0
        calls = self.calls

        def matches_method(call: Call) -> bool:
            name = call.method.lower()
            return name == wanted or (wanted == "*" and name != "getupdates")

        while True:
            changed = self.state.changed
            for call in calls[checked:]:
                if (
                    (call.done or not finished)
                    and call.index > after
                    and matches_method(call)
                    and (predicate is None or predicate(call))
                ):
                    return call
            checked = next((i for i in range(checked, len(calls)) if not calls[i].done), len(calls))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} call (after #{after}) within {timeout}s\n{self.dump()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_answered(self, callback_id: str, timeout: float = 5.0) -> Call:
        return await self.wait_for(
            "answerCallbackQuery", predicate=lambda c: c.params.get("callback_query_id") == callback_id, timeout=timeout
        )

    async def settle(self, timeout: float = 5.0, quiet: float = 0.15) -> None:
        """Wait until every queued update was fetched and confirmed and no call other than getUpdates
        came for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            idle = now - self.http.last_call_at
            if not self.state.queue and self.http.in_flight == 0 and idle >= quiet:
                return
            if now >= deadline:
                raise TimeoutError(
                    f"not settled within {timeout}s ({len(self.state.queue)} updates unconfirmed, "
                    f"{self.http.in_flight} calls in flight)\n{self.dump()}"
                )
            changed = self.state.changed
            wait = min(deadline - now, max(quiet - idle, 0.01))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)

    def forget_history(self, *, keep_messages: int = 4, keep_unanswered: bool = False) -> None:
        """Forget what a long run piles up and Telegram, not the bot, would hold (recorded calls, sent updates,
        answered callback queries, all but the latest ``keep_messages`` messages of each chat), so it does
        not grow without end. ``keep_unanswered``: updates may be in flight, keep their callback queries."""
        self.calls.clear()
        self.state.forget_history(keep_messages=keep_messages, keep_unanswered=keep_unanswered)
