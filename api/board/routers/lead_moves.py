"""A card changing stage: ``move`` (a drag to the next column: one step forward, as the bot's ➡️ button),
``transfer`` (to sales, only through its own action: the gate's refusal comes with the bot's offers) and
``lost`` (with a reason). The same ``core.services.leads.change_stage`` as the bot; the card's version makes a
stale board refresh instead of acting twice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

import bot.render as render
from api.board import texts
from api.board.auth import CurrentUser
from api.board.route import BoardRefusal, BoardRoute
from api.board.schemas import LostIn, MoveIn, VersionIn
from api.deps import get_services, get_uow, lead_id_path
from bot.i18n import _
from bot.render import board as board_words
from core.domain.clock import utcnow
from core.domain.enums import Stage
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import UnitOfWork

router = APIRouter(prefix="/app/api", route_class=BoardRoute, include_in_schema=False)

LeadId = Annotated[int, Depends(lead_id_path)]
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Svc = Annotated[Services, Depends(get_services)]


def _target(value: str) -> Stage:
    try:
        stage = Stage(value)
    except ValueError:
        raise BoardRefusal(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "invalid",
            board_words.unknown_stage(value),
        ) from None
    if stage == Stage.TRANSFERRED:
        raise BoardRefusal(
            status.HTTP_409_CONFLICT,
            "invalid_transition",
            board_words.transfer_by_action(),
        )
    if stage == Stage.LOST:
        raise BoardRefusal(status.HTTP_409_CONFLICT, "invalid_transition", board_words.lost_by_action())
    return stage


@router.post("/leads/{lead_id}/move")
async def move(current: CurrentUser, lead_id: LeadId, body: MoveIn, uow: Uow, services: Svc) -> dict[str, Any]:
    target = _target(body.to)
    result = await leads_svc.change_stage(
        uow, services, current.actor, lead_id, target.value, expected_version=body.version
    )
    note = _("Stage: {stage}.").format(stage=render.stage_name(result.lead.stage))
    return {"card": texts.card(result.lead, utcnow()), "note": note}


@router.post("/leads/{lead_id}/transfer")
async def transfer(current: CurrentUser, lead_id: LeadId, body: VersionIn, uow: Uow, services: Svc) -> dict[str, Any]:
    result = await leads_svc.change_stage(
        uow, services, current.actor, lead_id, Stage.TRANSFERRED.value, expected_version=body.version
    )
    return {
        "card": texts.card(result.lead, utcnow()),
        "sale_id": result.sale.id if result.sale else None,
        "note": _("Transferred to sales; the team leads are notified."),
    }


@router.post("/leads/{lead_id}/lost")
async def lost(current: CurrentUser, lead_id: LeadId, body: LostIn, uow: Uow, services: Svc) -> dict[str, Any]:
    result = await leads_svc.change_stage(
        uow,
        services,
        current.actor,
        lead_id,
        Stage.LOST.value,
        reason=body.reason,
        reason_code=body.reason_code or None,
        expected_version=body.version,
    )
    lead = result.lead
    reason = texts.text_of(render.lost_reason(lead.lost_reason_code, lead.lost_reason))
    return {"card": texts.card(lead, utcnow()), "note": _("Marked as lost: {reason}.").format(reason=reason)}
