"""The sandbox's terminal chat, scripted: the real bot, the emulator and PostgreSQL behind it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from bot.app import run_bot
from core.config import Settings
from core.services.users import ensure_user
from core.storage.uow import SqlUnitOfWork
from sandbox.app import run_sandbox
from sandbox.demo import DEMO_GROUP_ID, seed_demo_users

Step = str | Callable[[], Awaitable[None]]


class Terminal:
    """Feeds scripted lines to the chat (callables are awaited in between) and records what it printed."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.lines: list[str] = []
        self.prompts: list[str] = []

    async def read(self, prompt: str) -> str | None:
        self.prompts.append(prompt)
        while self.steps:
            step = self.steps.pop(0)
            if isinstance(step, str):
                self.lines.append(f"{prompt}{step}")
                return step
            await step()
        return None  # Ctrl-D

    def write(self, text: str) -> None:
        self.lines.extend(text.splitlines() or [""])

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def after(self, marker: str) -> str:
        """What was printed in answer to the last input line ending with ``marker`` (up to the next input)."""
        index = max(i for i, line in enumerate(self.lines) if line.endswith(marker) and "]> " in line)
        answer = []
        for line in self.lines[index + 1 :]:
            if line.startswith("[") and "]> " in line:
                break
            answer.append(line)
        return "\n".join(answer)


async def sandbox(terminal: Terminal, factory: Any, settings: Settings | None = None, **kwargs: Any) -> int:
    settings = settings or Settings(_env_file=None)
    return await asyncio.wait_for(
        run_sandbox(
            settings,
            read=terminal.read,
            write=terminal.write,
            run_bot=run_bot,
            session_factory=factory,
            new_uow=lambda: SqlUnitOfWork(factory),
            **kwargs,
        ),
        timeout=90,
    )


def pause(seconds: float) -> Callable[[], Awaitable[None]]:
    async def wait() -> None:
        await asyncio.sleep(seconds)

    return wait


async def test_a_manager_is_greeted_and_presses_a_numbered_button(committing_factory: Any) -> None:
    terminal = Terminal("/start", "1", "Acme Bank", ":quit")
    assert await sandbox(terminal, committing_factory) == 0

    greeting = terminal.after("/start")
    assert "Max" in greeting and "[1] ➕" in greeting
    assert terminal.prompts[0] == "[Max · manager]> "
    after_press = terminal.after("> 1")
    assert "?" in after_press and "[1]" not in after_press  # the dialog asks for the lead's name
    after_name = terminal.after("Acme Bank")
    assert "[1]" in after_name and "[3]" in after_name  # the source buttons
    assert terminal.lines[-1] == "bye / пока"


async def test_the_guest_is_refused_and_users_can_be_switched(committing_factory: Any) -> None:
    terminal = Terminal("/start", ":as admin", "/start", ":as nobody", "7", ":frobnicate")
    assert await sandbox(terminal, committing_factory, start_as="guest") == 0

    refusal = terminal.after("guest]> /start")
    assert "900004" in refusal and "[1]" not in refusal
    assert "[Alice · admin]> /start" in terminal.text
    assert "unknown user 'nobody'" in terminal.text
    assert "no button [7]" in terminal.text
    assert "unknown command :frobnicate" in terminal.text
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        assert await uow.users.get(900004) is None
        assert (await uow.users.get(900001)).role.value == "admin"


async def test_an_invite_link_registers_the_guest(committing_factory: Any) -> None:
    invite_line: list[str] = []

    async def grab_link() -> None:
        link = next(word for line in terminal.lines for word in line.split() if "?start=" in word)
        invite_line.append(link)
        terminal.steps.insert(1, f":open {link}")

    terminal = Terminal(":as admin", "/invite manager", grab_link, ":as guest", ":quit")
    assert await sandbox(terminal, committing_factory, start_as="admin") == 0
    assert invite_line and invite_line[0].startswith("https://t.me/leadcrm_bot?start=")
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        guest = await uow.users.get(900004)
        assert guest is not None and guest.role.value == "manager"


async def test_a_transfer_shows_up_in_the_team_leads_group(committing_factory: Any) -> None:
    terminal = Terminal(
        "/new",
        "Acme Bank",
        "1",
        "fintech_placeholder",
        "+7 900 123-45-67",
        "1",
        "no_answer",
        "skip",
        "2",
        "plain_message",
        "skip",
        "3",  # call, message, meeting (each asks how it went, then "next step?": skipped)
        "held",
        "skip",
        "5",  # analyze
        "6",
        "6",  # contacted, qualified
        "6",  # transfer
        pause(1.5),
        ":group",
        ":quit",
    )

    # pick the fintech button by its number in the domain keyboard, whatever the order
    async def choose_domain() -> None:
        keyboard = terminal.after("> 1")
        number = next(
            cell.split("]")[0].strip("[ ")
            for line in keyboard.splitlines()
            for cell in line.split("   ")
            if cell.strip().endswith(("] fintech", "] финтех"))
        )
        terminal.steps[0] = number

    terminal.steps.insert(3, choose_domain)

    def outcome(*endings: str):  # the outcome button (a new lead stays new: no "→ Contacted" variant)
        async def press() -> None:
            cells = [cell for line in terminal.lines[::-1] for cell in line.split("   ") if "] " in cell]
            number = next(c.split("]")[0].strip("[ ") for c in cells if c.strip().endswith(endings))
            terminal.steps.insert(0, number)

        return press

    async def skip() -> None:  # the "Skip ⏭" of the "next step?" picker, whose place depends on the hour
        cells = [cell for line in terminal.lines[::-1] for cell in line.split("   ") if "] " in cell]
        terminal.steps.insert(0, next(c.split("]")[0].strip("[ ") for c in cells if c.strip().endswith("⏭")))

    outcomes = {
        "no_answer": outcome("· no answer", "· не ответил"),
        "plain_message": outcome("] ✉️ Message", "] ✉️ Сообщение"),
        "held": outcome("· held", "· состоялась"),
    }
    terminal.steps = [
        skip if step == "skip" else outcomes.get(step, step) if isinstance(step, str) else step
        for step in terminal.steps
    ]
    assert await sandbox(terminal, committing_factory) == 0

    group_lines = [line for line in terminal.lines if line.startswith("🤖 [team leads group]")]
    assert len(group_lines) >= 2  # printed when it arrived, and again by :group
    notification = terminal.text.split("🤖 [team leads group]")[1]
    # analyzed at new (0.75), re-scored by the transfer gate as qualified: rules-v1's +0.15 for the stage
    assert "Acme Bank" in notification and "0.9" in notification and "0.75" not in notification
    assert ":open https://t.me/leadcrm_bot?start=" in notification
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        (row,) = await _outbox(uow)
        assert (row.chat_id, row.status) == (DEMO_GROUP_ID, "sent")


async def test_the_sandbox_runs_on_a_copy_of_the_settings(committing_factory: Any) -> None:
    settings = Settings(_env_file=None)
    before = settings.model_dump()
    assert await sandbox(Terminal(":quit"), committing_factory, settings) == 0
    assert settings.model_dump() == before  # no demo group, no emulator token written into the caller's


async def test_a_guest_who_joined_in_an_earlier_run_leaves_the_next_guest_a_fresh_id(committing_factory: Any) -> None:
    def new_uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(committing_factory)

    await ensure_user(new_uow(), user_id=900004, full_name="Gina Guest", role="manager")
    cast = {demo.key: demo.user_id for demo in await seed_demo_users(new_uow)}
    assert cast == {"admin": 900001, "lead": 900002, "manager": 900003, "guest": 901004}


async def _outbox(uow: SqlUnitOfWork) -> list[Any]:
    from sqlalchemy import select

    from core.storage.models import OutboxRow

    return list((await uow.session.execute(select(OutboxRow))).scalars())


async def test_leadcrm_sandbox_runs_as_a_command_with_piped_input(
    database_url: str, committing_factory: Any, tmp_path: Any
) -> None:
    import os
    import socket
    import sys
    from pathlib import Path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path), "API_PORT": str(free_port)}
    env.pop("BOT_TOKEN", None)
    leadcrm = Path(sys.executable).with_name("leadcrm")
    process = await asyncio.create_subprocess_exec(
        str(leadcrm),
        "sandbox",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(b"/start\n:quit\n"), timeout=90)
    out = stdout.decode()
    assert process.returncode == 0, out + stderr.decode()
    assert f"REST API: http://127.0.0.1:{free_port}/docs" in out
    assert "Max" in out and "[1] ➕" in out and out.rstrip().endswith("bye / пока")
    assert " INFO " not in out + stderr.decode()  # logs go to the file, not into the chat
    assert "Update id=" in (tmp_path / "sandbox.log").read_text()


async def test_moving_the_clock_shows_a_reminder_an_sla_escalation_and_a_digest(committing_factory: Any) -> None:
    from datetime import timedelta

    from core.domain import clock
    from core.domain.models import Actor
    from core.services import leads as leads_svc
    from core.services import next_steps
    from core.services.context import Policy, Services
    from core.storage.models import TeamSettingRow
    from sandbox.demo import DEMO_USERS

    await seed_demo_users(lambda: SqlUnitOfWork(committing_factory))
    manager = next(u for u in DEMO_USERS if u.key == "manager")
    actor = Actor(label=f"tg:{manager.user_id}", user_id=manager.user_id, role=manager.role)
    services = Services(policy=Policy(domains=frozenset()))
    lead = await leads_svc.create_lead(
        SqlUnitOfWork(committing_factory), services, actor, source="manual", name="Clockwork Ltd"
    )
    await next_steps.set_next_step(
        SqlUnitOfWork(committing_factory), actor, lead.id, kind="call", due_at=clock.utcnow() + timedelta(hours=1)
    )
    terminal = Terminal(":clock 2x", ":clock +2h", pause(1.0), ":clock +1d", pause(1.0), ":group", ":quit")
    try:
        assert await sandbox(terminal, committing_factory) == 0
    finally:
        clock.reset()
        uow = SqlUnitOfWork(committing_factory)
        async with uow:
            await uow.session.execute(delete(TeamSettingRow).where(TeamSettingRow.key.like("scheduler:%")))
            await uow.commit()
    text = terminal.text
    assert "usage: :clock +2h" in text
    assert "Следующий шаг" in text and "Clockwork Ltd" in text  # the reminder, in the demo manager's chat
    assert "С новым лидом ещё никто не связался" in text  # the first-contact SLA reminder
    assert "🤖 [team leads group] 🚨 Первый контакт просрочен" in text  # the escalation
    assert "Ваш день" in text and "Сводка команды" in text  # the digests a day later


async def test_reports_and_exports_show_their_caption_and_the_saved_file(committing_factory: Any, tmp_path) -> None:
    terminal = Terminal("/report", "/export", "7", ":quit")  # 7: ⬇️ Export (XLSX of every lead)
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert await sandbox(terminal, committing_factory, settings, start_as="lead") == 0
    report = terminal.after("> /report")
    assert "🤖 " in report and "[1] •" in report  # the caption, then the report buttons
    saved = [line for line in terminal.lines if "🖼 report.png" in line]
    assert saved and str(tmp_path / "sandbox-files") in saved[0]
    exported = [line for line in terminal.lines if "📎 leads-" in line and ".xlsx" in line]
    assert exported
    path = exported[0].rsplit("→ ", 1)[1].strip()
    assert (await asyncio.to_thread(Path(path).read_bytes)).startswith(b"PK")  # a zip: the XLSX a person opens
