"""The pipeline board (the Mini App served by the API at ``/app/``) from the bot's side: with ``WEBAPP_URL`` set,
the bot's menu button opens it (``set_menu_button``, at start-up) and a lead card shown in a private chat gets an
"Open board" button (Telegram refuses web_app buttons anywhere else). ``WebAppMiddleware`` makes the board's URL
known to the keyboards for the update when both hold; ``board_url()`` is None otherwise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, MenuButtonWebApp, TelegramObject, WebAppInfo

from bot.i18n import DEFAULT_LOCALE, N_, make_i18n

log = logging.getLogger(__name__)

_board_url: ContextVar[str | None] = ContextVar("board_url", default=None)


def board_url() -> str | None:
    """The board's URL for this update (a private chat, WEBAPP_URL set), else None."""
    return _board_url.get()


def lead_url(base: str, lead_id: int) -> str:
    """The board opened on one lead's detail (``?lead=<id>``; the fragment is Telegram's, for the initData)."""
    return f"{base}{'&' if '?' in base else '?'}lead={lead_id}"


def lead_button(lead_id: int) -> WebAppInfo | None:
    base = board_url()
    return WebAppInfo(url=lead_url(base, lead_id)) if base else None


class WebAppMiddleware(BaseMiddleware):
    def __init__(self, url: str | None) -> None:
        self.url = url

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        if not self.url or chat is None or chat.type != "private":
            return await handler(event, data)
        token = _board_url.set(self.url)
        try:
            return await handler(event, data)
        finally:
            _board_url.reset(token)


MENU_TEXT = N_("Pipeline")


async def set_menu_button(bot: Bot, url: str | None, locale: str = DEFAULT_LOCALE) -> bool:
    """Point the bot's menu button (every private chat's) at the board; nothing without WEBAPP_URL. A refusal
    (e.g. Telegram does not accept the URL) is logged, not fatal: the bot works without the board."""
    if not url:
        return False
    try:
        text = make_i18n().gettext(MENU_TEXT, locale=locale)  # one button for everyone: the team's language
        await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(text=text, web_app=WebAppInfo(url=url)))
    except TelegramAPIError as error:
        log.warning("could not set the menu button to the board: %s", error)
        return False
    return True
