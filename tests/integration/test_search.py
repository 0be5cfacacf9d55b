"""Search on PostgreSQL (pg_trgm): typos, ranking, keyset pages without skips or repeats, visibility."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.domain.enums import Role
from core.domain.errors import InvalidValue
from core.domain.models import Actor
from core.domain.search import SearchPosition, Tier
from core.services import leads as svc
from core.storage.models import UserRow
from core.storage.uow import SqlUnitOfWork


async def _lead(uow, services, actor, **kw):
    kw.setdefault("allow_duplicate", True)
    return await svc.create_lead(uow, services, actor, source="partner", **kw)


async def _find(uow, actor, q, **kw) -> list[str | None]:
    return [lead.name for lead in (await svc.find_leads(uow, actor, q, **kw)).items]


async def _all_pages(uow, actor, q, *, limit) -> list[int]:
    """Every id the search returns, page by page through next_after."""
    seen: list[int] = []
    after = None
    while True:
        page = await svc.find_leads(uow, actor, q, limit=limit, after=after)
        seen += [lead.id for lead in page.items]
        if page.next_after is None:
            return seen
        after = page.next_after


@pytest.fixture
async def people(uow, services, system):
    """A small address book: the names and e-mails the typo cases are about."""
    made = {}
    for name, company, contact in [
        ("Ivan Petrov", None, "petrov@gmail.com"),
        ("Ivan Petrenko", "Northwind LLC", "+7 999 123-45-67"),
        ("Иван Петров", "ООО Ромашка", "ivan@yandex.ru"),
        ("Anna Smirnova", "Contoso", "anna.smirnova@mail.ru"),
        ("Oleg Orlov", None, None),
    ]:
        made[name] = await _lead(uow, services, system, name=name, company=company, contact=contact)
    return made


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Ivna Petrov", "Ivan Petrov"),  # two letters swapped
        ("Ivan Petorv", "Ivan Petrov"),
        ("Ivan Ptrov", "Ivan Petrov"),  # one left out
        ("Иван Петорв", "Иван Петров"),  # Cyrillic too
        ("Ana Smirnova", "Anna Smirnova"),
        ("Nortwind", "Ivan Petrenko"),  # a company with a typo
        ("petrov@gmial.com", "Ivan Petrov"),  # an e-mail with a typo
        ("anna.smirnvoa@mail.ru", "Anna Smirnova"),
    ],
)
async def test_a_typo_in_a_name_company_or_email_still_finds_the_lead(uow, system, people, typed, meant) -> None:
    assert (await _find(uow, system, typed))[0] == meant


async def test_a_lead_without_company_or_contact_is_found_by_a_typo_in_its_name(uow, system, people) -> None:
    assert await _find(uow, system, "Olge Orlov") == ["Oleg Orlov"]


async def test_a_text_found_as_typed_shows_no_typos(uow, system, people) -> None:
    assert await _find(uow, system, "Ivan Petorv") == ["Ivan Petrov"]  # Ivan Petrenko is too far (0.44)
    assert await _find(uow, system, "Ivan Petrov") == ["Ivan Petrov"]  # not Ivan Petrenko: "did you mean" only


async def test_the_exact_phone_and_email_still_work_and_phones_get_no_typo_matching(uow, system, people) -> None:
    assert await _find(uow, system, "9991234567") == ["Ivan Petrenko"]
    assert await _find(uow, system, "+7 (999) 123-45-67") == ["Ivan Petrenko"]
    assert await _find(uow, system, "9991234576") == []  # a digit off is another person
    assert await _find(uow, system, "PETROV@gmail.com") == ["Ivan Petrov"]


async def test_nothing_matches_and_a_short_text_is_only_matched_as_typed(uow, system, people) -> None:
    assert await _find(uow, system, "xqzjwv") == []
    assert await _find(uow, system, "Orl") == ["Oleg Orlov"]
    assert await _find(uow, system, "Iva") == ["Иван Петров", "Ivan Petrenko", "Ivan Petrov"]  # newest first
    assert await _find(uow, system, "ivn") == []  # three letters: no typo matching
    with pytest.raises(InvalidValue):
        await svc.find_leads(uow, system, " a ")


@pytest.mark.parametrize("q", ["Maria Ivanova", "Maria Ivonova"])  # found as typed; only similar
async def test_pages_of_a_search_never_skip_or_repeat_a_lead(uow, services, system, q) -> None:
    ids = set()
    for i in range(7):
        ids.add((await _lead(uow, services, system, name=f"Maria Ivanova {i}")).id)
    for name in ("Maria Ivanova", "Maria Ivanova", "Mariya Ivanova", "Maria Ivanovna", "Marina Ivanova"):
        ids.add((await _lead(uow, services, system, name=name)).id)  # equal scores among them
    await _lead(uow, services, system, name="Oleg Orlov")  # not a match
    everything = await _all_pages(uow, system, q, limit=50)
    assert len(everything) >= 9 and set(everything) <= ids
    for limit in (1, 2, 3, 5):
        seen = await _all_pages(uow, system, q, limit=limit)
        assert seen == everything, limit  # the same order at any page size: nothing skipped or repeated


async def test_similar_ones_come_most_similar_first_then_newest(uow, services, system) -> None:
    far = await _lead(uow, services, system, name="Maria Ivanova 3")  # similarity 0.58 against 0.65
    near = [await _lead(uow, services, system, name="Maria Ivanova") for _ in range(2)]
    page = await svc.find_leads(uow, system, "Maria Ivonova")
    assert [lead.id for lead in page.items] == [near[1].id, near[0].id, far.id]


async def test_a_page_starts_strictly_after_its_position_in_either_tier(uow, services, system) -> None:
    a = await _lead(uow, services, system, name="Maria Ivanova")
    b = await _lead(uow, services, system, name="Maria Ivanova")
    await _lead(uow, services, system, name="Maria Ivanovna")
    after_b = await svc.find_leads(uow, system, "Maria Ivanova", after=SearchPosition(Tier.FOUND, 0, b.id))
    assert [lead.id for lead in after_b.items] == [a.id]  # "Ivanovna" is only similar: not among found ones
    first = (await svc.find_leads(uow, system, "Maria Ivonova")).items
    after = await svc.find_leads(uow, system, "Maria Ivonova", limit=1)
    rest = await svc.find_leads(uow, system, "Maria Ivonova", after=after.next_after)
    assert [lead.id for lead in after.items + rest.items] == [lead.id for lead in first]
    assert rest.next_after is None


async def test_managers_find_only_their_own_leads_as_typed_and_by_typo(uow, services) -> None:
    async with uow:
        uow.session.add_all(
            [UserRow(id=1, full_name="A", role=Role.MANAGER), UserRow(id=2, full_name="B", role=Role.MANAGER)]
        )
        await uow.commit()
    ann = Actor(label="tg:1", user_id=1, role=Role.MANAGER)
    bob = Actor(label="tg:2", user_id=2, role=Role.MANAGER)
    lead = await _lead(uow, services, ann, name="Ivan Petrov", contact="petrov@gmail.com")
    for q in ("Ivan Petrov", "Ivna Petrov", "petrov@gmial.com", "petrov@gmail.com"):
        assert [x.id for x in (await svc.find_leads(uow, ann, q)).items] == [lead.id], q
        assert (await svc.find_leads(uow, bob, q)).items == [], q


async def test_the_search_settings_hold_only_inside_the_search_transaction(committing_factory, system) -> None:
    await _find(SqlUnitOfWork(committing_factory), system, "Ivna Petrov")
    async with committing_factory() as session:
        for name, default in [
            ("pg_trgm.similarity_threshold", "0.3"),
            ("pg_trgm.word_similarity_threshold", "0.6"),
            ("plan_cache_mode", "auto"),
        ]:
            assert (await session.execute(text(f"SHOW {name}"))).scalar_one() == default, name
