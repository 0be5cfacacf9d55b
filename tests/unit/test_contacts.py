"""A lead's contacts: what is typed is kept, what is compared is the normal form (core.domain.contacts)."""

from __future__ import annotations

import pytest

from core.domain.contacts import ContactKind, parse_contact, search_forms, try_parse, unique
from core.domain.errors import InvalidValue, Rule


@pytest.mark.parametrize(
    ("typed", "region", "kind", "normal"),
    [
        ("+7 999 123-45-67", "RU", ContactKind.PHONE, "+79991234567"),
        ("8 (999) 123-45-67", "RU", ContactKind.PHONE, "+79991234567"),
        ("9991234567", "RU", ContactKind.PHONE, "+79991234567"),
        ("+79991234567", "DE", ContactKind.PHONE, "+79991234567"),
        ("030 1234567", "DE", ContactKind.PHONE, "+49301234567"),
        ("+1 (415) 555-0100", "RU", ContactKind.PHONE, "+14155550100"),
        ("12345", "RU", ContactKind.PHONE, "12345"),  # what the old contact rule accepted: digits, not E.164
        ("Ann.Lee@Example.COM", "RU", ContactKind.EMAIL, "ann.lee@example.com"),
        ("  ann@example.com ", "RU", ContactKind.EMAIL, "ann@example.com"),
        ("@Ann_Lee", "RU", ContactKind.TELEGRAM, "ann_lee"),
    ],
)
def test_a_contact_is_kept_as_typed_and_compared_in_its_normal_form(typed, region, kind, normal) -> None:
    contact = parse_contact(typed, region)
    assert (contact.kind, contact.normal, contact.value) == (kind, normal, typed.strip())


@pytest.mark.parametrize("typed", ["hello", "ann@", "@ab", "+", "12-34", "call me maybe", "a\x00@b.cc"])
def test_text_that_is_no_contact_is_refused_naming_the_field(typed) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_contact(typed, "RU", field="contacts[2]")
    assert err.value.field == "contacts[2]"


def test_a_username_needs_its_at_unless_the_kind_says_telegram() -> None:
    assert try_parse("ann_lee", "RU") is None
    assert parse_contact("ann_lee", "RU", kind="telegram").normal == "ann_lee"


def test_a_kind_that_does_not_fit_the_value_is_refused() -> None:
    with pytest.raises(InvalidValue) as err:
        parse_contact("+79991234567", "RU", kind="email")
    assert err.value.rule is Rule.BAD_FORMAT
    with pytest.raises(InvalidValue) as err:
        parse_contact("+79991234567", "RU", kind="fax")
    assert err.value.rule is Rule.NOT_ONE_OF


def test_repeats_of_one_normal_form_keep_the_first_typed_form() -> None:
    found = unique([parse_contact("+7 999 123-45-67", "RU"), parse_contact("89991234567", "RU")])
    assert [c.value for c in found] == ["+7 999 123-45-67"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("9991234567", {"+79991234567", "9991234567"}),
        ("+7 999 123-45-67", {"+79991234567", "79991234567"}),
        ("123-45", {"12345"}),
        ("@Ann", {"ann"}),
    ],
)
def test_a_search_text_means_its_phone_forms_too(query, expected) -> None:
    assert expected <= set(search_forms(query, "RU"))
