"""LOG_FORMAT=json: one JSON object a line with the context in hand (update_id, user_id, lead_id, route), tokens
redacted before formatting; the bot's updates and the API's requests bind that context."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import httpx
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from api.app import create_app
from bot.middlewares.db import _lead_of
from cli import logs
from core import logcontext
from core.config import LogSettings, Settings

TOKEN = "7000001:AAH-a-realistic-secret-for-the-test-0123456"


def _capture() -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    out = io.StringIO()
    handler = logs.guard(logging.StreamHandler(out))
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("leadcrm.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, out, handler


def test_a_json_line_carries_the_context_and_never_the_token() -> None:
    logger, out, handler = _capture()
    logs.REDACT.add(TOKEN)
    try:
        token = logcontext.bind(update_id=42, user_id=5001, lead_id=7)
        try:
            logger.warning("calling https://api.telegram.org/bot%s/getMe failed", TOKEN)
        finally:
            logcontext.reset(token)
        logger.info("outside any update")
    finally:
        logging.getLogger("leadcrm.test.json").removeHandler(handler)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert (first["level"], first["logger"], first["update_id"], first["user_id"], first["lead_id"]) == (
        "WARNING",
        "leadcrm.test.json",
        42,
        5001,
        7,
    )
    assert TOKEN not in out.getvalue() and "bot<redacted>/getMe" in first["message"]
    assert "update_id" not in second and second["message"] == "outside any update"


def test_log_format_is_text_unless_json_is_asked(monkeypatch) -> None:
    assert LogSettings(_env_file=None).log_format == "text"
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert LogSettings(_env_file=None).log_format == "json"


def test_a_card_buttons_lead_is_named_and_anything_else_is_not() -> None:
    user = User(id=5001, is_bot=False, first_name="M")
    message = Message(message_id=1, date=datetime(2026, 12, 1, tzinfo=UTC), chat=Chat(id=5001, type="private"))

    def press(data: str) -> Update:
        return Update(
            update_id=1,
            callback_query=CallbackQuery(id="q", from_user=user, chat_instance="c", data=data, message=message),
        )

    assert _lead_of(press("ld:a:123:4:call")) == 123
    assert _lead_of(press("ld:a:abc:4:call")) is None
    assert _lead_of(press("sl:o:5")) is None
    assert _lead_of(Update(update_id=2)) is None


async def test_an_api_request_binds_its_route_template_and_lead() -> None:
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/x")  # down: the request logs why
    app = create_app(Settings(_env_file=None), session_factory=async_sessionmaker(engine))
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    handler.addFilter(logs.CONTEXT)
    logging.getLogger("api.errors").addHandler(handler)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get("/leads/77", headers={"X-API-Key": "lcrm_whatever"})
    finally:
        logging.getLogger("api.errors").removeHandler(handler)
        await engine.dispose()
    assert response.status_code == 503
    contexts = [getattr(r, "context", {}) for r in records]
    assert {"route": "GET /leads/{lead_id}", "lead_id": 77} in contexts
