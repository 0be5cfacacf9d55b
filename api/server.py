"""Run the API under uvicorn: ``leadcrm api`` (blocking) or ``serve_async`` (next to the bot in one loop).

The access log is off unless ``API_ACCESS_LOG`` (it cost 3–10 % of a request's CPU under load); when on, it
prints method, path, query and status; API keys travel in a header and never appear there.
"""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from api.app import create_app
from core.config import Settings
from core.process import freeze_startup_objects


def _config(settings: Settings, host: str | None, port: int | None, *, dev_login: bool = False) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, dev_login=dev_login),
        host=host or settings.api_host,
        port=port if port is not None else settings.api_port,
        log_level="info",
        access_log=settings.api_access_log,
        server_header=False,
    )


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    """Serve until Ctrl-C / SIGTERM. Returns the process exit code."""
    server = uvicorn.Server(_config(settings, host, port))
    freeze_startup_objects()  # the app is built: its classes, routes and schemas leave the collector's scans
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after a clean shutdown
        server.run()
    return 0 if server.started else 1


async def serve_async(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    stop_event: asyncio.Event | None = None,
    *,
    dev_login: bool = False,
) -> None:
    """Serve in the running event loop until uvicorn is told to exit or ``stop_event`` is set.

    ``dev_login``: the board's sandbox sign-in (only ``leadcrm sandbox`` passes it).
    Raises ``RuntimeError`` if the server cannot start (e.g. the port is taken) instead of uvicorn's
    ``SystemExit``, so a process running the bot beside the API can report it."""
    config = _config(settings, host, port, dev_login=dev_login)
    server = uvicorn.Server(config)

    async def stop_when_asked() -> None:
        assert stop_event is not None
        await stop_event.wait()
        server.should_exit = True

    watcher = asyncio.create_task(stop_when_asked()) if stop_event is not None else None
    try:
        await server.serve()
    except SystemExit:
        raise RuntimeError(f"the REST API could not start on {config.host}:{config.port}") from None
    finally:
        if watcher is not None:
            watcher.cancel()
