"""A lead's contacts: phones, e-mails, Telegram usernames. What is shown is what was typed (``value``); what is
compared is the normal form (``normal``): a phone in E.164 (``phonenumbers``, in the team's default region when
typed without a country code), an e-mail lower-cased, a username lower-cased without "@"."""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

from core.domain.errors import InvalidValue, Rule
from core.domain.models import CONTACT_MAX, Contact, ContactKind
from core.domain.validation import refuse_nul

__all__ = [
    "CONTACTS_MAX",
    "Contact",
    "ContactKind",
    "normal_phone",
    "parse_contact",
    "search_forms",
    "try_parse",
    "unique",
]

CONTACTS_MAX = 20  # per lead
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")
_PHONE_CHARS = re.compile(r"^\+?[0-9][0-9 ()\-.]{4,24}$")


def normal_phone(text: str, region: str) -> str | None:
    """``text`` in E.164 when it reads as a possible phone number (in ``region`` unless it starts with +)."""
    if not _PHONE_CHARS.match(text.strip()):
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_contact(text: str, region: str, *, kind: str | None = None, field: str = "contact") -> Contact:
    """One typed contact, its kind guessed (or checked against ``kind``); InvalidValue(field) when it is
    neither a phone number, an e-mail address nor a Telegram @username."""
    value = refuse_nul(text, field).strip()
    if not value:
        raise InvalidValue(field, Rule.REQUIRED)
    if len(value) > CONTACT_MAX:
        raise InvalidValue(field, Rule.TOO_LONG, maximum=CONTACT_MAX, length=len(value))
    wanted = None
    if kind is not None:
        try:
            wanted = ContactKind(kind)
        except ValueError:
            raise InvalidValue(
                f"{field}.kind", Rule.NOT_ONE_OF, value=kind, allowed=[k.value for k in ContactKind]
            ) from None
    found = _guess(value, region, explicit_username=wanted is ContactKind.TELEGRAM)
    if found is None or (wanted is not None and found.kind is not wanted):
        raise InvalidValue(field, Rule.BAD_FORMAT)
    return found


def _guess(value: str, region: str, *, explicit_username: bool) -> Contact | None:
    if _EMAIL.match(value):
        return Contact(ContactKind.EMAIL, value, value.lower())
    phone = normal_phone(value, region)
    if phone is not None:
        return Contact(ContactKind.PHONE, value, phone)
    digits = "".join(ch for ch in value if ch.isdigit())
    if _PHONE_CHARS.match(value) and len(digits) >= 5:  # what ``clean_contact`` accepts as a phone, not E.164
        return Contact(ContactKind.PHONE, value, ("+" if value.startswith("+") else "") + digits)
    username = _USERNAME.match(value)
    if username and (value.startswith("@") or explicit_username):
        return Contact(ContactKind.TELEGRAM, value, username.group(1).lower())
    return None


def try_parse(text: str | None, region: str) -> Contact | None:
    """``parse_contact`` or None (the migration's backfill and old data: what cannot be parsed is left out)."""
    if not text:
        return None
    try:
        return parse_contact(text, region)
    except InvalidValue:
        return None


def unique(contacts: Iterable[Contact]) -> list[Contact]:
    """``contacts`` without repeats of one normal form (the first typed form wins), in order."""
    seen: dict[tuple[ContactKind, str], Contact] = {}
    for contact in contacts:
        seen.setdefault(contact.key, contact)
    if len(seen) > CONTACTS_MAX:
        raise InvalidValue("contacts", Rule.TOO_MANY_KEYS, maximum=CONTACTS_MAX)
    return list(seen.values())


def search_forms(text: str, region: str) -> list[str]:
    """The normal forms a search text may mean: its E.164 form when it reads as a phone, its digits (a part
    of a number), the lower-cased text without a leading "@"."""
    text = text.strip()
    forms = []
    phone = normal_phone(text, region)
    if phone is not None:
        forms.append(phone)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 5 and len(digits) * 2 >= len(text.replace(" ", "")):
        forms.append(digits)
    forms.append(text.lstrip("@").lower())
    return list(dict.fromkeys(forms))
