"""``GET /metrics``: Prometheus' text format (open, like /health: publish it on the internal network only). The
API's request latencies by route template and status, scoring times, this process's pool in use, and the
deployment's backlog (updates not applied, notifications not sent, and their ages) read from the database."""

from __future__ import annotations

from time import perf_counter

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.metrics import API_SECONDS, CONTENT_TYPE, exposition
from core.storage.db import pool_in_use
from core.storage.uow import SqlUnitOfWork

router = APIRouter(tags=["health"])
METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"})


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    factory = request.app.state.session_factory
    uow = SqlUnitOfWork(factory) if factory is not None else None
    in_use = pool_in_use(factory) if factory is not None else None
    body = await request.app.state.recent_backlog.get(lambda: exposition(uow, in_use))
    return Response(body, media_type=CONTENT_TYPE)


class RequestMetrics:
    """Times every HTTP request into ``leadcrm_api_request_seconds`` (pure ASGI: no per-request objects beyond a
    closure). The route is its template (``/leads/{lead_id}``); a path no route matched is "unmatched", so a
    scan of random URLs cannot grow the label set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "OTHER"  # a client names it: bounded
            API_SECONDS.labels(method, template, str(status)).observe(perf_counter() - started)
