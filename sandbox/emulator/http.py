"""The HTTP side of the emulator: ``/bot<token>/<method>`` on 127.0.0.1, the request decoded as Telegram does
(JSON body, query string or form fields), the answer in Telegram's JSON shape, and a record of every call."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.emulator.faults import Dropped, Faults, RawAnswer
from sandbox.emulator.methods import BotApiMethods
from sandbox.emulator.models import ApiError, Call, UploadedFile
from sandbox.emulator.state import ChatState

log = logging.getLogger(__name__)

# Fields that stay strings even when they look like JSON (aiogram sends every field as a form string).
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "description",
        "short_description",
        "name",
        "language_code",
        "action",
        "business_connection_id",
        "message_effect_id",
        "title",
        "query_id",
        "secret_token",
        "ip_address",
        "emoji",
        "custom_emoji_id",
    }
)


def decode_field(key: str, value: str) -> Any:
    """A form or query field: JSON-decoded unless it is one of the string fields (or not JSON)."""
    if key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except (ValueError, TypeError):
        return value


async def read_params(request: web.Request) -> dict[str, Any]:
    """The method's parameters; raises ValueError when the body cannot be parsed."""
    params: dict[str, Any] = {}
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
        return params
    for key, value in request.query.items():
        params[key] = decode_field(key, value)
    if request.can_read_body:
        form = await request.post()
        for key, field in form.items():
            if isinstance(field, str):
                params[key] = decode_field(key, field)
            elif isinstance(field, web.FileField):  # kept whole, for sendPhoto / sendDocument / attach://
                params[key] = UploadedFile(str(field.filename or key), str(field.content_type), field.file.read())
            else:
                params[key] = UploadedFile(key, "application/octet-stream", bytes(field))
    return params


def error_response(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


class BotApiHttp:
    """Serves the methods over HTTP and records each call in ``calls`` (``listeners`` hear every finished one).

    ``in_flight`` counts calls other than getUpdates still being answered and ``last_call_at`` is when such a
    call last arrived or finished: together they tell when the bot has gone quiet."""

    def __init__(self, *, token: str, state: ChatState, methods: BotApiMethods, faults: Faults) -> None:
        self.token = token
        self.state = state
        self.methods = methods
        self.faults = faults
        self.calls: list[Call] = []
        self.listeners: list[Callable[[Call], None]] = []  # called with every finished call, ok or not
        self.in_flight = 0
        self.last_call_at = time.monotonic()
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> str:
        """Listen on ``host:port`` (0: any free port); returns the base url."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        addresses = self._runner.addresses  # the bound sockets' names: (host, port, ...)
        assert addresses
        bound_port = addresses[0][1]
        return f"http://{host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.Request) -> web.Response:
        method_name = request.match_info["method"]
        try:
            params = await read_params(request)
        except ValueError:
            return error_response(400, "Bad Request: can't parse request body")

        call = Call(method=method_name, params=params, ok=False, index=len(self.calls))
        self.calls.append(call)
        is_poll = method_name.lower() == "getupdates"
        if not is_poll:
            self.in_flight += 1
            self.last_call_at = time.monotonic()
        self.state.notify()
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            await self.faults.apply(method_name)
            result = await self.methods.call(method_name, params)
            call.ok, call.status, call.result = True, 200, result
        except ApiError as error:
            call.status, call.description = error.status, error.description
            if 300 <= error.status < 400:  # a redirect fault: back to the same URL (each hop is one call)
                return web.Response(status=error.status, headers={"Location": str(request.url)})
            return error_response(error.status, error.description, error.retry_after)
        except Dropped:  # an injected dropped connection: no answer at all (aiohttp's client: ServerDisconnectedError)
            call.status, call.description = 0, "connection dropped"
            if request.transport is not None:
                request.transport.abort()
            return web.Response()  # never written: the transport is gone
        except RawAnswer as raw:  # an injected answer that is not Telegram's JSON (faults.py)
            call.status, call.description = raw.status, raw.body.decode(errors="replace")[:200]
            return web.Response(status=raw.status, body=raw.body, content_type=raw.content_type, charset="utf-8")
        except Exception:  # the emulator must answer something Telegram-shaped, and say why in the log
            log.exception("emulator failed on %s", method_name)
            call.status, call.description = 500, "Internal Server Error"
            return error_response(500, "Internal Server Error")
        finally:
            call.done = True
            if not is_poll:
                self.in_flight -= 1
                self.last_call_at = time.monotonic()
            self.state.notify()
            for listener in list(self.listeners):
                try:
                    listener(call)
                except Exception:  # a listener's bug must not break the Bot API answer
                    log.exception("emulator listener failed on %s", method_name)
        return web.json_response({"ok": True, "result": result})
