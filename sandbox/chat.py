"""The sandbox's terminal chat: what you type goes to the bot as the current demo user, the bot's messages
(and edits) are printed, inline keyboards appear as numbered buttons you press by typing the number, and the
team leads' group is shown as it receives notifications. It plays users on a FakeTelegram (``sandbox.emulator``);
``sandbox.app.run_sandbox`` starts the emulator and the bot behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from core.domain import clock
from sandbox.demo import DEMO_GROUP_ID, DEMO_GROUP_TITLE, DEMO_USERS, DemoUser
from sandbox.emulator.watch import HandledUpdates

Read = Callable[[str], Awaitable[str | None]]  # prompt -> a line, or None at end of input
Write = Callable[[str], None]

CLOCK_STEP = re.compile(r"^\+?(\d{1,4})\s*(m|min|h|d)$")
CLOCK_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
MAX_BUTTON_DIGITS = 2  # "12" presses button 12; "89991112233" is sent as a message
CLOCK_WAIT = 3.0  # seconds the chat waits for what the moved clock made due (the scheduler runs at once)


# Bot API calls whose message the terminal shows (a photo or a document shows its caption and saved file).
SHOWN_METHODS = frozenset(
    {"sendmessage", "editmessagetext", "editmessagereplymarkup", "sendphoto", "senddocument", "editmessagemedia"}
)


def _ahead(offset: timedelta) -> str:
    """``+1d 14h 2m``: how far the sandbox's clock is ahead of the real one."""
    minutes = int(offset.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return "+" + " ".join(f"{value}{unit}" for value, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if value)


def clock_step(text: str) -> timedelta | None:
    """``+2h`` / ``30m`` / ``+1d`` as a timedelta (None if it is not one)."""
    match = CLOCK_STEP.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        return None
    return timedelta(**{CLOCK_UNITS[match.group(2)]: int(match.group(1))})


ALIASES = {"team_lead": "lead", "teamlead": "lead", "tl": "lead", "a": "admin", "m": "manager", "g": "guest"}

HELP = """\
Sandbox commands / команды песочницы:
  <text> or /command     send it to the bot as the current user (e.g. /start, /new, /leads, /help)
  <number>               press that button of the latest keyboard (1-99; longer numbers are sent as text)
                         / нажать кнопку по номеру
  :as admin|lead|manager|guest   switch demo user / сменить пользователя
  :open LINK             follow a deep link, e.g. :open https://t.me/leadcrm_bot?start=CODE (from /invite)
  :group                 show the team leads' group / показать группу тимлидов
  :chat                  reprint this user's chat
  :lang ru|en            the current user's Telegram language
  :clock +2h|+30m|+1d    move the clock forward: due reminders, SLA alerts and digests arrive now
                         / перевести часы вперёд: напоминания, SLA и дайджесты придут сразу
  :help                  this help
  :quit                  exit (Ctrl-D works too) / выход"""


class ChatRepl:
    """The terminal chat over a FakeTelegram. I/O is injected (``read``/``write``) so tests can script it."""

    def __init__(
        self,
        fake: Any,
        *,
        read: Read,
        write: Write,
        users: tuple[DemoUser, ...] = DEMO_USERS,
        group_id: int = DEMO_GROUP_ID,
        start_as: str = "manager",
        settle_timeout: float = 15.0,
        quiet: float = 0.3,
        reply_timeout: float = 5.0,
    ) -> None:
        self.fake = fake
        self.read = read
        self.write = write
        self.group_id = group_id
        self.demo = {u.key: u for u in users}
        self.by_id = {u.user_id: u for u in users}
        self.languages = {u.key: "ru" for u in users}
        self.tg_users = {u.key: fake.user(u.user_id, u.first_name, username=u.username) for u in users}
        self.current = self.demo[start_as]
        self.settle_timeout = settle_timeout
        self.quiet = quiet
        self.reply_timeout = reply_timeout
        self._sent_to_bot = False
        self._clock_moved = False
        self._replies = 0
        self._handled = HandledUpdates()
        self._pending: list[str] = []
        self._unseen: dict[str, list[str]] = {}
        self._query_owner: dict[str, str] = {}
        self._output = asyncio.Event()
        self._busy = False
        self._prompt = ""
        fake.group(group_id, DEMO_GROUP_TITLE)
        fake.listeners.append(self._on_call)

    # ------------------------------------------------------------------ loop

    async def run(self) -> int:
        self.write(f"You are {self.current.label}. Type /start to begin, :help for sandbox commands.")
        self.write(f"Вы — {self.current.full_name}. Начните с /start; :help — команды песочницы.")
        background = asyncio.create_task(self._background_printer())
        self._handled.install()
        try:
            while True:
                self._prompt = self.prompt()
                line = await self.read(self._prompt)
                if line is None:
                    self.write("bye / пока")
                    return 0
                self._busy = True
                mark = len(self.fake.calls) - 1
                self._replies = 0
                try:
                    if not await self.handle(line.strip()):
                        self.write("bye / пока")
                        return 0
                    await self._settle(after=mark)
                    self._flush()
                    if self._sent_to_bot and not self._replies:
                        self.write("   (no reply from the bot / бот не ответил)")
                finally:
                    self._busy = False
        finally:
            self._handled.uninstall()
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await background
            with contextlib.suppress(ValueError):
                self.fake.listeners.remove(self._on_call)

    def prompt(self) -> str:
        return f"[{self.current.first_name} · {self.current.key}]> "

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        self._sent_to_bot = False
        if not line:
            return True
        if line.startswith(":"):
            return self._command(line)
        user = self.tg_users[self.current.key]
        if line.isdigit() and len(line) <= MAX_BUTTON_DIGITS:  # a longer number (a phone, a lead id) is text
            self._sent_to_bot = self._press(int(line))
            return True
        self.fake.send_text(user, line)
        self._sent_to_bot = True
        return True

    def _command(self, line: str) -> bool:
        name, _, arg = line[1:].partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in {"quit", "q", "exit"}:
            return False
        if name in {"help", "h", "?"}:
            self.write(HELP)
        elif name == "as":
            key = ALIASES.get(arg.lower(), arg.lower())
            if key not in self.demo:
                self.write(f"unknown user {arg!r}; choose one of: {', '.join(self.demo)}")
            else:
                self.current = self.demo[key]
                self.write(f"You are now {self.current.label}. / Теперь вы — {self.current.full_name}.")
                for text in self._unseen.pop(key, []):
                    self.write(text)
        elif name == "group":
            messages = self.fake.messages(self.group_id)
            if not messages:
                self.write(f"[{DEMO_GROUP_TITLE} group] no messages yet / пока пусто")
            for message in messages:
                self.write(self.format_message(message, group=True))
        elif name == "chat":
            for message in self.fake.messages(self.current.user_id)[-10:]:
                self.write(self.format_message(message))
        elif name == "open":
            if "start=" not in arg and not arg.startswith(("t.me/", "https://t.me/")):
                self.write("usage: :open https://t.me/<bot>?start=CODE")
            else:
                self.fake.open_link(self.tg_users[self.current.key], arg)
                self._sent_to_bot = True
        elif name == "lang":
            if arg not in {"ru", "en"}:
                self.write("usage: :lang ru|en")
            else:
                self.languages[self.current.key] = arg
                demo = self.current
                self.tg_users[demo.key] = self.fake.user(
                    demo.user_id, demo.first_name, username=demo.username, language_code=arg
                )
                self.write(f"{demo.first_name}'s Telegram language is now {arg}")
        elif name == "clock":
            step = clock_step(arg)
            if step is None:
                self.write("usage: :clock +2h (or +30m, +1d)")
            else:
                ahead = _ahead(clock.advance(step))
                self._clock_moved = True
                now = f"{clock.utcnow():%d.%m %H:%M} UTC"
                self.write(f"⏩ the clock is {ahead} ahead: {now} / часы спешат на {ahead}")
        else:
            self.write(f"unknown command :{name} — type :help")
        return True

    def _press(self, number: int) -> bool:
        """Press button ``number`` (1-based) of the latest keyboard; True if something went to the bot."""
        user = self.tg_users[self.current.key]
        try:
            message = self.fake.last_keyboard_message(user.id)
        except LookupError:
            self.write("no buttons to press here / здесь нет кнопок")
            return False
        buttons = message.buttons
        if not 1 <= number <= len(buttons):
            self.write(f"no button [{number}]; the latest keyboard has {len(buttons)} / нет такой кнопки")
            return False
        button = buttons[number - 1]
        if "callback_data" in button:
            query_id = self.fake.press(user, message.message_id, button["callback_data"])
            self._query_owner[query_id] = self.current.key
            return True
        if "url" in button and self._is_our_link(button["url"]):
            self.fake.open_link(user, button["url"])
            return True
        self.write(f"that button opens {button.get('url') or button}")
        return False

    def _is_our_link(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.netloc in {"t.me", "telegram.me"} and parts.path.strip("/") == self.fake.bot_username

    # ------------------------------------------------------------------ output

    def _on_call(self, call: Any) -> None:
        method = call.method.lower()
        if not call.ok:
            if method != "getupdates" and call.status != 401:
                self._emit(f"   ⚠️ Bot API error: {call.method} → {call.status} {call.description}")
            return
        if method in SHOWN_METHODS and isinstance(call.result, dict):
            chat_id = call.result["chat"]["id"]
            message = next((m for m in self.fake.messages(chat_id) if m.message_id == call.result["message_id"]), None)
            if message is None:
                return
            edited = not method.startswith("send")
            if chat_id == self.group_id:
                self._emit(self.format_message(message, edited=edited, group=True))
            elif chat_id == self.current.user_id:
                self._replies += 1
                self._emit(self.format_message(message, edited=edited))
            elif chat_id in self.by_id:
                owner = self.by_id[chat_id]
                self._unseen.setdefault(owner.key, []).append(self.format_message(message, edited=edited))
                self._emit(f"   📬 new message for {owner.key} ({owner.first_name}) — :as {owner.key} to read it")
        elif method == "answercallbackquery":
            text = call.params.get("text")
            owner_key = self._query_owner.get(str(call.params.get("callback_query_id")))
            if owner_key == self.current.key:
                self._replies += 1
            if text and owner_key == self.current.key:
                mark = "⚠️ alert" if call.params.get("show_alert") else "💬"
                self._emit(f"   {mark}: {text}")

    def _emit(self, text: str) -> None:
        self._pending.append(text)
        self._output.set()

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        for text in pending:
            self.write(text)

    async def _settle(self, after: int | None = None) -> None:
        """Wait for the bot's reaction to what was just sent: until the Dispatcher finished that update
        (or, failing that, made its first call), then until the Bot API has been quiet for a moment."""
        try:
            if after is not None and self._clock_moved:
                self._clock_moved = False
                with contextlib.suppress(TimeoutError):
                    await self.fake.wait_for("sendMessage", after=after, timeout=CLOCK_WAIT)
            if after is not None and self._sent_to_bot:
                update_id = self.fake.last_update_id
                if not await self._handled.wait(update_id, timeout=self.settle_timeout):
                    with contextlib.suppress(TimeoutError):
                        await self.fake.wait_for("*", after=after, timeout=self.reply_timeout, finished=False)
            await self.fake.settle(timeout=self.settle_timeout, quiet=self.quiet)
        except TimeoutError:
            self.write("(the bot is still busy… / бот ещё думает…)")

    async def _background_printer(self) -> None:
        """Print what arrives while waiting for input (e.g. group notifications from the outbox)."""
        while True:
            await self._output.wait()
            self._output.clear()
            if self._busy:
                continue
            await asyncio.sleep(self.quiet)
            if self._busy or not self._pending:
                continue
            self.write("")
            self._flush()
            self.write(self._prompt.rstrip())

    def format_message(self, message: Any, *, edited: bool = False, group: bool = False) -> str:
        head = "[team leads group] " if group else ""
        marker = " (edited / изменено)" if edited else ""
        lines = (message.text or "").splitlines() or [""]
        out = [f"🤖 {head}{lines[0]}{marker}"] + [f"   {line}" for line in lines[1:]]
        media = getattr(message, "media", None)
        if media is not None:  # a chart or an export: where the emulator saved it, for a person to open
            icon = "🖼" if media.kind == "photo" else "📎"
            out.append(f"   {icon} {media.filename} ({media.size:,} bytes) → {media.path or '(not saved)'}")
        number = 0
        rows = (message.reply_markup or {}).get("inline_keyboard") or []
        for row in rows:
            cells = []
            for button in row:
                number += 1
                label = button.get("text", "")
                if group and "url" in button:  # numbers press the private chat's keyboard, links need :open
                    cells.append(f"🔗 {label} → :open {button['url']}")
                elif "url" in button:
                    cells.append(f"[{number}] {label} ↗ {button['url']}")
                else:
                    cells.append(f"[{number}] {label}")
            out.append("   " + "   ".join(cells))
        return "\n".join(out)
