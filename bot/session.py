"""The bot's HTTP session to the Bot API: aiogram's AiohttpSession, with calls sent as JSON bodies.

aiogram sends every call as an urlencoded form (each nested value JSON-encoded, then percent-encoded: a
Russian lead card is mostly ``%D0%9A``-style escapes). The Bot API accepts ``application/json`` as well; a
call without files is sent as one JSON document instead. Calls with files keep aiogram's multipart form.
Answers are aiogram's own: ``check_response`` parses them into the result the method declares (an edit
returns the edited ``Message``) and raises its exceptions (429 retry_after, "message is not modified", 5xx).
(Updates are not read through aiogram's polling: ``bot.inbox`` fetches them raw and parses each one alone.)

What it saves (measured on the README's benchmark machine, a 2 vCPU Xeon): building the body of a lead card
edit (2.3 kB of JSON against 3.0 kB of form) takes 0.06 ms instead of 0.20 ms (best of 7 timeit runs; 0.19
against 0.64 ms with the machine loaded), once per card sent or edited (about one per update): some 3 % of
the bot's CPU per update in ``bench/bot.py`` (5.4 ms), up to 8 % under load. The README's "### Bot"
section lists what each remaining trick saves.

What an aiogram upgrade could break (keep aiogram pinned to the minor series it is tested with, 3.31): this leans on
``AiohttpSession.create_session`` / ``api.api_url`` / ``timeout`` / ``json_dumps`` and on
``BaseSession.prepare_value(value, bot=, files=, _dumps_json=)`` and ``check_response``, none of them
documented as public API.
``tests/bot/test_session.py`` compares the JSON body with aiogram's own form field by field for every method
the bot uses, so a change in what aiogram sends shows there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods.base import TelegramType
from aiohttp import ClientError, ClientTimeout

if TYPE_CHECKING:
    from aiogram.client.bot import Bot
    from aiogram.methods import TelegramMethod

JSON_HEADERS = {"Content-Type": "application/json"}


class BotSession(AiohttpSession):
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
