"""The pipeline board, a Telegram Mini App served by the API (BOARD_API.md is the contract with its frontend).

- ``/app/`` — the static board (``api/static/board``: HTML, JS, CSS, the vendored SortableJS), ``no-cache``
  so an upgrade is never stuck on an old script;
- ``/app/api/...`` — its JSON, every request authenticated by the Mini App's initData (``api.board.auth``),
  errors as ``{"detail", "code"}`` in the user's language (``api.board.route``).

A presentation layer like the bot: the routers unpack, call one ``core.services`` function (the bot's own) and
render with ``api.board.texts``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.board.routers import deals_board, dev_login, lead_actions, lead_detail, lead_moves, leads_board, me

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "board"
ROUTERS: tuple[APIRouter, ...] = (
    me.router,
    leads_board.router,
    lead_detail.router,
    lead_moves.router,
    lead_actions.router,
    deals_board.router,
    dev_login.router,
)


class BoardFiles(StaticFiles):
    """The board's files, always revalidated (ETag / Last-Modified make that a 304 when nothing changed)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI, *, dev_login: bool = False) -> tuple[APIRouter, ...]:
    """Add the board's routes and files to ``app``; ``dev_login``: the sandbox's sign-in (``routers.dev_login``).
    Returns the routers (for the app's 405 ``Allow`` table)."""
    app.state.board_dev_login = dev_login
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/app", include_in_schema=False)
    async def board_root() -> RedirectResponse:
        return RedirectResponse("/app/", status_code=308)

    app.mount("/app", BoardFiles(directory=STATIC_DIR, html=True, check_dir=False), name="board")
    return ROUTERS
