"""``GET /health``: open (no API key); 200 when the database answers ``SELECT 1``, else 503."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.deps import get_uow
from api.schemas import HealthOut, error_responses
from core.services.health import database_answers
from core.services.ports import UnitOfWork

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    # 413 and 422 (an unknown query parameter) are written by the app-wide checks, 503 by this route
    responses={**error_responses(413), 503: {"model": HealthOut, "description": "Database unavailable"}},
)
async def health(uow: Annotated[UnitOfWork, Depends(get_uow)]) -> JSONResponse:
    if await database_answers(uow):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable"}, status_code=503)
