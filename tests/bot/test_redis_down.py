"""Redis away: the bot keeps answering. Commands and buttons that need no dialog work as usual; a dialog is told
politely that it is paused (not "something went wrong"); the outbox keeps sending, counting the flood limits in
the process; and once Redis is back a dialog goes on as before. No ERROR is logged: Redis away is not a bug."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from core.domain.models import Actor
from core.services import leads as leads_svc
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, bot_settings, register

PAUSED = "I can't keep a dialog going right now: try again in a minute. Buttons and commands work as usual."


class SwitchableRedis:
    """A TCP relay to the real Redis that can be cut (connections dropped, new ones refused) and restored."""

    def __init__(self) -> None:
        self.up = True
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self.links |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))

    def cut(self) -> None:
        self.up = False
        for writer in self.links:
            writer.close()
        self.links.clear()

    async def stop(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture
async def redis_relay():
    relay = SwitchableRedis()
    await relay.start()
    yield relay
    await relay.stop()


@pytest.fixture
def bugs(caplog):
    caplog.set_level(logging.WARNING)
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_with_redis_away_the_bot_answers_dialogs_pause_and_resume_when_it_is_back(
    tg, bot_runner, services, committing_factory, redis_relay, bugs, caplog
) -> None:
    await register(SqlUnitOfWork(committing_factory), "maria")
    prefix = f"leadcrm-test-down-{redis_relay.port}"
    settings = bot_settings(redis_url=f"redis://127.0.0.1:{redis_relay.port}/0", redis_key_prefix=prefix)
    maria = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await bot_runner(settings, services=services, session_factory=committing_factory)

    await tg.say(maria, "/new")  # a dialog begun while Redis is there
    assert "name" in tg.text(maria).lower()
    redis_relay.cut()

    await tg.say(maria, "/start")  # a command that needs no dialog
    assert "Maria" in tg.text(maria) or "menu" in tg.text(maria).lower()
    answer = await tg.press_data(maria, tg.fake.last_message(MANAGER_ID).message_id, "mn:leads")  # a button
    assert answer.params.get("show_alert") is not True
    await tg.say(maria, "/new")  # starting a dialog needs the store
    assert tg.text(maria) == PAUSED
    await tg.say(maria, "Globex")  # an answer to the dialog begun before: not "I did not understand"
    assert tg.text(maria) == PAUSED
    assert bugs() == []
    assert any("dialog store unreachable" in r.getMessage() for r in caplog.records)

    api = Actor(label="api:partner-intake")  # a lead from the API, given to Maria: the outbox tells her
    await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, api, source="partner", name="Initech")
    for _ in range(200):
        if "Initech" in tg.text(maria):
            break
        await asyncio.sleep(0.05)
    assert "Initech" in tg.text(maria), "the outbox stopped with Redis away"
    assert any("flood windows unreachable" in r.getMessage() for r in caplog.records)

    redis_relay.up = True
    await tg.say(maria, "Globex")  # the dialog begun before Redis went away goes on
    assert "where does the lead come from" in tg.text(maria).lower()
    assert bugs() == []
