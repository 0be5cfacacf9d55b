"""The board's texts come from the bot's gettext catalogue (``bot.i18n``), so a refusal reads the same in the
Mini App as in the chat. ``use_request_texts`` sets the catalogue and a default language for one request;
``set_locale`` (called once the user is known) switches it to theirs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from bot.i18n import DEFAULT_LOCALE, make_i18n
from bot.i18n import pick_locale as pick_locale
from bot.render.clock import Viewer, reset_viewer, set_viewer

_UTC = Viewer(ZoneInfo("UTC"))


def set_locale(locale: str) -> None:
    make_i18n().ctx_locale.set(locale)


@contextmanager
def use_request_texts(locale: str = DEFAULT_LOCALE) -> Iterator[None]:
    """The catalogue in ``locale`` and times in UTC until the request's user is known; everything set inside
    (the user's language, zone) is undone on exit."""
    i18n = make_i18n()
    current = i18n.set_current(i18n)
    locale_token = i18n.ctx_locale.set(locale)
    viewer_token = set_viewer(_UTC)
    try:
        yield
    finally:
        reset_viewer(viewer_token)
        i18n.ctx_locale.reset(locale_token)
        i18n.reset_current(current)
