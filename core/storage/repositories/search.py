"""Lead search on PostgreSQL (``/find``, ``GET /leads?q=``): found-as-typed first, then typos, by pg_trgm.

Two phases, each one statement, the second only when the first leaves the page short:

1. **FOUND** (newest first): name, company or primary contact ILIKE ``%text%``, or a contact's normal form
   ILIKE ``%form%`` for the text and its contact forms (a phone however it is typed). Written as a UNION of one
   branch per column, each ``ORDER BY id DESC LIMIT n`` below the cursor, so the planner picks per branch
   either its trigram GIN index (a rare text) or a backward scan of the primary key that stops after n rows
   (a common one, e.g. three letters that half the names contain) — one OR over all columns allows neither.
2. **SIMILAR** (most similar first, then newest): the trigram ``%`` operator, which the GIN indexes
   (ix_*_trgm) answer, with ``pg_trgm.similarity_threshold`` raised for the transaction (``SET LOCAL``
   through ``set_config``) so the index itself prunes. Names and companies for words, the contacts' normal
   forms for an e-mail (``core.domain.search.Fuzzy``); leads of phase 1 are left out, so none comes twice.

The thresholds, picked on the 1 M-lead set of ``bench/search.py`` (names drawn from Russian first and last
names, e-mails ``first.last<n>@domain``) by typing one typo (two letters swapped, one left out, one
replaced) into 2,000 real names and e-mails and comparing with ``similarity``:

* names and companies, ``NAME_THRESHOLD`` 0.45: a swap keeps a two-word name at ≥ 0.47 in 99 % of cases (0.5
  in 95 %), a left-out letter ≥ 0.62, a replaced one ≥ 0.57; two different people's names reach 0.45 in
  only 0.1 % of pairs ("Ivan Petrov" / "Ivan Petrenko" 0.53 — they come after the closer ones);
* e-mail addresses, ``EMAIL_THRESHOLD`` 0.6: a typo keeps an address at ≥ 0.69 (99 %), while addresses
  sharing only the domain stay far below; the higher threshold also lets the index skip the posting lists of
  trigrams every address has ("com", "gma", "ail").

A position (``SearchPosition``) is (tier, score, id) with the score as an integer (similarity × 1000, rounded
down), so a cursor compares exactly; the order is total, so pages never skip or repeat a lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, TextClause, and_, exists, func, literal, or_, select, text, union, union_all
from sqlalchemy.types import Integer

from core.domain.search import Fuzzy, SearchPosition, SearchTerms
from core.storage.models import LeadContactRow, LeadRow, table

LEADS = table(LeadRow)
CONTACTS = table(LeadContactRow)

NAME_THRESHOLD = 0.45
EMAIL_THRESHOLD = 0.6
SET_THRESHOLD: TextClause = text("SELECT set_config('pg_trgm.similarity_threshold', :value, true)")


def threshold(terms: SearchTerms) -> str:
    """``pg_trgm.similarity_threshold`` for phase 2 of ``terms`` (a string: ``set_config`` takes text)."""
    return str(EMAIL_THRESHOLD if terms.fuzzy is Fuzzy.EMAIL else NAME_THRESHOLD)


def contains(value: str) -> str:
    """An ILIKE pattern: ``value`` anywhere, its wildcards escaped."""
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def found_as_typed(terms: SearchTerms) -> Any:
    """Phase 1's condition on a lead row (what phase 2 leaves out)."""
    pattern = contains(terms.text)
    return or_(
        LEADS.c.name.ilike(pattern),
        LEADS.c.company.ilike(pattern),
        LEADS.c.contact.ilike(pattern),
        exists().where(CONTACTS.c.lead_id == LEADS.c.id, _contact_contains(terms)),
    )


def _contact_contains(terms: SearchTerms) -> Any:
    return or_(*(CONTACTS.c.normal.ilike(contains(form)) for form in dict.fromkeys((terms.text, *terms.forms))))


def found_ids(terms: SearchTerms, where: Sequence[Any], *, limit: int, before_id: int | None) -> Select[Any]:
    """Phase 1: ``SELECT id`` of up to ``limit`` leads found as typed, newest first, ids below ``before_id``;
    ``where``: the filters' conditions on ``leads``."""
    pattern = contains(terms.text)

    def newest(stmt: Select[Any], id_col: Any) -> Any:
        stmt = stmt.where(*where)
        if before_id is not None:
            stmt = stmt.where(id_col < before_id)
        return stmt.order_by(id_col.desc()).limit(limit).subquery().select()

    branches = [
        newest(select(LEADS.c.id).where(column.ilike(pattern)), LEADS.c.id)
        for column in (LEADS.c.name, LEADS.c.company, LEADS.c.contact)
    ]
    in_contacts = (
        select(CONTACTS.c.lead_id.label("id"))
        .distinct()
        .join(LEADS, LEADS.c.id == CONTACTS.c.lead_id)
        .where(_contact_contains(terms))
    )
    branches.append(newest(in_contacts, CONTACTS.c.lead_id))
    ids = union(*branches).subquery("found")
    return select(ids.c.id).order_by(ids.c.id.desc()).limit(limit)


def similar_ids(terms: SearchTerms, where: Sequence[Any], *, limit: int, after: SearchPosition | None) -> Select[Any]:
    """Phase 2: ``SELECT id, score`` of up to ``limit`` leads only similar to the text, most similar first,
    then newest, strictly after ``after`` (a SIMILAR position or None). Needs ``SET_THRESHOLD`` first."""
    folded = literal(terms.folded)
    candidates: Any
    if terms.fuzzy is Fuzzy.EMAIL:
        candidates = (
            select(CONTACTS.c.lead_id.label("id"), func.similarity(CONTACTS.c.normal, folded).label("sim"))
            .join(LEADS, LEADS.c.id == CONTACTS.c.lead_id)
            .where(CONTACTS.c.normal.op("%")(folded), *where)
        )
    else:
        candidates = union_all(
            *(
                select(LEADS.c.id, func.similarity(column, folded).label("sim")).where(column.op("%")(folded), *where)
                for column in (LEADS.c.name, LEADS.c.company)
            )
        )
    cand = candidates.subquery("candidates")
    best = (
        select(cand.c.id, func.floor(func.max(cand.c.sim) * 1000).cast(Integer).label("score"))
        .group_by(cand.c.id)
        .subquery("best")
    )
    stmt = (
        select(best.c.id, best.c.score)
        .join(LEADS, LEADS.c.id == best.c.id)
        .where(~found_as_typed(terms))
        .order_by(best.c.score.desc(), best.c.id.desc())
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(or_(best.c.score < after.score, and_(best.c.score == after.score, best.c.id < after.id)))
    return stmt
