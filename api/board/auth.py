"""Who opened the board: the Mini App's ``initData``, checked on every request (``Authorization: tma <initData>``).

Accepted only when the HMAC matches the bot token (aiogram's ``safe_parse_webapp_init_data``), ``auth_date`` is
no older than ``WEBAPP_AUTH_MAX_AGE_SECONDS`` and not in the future (``FUTURE_SKEW`` allowed for clocks), and the
Telegram user is an active user of the CRM (``core.services.users.authenticate``: ADMIN_IDS become admins, as
in the bot). Anything else is a 401 with a message; the initData itself is never logged.

``sign_init_data`` makes initData as Telegram does: the sandbox's dev login signs with its own token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiogram.utils.web_app import WebAppInitData, safe_parse_webapp_init_data
from fastapi import Depends, Request

from api.board.i18n import pick_locale, set_locale
from api.deps import get_services, get_uow
from bot.render.clock import Viewer, set_viewer
from core.config import Settings
from core.domain.dates import zone
from core.domain.errors import InvalidValue
from core.domain.models import Actor, User
from core.services import users as users_svc
from core.services.context import Services
from core.services.ports import UnitOfWork

SCHEME = "tma"
FUTURE_SKEW = timedelta(seconds=60)
MAX_INIT_DATA = 4096  # Telegram's initData is well under 1 KB; a bigger header is not one


class NotAuthenticated(Exception):
    """401: the message says why (in English: who is asking is not known yet)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BoardUser:
    """The CRM user behind a request, and how texts are shown to them."""

    user: User
    actor: Actor
    locale: str  # "ru" | "en"
    tz: ZoneInfo


def verify_init_data(token: str, init_data: str, *, max_age: float, now: float | None = None) -> WebAppInitData:
    """The initData if it is genuine and fresh; NotAuthenticated otherwise."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise NotAuthenticated("Send the Mini App's initData in the Authorization header: tma <initData>")
    try:
        data = safe_parse_webapp_init_data(token, init_data)
    except (ValueError, TypeError):  # a wrong hash, a malformed query string, a user that is not JSON
        raise NotAuthenticated("The initData signature is not valid: open the board from the bot again") from None
    moment = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    auth_date = data.auth_date if data.auth_date.tzinfo else data.auth_date.replace(tzinfo=UTC)
    if auth_date > moment + FUTURE_SKEW:
        raise NotAuthenticated("The initData is dated in the future: check the device's clock")
    if moment - auth_date > timedelta(seconds=max_age):
        raise NotAuthenticated("The initData has expired: close the board and open it from the bot again")
    if data.user is None:
        raise NotAuthenticated("The initData names no Telegram user")
    return data


def sign_init_data(token: str, user: Mapping[str, Any], *, auth_date: int | None = None, query_id: str = "dev") -> str:
    """initData for ``user`` signed with ``token`` the way Telegram signs it (the sandbox's dev login, tests)."""
    fields = {
        "query_id": query_id,
        "user": json.dumps(dict(user), ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def _init_data(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != SCHEME or not value.strip():
        raise NotAuthenticated("Send the Mini App's initData in the Authorization header: tma <initData>")
    return value.strip()


def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return zone(name, default)
    except InvalidValue:  # a zone tzdata no longer knows: the team's default
        return zone(None, default)


async def board_user(
    request: Request,
    uow: Annotated[UnitOfWork, Depends(get_uow)],
    services: Annotated[Services, Depends(get_services)],
) -> BoardUser:
    """The active CRM user who opened the board; also sets the request's language and time zone for the texts."""
    settings: Settings = request.app.state.settings
    token = settings.bot_token.get_secret_value() if settings.bot_token else None
    if not token:
        raise NotAuthenticated("The board is not available: the bot has no token (BOT_TOKEN)")
    data = verify_init_data(token, _init_data(request), max_age=settings.webapp_auth_max_age_seconds)
    tg = data.user
    assert tg is not None
    full_name = " ".join(part for part in (tg.first_name, tg.last_name) if part)
    user = await users_svc.authenticate(
        uow,
        user_id=tg.id,
        full_name=full_name or None,
        username=tg.username,
        language=tg.language_code,
        admin_ids=settings.admin_ids,
    )
    if user is None:
        raise NotAuthenticated("You are not an active user of this CRM: ask an admin for an invite")
    locale = pick_locale(user.language or tg.language_code)
    tz = _zone(user.timezone, services.policy.default_timezone)
    set_locale(locale)  # reset by the board's route class at the end of the request
    set_viewer(Viewer(tz, services.policy))
    request.state.board_locale = locale
    return BoardUser(user, Actor.from_user(user), locale, tz)


CurrentUser = Annotated[BoardUser, Depends(board_user)]
