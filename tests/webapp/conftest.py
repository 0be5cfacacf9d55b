"""The board in a real browser: headless Debian chromium (no browser download) driven by Playwright, against
the real app under uvicorn on a free port, on the test database with real transactions (``committing_factory``:
the tables are emptied after each test), initData signed as Telegram signs it (``tests/initdata.py``).

Every test opens a phone (390x844, touch) and keeps its screenshots in ``var/screenshots/board/``."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import text

from api.app import create_app
from core.config import Settings
from core.domain.enums import Role
from core.domain.models import Actor, Lead
from core.services import leads as leads_svc
from core.storage.models import UserRow
from core.storage.uow import SqlUnitOfWork
from tests.webapp.phone import Phone

CHROMIUM = os.environ.get("BOARD_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
BOT_TOKEN = "123456:board-browser-token"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "board"

# Who is who on the board (ids as Telegram user ids)
MANAGER, OTHER_MANAGER, TEAM_LEAD, INACTIVE = 8201, 8202, 8203, 8204


def _skip_reason() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright (the test extra) is not installed"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    for item in items:
        if "tests/webapp" in str(item.path):
            item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, bot_token=BOT_TOKEN)


@pytest.fixture
async def people(committing_factory) -> dict[str, int]:
    async with committing_factory() as session:
        session.add_all(
            [
                UserRow(id=MANAGER, full_name="Max Manager", role=Role.MANAGER, language="en"),
                UserRow(id=OTHER_MANAGER, full_name="Olga Other", role=Role.MANAGER, language="ru"),
                UserRow(id=TEAM_LEAD, full_name="Tom Lead", role=Role.TEAM_LEAD, language="en"),
                UserRow(id=INACTIVE, full_name="Ian Inactive", role=Role.MANAGER, is_active=False),
            ]
        )
        await session.commit()
    return {"manager": MANAGER, "other": OTHER_MANAGER, "lead": TEAM_LEAD, "inactive": INACTIVE}


@pytest.fixture
async def server(settings, committing_factory, services, people) -> AsyncIterator[str]:
    """The real app under uvicorn in this event loop; yields its base URL."""
    app = create_app(settings, session_factory=committing_factory, services=services, api_key_cache_seconds=0)
    config = uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning", access_log=False)
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve())
    for _ in range(200):
        if uv.started or task.done():
            break
        await asyncio.sleep(0.02)
    assert uv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{config.port}"
    uv.should_exit = True
    await asyncio.wait_for(task, timeout=10)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


@pytest.fixture
async def phone(browser, server, request) -> AsyncIterator[Phone]:
    """A phone-sized touch browser page on the board's server; screenshots named after the test."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, device_scale_factor=2
    )
    page = await context.new_page()
    device = Phone(page, server, BOT_TOKEN, SCREENSHOTS, request.node.name)
    try:
        yield device
    finally:
        await context.close()
    assert not device.page_errors, device.page_errors
    assert not device.dialogs, f"a dialog opened: {device.dialogs}"


@pytest.fixture
def make_lead(committing_factory, services, people) -> Callable[..., Awaitable[Lead]]:
    """``await make_lead(owner_id, name=..., **fields)``: a lead created through the service, as the bot does."""

    async def make(owner_id: int | None, name: str = "Ann Lee", source: str = "manual", **fields: Any) -> Lead:
        return await leads_svc.create_lead(
            SqlUnitOfWork(committing_factory),
            services,
            Actor.system("test"),
            source=source,
            name=name,
            owner_id=owner_id,
            **fields,
        )

    return make


@pytest.fixture
def db(committing_factory) -> Callable[..., Awaitable[list[Any]]]:
    """``await db("SELECT ...", x=1)``: the rows, read in a fresh transaction (what the server committed); a
    statement that returns none (an UPDATE behind the board's back) is committed."""

    async def query(sql: str, **params: Any) -> list[Any]:
        async with committing_factory() as session:
            result = await session.execute(text(sql), params)
            rows = list(result.all()) if result.returns_rows else []
            await session.commit()
            return rows

    return query
