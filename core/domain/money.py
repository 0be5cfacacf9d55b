"""Deal amounts: a positive number with at most two decimals and an ISO 4217 currency code.

``parse_money`` reads what people type in chat: "150000", "150 000 руб", "2,500 USD", "1 234,50 €", "$99.90".
Separators: spaces (also thin and no-break ones) group thousands; with both "," and "." the last one is the
decimal mark; a lone "," or "." followed by exactly three digits groups thousands ("2,500" is 2500), otherwise
it is the decimal mark ("2,50" is 2.5).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.domain.errors import InvalidValue, Rule

AMOUNT_MAX = Decimal("1000000000000")  # NUMERIC(14, 2) holds up to 10^12 - 0.01
CURRENCY_RE = re.compile(r"[A-Z]{3}")
# What people type for a currency besides its code (lower-cased, without a trailing full stop).
CURRENCY_WORDS = {
    "₽": "RUB",
    "р": "RUB",
    "руб": "RUB",
    "рубль": "RUB",
    "рубля": "RUB",
    "рублей": "RUB",
    "rur": "RUB",
    "$": "USD",
    "долл": "USD",
    "доллар": "USD",
    "доллара": "USD",
    "долларов": "USD",
    "€": "EUR",
    "евро": "EUR",
    "¥": "CNY",
    "юань": "CNY",
    "юаней": "CNY",
    "£": "GBP",
    "₸": "KZT",
    "тенге": "KZT",
}
_TEXT_MAX = 60
_NUMBER = re.compile(r"\d[\d\s.,]*")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def check_currency(code: str) -> str:
    """An upper-cased three-letter code, or InvalidValue(currency, bad_format)."""
    value = code.strip().upper()
    if not CURRENCY_RE.fullmatch(value):
        raise InvalidValue("currency", Rule.BAD_FORMAT, value=code)
    return value


def check_amount(amount: Decimal) -> Decimal:
    """Positive, below 10^12, at most two decimals (InvalidValue(amount, ...) otherwise)."""
    if not amount.is_finite() or not Decimal(0) < amount < AMOUNT_MAX:
        raise InvalidValue("amount", Rule.OUT_OF_RANGE, minimum=0.01, maximum=float(AMOUNT_MAX - Decimal("0.01")))
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidValue("amount", Rule.BAD_FORMAT, value=str(amount))
    return amount.quantize(Decimal("0.01"))


def _number(raw: str) -> Decimal:
    text = _SPACES.sub("", raw).rstrip(".,")
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if decimal_mark == "," else ","
        text = text.replace(group, "").replace(decimal_mark, ".")
    elif commas + dots:
        mark = "," if commas else "."
        whole, _, tail = text.rpartition(mark)
        grouped = commas + dots > 1 or len(tail) == 3
        text = text.replace(mark, "") if grouped else f"{whole}.{tail}"
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidValue("amount", Rule.NOT_A_NUMBER, value=raw) from None


def parse_money(text: str, default_currency: str) -> tuple[Decimal, str]:
    """The amount and currency typed in ``text`` (the currency: ``default_currency`` when none is named).
    InvalidValue(amount, not_a_number | out_of_range | bad_format) or (currency, bad_format) otherwise."""
    text = text.strip()
    if not text or len(text) > _TEXT_MAX:
        raise InvalidValue("amount", Rule.NOT_A_NUMBER, value=text[:_TEXT_MAX])
    found = _NUMBER.search(text)
    if found is None:
        raise InvalidValue("amount", Rule.NOT_A_NUMBER, value=text)
    rest = (text[: found.start()] + " " + text[found.end() :]).strip()
    amount = check_amount(_number(found.group()))
    if not rest:
        return amount, check_currency(default_currency)
    word = rest.lower().rstrip(".").strip()
    if word in CURRENCY_WORDS:
        return amount, CURRENCY_WORDS[word]
    if re.fullmatch(r"[a-z]{3}", word):
        return amount, word.upper()
    raise InvalidValue("currency", Rule.BAD_FORMAT, value=rest)
