"""``GET /health`` (liveness: the process serves; a constant, no database) and ``GET /ready`` (readiness: the
database answers and is migrated to head, Redis answers when configured, the outbox is not stuck; 503 with the
failing checks named). Both are open (no API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.deps import get_uow
from api.schemas import HealthOut, ReadyOut, error_responses
from core.services.health import Readiness, readiness
from core.services.ports import UnitOfWork

router = APIRouter(tags=["health"])
OK = b'{"status":"ok"}'  # liveness costs no work per call: no database, no serialisation


@router.get("/health", response_model=HealthOut, responses=error_responses(413))
async def health() -> Response:
    return Response(OK, media_type="application/json")


def _checks(state: Readiness) -> dict[str, str]:
    def word(value: bool | None, good: str, bad: str, unasked: str) -> str:
        return unasked if value is None else good if value else bad

    return {
        "database": "ok" if state.database else "unavailable",
        "schema": word(state.migrated, "ok", "not_migrated", "unknown"),
        "outbox": word(state.outbox, "ok", "stuck", "off" if state.database else "unknown"),
        "redis": word(state.redis, "ok", "unavailable", "not_configured"),
    }


@router.get(
    "/ready",
    response_model=ReadyOut,
    # 413 and 422 (an unknown query parameter) are written by the app-wide checks, 503 by this route
    responses={**error_responses(413), 503: {"model": ReadyOut, "description": "Not ready: the failing checks"}},
)
async def ready(request: Request, uow: Annotated[UnitOfWork, Depends(get_uow)]) -> JSONResponse:
    app = request.app

    async def check() -> Readiness:
        return await readiness(
            uow,
            head=app.state.schema_head,
            known=app.state.schema_known,
            outbox_max_wait_seconds=app.state.settings.ready_outbox_max_wait_seconds,
            redis_ping=app.state.redis_ping,
        )

    state = await app.state.recent_readiness.get(check)
    body = {
        "status": "ready" if state.ready else "unavailable",
        "checks": _checks(state),
        "outbox_wait_seconds": None if state.outbox_wait_seconds is None else round(state.outbox_wait_seconds, 1),
    }
    return JSONResponse(body, status_code=200 if state.ready else 503)
