"""Starting and stopping the bot: token checks, the command menu in ru/en, a clean stop (stop event and
SIGTERM in a real `leadcrm bot` process)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from aiogram.client.default import DefaultBotProperties
from pydantic import SecretStr

from bot.app import BotStartError, create_bot, run_bot, run_polling_cli
from tests.bot.support import bot_settings


async def test_the_command_menu_is_registered_in_russian_english_and_by_default(
    fake_tg, bot_runner, services, committing_factory
) -> None:
    await bot_runner(bot_settings(), services=services, session_factory=committing_factory)
    ru = {c["command"]: c["description"] for c in fake_tg.commands_for("default", "ru")}
    en = {c["command"]: c["description"] for c in fake_tg.commands_for("default", "en")}
    default = {c["command"]: c["description"] for c in fake_tg.commands_for("default", "")}
    commands = {
        "start",
        "new",
        "leads",
        "find",
        "lead",
        "today",
        "deals",
        "report",
        "export",
        "settings",
        "cancel",
        "help",
    }
    assert set(ru) == set(en) == commands
    assert (ru["new"], en["new"]) == ("Добавить лид", "Add a lead")
    assert default == ru  # Russian is the default language


async def test_a_rejected_token_stops_start_up_with_a_clear_error(fake_tg, services, committing_factory) -> None:
    settings = bot_settings(bot_token=SecretStr("123:wrong"), telegram_api_url=fake_tg.url)
    with pytest.raises(BotStartError, match="rejected BOT_TOKEN"):
        await run_bot(settings, services=services, session_factory=committing_factory, stop=asyncio.Event())
    assert [c.method for c in fake_tg.calls] == ["getMe"]


def test_a_missing_token_is_explained_with_exit_code_2(capsys) -> None:
    assert run_polling_cli(bot_settings(bot_token=None)) == 2
    err = capsys.readouterr().err
    assert "BOT_TOKEN is not set" in err and "leadcrm sandbox" in err


async def test_fsm_storage_is_redis_when_configured_else_memory() -> None:
    from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
    from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

    from bot.app import _fsm
    from bot.dialog_store import DegradingIsolation, DegradingStorage

    storage, isolation = _fsm(bot_settings(redis_url="redis://127.0.0.1:6390/0"))  # no connection yet
    try:
        # Redis inside the wrappers that keep the bot answering while it is away (bot/dialog_store.py)
        assert isinstance(storage, DegradingStorage) and isinstance(isolation, DegradingIsolation)
        assert isinstance(storage.inner, RedisStorage) and isinstance(isolation.inner, RedisEventIsolation)
    finally:
        await storage.close()
    storage, isolation = _fsm(bot_settings(redis_url=None))
    assert isinstance(storage, MemoryStorage) and isinstance(isolation, SimpleEventIsolation)


async def test_create_bot_talks_to_the_configured_api_server_in_html(fake_tg) -> None:
    bot = create_bot(bot_settings(bot_token=SecretStr(fake_tg.token), telegram_api_url=fake_tg.url))
    try:
        me = await bot.me()
        assert me.username == "leadcrm_bot"
        assert bot.default == DefaultBotProperties(parse_mode="HTML")
    finally:
        await bot.session.close()


async def test_the_stop_event_ends_polling_and_the_outbox_sender(
    fake_tg, bot_runner, services, committing_factory
) -> None:
    runner = await bot_runner(bot_settings(), services=services, session_factory=committing_factory)
    await asyncio.wait_for(runner.stop(), 10)
    assert runner.task.done() and runner.task.exception() is None
    assert not [t for t in asyncio.all_tasks() if t.get_name() in ("outbox-sender", "polling")]


async def test_leadcrm_bot_process_stops_cleanly_on_sigterm(fake_tg, database_url, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BOT_TOKEN": fake_tg.token,
        "TELEGRAM_API_URL": fake_tg.url,
        "DATABASE_URL": database_url,
        "ADMIN_IDS": "",
        "TEAM_LEADS_CHAT_ID": "",
    }
    exe = Path(sys.executable).with_name("leadcrm")
    proc = await asyncio.create_subprocess_exec(
        str(exe), "bot", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        await fake_tg.wait_for(
            "getUpdates", timeout=120, finished=False
        )  # a cold start takes 40 s+ on a loaded 2-core VM
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = stderr.decode()
    assert proc.returncode == 0, log
    assert "bot stopped" in log and "SIGTERM" in log
    assert fake_tg.token not in log  # the token is never logged


async def test_an_unmigrated_database_stops_start_up_with_a_clear_error(fake_tg, database_url, services) -> None:
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from core.storage.db import make_session_factory

    name = f"leadcrm_empty_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    empty = create_async_engine(make_url(database_url).set(database=name))
    try:
        settings = bot_settings(bot_token=SecretStr(fake_tg.token), telegram_api_url=fake_tg.url)
        with pytest.raises(BotStartError, match="leadcrm migrate"):
            await run_bot(
                settings, services=services, session_factory=make_session_factory(empty), stop=asyncio.Event()
            )
    finally:
        await empty.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
