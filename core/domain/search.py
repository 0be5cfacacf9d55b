"""What a search text means: the contact forms it may stand for and which fields it is worth matching with typos.

Results come in one of two tiers: leads where the text (or one of its contact forms) is found as typed (exact
or substring), or, only when there are none, leads it matches approximately (a typo: "did you mean").
A position in that order is a ``SearchPosition``: pages after one never skip or repeat a lead while the data
stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.domain.contacts import normal_phone, search_forms

# Fewer letters than this: no typo matching. Trigram similarity of a 3-letter word to anything is noise, and a
# user typing 3 letters means a part of a word, which the substring tier finds.
FUZZY_MIN_LETTERS = 4


class Fuzzy(StrEnum):
    """Which fields a text is matched against with typos."""

    NONE = "none"  # a phone, a number, a short text: only as typed
    NAMES = "names"  # words: the lead's name and company
    EMAIL = "email"  # has an "@": the contacts' normal forms (e-mail addresses)


class Tier:
    FOUND = 0  # the text or a contact form found as typed
    SIMILAR = 1  # similar (a typo), when nothing is found as typed


@dataclass(frozen=True, slots=True)
class SearchTerms:
    text: str  # as typed, spaces collapsed: looked for in names and companies
    phone: str | None  # the text in E.164 when it reads as a phone: a contact equal to it
    parts: tuple[str, ...]  # looked for inside the contacts' normal forms (its digits, the lower-cased text)
    fuzzy: Fuzzy

    @property
    def in_names(self) -> bool:
        """Whether names and companies are searched too: not for an e-mail address (only contacts have one)."""
        return self.fuzzy is not Fuzzy.EMAIL

    @property
    def folded(self) -> str:
        """The text compared with typos: lower-cased, without a leading "@"."""
        return self.text.lower().lstrip("@") if self.fuzzy is Fuzzy.EMAIL else self.text.lower()


@dataclass(frozen=True, slots=True, order=True)
class SearchPosition:
    """Where a lead stands in a search's order: tier, then score (similarity × 1000, higher first; 0 in the
    FOUND tier), then id (higher first). A page "after" a position holds what comes strictly after it."""

    tier: int
    score: int
    id: int

    def sort_key(self) -> tuple[int, int, int]:
        return (self.tier, -self.score, -self.id)


def search_terms(text: str, region: str) -> SearchTerms:
    """``text`` (already cleaned) as terms: its contact forms (``search_forms``), and typo matching for names
    and companies when it has letters (at least FUZZY_MIN_LETTERS, more letters than digits), for e-mail
    addresses when it has an "@" between two parts; never for phones and numbers (a digit off is another
    person)."""
    letters = sum(ch.isalpha() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    local, at, domain = text.partition("@")
    if letters < FUZZY_MIN_LETTERS or digits >= letters:
        fuzzy = Fuzzy.NONE
    elif at and local.strip() and domain.strip():
        fuzzy = Fuzzy.EMAIL
    elif at:
        fuzzy = Fuzzy.NONE  # "@user" or "user@": a username or the start of an address, found as typed
    else:
        fuzzy = Fuzzy.NAMES
    phone = normal_phone(text, region)
    # a normal form has no spaces: a part with one (a phone typed with spaces) cannot be inside any
    parts = tuple(form for form in search_forms(text, region) if form != phone and " " not in form)
    return SearchTerms(text, phone, parts, fuzzy)
