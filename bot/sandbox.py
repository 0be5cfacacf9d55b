"""``leadcrm sandbox``: try the whole bot in this terminal, without Telegram.

It runs the real bot (``bot.app.run_bot``: dispatcher, database, outbox sender) against the local Bot
API emulator (``bot.emulator``) on the embedded PostgreSQL (or DATABASE_URL), plus the REST API when it
can, and opens a terminal chat: what you type goes to the bot as the current demo user, the bot's
messages (and edits) are printed, inline keyboards appear as numbered buttons you press by typing the
number, and the team leads' group is shown as it receives notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.emulator.watch import HandledUpdates
from core.config import Settings
from core.domain.enums import Role

log = logging.getLogger(__name__)

DEMO_GROUP_ID = -1001000000001
DEMO_GROUP_TITLE = "Team leads"

Read = Callable[[str], Awaitable[str | None]]  # prompt -> a line, or None at end of input
Write = Callable[[str], None]


@dataclass(frozen=True)
class DemoUser:
    key: str
    user_id: int
    full_name: str
    role: Role | None  # None: not registered (sees the refusal; can join through an invite link)
    username: str

    @property
    def first_name(self) -> str:
        return self.full_name.split()[0]

    @property
    def label(self) -> str:
        role = self.role.value if self.role else "not registered"
        return f"{self.full_name} ({role}, id {self.user_id})"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", 900001, "Alice Admin", Role.ADMIN, "alice_admin"),
    DemoUser("lead", 900002, "Tom Teamlead", Role.TEAM_LEAD, "tom_lead"),
    DemoUser("manager", 900003, "Max Manager", Role.MANAGER, "max_manager"),
    DemoUser("guest", 900004, "Gina Guest", None, "gina_guest"),
)
ALIASES = {"team_lead": "lead", "teamlead": "lead", "tl": "lead", "a": "admin", "m": "manager", "g": "guest"}

HELP = """\
Sandbox commands / команды песочницы:
  <text> or /command     send it to the bot as the current user (e.g. /start, /new, /leads, /help)
  <number>               press that button of the latest keyboard / нажать кнопку по номеру
  :as admin|lead|manager|guest   switch demo user / сменить пользователя
  :open LINK             follow a deep link, e.g. :open https://t.me/leadcrm_bot?start=CODE (from /invite)
  :group                 show the team leads' group / показать группу тимлидов
  :chat                  reprint this user's chat
  :lang ru|en            the current user's Telegram language
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
        if line.isdigit():
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
        if method in {"sendmessage", "editmessagetext", "editmessagereplymarkup"} and isinstance(call.result, dict):
            chat_id = call.result["chat"]["id"]
            message = next(
                (m for m in self.fake.messages(chat_id) if m.message_id == call.result["message_id"]), None
            )
            if message is None:
                return
            edited = method != "sendmessage"
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
            owner = self._query_owner.get(str(call.params.get("callback_query_id")))
            if owner == self.current.key:
                self._replies += 1
            if text and owner == self.current.key:
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


# ---------------------------------------------------------------------- running it


async def seed_demo_users(session_factory: Any, users: tuple[DemoUser, ...] = DEMO_USERS) -> tuple[DemoUser, ...]:
    """Register the demo admin, team lead and manager (idempotent). The guest gets the first id not yet
    registered (a guest who joined through an invite in an earlier run is a manager now)."""
    from dataclasses import replace

    from core.services.users import ensure_user
    from core.storage.uow import UnitOfWork

    seeded = []
    for demo in users:
        if demo.role is not None:
            await ensure_user(
                UnitOfWork(session_factory), user_id=demo.user_id, full_name=demo.full_name, role=demo.role,
                username=demo.username,
            )
        else:
            uow = UnitOfWork(session_factory)
            async with uow:
                user_id = demo.user_id
                while await uow.users.get(user_id) is not None:
                    user_id += 1000
            demo = replace(demo, user_id=user_id)
        seeded.append(demo)
    return tuple(seeded)


def demo_settings(settings: Settings) -> Settings:
    """Point the team leads' group and the admins at the demo ones."""
    admin = next(u for u in DEMO_USERS if u.role == Role.ADMIN)
    settings.team_leads_chat_id = DEMO_GROUP_ID
    settings.team_leads_thread_id = None
    settings.admin_ids = sorted(set(settings.admin_ids) | {admin.user_id})
    settings.outbox_poll_seconds = min(settings.outbox_poll_seconds, 0.5)
    return settings


async def run_sandbox(
    settings: Settings,
    *,
    read: Read,
    write: Write,
    session_factory: Any = None,
    with_api: bool = True,
    run_bot: Callable[..., Awaitable[None]] | None = None,
    start_as: str = "manager",
    log_path: Path | None = None,
) -> int:
    """Start the emulator, the bot (and the API), run the chat until quit; the database must be migrated."""
    from bot.emulator import FakeTelegram
    from bot.emulator.runner import start_bot
    from core.storage.db import make_engine, make_session_factory

    engine = None
    if session_factory is None:
        assert settings.database_url, "run_sandbox needs a migrated database (settings.database_url)"
        engine = make_engine(settings.database_url, pool_size=settings.db_pool_size)
        session_factory = make_session_factory(engine)
    demo_settings(settings)
    fake = FakeTelegram()
    await fake.start()
    api_stop = asyncio.Event()
    api_task: asyncio.Task[None] | None = None
    running = None
    try:
        users = await seed_demo_users(session_factory)
        running = await start_bot(fake, settings, session_factory=session_factory, run=run_bot, make_bot=False)
        write(f"Telegram emulator: {fake.url} (bot @{fake.bot_username})")
        if with_api:
            api_task = await _start_api(settings, api_stop, write, log_path)
        repl = ChatRepl(fake, read=read, write=write, users=users, start_as=start_as)
        return await repl.run()
    finally:
        api_stop.set()
        if api_task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(api_task, 10)
        if running is not None:
            try:
                await running.stop()
            except Exception as error:  # noqa: BLE001 - report, then still clean up the rest
                write(f"the bot did not stop cleanly: {error}")
        await fake.stop()
        if engine is not None:
            await engine.dispose()


async def _start_api(
    settings: Settings, stop: asyncio.Event, write: Write, log_path: Path | None
) -> asyncio.Task[None] | None:
    try:
        from api.server import serve_async
    except ImportError:
        return None
    if log_path is not None:
        _uvicorn_logs_to(log_path)
    host, port = settings.api_host, settings.api_port
    task = asyncio.create_task(serve_async(settings, host, port, stop))
    await asyncio.sleep(0.5)
    if task.done():
        error = task.exception()
        write(f"REST API not started: {error} (the chat works without it)")
        return None
    write(f"REST API: http://{host}:{port}/docs")
    return task


def _uvicorn_logs_to(path: Path) -> None:
    """uvicorn configures its own stderr handlers from this default dict; send them to the log file so
    they do not interleave with the chat."""
    from uvicorn.config import LOGGING_CONFIG

    for name in ("default", "access"):
        handler = LOGGING_CONFIG["handlers"][name]
        handler.clear()
        handler.update({"class": "logging.FileHandler", "filename": str(path), "formatter": name, "encoding": "utf-8"})
    for formatter in LOGGING_CONFIG["formatters"].values():
        formatter["use_colors"] = False


def _stdin_reader() -> Read:
    """input() in a daemon thread, so Ctrl-C / exit never waits for a pending read."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - line editing and history for input()

    async def read(prompt: str) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def worker() -> None:
            try:
                line: str | None = input(prompt)
            except EOFError:
                line = None
            except KeyboardInterrupt:
                line = None
            loop.call_soon_threadsafe(lambda: future.done() or future.set_result(line))

        threading.Thread(target=worker, daemon=True, name="sandbox-input").start()
        return await future

    return read


def _log_to_file(settings: Settings) -> Path:
    """Keep log lines out of the chat: they go to DATA_DIR/sandbox.log."""
    path = Path(settings.data_dir) / "sandbox.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    logging.captureWarnings(True)  # library warnings (e.g. from the embedded PostgreSQL) to the file too
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return path


def main(settings: Settings) -> int:
    """Entry point of ``leadcrm sandbox``."""
    print("Lead AI CRM sandbox — the bot in your terminal, no Telegram needed / песочница без Telegram")
    log_path = _log_to_file(settings)  # before importing alembic, which logs on import

    from core.storage.db import with_database_url
    from core.storage.migrate import upgrade

    print(f"Logs / журнал: {log_path}")
    print("Preparing the database… / готовим базу данных…", flush=True)
    try:
        settings = with_database_url(settings)  # starts the embedded server when DATABASE_URL is unset
        upgrade(settings.database_url)
    except Exception as error:
        log.exception("sandbox: database preparation failed")
        print(f"Could not prepare the database / не удалось подготовить базу: {type(error).__name__}: {error}")
        print(f"Check DATABASE_URL / DATA_DIR; details in {log_path}")
        return 1
    print(HELP)
    try:
        return asyncio.run(
            run_sandbox(settings, read=_stdin_reader(), write=lambda text: print(text, flush=True), log_path=log_path)
        )
    except KeyboardInterrupt:
        print("\nbye / пока")
        return 0
    except Exception as error:
        log.exception("sandbox failed")
        print(f"The sandbox stopped / песочница остановилась: {type(error).__name__}: {str(error).splitlines()[0]}")
        print(f"Details / подробности: {log_path}")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(Settings()))
