"""``/sales``: list deals (keyset pages), read one, edit its amount / currency / expected close / owner, and move
it through the sale funnel (new → kyc → agreement → paid, or lost).

Every route needs an API key (an API key acts with the rights of a team lead). Handlers unpack the
request, call one service, render the result; domain errors become 4xx in ``api/errors.py``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from api.deps import get_services, get_uow, require_api_key, sale_id_path
from api.schemas import ErrorOut, Reason, StageName, error_responses
from core.domain.enums import LostReason, SaleStage
from core.domain.ids import BIGINT_MAX, BIGINT_MIN
from core.domain.models import Actor, Sale
from core.domain.money import AMOUNT_MAX
from core.services import deals as deals_svc
from core.services import sales as svc
from core.services.context import Services
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
Svc = Annotated[Services, Depends(get_services)]
UserId = Annotated[int, Field(ge=BIGINT_MIN, le=BIGINT_MAX)]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "Sale not found"}}


class SaleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    stage: SaleStage
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    amount: Decimal | None = Field(description="The deal's amount (a decimal string, two places), with `currency`")
    currency: str | None = Field(description="ISO 4217 code of `amount`; null when there is no amount")
    expected_close: datetime | None = Field(
        validation_alias="expected_close_at", description="When the deal is expected to close (UTC)"
    )
    owner_id: int | None = Field(description="The team lead or seller working the deal")


class SalePageOut(BaseModel):
    items: list[SaleOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last page")


class SaleUpdate(BaseModel):
    """Only the keys sent are changed; ``null`` clears a field (``amount: null`` clears the currency too)."""

    model_config = ConfigDict(extra="forbid")

    amount: Annotated[Decimal, Field(gt=0, lt=AMOUNT_MAX, decimal_places=2)] | None = Field(
        None, description="Positive, at most two decimals; without `currency`: the deal's, else DEFAULT_CURRENCY"
    )
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$")] | None = Field(
        None, description="ISO 4217 code (e.g. RUB, USD); needs an amount (sent or already set)"
    )
    expected_close: AwareDatetime | None = Field(None, description="With a time zone; years 2000-2099")
    owner_id: UserId | None = Field(None, description="An active user working the deal; null: nobody")

    @model_validator(mode="after")
    def _not_empty(self) -> SaleUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of: amount, currency, expected_close, owner_id")
        return self


class SaleStageUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A plain string on purpose: an unknown stage is an invalid transition (400), like for leads.
    stage: StageName
    reason: Reason | None = None
    reason_code: LostReason | None = None  # a preset lost reason; ``reason`` adds free text


def _out(sale: Sale) -> SaleOut:
    return SaleOut.model_validate(sale)


def _encode(before_id: int) -> str:
    return base64.urlsafe_b64encode(f"s|{before_id}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    """The id a cursor names, or a 422 that says to pass ``next_cursor`` back unchanged."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, _, ident = raw.partition("|")
        before_id = int(ident)
        if tag != "s" or not 0 < before_id <= BIGINT_MAX:
            raise ValueError("out of range")
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "Invalid cursor: pass the next_cursor of the previous page unchanged",
        ) from None
    return before_id


async def list_sales(
    uow: Uow,
    actor: Caller,
    stage: SaleStage | None = None,
    owner_id: Annotated[int | None, Query(ge=BIGINT_MIN, le=BIGINT_MAX, description="Deals this user works")] = None,
    limit: Annotated[int, Query(ge=1, le=deals_svc.MAX_API_PAGE, description="Page size")] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")] = None,
) -> SalePageOut:
    page = await deals_svc.list_sales(
        uow,
        actor,
        stage=stage.value if stage else None,
        owner_id=owner_id,
        limit=limit,
        before_id=_decode(cursor) if cursor is not None else None,
    )
    return SalePageOut(
        items=[_out(sale) for sale in page.items],
        next_cursor=_encode(page.next_before_id) if page.next_before_id is not None else None,
    )


# "/sales" and "/sales/" both answer directly (no 307 redirects), as for /leads.
for _path in ("", "/"):
    router.add_api_route(
        _path,
        list_sales,
        methods=["GET"],
        response_model=SalePageOut,
        summary="List deals, newest first (keyset pagination by id), by stage and owner",
        include_in_schema=_path == "",
    )


@router.get("/{sale_id}", response_model=SaleOut, responses=_NOT_FOUND, summary="Get a sale")
async def get_sale(sale_id: SaleId, uow: Uow, actor: Caller) -> SaleOut:
    return _out(await svc.get_sale(uow, actor, sale_id))


@router.patch(
    "/{sale_id}",
    response_model=SaleOut,
    responses=_NOT_FOUND,
    summary="Edit a deal's amount, currency, expected close, owner",
)
async def update_sale(sale_id: SaleId, body: SaleUpdate, uow: Uow, services: Svc, actor: Caller) -> SaleOut:
    sent = body.model_dump(include=body.model_fields_set)
    if "expected_close" in sent:
        sent["expected_close_at"] = sent.pop("expected_close")
    sale = await deals_svc.update_sale(uow, actor, sale_id, sent, default_currency=services.policy.default_currency)
    return _out(sale)


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
