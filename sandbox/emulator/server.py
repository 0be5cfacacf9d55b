"""A Telegram Bot API emulator on 127.0.0.1, spoken to over real HTTP by aiogram's AiohttpSession.

Point a bot at it with::

    fake = FakeTelegram()
    await fake.start()
    bot = fake.make_bot()   # Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.url)))

Then play users (``send_text``, ``press``, ``press_button``), and look at what the bot did (``calls``,
``messages``, ``wait_for``). Failures can be injected per method (``fail``): 429 with retry_after, 5xx,
or a hang that makes the client time out. It keeps the Telegram behaviours a bot must cope with:
offset-confirmed long polling, "message is not modified", strict HTML parsing, the 4096-character limit,
an inline keyboard removed by an edit without ``reply_markup``, a callback query answered only once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

from bot.emulator.html import EntityParseError, parse_html, utf16_len
from bot.emulator.models import Call, FakeUser, Message

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
DEFAULT_GROUP_TITLE = "Team leads"

# Fields that stay strings even when they look like JSON (aiogram sends every field as a form string).
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url", "description",
        "short_description", "name", "language_code", "action", "business_connection_id", "message_effect_id",
        "title", "query_id", "secret_token", "ip_address", "emoji", "custom_emoji_id",
    }
)


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    delay: float | None
    description: str | None


@dataclass
class _Queued:
    update: dict[str, Any]
    delivered: bool = False


def _decode_field(key: str, value: str) -> Any:
    if key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return value


def _status_text(status: int) -> str:
    return {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden: bot was blocked by the user",
        404: "Not Found",
        409: "Conflict",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, f"Error {status}")


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
        """``first_update_id`` defaults to a number that grows with the clock: like Telegram's, update ids
        never repeat across runs, so a bot that remembers processed update ids (in a database that
        outlives the emulator, as the sandbox's does) never mistakes a new update for a redelivery."""
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = "Lead CRM"
        self.token = token
        self.url = ""
        self.calls: list[Call] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook_url = ""
        self.users: dict[int, FakeUser] = {}
        self.groups: dict[int, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        self._chats: dict[int, dict[int, Message]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._queue: deque[_Queued] = deque()
        self._updates_by_id: dict[int, dict[str, Any]] = {}
        if first_update_id is None:
            first_update_id = int((time.time() - 1_700_000_000) * 100_000)  # ~1e13, far below 2**53
        self._update_ids = itertools.count(first_update_id)
        self._callback_ids = itertools.count(1)
        self._callbacks: dict[str, bool] = {}  # id -> answered
        self._failures: dict[str, deque[_Failure]] = {}
        self._changed = asyncio.Event()
        self._poll_generation = 0
        self._last_call_at = time.monotonic()
        self._in_flight = 0
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.listeners: list[Callable[[Call], None]] = []  # called with every finished call, ok or not
        self._handlers = self._methods()

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        bound_port = server.sockets[0].getsockname()[1]
        self.url = f"http://{host}:{bound_port}"
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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

    # ------------------------------------------------------------------ playing users

    def user(
        self, user_id: int, first_name: str, *, username: str | None = None, language_code: str = "ru"
    ) -> FakeUser:
        user = FakeUser(id=user_id, first_name=first_name, username=username, language_code=language_code)
        self.users[user_id] = user
        self._chats.setdefault(user_id, {})
        return user

    def group(self, chat_id: int, title: str = DEFAULT_GROUP_TITLE, *, is_forum: bool = False) -> dict[str, Any]:
        """Register a group (optional: any negative chat id is accepted as a group on first use)."""
        chat = {"id": chat_id, "type": "supergroup" if str(chat_id).startswith("-100") else "group", "title": title}
        if is_forum:
            chat["is_forum"] = True
        self.groups[chat_id] = chat
        self._chats.setdefault(chat_id, {})
        return chat

    def block(self, user: FakeUser) -> None:
        """The user blocked the bot: sending to them answers 403."""
        self.blocked.add(user.id)

    def send_text(self, user: FakeUser, text: str, *, chat_id: int | None = None) -> int:
        """Queue a message from ``user`` (private chat unless ``chat_id``); returns its update_id."""
        chat_id = user.id if chat_id is None else chat_id
        chat = self._chat_dict(chat_id)
        message_id = self._next_message_id(chat_id)
        now = int(time.time())
        payload: dict[str, Any] = {"message_id": message_id, "date": now, "chat": chat, "from": user.to_api(), "text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            payload["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        self._chats[chat_id][message_id] = Message(
            message_id=message_id, chat_id=chat_id, text=text, reply_markup=None, raw_text=text, date=now,
            from_bot=False, from_user_id=user.id,
        )
        return self._queue_update({"message": payload})

    def open_link(self, user: FakeUser, link: str) -> int:
        """Follow a deep link ``https://t.me/<bot>?start=CODE`` as Telegram does: ``/start CODE``."""
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(link if "://" in link else "https://" + link)
        code = (parse_qs(parts.query).get("start") or [""])[0]
        return self.send_text(user, f"/start {code}" if code else "/start")

    def press(self, user: FakeUser, message_id: int, callback_data: str, *, chat_id: int | None = None) -> str:
        """Queue a callback_query for a button with ``callback_data`` on that message; returns the query id."""
        chat_id = user.id if chat_id is None else chat_id
        query_id = f"cq{next(self._callback_ids)}"
        self._callbacks[query_id] = False
        message = self._chats.get(chat_id, {}).get(message_id)
        if message is None or message.deleted:
            message_payload: dict[str, Any] = {"message_id": message_id, "date": 0, "chat": self._chat_dict(chat_id)}
        else:
            message_payload = self._message_payload(message)
        query = {
            "id": query_id,
            "from": user.to_api(),
            "message": message_payload,
            "chat_instance": str(abs(chat_id)),
            "data": callback_data,
        }
        self._queue_update({"callback_query": query})
        return query_id

    def press_button(
        self, user: FakeUser, text_or_index: str | int, *, message_id: int | None = None, chat_id: int | None = None
    ) -> str:
        """Press a callback button found by exact text or 0-based flat index on the given message
        (default: the latest bot message with an inline keyboard in the user's chat)."""
        chat_id = user.id if chat_id is None else chat_id
        if message_id is None:
            message = self.last_keyboard_message(chat_id)
        else:
            message = self._chats.get(chat_id, {}).get(message_id)
            if message is None:
                raise LookupError(f"no message {message_id} in chat {chat_id}")
        buttons = message.buttons
        if isinstance(text_or_index, int):
            if not 0 <= text_or_index < len(buttons):
                raise LookupError(f"no button #{text_or_index}; buttons: {message.button_texts}")
            button = buttons[text_or_index]
        else:
            found = [b for b in buttons if b.get("text") == text_or_index]
            if not found:
                raise LookupError(f"no button {text_or_index!r}; buttons: {message.button_texts}")
            button = found[0]
        if "callback_data" not in button:
            raise LookupError(f"button {button.get('text')!r} is not a callback button: {button}")
        return self.press(user, message.message_id, button["callback_data"], chat_id=chat_id)

    @property
    def last_update_id(self) -> int:
        """The id of the latest update queued (0 if none)."""
        return max(self._updates_by_id, default=0)

    def redeliver(self, update_id: int) -> None:
        """Queue an already sent update again with the same update_id (Telegram may do this)."""
        self._queue.append(_Queued(update=self._updates_by_id[update_id]))
        self._notify()

    def _queue_update(self, body: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **body}
        self._updates_by_id[update_id] = update
        self._queue.append(_Queued(update=update))
        self._notify()
        return update_id

    # ------------------------------------------------------------------ failure injection

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        times: int = 1,
        delay: float | None = None,
        description: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` fail: ``status=429`` (with ``retry_after``, default 1), a
        4xx/5xx error, or with ``delay`` a hang of that many seconds before the error (the call is not
        applied), which makes a client with a shorter timeout give up."""
        if status == 429 and retry_after is None:
            retry_after = 1
        queue = self._failures.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(_Failure(status=status, retry_after=retry_after, delay=delay, description=description))

    # ------------------------------------------------------------------ observing

    def messages(self, chat_id: int) -> list[Message]:
        """Bot messages in the chat, oldest first, edits applied, deleted ones left out."""
        return [m for m in self._chats.get(chat_id, {}).values() if m.from_bot and not m.deleted]

    def last_message(self, chat_id: int) -> Message:
        found = self.messages(chat_id)
        if not found:
            raise LookupError(f"the bot sent nothing to chat {chat_id}\n{self.dump()}")
        return found[-1]

    def last_keyboard_message(self, chat_id: int) -> Message:
        for message in reversed(self.messages(chat_id)):
            if message.buttons:
                return message
        raise LookupError(f"no bot message with an inline keyboard in chat {chat_id}\n{self.dump()}")

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

        def matches_method(call: Call) -> bool:
            name = call.method.lower()
            return name == wanted or (wanted == "*" and name != "getupdates")

        while True:
            changed = self._changed
            for call in self.calls[checked:]:
                if (call.done or not finished) and call.index > after and matches_method(call) and (
                    predicate is None or predicate(call)
                ):
                    return call
            checked = next((i for i in range(checked, len(self.calls)) if not self.calls[i].done), len(self.calls))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {method} call (after #{after}) within {timeout}s\n{self.dump()}")
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass

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
            idle = now - self._last_call_at
            if not self._queue and self._in_flight == 0 and idle >= quiet:
                return
            if now >= deadline:
                raise TimeoutError(
                    f"not settled within {timeout}s ({len(self._queue)} updates unconfirmed, "
                    f"{self._in_flight} calls in flight)\n{self.dump()}"
                )
            changed = self._changed
            wait = min(deadline - now, max(quiet - idle, 0.01))
            try:
                await asyncio.wait_for(changed.wait(), wait)
            except TimeoutError:
                pass

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        params: dict[str, Any] = {}
        try:
            if request.content_type == "application/json":
                body = await request.json()
                params.update(body if isinstance(body, dict) else {})
            else:
                for key, value in request.query.items():
                    params[key] = _decode_field(key, value)
                if request.can_read_body:
                    form = await request.post()
                    for key, value in form.items():
                        params[key] = _decode_field(key, value) if isinstance(value, str) else "<file>"
        except ValueError:
            return self._error_response(400, "Bad Request: can't parse request body")

        call = Call(method=method_name, params=params, ok=False, index=len(self.calls))
        self.calls.append(call)
        is_poll = method_name.lower() == "getupdates"
        if not is_poll:
            self._in_flight += 1
            self._last_call_at = time.monotonic()
        self._notify()
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            failure = self._take_failure(method_name)
            if failure is not None:
                if failure.delay:
                    await asyncio.sleep(failure.delay)
                raise ApiError(
                    failure.status,
                    failure.description
                    or (
                        f"Too Many Requests: retry after {failure.retry_after}"
                        if failure.status == 429
                        else _status_text(failure.status)
                    ),
                    failure.retry_after,
                )
            handler = self._handlers.get(method_name.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
            call.ok, call.status, call.result = True, 200, result
        except ApiError as error:
            call.status, call.description = error.status, error.description
            return self._error_response(error.status, error.description, error.retry_after)
        except Exception:  # the emulator must answer something Telegram-shaped, and say why in the log
            log.exception("emulator failed on %s", method_name)
            call.status, call.description = 500, "Internal Server Error"
            return self._error_response(500, "Internal Server Error")
        finally:
            call.done = True
            if not is_poll:
                self._in_flight -= 1
                self._last_call_at = time.monotonic()
            self._notify()
            for listener in list(self.listeners):
                try:
                    listener(call)
                except Exception:  # a listener's bug must not break the Bot API answer
                    log.exception("emulator listener failed on %s", method_name)
        return web.json_response({"ok": True, "result": result})

    def _error_response(self, status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._failures.get(method.lower())
        return queue.popleft() if queue else None

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "deletemessage": self._delete_message,
            "sendchataction": self._send_chat_action,
            "getchat": self._get_chat,
            "setmydescription": self._true,
            "setmyshortdescription": self._true,
            "setmyname": self._true,
            "setchatmenubutton": self._true,
            "close": self._true,
            "logout": self._true,
        }

    # ------------------------------------------------------------------ methods

    async def _true(self, params: dict[str, Any]) -> bool:
        return True

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = str(params.get("url", ""))
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._queue)}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = float(params.get("timeout") or 0)
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            if offset:
                self._queue = deque(q for q in self._queue if not (q.delivered and q.update["update_id"] < offset))
            allowed = params.get("allowed_updates") or None
            if allowed:
                self._queue = deque(q for q in self._queue if any(kind in q.update for kind in allowed))
            ready = [q for q in self._queue if not q.delivered or q.update["update_id"] >= offset][:limit]
            if ready:
                for queued in ready:
                    queued.delivered = True
                return [q.update for q in ready]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return []
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass
            if generation != self._poll_generation:
                raise ApiError(
                    409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
                )

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = str(command.get("command", ""))
            if not name or len(name) > 32 or name.lower() != name or not name.replace("_", "").isalnum():
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def commands_for(self, scope_type: str = "default", language_code: str = "") -> list[dict[str, Any]]:
        """The command menu stored by setMyCommands for a simple scope and language."""
        return self.commands.get((json.dumps({"type": scope_type}, sort_keys=True), language_code), [])

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(params)
        chat = self._known_chat(chat_id)
        text, entities = self._render_text(params)
        thread_id = params.get("message_thread_id")
        markup = self._markup(params)
        message = Message(
            message_id=self._next_message_id(chat_id),
            chat_id=chat_id,
            text=text,
            reply_markup=markup,
            thread_id=int(thread_id) if thread_id else None,
            entities=entities,
            raw_text=str(params.get("text", "")),
            parse_mode=params.get("parse_mode"),
            date=int(time.time()),
        )
        self._chats.setdefault(chat["id"], {})[message.message_id] = message
        return self._message_payload(message)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        text, entities = self._render_text(params)
        markup = self._markup(params)
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.entities, message.reply_markup = text, entities, markup
        message.raw_text, message.parse_mode = str(params.get("text", "")), params.get("parse_mode")
        message.edit_date, message.edits = int(time.time()), message.edits + 1
        return self._message_payload(message)

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._editable(params)
        markup = self._markup(params)
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date, message.edits = int(time.time()), message.edits + 1
        return self._message_payload(message)

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._callbacks.get(query_id, True):  # unknown or already answered
            raise ApiError(400, QUERY_INVALID)
        if len(str(params.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._callbacks[query_id] = True
        return True

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat_id(params)
        message = self._chats.get(chat_id, {}).get(int(params.get("message_id") or 0))
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        message.deleted = True
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._known_chat(self._chat_id(params))
        return True

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = dict(self._known_chat(self._chat_id(params)))
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        return chat

    # ------------------------------------------------------------------ helpers

    def _chat_id(self, params: dict[str, Any]) -> int:
        raw = params.get("chat_id")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str) and raw.startswith("@"):
            for chat in self.groups.values():
                if chat.get("username") == raw[1:]:
                    return int(chat["id"])
        raise ApiError(400, "Bad Request: chat not found")

    def _chat_dict(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.users:
            return self.users[chat_id].private_chat()
        if chat_id < 0:
            return self.groups.get(chat_id) or self.group(chat_id)
        raise LookupError(f"unknown chat {chat_id}: create the user with FakeTelegram.user() first")

    def _known_chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        try:
            return self._chat_dict(chat_id)
        except LookupError:
            raise ApiError(400, "Bad Request: chat not found") from None

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _render_text(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        raw = params.get("text")
        if raw is None or str(raw).strip() == "":
            raise ApiError(400, "Bad Request: message text is empty")
        raw = str(raw)
        parse_mode = str(params.get("parse_mode") or "")
        if parse_mode.lower() == "html":
            try:
                text, entities = parse_html(raw)
            except EntityParseError as error:
                raise ApiError(400, f"Bad Request: {error}") from None
        else:
            text, entities = raw, list(params.get("entities") or [])
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            for button in (b for row in rows for b in row):
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not rows or not any(rows):
                return None
        return markup

    def _editable(self, params: dict[str, Any]) -> Message:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._chat_id(params)
        message = self._chats.get(chat_id, {}).get(int(params.get("message_id") or 0))
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _message_payload(self, message: Message) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": self._chat_dict(message.chat_id),
            "text": message.text,
        }
        if message.from_bot:
            payload["from"] = self._bot_user()
        elif message.from_user_id in self.users:
            payload["from"] = self.users[message.from_user_id].to_api()
        if message.entities:
            payload["entities"] = message.entities
        if message.reply_markup:
            payload["reply_markup"] = message.reply_markup
        if message.thread_id:
            payload["message_thread_id"] = message.thread_id
            payload["is_topic_message"] = True
        if message.edit_date:
            payload["edit_date"] = message.edit_date
        return payload
