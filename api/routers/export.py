"""``GET /leads/export``: leads with their deal as CSV (UTF-8 with BOM) or XLSX, by stage, owner, source and
creation days (``from``..``to`` inclusive, local to ``tz``, default DEFAULT_TIMEZONE).

The export is written batch by batch to a temporary file (``core.services.export``), then streamed from it and
the file removed: memory does not grow with the number of rows. Included before ``/leads/{lead_id}`` so that
"export" is not read as an id."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from datetime import date
from typing import Annotated, BinaryIO, cast

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.deps import get_services, get_uow, require_api_key
from api.schemas import error_responses
from core.domain.clock import utcnow
from core.domain.dates import zone
from core.domain.enums import Source, Stage
from core.domain.ids import BIGINT_MAX, BIGINT_MIN
from core.domain.models import Actor
from core.domain.periods import day_bounds
from core.services import export as svc
from core.services.context import Services
from core.services.ports import ExportFilter, UnitOfWork

router = APIRouter(
    prefix="/leads",
    tags=["leads"],
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 403, 413, 429, 503),
)

Uow = Annotated[UnitOfWork, Depends(get_uow)]
Caller = Annotated[Actor, Depends(require_api_key)]
Svc = Annotated[Services, Depends(get_services)]


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@router.get(
    "/export",
    response_class=FileResponse,
    summary="Export leads (with their deal) as CSV or XLSX, streamed",
    responses={
        200: {
            "description": "The file (Content-Disposition: attachment)",
            "content": {svc.MEDIA_TYPES[f].split(";")[0]: {} for f in svc.ExportFormat},
        }
    },
)
async def export_leads(
    uow: Uow,
    services: Svc,
    actor: Caller,
    fmt: Annotated[
        svc.ExportFormat, Query(alias="format", description="csv (UTF-8 with BOM) or xlsx")
    ] = svc.ExportFormat.CSV,
    stage: Stage | None = None,
    owner_id: Annotated[int | None, Query(ge=BIGINT_MIN, le=BIGINT_MAX)] = None,
    source: Source | None = None,
    first: Annotated[date | None, Query(alias="from", description="Created on or after this local day")] = None,
    last: Annotated[date | None, Query(alias="to", description="Created on or before this local day")] = None,
    tz: Annotated[str | None, Query(max_length=64, description="IANA zone of the days and the times")] = None,
) -> FileResponse:
    tzinfo = zone(tz, services.policy.default_timezone)
    start, end = day_bounds(first, last, tzinfo)
    flt = ExportFilter(stage=stage, owner_id=owner_id, source=source, created_from=start, created_to=end)
    handle = await asyncio.to_thread(tempfile.NamedTemporaryFile, suffix=f".{fmt.value}", delete=False)
    try:
        await svc.export_leads(uow, actor, flt, fmt, cast(BinaryIO, handle), tz=tzinfo)
        await asyncio.to_thread(handle.close)
    except BaseException:
        await asyncio.to_thread(handle.close)
        _remove(handle.name)
        raise
    name = f"leads-{utcnow().astimezone(tzinfo):%Y-%m-%d}.{fmt.value}"
    return FileResponse(
        handle.name, media_type=svc.MEDIA_TYPES[fmt], filename=name, background=BackgroundTask(_remove, handle.name)
    )
