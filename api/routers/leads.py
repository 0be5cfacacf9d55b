"""``/leads``: the original contract (create, get, stage, analyze) plus list, edit, activities and history.

Every route needs an API key. Handlers unpack the request, call one service, render the result.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, status
from fastapi.responses import JSONResponse

from api.deps import get_services, get_uow, lead_id_path, require_api_key
from api.pagination import aware_utc, decode_id_cursor, decode_search_cursor, encode_id_cursor, encode_search_cursor
from api.schemas import (
    ActivityCreate,
    ActivityListOut,
    ActivityOut,
    ContactIn,
    DuplicateOut,
    ErrorOut,
    LeadCreate,
    LeadEventOut,
    LeadOut,
    LeadPageOut,
    LeadUpdate,
    MergedOut,
    MergeIn,
    StageChangeListOut,
    StageChangeOut,
    StageUpdate,
    error_responses,
)
from api.words import describe
from core.domain.clock import utcnow
from core.domain.enums import Source, Stage
from core.domain.errors import DuplicateLead
from core.domain.ids import BIGINT_MAX, BIGINT_MIN
from core.domain.models import Actor, Lead
from core.services import idempotency
from core.services import leads as svc
from core.services import merge as merge_svc
from core.services.context import Services
from core.services.ports import StoredResponse, UnitOfWork

router = APIRouter(
    prefix="/leads",
    tags=["leads"],
    dependencies=[Depends(require_api_key)],
    responses=error_responses(400, 401, 403, 409, 413, 429, 503),
)

LeadId = Annotated[int, Depends(lead_id_path)]
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Svc = Annotated[Services, Depends(get_services)]
Caller = Annotated[Actor, Depends(require_api_key)]
Limit = Annotated[int, Query(ge=1, le=svc.MAX_PAGE, description="Page size")]

# Every /leads/{id}... route: a lead that is not there, or one merged into another (410, with the other's id).
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Lead not found"},
    410: {"model": MergedOut, "description": "The lead was merged into another: `merged_into` names it"},
}


def _out(lead: Lead, services: Services) -> LeadOut:
    out = LeadOut.model_validate(lead)
    out.stale = services.policy.is_stale(lead, utcnow())
    return out


def _contacts(items: list[ContactIn] | None) -> list[tuple[str | None, str]] | None:
    return None if items is None else [(c.kind.value if c.kind else None, c.value) for c in items]


IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=idempotency.KEY_MAX,
        description="Any unique string (e.g. a UUID): the same key from the same API key within 24 h returns the "
        "first answer (status and body, header Idempotent-Replayed: true) and creates nothing; the same key with "
        "a different body is a 422",
    ),
]


async def create_lead(
    body: LeadCreate, uow: Uow, services: Svc, actor: Caller, idempotency_key: IdempotencyKey = None
) -> Any:
    fields: dict[str, Any] = {
        "source": body.source.value if body.source is not None else None,
        "name": body.name,
        "contact": body.contact,
        "business_domain": body.business_domain,
        "attributes": body.attributes,
        "owner_id": body.owner_id,
        "company": body.company,
        "contacts": _contacts(body.contacts),
        "allow_duplicate": body.allow_duplicate,
    }
    try:
        if idempotency_key is not None:
            answer = await idempotency.create_lead_once(
                uow,
                services,
                actor,
                idempotency_key,
                lambda lead: StoredResponse(status.HTTP_201_CREATED, _out(lead, services).model_dump(mode="json")),
                body_hash=idempotency.request_hash(body.model_dump(mode="json", exclude_unset=True)),
                **fields,
            )
            headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
            return JSONResponse(answer.response.body, status_code=answer.response.status, headers=headers)
        return _out(await svc.create_lead(uow, services, actor, **fields), services)
    except DuplicateLead as err:  # its own body: the existing lead's id (DuplicateOut)
        out = DuplicateOut(detail=describe(err), existing_lead_id=err.lead_id, kind=err.kind, normal=err.normal)
        return JSONResponse(out.model_dump(mode="json"), status_code=status.HTTP_409_CONFLICT)


_DUPLICATE: dict[int | str, dict[str, Any]] = {
    409: {"model": DuplicateOut, "description": "Another lead has one of the contacts (unless allow_duplicate)"}
}


async def list_leads(
    uow: Uow,
    services: Svc,
    actor: Caller,
    stage: Stage | None = None,
    owner_id: Annotated[int | None, Query(ge=BIGINT_MIN, le=BIGINT_MAX)] = None,
    source: Source | None = None,
    unassigned: Annotated[bool, Query(description="Only leads without an owner (the queue)")] = False,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the previous page")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=svc.SEARCH_TEXT_MAX,
            description="Search names, companies and contacts (a phone however it is typed, names, companies and "
            "e-mails also with a typo); with the filters. Best match first: found as typed (newest first), then "
            "similar (most similar first); the cursor pages through every match",
        ),
    ] = None,
    updated_since: Annotated[
        datetime | None,
        Query(
            description="Only leads changed at or after this ISO 8601 moment, e.g. 2026-12-01T09:00:00Z (no zone: "
            "UTC). For an incremental sync: remember when a pass started, pass it as updated_since next time.",
        ),
    ] = None,
) -> LeadPageOut:
    page = await svc.list_leads(
        uow,
        actor,
        stage=stage.value if stage else None,
        owner_id=owner_id,
        source=source.value if source else None,
        unassigned=unassigned,
        limit=limit,
        q=q,
        region=services.policy.phone_region,
        before_id=decode_id_cursor(cursor) if cursor is not None and q is None else None,
        after=decode_search_cursor(cursor) if cursor is not None and q is not None else None,
        updated_since=aware_utc(updated_since, "updated_since") if updated_since is not None else None,
    )
    return LeadPageOut(
        items=[_out(lead, services) for lead in page.items],
        next_cursor=_next_cursor(page),
    )


def _next_cursor(page: svc.LeadPage) -> str | None:
    if page.next_after is not None:
        return encode_search_cursor(page.next_after)
    return encode_id_cursor(page.next_before_id) if page.next_before_id else None


# "/leads" and "/leads/" both answer directly (the original clients post to "/leads/"); no 307 redirects.
for _path in ("", "/"):
    router.add_api_route(
        _path,
        create_lead,
        methods=["POST"],
        status_code=status.HTTP_201_CREATED,
        response_model=LeadOut,
        responses=_DUPLICATE,
        summary="Create a lead",
        include_in_schema=_path == "/",
    )
    router.add_api_route(
        _path,
        list_leads,
        methods=["GET"],
        response_model=LeadPageOut,
        summary="List leads, newest first by id (stable keyset pages; updated_since for incremental sync)",
        include_in_schema=_path == "",
    )


@router.get("/{lead_id}", response_model=LeadOut, responses=_NOT_FOUND, summary="Get a lead")
async def get_lead(lead_id: LeadId, uow: Uow, services: Svc, actor: Caller) -> LeadOut:
    return _out(await svc.get_lead(uow, actor, lead_id), services)


@router.patch(
    "/{lead_id}",
    response_model=LeadOut,
    responses={
        **_NOT_FOUND,
        409: {"model": DuplicateOut, "description": "A contact new to this lead is another lead's (or stale)"},
    },
    summary="Edit name, company, contact(s), domain, attributes; reassign (owner_id)",
)
async def update_lead(lead_id: LeadId, body: LeadUpdate, uow: Uow, services: Svc, actor: Caller) -> LeadOut:
    changes = body.model_dump(include=body.model_fields_set - {"contacts", "allow_duplicate"})
    if "contacts" in body.model_fields_set:
        changes["contacts"] = _contacts(body.contacts) or []
    lead = await svc.update_lead(uow, services, actor, lead_id, changes=changes, allow_duplicate=body.allow_duplicate)
    return _out(lead, services)


@router.post(
    "/{lead_id}/merge",
    response_model=LeadOut,
    responses={
        **_NOT_FOUND,
        409: {
            "model": ErrorOut,
            "description": "The other lead was already merged or was transferred (has a deal), or a version is stale",
        },
    },
    summary="Merge another lead into this one (irreversible); returns this lead, the survivor",
    description="Every activity, stage change, history event, next step and contact of `merge_lead_id` moves to "
    "this lead, which keeps its own fields and fills its empty ones (name, company, business_domain, contact, "
    "attribute keys) from the other; its version goes up and its history records the merge. The other lead "
    "stays as a tombstone: its routes answer 410 with `merged_into`, and it is left out of lists, searches, "
    "counts and duplicate checks. Merging a lead into itself is a 422.",
)
async def merge_leads(lead_id: LeadId, body: MergeIn, uow: Uow, services: Svc, actor: Caller) -> LeadOut:
    result = await merge_svc.merge_leads(
        uow,
        services,
        actor,
        lead_id,
        body.merge_lead_id,
        expected_version=body.expected_version,
        other_version=body.merge_lead_version,
    )
    return _out(result.lead, services)


@router.patch(
    "/{lead_id}/stage",
    response_model=LeadOut,
    responses={
        **_NOT_FOUND,
        400: {"model": ErrorOut, "description": "Invalid stage transition or transfer conditions not met"},
    },
    summary="Move the lead in the funnel (transfer creates a sale)",
)
async def change_stage(lead_id: LeadId, body: StageUpdate, uow: Uow, services: Svc, actor: Caller) -> LeadOut:
    result = await svc.change_stage(
        uow, services, actor, lead_id, body.stage, reason=body.reason, reason_code=body.reason_code
    )
    return _out(result.lead, services)


@router.post("/{lead_id}/analyze", response_model=LeadOut, responses=_NOT_FOUND, summary="Score the lead and store it")
async def analyze(lead_id: LeadId, uow: Uow, services: Svc, actor: Caller) -> LeadOut:
    return _out(await svc.analyze(uow, services, actor, lead_id), services)


@router.post(
    "/{lead_id}/activities",
    response_model=ActivityOut,
    status_code=status.HTTP_201_CREATED,
    responses=_NOT_FOUND,
    summary="Log a call, message, meeting, e-mail or note",
)
async def log_activity(lead_id: LeadId, body: ActivityCreate, uow: Uow, services: Svc, actor: Caller) -> ActivityOut:
    _, activity = await svc.log_activity(
        uow,
        services,
        actor,
        lead_id,
        kind=body.kind.value,
        text=body.text,
        outcome=body.outcome.value if body.outcome else None,
    )
    return ActivityOut.model_validate(activity)


@router.get(
    "/{lead_id}/activities", response_model=ActivityListOut, responses=_NOT_FOUND, summary="Activities, newest first"
)
async def list_activities(lead_id: LeadId, uow: Uow, actor: Caller, limit: Limit = 50) -> ActivityListOut:
    items = await svc.list_activities(uow, actor, lead_id, limit=limit)
    return ActivityListOut(items=[ActivityOut.model_validate(a) for a in items])


@router.get(
    "/{lead_id}/history",
    response_model=StageChangeListOut,
    responses=_NOT_FOUND,
    summary="Stage changes (items) and assignments and other events (events), newest first",
)
async def stage_history(lead_id: LeadId, uow: Uow, actor: Caller, limit: Limit = 50) -> StageChangeListOut:
    items = await svc.stage_history(uow, actor, lead_id, limit=limit)
    events = await svc.lead_events(uow, actor, lead_id, limit=limit)
    return StageChangeListOut(
        items=[StageChangeOut.model_validate(c) for c in items],
        events=[LeadEventOut.model_validate(e) for e in events],
    )
