"""``/sales``: read a sale and move it through the sale funnel (new → kyc → agreement → paid, or lost).

Every route needs an API key (an API key acts with the rights of a team lead). Handlers unpack the
request, call one service, render the result; domain errors become 4xx in ``api/errors.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from api.deps import get_uow, require_api_key, sale_id_path
from api.schemas import ErrorOut, Reason, StageName, error_responses
from core.domain.enums import LostReason, SaleStage
from core.domain.models import Actor, Sale
from core.services import sales as svc
from core.services.ports import UnitOfWork

router = APIRouter(
    prefix="/sales",
    tags=["sales"],
    dependencies=[Depends(require_api_key)],
    responses=error_responses(400, 401, 403, 409, 413, 429, 503),
)

SaleId = Annotated[int, Depends(sale_id_path)]
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Caller = Annotated[Actor, Depends(require_api_key)]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "Sale not found"}}


class SaleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    stage: SaleStage
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class SaleStageUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A plain string on purpose: an unknown stage is an invalid transition (400), like for leads.
    stage: StageName
    reason: Reason | None = None
    reason_code: LostReason | None = None  # a preset lost reason; ``reason`` adds free text


def _out(sale: Sale) -> SaleOut:
    return SaleOut.model_validate(sale)


@router.get("/{sale_id}", response_model=SaleOut, responses=_NOT_FOUND, summary="Get a sale")
async def get_sale(sale_id: SaleId, uow: Uow, actor: Caller) -> SaleOut:
    return _out(await svc.get_sale(uow, actor, sale_id))


@router.patch(
    "/{sale_id}/stage",
    response_model=SaleOut,
    responses={**_NOT_FOUND, 400: {"model": ErrorOut, "description": "Invalid sale stage transition"}},
    summary="Move the sale one step forward, or to lost",
)
async def change_sale_stage(sale_id: SaleId, body: SaleStageUpdate, uow: Uow, actor: Caller) -> SaleOut:
    return _out(
        await svc.change_sale_stage(uow, actor, sale_id, body.stage, reason=body.reason, reason_code=body.reason_code)
    )
