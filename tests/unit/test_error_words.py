"""Domain errors carry data; the API (api/words.py) and the bot (bot/render/errors.py) word them."""

from __future__ import annotations

import pytest

from api.words import describe
from bot import render
from bot.i18n import make_i18n
from core.domain import validation
from core.domain.enums import Source
from core.domain.errors import (
    AccessDenied,
    AccessRule,
    ApiKeyNameTaken,
    ApiKeyNotFound,
    InvalidInvite,
    InvalidValue,
    InviteProblem,
    LeadIsFinal,
    Rule,
    StaleState,
)


@pytest.fixture(params=["ru", "en"])
def locale(request):
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(request.param):
        yield request.param


@pytest.mark.parametrize(
    ("call", "field", "rule", "facts"),
    [
        (lambda: validation.clean_name("n" * 201), "name", Rule.TOO_LONG, {"maximum": 200, "length": 201}),
        (lambda: validation.clean_contact("call me"), "contact", Rule.BAD_FORMAT, {}),
        (
            lambda: validation.parse_enum(Source, "cold", "source"),
            "source",
            Rule.NOT_ONE_OF,
            {"value": "cold", "allowed": ("scanner", "partner", "manual")},
        ),
        (
            lambda: validation.clean_domain("astro", frozenset({"saas", "fintech"})),
            "business_domain",
            Rule.NOT_IN_CATALOGUE,
            {"value": "astro", "allowed": ("fintech", "saas")},
        ),
        (
            lambda: validation.clean_attributes({"k": "v" * 501}),
            "attributes",
            Rule.TOO_LONG,
            {"key": "k", "maximum": 500},
        ),
        (lambda: validation.clean_attributes({"k": [1]}), "attributes", Rule.NOT_A_SCALAR, {"key": "k"}),
        # NUL (U+0000) cannot be stored by PostgreSQL: every text the product keeps refuses it, naming the field
        (lambda: validation.clean_name("Ann\x00"), "name", Rule.CONTROL_CHARACTERS, {}),
        (lambda: validation.clean_contact("+7 900\x00 123"), "contact", Rule.CONTROL_CHARACTERS, {}),
        (
            lambda: validation.clean_domain("saas\x00", frozenset({"saas"})),
            "business_domain",
            Rule.CONTROL_CHARACTERS,
            {},
        ),
        (lambda: validation.clean_text("a\x00b"), "text", Rule.CONTROL_CHARACTERS, {}),
        (lambda: validation.clean_reason("\x00"), "reason", Rule.CONTROL_CHARACTERS, {}),
        (lambda: validation.clean_attributes({"k\x00": 1}), "attributes", Rule.CONTROL_CHARACTERS, {"key": None}),
        (lambda: validation.clean_attributes({"k": "v\x00"}), "attributes", Rule.CONTROL_CHARACTERS, {"key": "k"}),
    ],
)
def test_validation_errors_name_the_field_the_rule_and_its_values(call, field, rule, facts) -> None:
    with pytest.raises(InvalidValue) as err:
        call()
    assert (err.value.field, err.value.rule) == (field, rule)
    assert {name: getattr(err.value, name) for name in facts} == facts


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (InvalidValue("name", Rule.TOO_LONG, maximum=200, length=201), "name: at most 200 characters (got 201)"),
        (InvalidValue("query", Rule.TOO_LONG, maximum=200), "query: at most 200 characters"),
        (InvalidValue("query", Rule.TOO_SHORT, minimum=2), "query: type at least 2 characters"),
        (InvalidValue("limit", Rule.OUT_OF_RANGE, minimum=1, maximum=200), "limit: must be between 1 and 200"),
        (
            InvalidValue("kind", Rule.NOT_ONE_OF, value="x", allowed=["call", "note"]),
            "kind: 'x' is not one of: call, note",
        ),
        (
            InvalidValue("contact", Rule.BAD_FORMAT),
            "contact: expected a phone number, an e-mail address or a Telegram @username",
        ),
        (InvalidValue("attributes", Rule.BAD_KEY, minimum=1, maximum=50), "attributes: keys must be 1..50 characters"),
        (InvalidValue("owner, stage", Rule.UNKNOWN_FIELDS), "owner, stage: cannot be changed here"),
        (InvalidValue("name", Rule.CONTROL_CHARACTERS), "name: must not contain NUL characters (U+0000)"),
        (
            InvalidValue("attributes", Rule.CONTROL_CHARACTERS, key="k"),
            "attributes: 'k': must not contain NUL characters (U+0000)",
        ),
        (
            ApiKeyNameTaken("intake", revoked=True),
            "name: an API key named 'intake' already exists (a revoked key keeps its name for the record); "
            "choose another name",
        ),
        (ApiKeyNotFound("intake"), "No API key named 'intake'"),
        (LeadIsFinal(7, "lost"), "Lead #7 is already 'lost'; it can no longer be changed"),
        (AccessDenied(AccessRule.ADMIN_ONLY), "Only an admin can do this"),
        (AccessDenied(), "You do not have access to this lead"),
        (StaleState(), "This card is out of date; it has been refreshed"),
        (InvalidInvite(InviteProblem.USED), "This invite link has already been used; ask an admin for a new one"),
    ],
)
def test_the_api_words_each_error_in_english(error, text) -> None:
    assert describe(error) == text


def test_the_developer_summary_is_data_not_a_sentence() -> None:
    assert str(InvalidValue("name", Rule.TOO_LONG, maximum=200, length=201)) == (
        "name: too_long (maximum=200, length=201)"
    )
    assert str(LeadIsFinal(7, "lost")) == "LeadIsFinal(lead_id=7, stage='lost')"


@pytest.mark.parametrize(
    ("error", "ru", "en"),
    [
        (
            InvalidValue("text", Rule.TOO_LONG, maximum=4000, length=4050),
            "не больше 4000 символов, у вас 4050",
            "at most 4000 characters, you sent 4050",
        ),
        (InvalidValue("name", Rule.REQUIRED), "Имя: не может быть пустым", "Name must not be empty"),
        (InvalidValue("text", Rule.LOOKS_LIKE_COMMAND), "похоже на команду", "looks like a command"),
        (InvalidValue("query", Rule.TOO_SHORT, minimum=3), "хотя бы 3 символа", "at least 3 characters to search"),
        (InvalidValue("kind", Rule.NOT_ONE_OF, value="<x>", allowed=["call"]), "«&lt;x&gt;»", "“&lt;x&gt;”"),
        (AccessDenied(AccessRule.NOT_YOURSELF), "собственную роль", "your own role"),
        (
            InvalidValue("name", Rule.CONTROL_CHARACTERS),
            "Имя: в тексте есть символ NUL (U+0000)",
            "Name: the text contains a NUL",
        ),
        (AccessDenied(AccessRule.INVITES_NEED_PERSON), "нет прав", "not allowed to do this"),
    ],
)
def test_the_bot_words_each_error_by_its_rule_in_the_readers_language(locale, error, ru, en) -> None:
    assert (ru if locale == "ru" else en) in render.error_text(error)
