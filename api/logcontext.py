"""The API's part of the log context (``core.logcontext``): every line logged while a request is handled names
its route (``POST /leads/{lead_id}/stage``, the template, never the query) and the lead in its path. An app-wide
dependency (``create_app``): it runs in the request's own task, so the fields end with the request."""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import APIRoute

from core import logcontext


async def bind_request(request: Request) -> None:
    route = request.scope.get("route")
    template = route.path if isinstance(route, APIRoute) else request.url.path
    lead = str(request.path_params.get("lead_id", ""))  # still the path's text: validated later by the route
    lead_id = int(lead) if lead.isdecimal() and len(lead) <= 18 else None
    logcontext.bind(route=f"{request.method} {template}", lead_id=lead_id)
