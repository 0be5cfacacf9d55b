"""``GET /app/api/me``: who opened the board, their role and language, and the names the board shows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.board import texts
from api.board.auth import CurrentUser
from api.board.route import BoardRoute

router = APIRouter(prefix="/app/api", route_class=BoardRoute, include_in_schema=False)


@router.get("/me")
async def me(current: CurrentUser) -> dict[str, Any]:
    return texts.me(current.user, current.locale)
