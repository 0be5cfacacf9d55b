"""Lead search on PostgreSQL (``/find``, ``GET /leads?q=``): found as typed, else typos, by pg_trgm.

Two phases, each one statement; the second only when the first finds nothing. Typo matching is a fallback
("did you mean"): a text found as typed is what the user meant, the similar ones would be other people, and
a query that finds something pays only phase 1 (phase 2 is the expensive one: README, "Search at 1 M leads").

1. **FOUND** (newest first): name or company ILIKE ``%text%`` (not for an e-mail address), or a contact
   (``lead_contacts``, the primary one among them) equal to the text's E.164 form or whose normal form contains
   its digits or the lower-cased text (a phone however it is typed; ``core.domain.search.SearchTerms``).
   Written as a UNION of one branch per column, each ``ORDER BY id DESC LIMIT n`` below the cursor, so the
   planner picks per branch either its trigram GIN index (a rare text) or a backward scan of the primary key
   that stops after n rows (a common one, e.g. three letters that half the names contain) — one OR over all
   columns allows neither. The pick rests on the row estimates: migration 0012 keeps finer statistics.
2. **SIMILAR** (most similar first, then newest), by the trigram operators the GIN indexes (ix_*_trgm) answer,
   with their thresholds raised for the transaction (``set_config(…, true)``, i.e. ``SET LOCAL``) so the index
   itself prunes: for words, ``name % text`` (``similarity``) and ``text <% company`` (``word_similarity``: a
   company is matched by the word typed, "Nortwind" → "Northwind LLC"); for an e-mail, the contacts with the
   same local part at any domain (``ILIKE 'local@%'``: a typo in the domain) or, only when there are none, a
   local part similar to the typed one (``local <% normal``: a typo before the "@"; the ``NOT EXISTS`` is a
   one-time filter, so that scan does not even start otherwise), kept when the whole address is similar.
   A local part shorter than LOCAL_TYPO_MIN is one common word ("petrov"): ``<%`` would match every address
   with that word (17,000 at 1 M contacts, 100 ms; "ivan.petrov": 350, 18 ms), and a typo in it leaves too
   few trigrams to tell people apart. Matching the whole address with ``%`` instead costs ~120 ms at 1 M
   contacts: every address shares "mai", "ail", "com"…

The thresholds, picked on the 1 M-lead set of ``bench/search.py`` (names drawn from Russian first and last
names, e-mails ``first.last<n>@domain``) by typing one typo (two letters swapped, one left out, one
replaced) into 2,000 real names and ~850 e-mails and comparing:

* names, ``NAME_THRESHOLD`` 0.5 (``similarity``): a swap keeps a two-word name at ≥ 0.5 in 95 % of cases
  (≥ 0.47 in 99 %), a left-out letter at ≥ 0.62 and a replaced one at ≥ 0.57 in 99 %; two different
  people's names reach 0.45 in 0.1 % of pairs ("Ivan Petrov" / "Ivan Petrenko": 0.53, after the closer
  ones). 0.45 would catch the last 4 % of swaps but doubles the candidates the index hands back (2,758
  against 1,661 for "Мариан Александров") and their cost;
* companies, ``WORD_THRESHOLD`` 0.55 (``word_similarity`` of the typed word): "Nortwind" / "Northwind LLC"
  0.58, "Cyberdine" / "LLC Cyberdyne" 0.6 (``similarity`` of the whole: 0.44, lost to the legal form);
* e-mail local parts, the same ``WORD_THRESHOLD``: a typo keeps ``word_similarity(local, address)`` at ≥ 0.555
  (99 %), other addresses reach 0.52 in 0.1 % of pairs; the whole address must then have ``similarity`` ≥
  ``EMAIL_THRESHOLD`` 0.5 (a typo keeps ≥ 0.69 in 99 %; the same local part at another domain is ~0.2–0.4,
  "ivan@gmial.com" / "ivan@gmail.com" 0.58).

A position (``SearchPosition``) is (tier, score, id) with the score as an integer (similarity × 1000, rounded
down), so a cursor compares exactly; the order is total, so pages never skip or repeat a lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, TextClause, and_, exists, false, func, literal, or_, select, text, union, union_all
from sqlalchemy.types import Integer

from core.domain.search import Fuzzy, SearchPosition, SearchTerms
from core.storage.models import LeadContactRow, LeadRow, table

LEADS = table(LeadRow)
CONTACTS = table(LeadContactRow)

NAME_THRESHOLD = 0.5
WORD_THRESHOLD = 0.55
EMAIL_THRESHOLD = 0.5
LOCAL_TYPO_MIN = 8
# For this transaction only (``set_config(…, true)``; it takes text), before the search's statements:
# - a plan per execution: asyncpg prepares each statement once, and after five executions PostgreSQL may
#   switch to a generic plan, which cannot see the pattern and walks ix_lead_contacts_lead_id through every
#   row for a rare one (1.2 s instead of 9 ms at 1 M leads, bench/search.py); planning costs ~1 ms;
# - phase 2's thresholds.
SET_SEARCH: TextClause = text(
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    "set_config('pg_trgm.similarity_threshold', :similarity, true), "
    "set_config('pg_trgm.word_similarity_threshold', :word, true)"
).bindparams(similarity=str(NAME_THRESHOLD), word=str(WORD_THRESHOLD))


def _escaped(value: str) -> str:
    """``value`` with ILIKE's wildcards escaped."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(value: str) -> str:
    """An ILIKE pattern: ``value`` anywhere."""
    return "%" + _escaped(value) + "%"


def _contact_matches(terms: SearchTerms) -> Any | None:
    """A contact equal to the phone (uq_lead_contacts_kind_normal_lead) or containing a part (the trigram index);
    None when the text can be no contact."""
    found: list[Any] = [CONTACTS.c.normal.ilike(contains(part)) for part in terms.parts]
    if terms.phone is not None:
        found.append(and_(CONTACTS.c.kind == "phone", CONTACTS.c.normal == terms.phone))
    return or_(*found) if found else None


def found_ids(terms: SearchTerms, where: Sequence[Any], *, limit: int, before_id: int | None) -> Select[Any]:
    """Phase 1: ``SELECT id`` of up to ``limit`` leads found as typed, newest first, ids below ``before_id``;
    ``where``: the filters' conditions on ``leads``."""
    pattern = contains(terms.text)

    def newest(stmt: Select[Any], id_col: Any) -> Any:
        stmt = stmt.where(*where)
        if before_id is not None:
            stmt = stmt.where(id_col < before_id)
        return stmt.order_by(id_col.desc()).limit(limit).subquery().select()

    columns = (LEADS.c.name, LEADS.c.company) if terms.in_names else ()
    branches = [newest(select(LEADS.c.id).where(column.ilike(pattern)), LEADS.c.id) for column in columns]
    if (matches := _contact_matches(terms)) is not None:
        in_contacts = (
            select(CONTACTS.c.lead_id.label("id"))
            .distinct()
            .join(LEADS, LEADS.c.id == CONTACTS.c.lead_id)
            .where(matches)
        )
        branches.append(newest(in_contacts, CONTACTS.c.lead_id))
    if not branches:  # e.g. "ivan @ mail.ru": an address (no names) with no form a contact could hold
        return select(LEADS.c.id).where(false())
    ids = union(*branches).subquery("found")
    return select(ids.c.id).order_by(ids.c.id.desc()).limit(limit)


def similar_ids(terms: SearchTerms, where: Sequence[Any], *, limit: int, after: SearchPosition | None) -> Select[Any]:
    """Phase 2: ``SELECT id, score`` of up to ``limit`` leads only similar to the text, most similar first,
    then newest, strictly after ``after`` (a SIMILAR position or None). Needs ``SET_SEARCH`` first."""
    folded = literal(terms.folded)
    candidates: Any
    if terms.fuzzy is Fuzzy.EMAIL:
        local = terms.folded.partition("@")[0]
        sim = func.similarity(CONTACTS.c.normal, folded)

        def similar_contacts(near: Any) -> Select[Any]:
            return (
                select(CONTACTS.c.lead_id.label("id"), sim.label("sim"))
                .join(LEADS, LEADS.c.id == CONTACTS.c.lead_id)
                .where(near, sim >= EMAIL_THRESHOLD, *where)
            )

        # the same local part at another domain (a typo after the "@"); only without any, a similar local part
        same_local = similar_contacts(CONTACTS.c.normal.ilike(_escaped(local) + "@%")).cte("same_local")
        candidates = select(same_local.c.id, same_local.c.sim)
        if len(local) >= LOCAL_TYPO_MIN:
            near_local = similar_contacts(literal(local).op("<%")(CONTACTS.c.normal))
            candidates = union_all(candidates, near_local.where(~exists(select(same_local.c.id))))
    else:
        candidates = union_all(
            select(LEADS.c.id, func.similarity(LEADS.c.name, folded).label("sim")).where(
                LEADS.c.name.op("%")(folded), *where
            ),
            select(LEADS.c.id, func.word_similarity(folded, LEADS.c.company).label("sim")).where(
                folded.op("<%")(LEADS.c.company), *where
            ),
        )
    cand = candidates.subquery("candidates")
    best = (
        select(cand.c.id, func.floor(func.max(cand.c.sim) * 1000).cast(Integer).label("score"))
        .group_by(cand.c.id)
        .subquery("best")
    )
    stmt = select(best.c.id, best.c.score).order_by(best.c.score.desc(), best.c.id.desc()).limit(limit)
    if after is not None:
        stmt = stmt.where(or_(best.c.score < after.score, and_(best.c.score == after.score, best.c.id < after.id)))
    return stmt
