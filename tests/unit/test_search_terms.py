"""What a search text means (core.domain.search): contact forms, and which fields get typo matching."""

from __future__ import annotations

import pytest

from core.domain.search import Fuzzy, SearchPosition, Tier, search_terms


@pytest.mark.parametrize(
    ("text", "fuzzy"),
    [
        ("Ivna Petrov", Fuzzy.NAMES),
        ("Иван", Fuzzy.NAMES),
        ("Ivn", Fuzzy.NONE),  # three letters: a part of a word, found as typed
        ("petrov@gmial.com", Fuzzy.EMAIL),
        ("@petrov", Fuzzy.NONE),  # a username
        ("petrov@", Fuzzy.NONE),  # the start of an address
        ("+7 999 123-45-67", Fuzzy.NONE),  # a phone: a digit off is another person
        ("client42", Fuzzy.NAMES),
        ("ab12345", Fuzzy.NONE),  # more digits than letters
    ],
)
def test_typo_matching_is_for_words_and_email_addresses_only(text: str, fuzzy: Fuzzy) -> None:
    assert search_terms(text, "RU").fuzzy is fuzzy


def test_a_phone_is_compared_whole_and_its_digits_as_a_part() -> None:
    terms = search_terms("+7 999 123-45-67", "RU")
    assert terms.phone == "+79991234567"
    assert terms.parts == ("79991234567",)  # the typed text has spaces: no normal form contains it


def test_an_email_is_looked_for_among_contacts_only_and_folded() -> None:
    terms = search_terms("Petrov@Gmial.com", "RU")
    assert not terms.in_names and terms.folded == "petrov@gmial.com" and terms.phone is None
    assert search_terms("Ivan Petrov", "RU").in_names


def test_positions_order_found_before_similar_then_score_then_newest() -> None:
    positions = [
        SearchPosition(Tier.SIMILAR, 600, 9),
        SearchPosition(Tier.FOUND, 0, 3),
        SearchPosition(Tier.SIMILAR, 800, 1),
        SearchPosition(Tier.FOUND, 0, 7),
        SearchPosition(Tier.SIMILAR, 800, 5),
    ]
    ordered = sorted(positions, key=SearchPosition.sort_key)
    assert [(p.tier, p.score, p.id) for p in ordered] == [(0, 0, 7), (0, 0, 3), (1, 800, 5), (1, 800, 1), (1, 600, 9)]
