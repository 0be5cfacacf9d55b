"""The bot's HTTP session to the Bot API: aiogram's AiohttpSession, with calls sent as JSON bodies.

aiogram sends every call as an urlencoded form (each nested value JSON-encoded, then percent-encoded: a
Russian lead card is mostly ``%D0%9A``-style escapes). The Bot API accepts ``application/json`` as well; a
call without files is sent as one JSON document instead. Calls with files keep aiogram's multipart form.
Answers are aiogram's own: ``check_response`` parses them into the result the method declares (an edit
returns the edited ``Message``) and raises its exceptions (429 retry_after, "message is not modified", 5xx),
except that a getUpdates batch is parsed one update at a time (``bot.updates``): one that does not parse is
skipped and logged, and the next getUpdates confirms it, so it cannot stall polling.

What it saves (measured on the README's benchmark machine, a 2 vCPU Xeon): building the body of a lead card
edit (2.3 kB of JSON against 3.0 kB of form) takes 0.06 ms instead of 0.20 ms (best of 7 timeit runs; 0.19
against 0.64 ms with the machine loaded), once per card sent or edited (about one per update): some 3 % of
the bot's CPU per update in ``bench/bot.py`` (5.4 ms), up to 8 % under load. The README's "### Bot"
section lists what each remaining trick saves.

What an aiogram upgrade could break (keep aiogram pinned to the minor series it is tested with, 3.31): this leans on
``AiohttpSession.create_session`` / ``api.api_url`` / ``timeout`` / ``json_dumps`` and on
``BaseSession.prepare_value(value, bot=, files=, _dumps_json=)`` and ``check_response``, none of them
documented as public API, and on aiogram's polling reusing one ``GetUpdates`` whose ``offset`` it moves past
each update it hands out (``Dispatcher._listen_updates``; tests/bot/test_bad_updates.py shows a change).
``tests/bot/test_session.py`` compares the JSON body with aiogram's own form field by field for every method
the bot uses, so a change in what aiogram sends shows there.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import GetUpdates
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Update
from aiohttp import ClientError, ClientTimeout

from bot.updates import next_offset, parse_updates

if TYPE_CHECKING:
    from aiogram.client.bot import Bot
    from aiogram.methods import TelegramMethod

JSON_HEADERS = {"Content-Type": "application/json"}


class BotSession(AiohttpSession):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # After a batch whose last updates did not parse: (the offset aiogram's polling asks with once it has
        # handed out the rest, the offset that also confirms the skipped ones). See ``check_response``.
        self._skip_to: tuple[int | None, int] | None = None

    def build_json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call as a JSON document, or None when it uploads files (then aiogram's form is used)."""
        files: dict[str, Any] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():  # None is never sent
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is None or prepared == "":  # as the form: empty values are not sent
                continue
            body[key] = prepared
        if files:
            return None
        return self.json_dumps(body).encode()

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        """``AiohttpSession.make_request`` with the JSON body instead of the form; the same errors and result."""
        if isinstance(method, GetUpdates):
            self._confirm_skipped(method)
        body = self.build_json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=JSON_HEADERS,
                # what aiohttp builds from a bare number of seconds
                timeout=ClientTimeout(total=self.timeout if timeout is None else timeout),
            ) as resp:
                raw_result = await resp.text()
                status = resp.status
        except TimeoutError as e:
            raise TelegramNetworkError(method=method, message="Request timeout error") from e
        except ClientError as e:
            raise TelegramNetworkError(method=method, message=f"{type(e).__name__}: {e}") from e
        response = self.check_response(bot=bot, method=method, status_code=status, content=raw_result)
        return cast(TelegramType, response.result)

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        """aiogram's, but a getUpdates batch is parsed one update at a time (bot.updates): one that does not
        parse is logged and skipped instead of failing the whole batch, which polling would fetch again and
        again. Anything else, and a getUpdates answer that is not a successful list, is aiogram's as it was."""
        batch = self._updates(bot, method, status_code, content) if isinstance(method, GetUpdates) else None
        if batch is None:
            return super().check_response(bot=bot, method=method, status_code=status_code, content=content)
        return cast(Response[TelegramType], batch)

    def _updates(self, bot: Bot, method: GetUpdates, status_code: int, content: str) -> Response[list[Update]] | None:
        """A successful getUpdates answer's updates that parse, or None to leave the answer to aiogram."""
        if not HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            return None
        try:
            data = self.json_loads(content)
        except Exception:  # aiogram's own check turns it into its ClientDecodeError
            return None
        if not (isinstance(data, dict) and data.get("ok") is True and isinstance(data.get("result"), list)):
            return None
        raw = data["result"]
        updates = parse_updates(raw, bot=bot)
        if len(updates) < len(raw):
            # Polling moves its offset past each update it hands out; past skipped ones at the batch's end it
            # cannot, so the next getUpdates (``make_request``) moves it, or they would come back for ever.
            handed_out_to = updates[-1].update_id + 1 if updates else method.offset
            confirm_to = next_offset(raw)
            if confirm_to is not None and (handed_out_to is None or confirm_to > handed_out_to):
                self._skip_to = (handed_out_to, confirm_to)
        return Response[list[Update]](ok=True, result=updates)

    def _confirm_skipped(self, method: GetUpdates) -> None:
        """Ask past the updates skipped at the end of the last batch, once polling has handed out the rest
        (its offset is where it stood after them; a different offset, e.g. polling started again, keeps it)."""
        if self._skip_to is None:
            return
        handed_out_to, confirm_to = self._skip_to
        self._skip_to = None
        if method.offset == handed_out_to:
            method.offset = confirm_to
