"""The deals board (team leads, admins): ``GET /app/api/deals`` and ``POST /app/api/deals/{id}/move`` (one step
forward or lost, as the bot's deal card; the stage the board showed guards against a stale board)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

import bot.render as render
from api.board import texts
from api.board.auth import CurrentUser
from api.board.route import BoardRoute
from api.board.schemas import DealMoveIn
from api.deps import get_uow, sale_id_path
from bot.i18n import _
from core.domain.ids import BIGINT_MAX
from core.services import board as board_svc
from core.services import sales as sales_svc
from core.services.ports import UnitOfWork

router = APIRouter(prefix="/app/api", route_class=BoardRoute, include_in_schema=False)

Uow = Annotated[UnitOfWork, Depends(get_uow)]


@router.get("/deals")
async def deal_board(
    current: CurrentUser,
    uow: Uow,
    owner: Annotated[int | None, Query(ge=1, le=BIGINT_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=board_svc.MAX_CARDS)] = board_svc.DEFAULT_CARDS,
) -> dict[str, Any]:
    columns = await board_svc.deal_board(uow, current.actor, owner_id=owner, limit=limit)
    return texts.deal_columns(columns)


@router.post("/deals/{sale_id}/move")
async def move_deal(
    current: CurrentUser, sale_id: Annotated[int, Depends(sale_id_path)], body: DealMoveIn, uow: Uow
) -> dict[str, Any]:
    sale = await sales_svc.change_sale_stage(
        uow,
        current.actor,
        sale_id,
        body.to,
        reason=body.reason,
        reason_code=body.reason_code or None,
        expected_stage=body.stage,
    )
    card = await board_svc.deal_card(uow, current.actor, sale)
    note = _("Deal stage: {stage}.").format(stage=render.sale_stage_name(sale.stage))
    return {"deal": texts.deal(card), "note": note}
