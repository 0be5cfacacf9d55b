"""The gettext catalogues: every text in the bot code is in both catalogues, every msgid has a Russian
translation with the same placeholders, and the committed .mo files match their .po files."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import LOCALES, LOCALES_DIR, make_i18n, pick_locale

BOT_DIR = LOCALES_DIR.parent
KEYWORDS = {"_": None, "__": None, "N_": None, "t": None}
SOURCES = (
    "app.py",
    "render",
    "keyboards.py",
    "owner_keyboards.py",
    "step_keyboards.py",
    "contact_keyboards.py",
    "deal_keyboards.py",
    "activity_keyboards.py",
    "confirm_keyboards.py",
    "i18n.py",
    "screens.py",
    "routers",
    "middlewares",
)
PLACEHOLDER = re.compile(r"\{[a-z_]*(?::[^}]*)?\}")


def _in_scope(path: str) -> bool:
    return any(path == s or path.startswith(s + "/") for s in SOURCES)


def _code_msgids() -> set[str]:
    found = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        BOT_DIR, method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if _in_scope(filename):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _po(locale: str):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_in_the_code_is_in_the_catalogue(locale: str) -> None:
    in_po = {m.id for m in _po(locale) if m.id}
    missing = _code_msgids() - in_po
    assert not missing, f"run pybabel extract/update (see bot/i18n.py); missing in {locale}: {sorted(missing)}"


def test_every_msgid_has_a_russian_translation_with_the_same_placeholders() -> None:
    for message in _po("ru"):
        if not message.id:
            continue
        assert message.string, f"no Russian for {message.id!r}"
        assert not message.fuzzy, f"fuzzy Russian for {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), message.id


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_mo_matches_the_po(locale: str) -> None:
    po = _po(locale)
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        mo = read_mo(fh)
    expected = {m.id: m.string for m in po if m.id and m.string}
    compiled = {m.id: m.string for m in mo if m.id}
    assert compiled == expected, "run: pybabel compile -d bot/locales -D messages"


def test_texts_are_translated_at_run_time() -> None:
    i18n = make_i18n()
    assert i18n.gettext("Qualified", locale="ru") == "Квалифицирован"
    assert i18n.gettext("Qualified", locale="en") == "Qualified"


@pytest.mark.parametrize(
    ("code", "locale"),
    [
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN_us", "en"),
        ("de", "ru"),
        (None, "ru"),
        ("", "ru"),
    ],
)
def test_the_users_telegram_language_picks_the_locale_with_russian_by_default(code, locale) -> None:
    assert pick_locale(code) == locale


async def test_the_locale_middleware_sets_the_locale_for_the_handler_and_restores_it() -> None:
    from aiogram.types import User as TgUser
    from aiogram.utils.i18n import I18n

    from bot.i18n import LocaleMiddleware, _

    i18n = make_i18n()
    middleware = LocaleMiddleware(i18n)
    seen = []

    async def handler(event, data):
        seen.append((I18n.get_current(no_error=True) is i18n, i18n.current_locale, _("Cancelled."), data["locale"]))
        if data.get("fail"):
            raise RuntimeError("boom")
        return "done"

    before = (I18n.get_current(no_error=True), i18n.current_locale)
    user = TgUser(id=1, is_bot=False, first_name="A", language_code="en-GB")
    assert await middleware(handler, object(), {"event_from_user": user}) == "done"  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await middleware(handler, object(), {"event_from_user": None, "fail": True})  # type: ignore[arg-type]
    assert seen == [(True, "en", "Cancelled.", "en"), (True, "ru", seen[1][2], "ru")]
    assert seen[1][2] != "Cancelled."  # Russian
    assert (I18n.get_current(no_error=True), i18n.current_locale) == before
