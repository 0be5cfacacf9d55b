"""The API under real uvicorn on a real port: started and stopped in the running loop (as ``leadcrm run`` does)."""

from __future__ import annotations

import asyncio
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
