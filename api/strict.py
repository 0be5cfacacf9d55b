"""Unknown query parameters are refused like unknown body fields: a 422 naming the parameter, on every route
(``create_app`` adds :func:`reject_unknown_query` as an app-wide dependency). A typo such as ``?stgae=new``
would otherwise list every lead as if no filter had been asked for."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

_KNOWN: dict[int, frozenset[str]] = {}  # id(route) -> the query parameters it declares (routes live as long)


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters of a route's handler and of every dependency it has, however deep."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared(route: APIRoute) -> frozenset[str]:
    known = _KNOWN.get(id(route))
    if known is None:
        known = _KNOWN[id(route)] = frozenset(_query_names(route.dependant))
    return known


async def reject_unknown_query(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in _declared(route)]
    if unknown:
        raise RequestValidationError(
            [
                {"type": "extra_forbidden", "loc": ("query", name), "msg": "Extra inputs are not permitted"}
                for name in unknown
            ]
        )
