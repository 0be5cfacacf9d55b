"""The board's error contract (BOARD_API.md): every refusal is ``{"detail": <text>, "code": <machine code>}``,
the text in the user's language from the bot's catalogue (``bot.render.error_text``, so it reads as in the
chat), never HTML. ``BoardRoute`` wraps each board route: texts for the request (``api.board.i18n``), then
domain errors, bad input and failed authentication become those answers. Anything else (the database not
answering) goes on to the app's handlers (``api.errors``: 503)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

import bot.render as render
from api.board.auth import NotAuthenticated
from api.board.i18n import use_request_texts
from api.errors import _describe
from core.domain.errors import (
    AccessDenied,
    DomainError,
    DuplicateLead,
    InvalidTransition,
    InvalidValue,
    LeadIsFinal,
    LeadMerged,
    NotFound,
    StaleState,
    TransferBlock,
    TransferNotAllowed,
)

_TAG = re.compile(r"<[^>]+>")


def text_of(markup: str) -> str:
    """The bot's HTML text as plain text (the board inserts every string as text, never as HTML)."""
    return html.unescape(_TAG.sub("", markup))


class BoardRefusal(Exception):
    """A refusal worded by the board itself (already translated): ``status``, ``code``, ``detail``."""

    def __init__(self, status_code: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.code = code
        self.detail = detail
        self.extra = extra


def offers(err: TransferNotAllowed) -> list[str]:
    """What the bot offers beside a refused transfer: Analyze for a missing or low score, Set domain."""
    found = []
    if TransferBlock.NO_SCORE in err.blocks or TransferBlock.LOW_SCORE in err.blocks:
        found.append("analyze")
    if TransferBlock.NO_DOMAIN in err.blocks:
        found.append("set_domain")
    return found


_DOMAIN: tuple[tuple[type[DomainError], int, str], ...] = (
    (LeadMerged, status.HTTP_410_GONE, "gone"),
    (StaleState, status.HTTP_409_CONFLICT, "stale"),
    (NotFound, status.HTTP_404_NOT_FOUND, "not_found"),
    (AccessDenied, status.HTTP_403_FORBIDDEN, "forbidden"),
    (TransferNotAllowed, status.HTTP_409_CONFLICT, "transfer_refused"),
    (InvalidTransition, status.HTTP_409_CONFLICT, "invalid_transition"),
    (LeadIsFinal, status.HTTP_409_CONFLICT, "final"),
    (InvalidValue, status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid"),
    (DuplicateLead, status.HTTP_409_CONFLICT, "duplicate"),
)


def domain_answer(err: DomainError) -> JSONResponse:
    body: dict[str, Any] = {"detail": text_of(render.error_text(err)), "code": "refused"}
    code = status.HTTP_409_CONFLICT
    for cls, http_status, name in _DOMAIN:
        if isinstance(err, cls):
            code, body["code"] = http_status, name
            break
    if isinstance(err, TransferNotAllowed):
        body["detail"] = text_of(render.transfer_refused(err))
        body.update(blocks=[b.value for b in err.blocks], offers=offers(err))
    elif isinstance(err, LeadMerged):
        body["merged_into"] = err.merged_into
    return JSONResponse(body, status_code=code)


def _invalid(err: RequestValidationError, request: Request) -> JSONResponse:
    content_type = request.headers.get("content-type", "")
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in err.errors()
    ]
    detail = "; ".join(dict.fromkeys(_describe(e, content_type) for e in err.errors())) or "invalid request"
    return JSONResponse(
        {"detail": detail, "code": "invalid", "errors": errors}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


class BoardRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def board_handler(request: Request) -> Response:
            with use_request_texts():
                try:
                    response = await handle(request)
                except NotAuthenticated as err:
                    return JSONResponse(
                        {"detail": err.message, "code": "auth"},
                        status_code=status.HTTP_401_UNAUTHORIZED,
                        headers={"WWW-Authenticate": "tma"},
                    )
                except BoardRefusal as err:
                    return JSONResponse(
                        {"detail": err.detail, "code": err.code, **err.extra}, status_code=err.status_code
                    )
                except DomainError as err:
                    return domain_answer(err)
                except RequestValidationError as err:
                    return _invalid(err, request)
            response.headers["Cache-Control"] = "no-store"
            return response

        return board_handler
