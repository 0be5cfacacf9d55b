"""``GET /app/api/leads/{id}``: a card's detail — contacts, the score and why, the history, what may be done."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.board import texts
from api.board.auth import CurrentUser
from api.board.route import BoardRoute
from api.deps import get_services, get_uow, lead_id_path
from core.domain.clock import utcnow
from core.services import history as history_svc
from core.services.context import Services
from core.services.ports import UnitOfWork

router = APIRouter(prefix="/app/api", route_class=BoardRoute, include_in_schema=False)


@router.get("/leads/{lead_id}")
async def lead_detail(
    current: CurrentUser,
    lead_id: Annotated[int, Depends(lead_id_path)],
    uow: Annotated[UnitOfWork, Depends(get_uow)],
    services: Annotated[Services, Depends(get_services)],
) -> dict[str, Any]:
    found = await history_svc.lead_history(uow, current.actor, lead_id, changes=20, activities=20, events=20)
    return texts.detail(found, utcnow(), locale=current.locale, domains=sorted(services.policy.domains))
