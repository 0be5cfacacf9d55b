"""Input rules for lead fields, shared by the bot and the API through the services."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, TypeVar

from core.domain.enums import Source
from core.domain.errors import InvalidValue, Rule
from core.domain.models import ACTIVITY_TEXT_MAX, CONTACT_MAX, NAME_MAX, REASON_MAX

_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{4,24}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")

ATTRIBUTES_MAX_KEYS = 50
ATTRIBUTE_KEY_MAX = 50
ATTRIBUTE_VALUE_MAX = 500

# PostgreSQL text cannot hold U+0000; every text the product stores passes ``refuse_nul`` first.
NUL = "\x00"


def refuse_nul(value: str, field: str, *, key: str | None = None) -> str:
    """``value`` unchanged, or InvalidValue(field, Rule.CONTROL_CHARACTERS) when it contains NUL."""
    if NUL in value:
        raise InvalidValue(field, Rule.CONTROL_CHARACTERS, key=key)
    return value


def clean_name(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(refuse_nul(value, "name").split())
    if len(value) > NAME_MAX:
        raise InvalidValue("name", Rule.TOO_LONG, maximum=NAME_MAX, length=len(value))
    return value or None


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: Any, field: str) -> E:
    """``enum(value)``, or InvalidValue naming the field and the allowed values."""
    try:
        return enum(value)
    except ValueError:
        raise InvalidValue(field, Rule.NOT_ONE_OF, value=value, allowed=[m.value for m in enum]) from None


def clean_source(value: str) -> Source:
    return parse_enum(Source, value, "source")


def clean_contact(value: str | None) -> str | None:
    """A phone number, an e-mail address or a Telegram @username."""
    if value is None:
        return None
    value = refuse_nul(value, "contact").strip()
    if not value:
        return None
    if len(value) > CONTACT_MAX:
        raise InvalidValue("contact", Rule.TOO_LONG, maximum=CONTACT_MAX, length=len(value))
    if _EMAIL.match(value) or _USERNAME.match(value):
        return value
    if _PHONE.match(value) and sum(ch.isdigit() for ch in value) >= 5:
        return value
    raise InvalidValue("contact", Rule.BAD_FORMAT)


def clean_domain(value: str | None, catalogue: frozenset[str]) -> str | None:
    if value is None:
        return None
    value = refuse_nul(value, "business_domain").strip().lower()
    if not value:
        return None
    if value not in catalogue:
        raise InvalidValue("business_domain", Rule.NOT_IN_CATALOGUE, value=value, allowed=sorted(catalogue))
    return value


def clean_text(value: str | None, *, field: str = "text", limit: int = ACTIVITY_TEXT_MAX) -> str | None:
    if value is None:
        return None
    value = refuse_nul(value, field).strip()
    if len(value) > limit:
        raise InvalidValue(field, Rule.TOO_LONG, maximum=limit, length=len(value))
    return value or None


def clean_reason(value: str | None) -> str | None:
    return clean_text(value, field="reason", limit=REASON_MAX)


def clean_attributes(value: dict[str, Any] | None) -> dict[str, Any]:
    if not value:
        return {}
    if not isinstance(value, dict):
        raise InvalidValue("attributes", Rule.NOT_AN_OBJECT)
    if len(value) > ATTRIBUTES_MAX_KEYS:
        raise InvalidValue("attributes", Rule.TOO_MANY_KEYS, maximum=ATTRIBUTES_MAX_KEYS)
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        key = refuse_nul(str(key), "attributes").strip()
        if not key or len(key) > ATTRIBUTE_KEY_MAX:
            raise InvalidValue("attributes", Rule.BAD_KEY, minimum=1, maximum=ATTRIBUTE_KEY_MAX)
        if item is None or isinstance(item, bool | int | float):
            cleaned[key] = item
        elif isinstance(item, str):
            refuse_nul(item, "attributes", key=key)
            if len(item) > ATTRIBUTE_VALUE_MAX:
                raise InvalidValue("attributes", Rule.TOO_LONG, key=key, maximum=ATTRIBUTE_VALUE_MAX)
            cleaned[key] = item.strip()
        else:
            raise InvalidValue("attributes", Rule.NOT_A_SCALAR, key=key)
    return cleaned
