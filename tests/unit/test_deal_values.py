"""Deal values as people type them (amounts with currencies), expected close presets, and the deal and
joining messages the outbox renders."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.render import outbox_message
from core.domain.deal_close import ClosePreset, preset_close
from core.domain.errors import InvalidValue
from core.domain.money import parse_money


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("150000", "150000", "RUB"),
        ("150 000 руб", "150000", "RUB"),
        ("150 000 руб.", "150000", "RUB"),
        ("150\u00a0000 ₽", "150000", "RUB"),
        ("2,500 USD", "2500", "USD"),
        ("2,50 usd", "2.50", "USD"),
        ("$99.90", "99.90", "USD"),
        ("1 234,50 €", "1234.50", "EUR"),
        ("1.234.567,89 EUR", "1234567.89", "EUR"),
        ("1,234,567.89", "1234567.89", "RUB"),
        ("3000 kzt", "3000", "KZT"),
        ("1.005", "1005", "RUB"),  # a lone mark before three digits groups thousands
        ("10 000 долларов", "10000", "USD"),
    ],
)
def test_typed_amounts_are_read_with_their_currency(text: str, amount: str, currency: str) -> None:
    assert parse_money(text, "RUB") == (Decimal(amount), currency)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "amount"),
        ("a lot", "amount"),
        ("0", "amount"),
        ("1.0055", "amount"),
        ("9" * 13, "amount"),
        ("100 dollars please", "currency"),
        ("100 USDT", "currency"),
    ],
)
def test_unreadable_amounts_say_which_part_is_wrong(text: str, field: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_money(text, "RUB")
    assert err.value.field == field


NOW = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # already 2 December in Moscow
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("preset", "day"),
    [
        (ClosePreset.WEEK, "2026-12-09"),
        (ClosePreset.TWO_WEEKS, "2026-12-16"),
        (ClosePreset.MONTH_END, "2026-12-31"),
        (ClosePreset.MONTH, "2027-01-01"),
        (ClosePreset.QUARTER_END, "2026-12-31"),
    ],
)
def test_close_presets_count_from_the_users_local_day(preset: ClosePreset, day: str) -> None:
    close = preset_close(preset, NOW, MOSCOW)
    assert close.astimezone(MOSCOW).date().isoformat() == day and close.astimezone(MOSCOW).hour == 12


def test_the_quarter_end_of_february_is_the_end_of_march() -> None:
    close = preset_close(ClosePreset.QUARTER_END, datetime(2027, 2, 10, tzinfo=UTC), MOSCOW)
    assert close.astimezone(MOSCOW).date().isoformat() == "2027-03-31"


def test_the_paid_deal_message_speaks_the_managers_language_and_links_the_deal() -> None:
    payload = {
        "event": "deal_closed",
        "language": "en",
        "sale_id": 3,
        "lead_id": 16,
        "name": "Ivan <Petrov>",
        "stage": "paid",
        "amount": "150000.00",
        "currency": "RUB",
        "reason_code": None,
        "reason": None,
    }
    text, markup = outbox_message(payload, bot_username="leadcrm_bot")
    assert "Your deal is paid" in text and "Ivan &lt;Petrov&gt;" in text and "150\u00a0000\u00a0RUB" in text
    assert markup is not None and markup.inline_keyboard[0][0].url == "https://t.me/leadcrm_bot?start=sale_3"
    ru, _ = outbox_message({**payload, "language": "ru", "stage": "lost", "reason_code": "no_budget"}, bot_username="b")
    assert "Ваша сделка потеряна" in ru and "Нет бюджета" in ru


def test_the_admins_message_names_who_joined_their_role_and_the_inviter() -> None:
    payload = {
        "event": "user_joined",
        "language": "en",
        "user_id": 7,
        "name": "Nina",
        "username": "nina",
        "role": "manager",
        "invited_by_id": 5,
        "invited_by": "Tina",
    }
    text, markup = outbox_message(payload, bot_username="b")
    assert text == "👋 <b>Nina (@nina)</b> joined as Manager, invited by Tina." and markup is None
