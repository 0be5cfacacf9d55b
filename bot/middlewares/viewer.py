"""Sets the viewer of the update (bot.render.clock): the user's time zone and the team's policy, so every
screen shows times in the reader's zone and flags stalled leads. After the unit-of-work middleware (which
authenticates the user); a stranger's update renders in the team's default zone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.render.clock import Viewer, reset_viewer, set_viewer
from core.domain.dates import zone
from core.domain.errors import InvalidValue
from core.domain.models import User
from core.services.context import Services


@lru_cache(maxsize=256)
def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return zone(name, default)
    except InvalidValue:  # a zone tzdata no longer knows: the team's default rather than an error per update
        return zone(None, default)


class ViewerMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        services: Services | None = data.get("services")
        user: User | None = data.get("user")
        policy = services.policy if services is not None else None
        default = policy.default_timezone if policy is not None else "UTC"
        token = set_viewer(Viewer(_zone(user.timezone if user else None, default), policy))
        try:
            return await handler(event, data)
        finally:
            reset_viewer(token)
