"""``/webhooks``: register a receiver of events (the secret is in the answer once), list, remove.

Behind the API key; a key scoped to a source (a partner's) may not manage webhooks: a hook receives every
lead's events. How deliveries are signed and retried: ``core.services.webhooks`` and the README.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import get_uow, require_api_key
from api.schemas import ErrorOut, error_responses
from core.domain.errors import WebhookNotFound
from core.domain.ids import storable_id
from core.domain.models import Actor
from core.services import webhooks as svc
from core.services.ports import UnitOfWork, Webhook

router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(require_api_key)],
    responses=error_responses(400, 401, 403, 413, 429, 503),
)

Uow = Annotated[UnitOfWork, Depends(get_uow)]
EventName = Literal["lead.created", "lead.stage_changed", "lead.transferred", "sale.stage_changed"]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such webhook"}}


async def unscoped_key(actor: Annotated[Actor, Depends(require_api_key)]) -> Actor:
    if actor.source is not None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "An API key scoped to a source cannot manage webhooks")
    return actor


async def hook_id_path(hook_id: Annotated[int, Path(description="Webhook id")]) -> int:
    if not storable_id(hook_id):
        raise WebhookNotFound(hook_id)
    return hook_id


Admin = Annotated[Actor, Depends(unscoped_key)]
HookId = Annotated[int, Depends(hook_id_path)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=svc.URL_MAX, description="https:// (http:// only for 127.0.0.1 / localhost)")
    events: list[EventName] = Field(min_length=1, max_length=len(svc.EVENTS))


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every delivery (X-LeadCRM-Signature); shown only in this answer")


def _out(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "url": hook.url, "events": list(hook.events), "created_at": hook.created_at}


@router.post("/", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
async def create_webhook(body: WebhookCreate, request: Request, uow: Uow, _: Admin) -> Any:
    allow_http = request.app.state.settings.webhook_allow_http
    hook, secret = await svc.add_webhook(uow, body.url, body.events, allow_http=allow_http)
    return WebhookCreated(**_out(hook), secret=secret)


@router.get("/", response_model=list[WebhookOut])
async def list_webhooks(uow: Uow, _: Admin) -> Any:
    return [_out(h) for h in await svc.list_webhooks(uow)]


@router.delete("/{hook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
async def delete_webhook(hook_id: HookId, uow: Uow, _: Admin) -> None:
    await svc.remove_webhook(uow, hook_id)
