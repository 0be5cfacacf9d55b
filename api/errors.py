"""All error mapping of the API in one place. Every error body is ``{"detail": "<message>"}``; the message
of a domain error is worded by ``api.words.describe``.

- ``LeadNotFound`` / ``SaleNotFound`` / ``NotFound``                       -> 404
- ``InvalidTransition`` / ``TransferNotAllowed`` / ``LeadIsFinal``          -> 400 (the original contract)
- ``InvalidValue`` and request validation (schemas, path/query parameters) -> 422 (the field is named)
- ``IdempotencyKeyReused`` -> 422 (as the IETF Idempotency-Key draft says)
- ``AccessDenied`` -> 403, ``StaleState`` -> 409, any other ``DomainError`` -> 400
- ``LeadMerged`` -> 410 with ``merged_into`` (every ``/leads/{id}...`` route of a merged lead)
- ``MergeRefused`` -> 409 (already merged, transferred), 422 (the same lead)
- ``DuplicateLead`` -> 409 with ``existing_lead_id``, ``kind``, ``normal`` (unless ``allow_duplicate``)
- the database not answering (in DB_CONNECT_TIMEOUT / DB_STATEMENT_TIMEOUT), busy, or not migrated -> 503
- a body above the size limit                                                -> 413
- a method the path does not have -> 405 with ``Allow``: every method of every route on that path
Validation errors also carry ``errors``: the list of ``{loc, msg, type}`` (input values are not echoed).
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.words import describe
from core.domain.errors import (
    AccessDenied,
    DomainError,
    DuplicateLead,
    IdempotencyKeyReused,
    InvalidTransition,
    InvalidValue,
    LeadIsFinal,
    LeadMerged,
    MergeBlock,
    MergeRefused,
    NotFound,
    StaleState,
    TransferNotAllowed,
)

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (LeadMerged, status.HTTP_410_GONE),
    (MergeRefused, status.HTTP_409_CONFLICT),
    (DuplicateLead, status.HTTP_409_CONFLICT),
    (NotFound, status.HTTP_404_NOT_FOUND),  # LeadNotFound, SaleNotFound
    (InvalidTransition, status.HTTP_400_BAD_REQUEST),
    (TransferNotAllowed, status.HTTP_400_BAD_REQUEST),
    (LeadIsFinal, status.HTTP_400_BAD_REQUEST),
    (InvalidValue, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (IdempotencyKeyReused, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (AccessDenied, status.HTTP_403_FORBIDDEN),
    (StaleState, status.HTTP_409_CONFLICT),
)


def status_for(err: DomainError) -> int:
    if isinstance(err, MergeRefused) and err.block == MergeBlock.SAME_LEAD:
        return status.HTTP_422_UNPROCESSABLE_CONTENT  # the request names one lead twice
    for cls, code in _STATUS:
        if isinstance(err, cls):
            return code
    return status.HTTP_400_BAD_REQUEST


async def _domain_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, DomainError)
    body: dict[str, object] = {"detail": describe(err)}
    if isinstance(err, LeadMerged):  # api.schemas.MergedOut
        body["merged_into"] = err.merged_into
    elif isinstance(err, DuplicateLead):  # api.schemas.DuplicateOut
        body.update(existing_lead_id=err.lead_id, kind=err.kind, normal=err.normal)
    return JSONResponse(body, status_code=status_for(err))


# What a body that is not a JSON object fails with (FastAPI reads a body as JSON only when the Content-Type
# says so; otherwise the model gets bytes or a string).
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})


def _describe(error: dict, content_type: str = "application/json") -> str:
    loc = [str(part) for part in error.get("loc", ())]
    where = ".".join(loc[1:] if len(loc) > 1 and loc[0] in ("body", "query", "path", "header") else loc)
    msg = str(error.get("msg", "invalid value"))
    if error.get("type") == "missing" and loc == ["body"]:
        return "the request body is missing: send a JSON object"
    if loc == ["body"] and error.get("type") in _NOT_AN_OBJECT:
        if "json" not in content_type.lower():
            sent = f"Content-Type {content_type}" if content_type else "no Content-Type"
            return f"the body must be a JSON object sent with Content-Type: application/json (got {sent})"
        return "the body must be a JSON object"
    if error.get("type") == "extra_forbidden":
        msg = "unknown query parameter" if loc[:1] == ["query"] else "unknown field"
    elif error.get("type") == "json_invalid":
        msg = "the body is not valid JSON" + (f" ({error['ctx'].get('error')})" if error.get("ctx") else "")
        where = ""
    return f"{where}: {msg}" if where else msg


async def _validation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in err.errors()
    ]
    content_type = request.headers.get("content-type", "")
    detail = "; ".join(dict.fromkeys(_describe(e, content_type) for e in err.errors())) or "invalid request"
    return JSONResponse({"detail": detail, "errors": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


UNDEFINED_TABLE = "42P01"
QUERY_CANCELED = "57014"  # statement_timeout (DB_STATEMENT_TIMEOUT) passed, e.g. waiting for a row lock


async def _database_unavailable(request: Request, err: Exception) -> JSONResponse:
    if isinstance(err, DBAPIError) and getattr(err.orig, "sqlstate", None) == UNDEFINED_TABLE:
        log.error("the database has no CRM tables: run `leadcrm migrate` (%s)", err.orig)
        return JSONResponse(
            {"detail": "The database is not migrated yet; the operator must run `leadcrm migrate`"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    if isinstance(err, DBAPIError) and getattr(err.orig, "sqlstate", None) == QUERY_CANCELED:
        log.warning("statement timeout during %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": "Database busy, try again later"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    if isinstance(err, DBAPIError) and not err.connection_invalidated and not _is_connection_error(err):
        raise err  # a real bug: let it surface as a 500 with a traceback in the log
    log.warning("database unavailable during %s %s: %s", request.method, request.url.path, type(err).__name__)
    return JSONResponse(
        {"detail": "Database unavailable, try again later"}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE
    )


async def _data_error(request: Request, err: Exception) -> JSONResponse:
    """PostgreSQL refused a value (class 22: out of range, bad encoding). The schemas should have caught it
    first; this is the safety net that keeps such input a 4xx instead of a 500."""
    log.warning("database refused a value during %s %s: %s", request.method, request.url.path, err)
    return JSONResponse(
        {"detail": "A value is out of range or not storable"}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


def _is_connection_error(err: DBAPIError) -> bool:
    orig = getattr(err, "orig", None)
    return isinstance(orig, OSError) or isinstance(getattr(orig, "__cause__", None), OSError)


class BodySizeLimit:
    """413 with the JSON ``{"detail": …}`` of every error when the body is above ``limit``: at once when
    Content-Length says so; a chunked body (no Content-Length) is read up to the limit first and replayed to
    the app, so it gets the same JSON answer. The one body limit of the app (FastAPI's own ``max_body_size``
    would answer ``text/plain``, and a second check per request). Bodies are small here (≤ 1 MB), so buffering
    one costs little."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"Request body too large: at most {self.limit:,} bytes"},
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if length is not None:
            if not length.isdigit() or int(length) > self.limit:
                await self._too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _http_error(request: Request, err: Exception) -> Response:
    """FastAPI's own answer, except that a 405's ``Allow`` lists the methods of *all* routes on the path
    (Starlette names only those of the first route that matched it: ``GET`` for ``/leads/{id}``)."""
    assert isinstance(err, StarletteHTTPException)
    if err.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        path = request.url.path
        allowed = sorted(
            {m for regex, methods in request.app.state.route_methods if regex.match(path) for m in methods}
        )
        if allowed:
            err = StarletteHTTPException(err.status_code, err.detail, headers={"Allow": ", ".join(allowed)})
    return await http_exception_handler(request, err)


def route_methods(*routers: APIRouter) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each route's path pattern and methods, for the ``Allow`` of a 405 (``app.state.route_methods``)."""
    return [
        (route.path_regex, frozenset(route.methods or ()))
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OSError, _database_unavailable)  # connection refused / reset
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(DBAPIError, _database_unavailable)
