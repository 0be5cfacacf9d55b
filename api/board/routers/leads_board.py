"""``GET /app/api/board`` (the open stages' cards, the closed stages' counts, the filters) and
``GET /app/api/board/column/{stage}`` (a column's "show more")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.board import texts
from api.board.auth import CurrentUser
from api.board.route import BoardRoute
from api.deps import get_uow
from core.domain.clock import utcnow
from core.domain.ids import BIGINT_MAX
from core.services import board as board_svc
from core.services.ports import UnitOfWork

router = APIRouter(prefix="/app/api", route_class=BoardRoute, include_in_schema=False)

Uow = Annotated[UnitOfWork, Depends(get_uow)]
Owner = Annotated[int | None, Query(ge=0, le=BIGINT_MAX, description="A user id; 0: leads without an owner")]
SourceQ = Annotated[str | None, Query(max_length=20)]
SearchQ = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=board_svc.MAX_CARDS)]
Offset = Annotated[int, Query(ge=0, le=board_svc.MAX_OFFSET)]


@router.get("/board")
async def lead_board(
    current: CurrentUser,
    uow: Uow,
    owner: Owner = None,
    source: SourceQ = None,
    q: SearchQ = None,
    limit: Limit = board_svc.DEFAULT_CARDS,
) -> dict[str, Any]:
    query = board_svc.board_query(current.actor, owner_id=owner, source=source, q=q)
    found = await board_svc.lead_board(uow, current.actor, query, limit=limit, me=current.user)
    return texts.board(found, utcnow(), can_filter=current.actor.sees_all_leads)


@router.get("/board/column/{stage}")
async def lead_column(
    current: CurrentUser,
    uow: Uow,
    stage: str,
    owner: Owner = None,
    source: SourceQ = None,
    q: SearchQ = None,
    limit: Limit = board_svc.DEFAULT_CARDS,
    offset: Offset = 0,
) -> dict[str, Any]:
    query = board_svc.board_query(current.actor, owner_id=owner, source=source, q=q)
    col = await board_svc.lead_column(uow, current.actor, query, stage, limit=limit, offset=offset)
    return texts.column(col, utcnow())
