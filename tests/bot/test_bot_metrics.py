"""The bot's /metrics (METRICS_PORT): every update counted by type and outcome and timed, served over HTTP
while the bot runs."""

from __future__ import annotations

import socket

import httpx
from prometheus_client import REGISTRY

from tests.bot.support import MANAGER_ID, bot_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _count(kind: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("leadcrm_updates_total", {"type": kind, "outcome": outcome}) or 0.0


async def test_updates_are_counted_and_served_on_the_metrics_port(tg, bot_runner, services, committing_factory) -> None:
    port = _free_port()
    await bot_runner(bot_settings(metrics_port=port), services=services, session_factory=committing_factory)
    before = _count("message", "handled")
    stranger = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(stranger, "/start")
    assert _count("message", "handled") == before + 1
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    assert 'leadcrm_updates_total{outcome="handled",type="message"}' in response.text
    assert "leadcrm_update_seconds_bucket" in response.text and "leadcrm_outbox_pending" in response.text
