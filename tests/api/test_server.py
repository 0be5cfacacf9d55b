"""The API under real uvicorn on a real port: started and stopped in the running loop (as ``leadcrm run`` does)."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest

from api.server import serve_async


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_serve_async_answers_over_http_and_stops_when_asked(settings) -> None:
    port = _free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(serve_async(settings, "127.0.0.1", port, stop_event=stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    response = await client.get("/health")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert (response.status_code, response.json()) == (200, {"status": "ok"})
            assert (await client.get("/leads")).status_code == 401
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert task.done() and task.exception() is None


async def test_serve_async_reports_a_taken_port_as_an_error(settings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"could not start on 127.0.0.1:{port}"):
            await asyncio.wait_for(serve_async(settings, "127.0.0.1", port), timeout=10)


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_access_log_when_enabled_shows_requests_but_never_the_api_key(settings, caplog, enabled) -> None:
    settings = settings.model_copy(update={"api_access_log": enabled})
    port = _free_port()
    stop = asyncio.Event()
    secret = "lcrm_must-not-be-logged-0123456789"
    access_logger = logging.getLogger("uvicorn.access")  # uvicorn's config stops it propagating to root
    task = asyncio.create_task(serve_async(settings, "127.0.0.1", port, stop_event=stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    await client.get("/health")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            access_logger.addHandler(caplog.handler)
            response = await client.get("/leads?limit=5", headers={"X-API-Key": secret})
            assert response.status_code == 401
    finally:
        access_logger.removeHandler(caplog.handler)
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/leads?limit=5" in line and "401" in line for line in access) is enabled
    assert all(secret not in r.getMessage() for r in caplog.records)
