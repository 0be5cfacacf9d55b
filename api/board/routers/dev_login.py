"""The sandbox's dev login: ``GET /app/api/dev-login?user_id=N`` signs initData for an active user with the
sandbox's own bot token (the emulator's) and sends the browser to ``/app/#dev_init=<initData>``, so the board opens
in a normal browser without Telegram. It exists only in an app built with ``dev_login=True`` (the sandbox's,
``cli/sandbox.py``) and answers only the machine itself (a loopback address); everywhere else — the API and the
bot with a real ``BOT_TOKEN`` — it is a 404, and initData signed by the sandbox's token fails the real one's
HMAC anyway."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.board.auth import sign_init_data
from api.board.route import BoardRefusal, BoardRoute
from api.deps import get_uow
from core.config import Settings
from core.domain.ids import BIGINT_MAX
from core.services import board as board_svc
from core.services.ports import UnitOfWork

router = APIRouter(prefix="/app/api", route_class=BoardRoute, include_in_schema=False)

BOARD_PATH = "/app/"


def _loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost", "testclient")


def _not_here() -> BoardRefusal:
    return BoardRefusal(status.HTTP_404_NOT_FOUND, "not_found", "Not Found")


@router.get("/dev-login")
async def dev_login(
    request: Request,
    uow: Annotated[UnitOfWork, Depends(get_uow)],
    user_id: Annotated[int, Query(ge=1, le=BIGINT_MAX)],
    format: Annotated[str, Query(pattern="^(redirect|json)$")] = "redirect",
) -> Response:
    settings: Settings = request.app.state.settings
    if not request.app.state.board_dev_login or settings.bot_token is None or not _loopback(request):
        raise _not_here()
    user = await board_svc.active_user(uow, user_id)
    if user is None:
        raise BoardRefusal(status.HTTP_404_NOT_FOUND, "not_found", f"No active user {user_id}")
    first, _, last = (user.full_name or str(user.id)).partition(" ")
    profile: dict[str, object] = {"id": user.id, "first_name": first}
    if last:
        profile["last_name"] = last
    if user.username:
        profile["username"] = user.username
    if user.language:
        profile["language_code"] = user.language
    init_data = sign_init_data(settings.bot_token.get_secret_value(), profile)
    if format == "json":
        return JSONResponse({"init_data": init_data})
    return RedirectResponse(f"{BOARD_PATH}#dev_init={quote(init_data, safe='')}", status_code=status.HTTP_303_SEE_OTHER)
