"""Contacts, company, the duplicate guard (409 / allow_duplicate) and ?q= over HTTP on real PostgreSQL."""

from __future__ import annotations

import pytest


async def _post(client, **body):
    body.setdefault("source", "partner")
    return await client.post("/leads/", json=body)


async def test_a_lead_is_created_with_several_contacts_and_a_company(client) -> None:
    response = await _post(
        client,
        name="Ann Lee",
        company="Acme",
        contact="+7 999 123-45-67",
        contacts=[{"value": "Ann@Acme.io"}, {"kind": "telegram", "value": "ann_lee"}],
    )
    assert response.status_code == 201, response.text
    lead = response.json()
    assert lead["contact"] == "+7 999 123-45-67"
    assert lead["company"] == "Acme"
    assert [(c["kind"], c["value"], c["normal"]) for c in lead["contacts"]] == [
        ("phone", "+7 999 123-45-67", "+79991234567"),
        ("email", "Ann@Acme.io", "ann@acme.io"),
        ("telegram", "ann_lee", "ann_lee"),
    ]
    again = (await client.get(f"/leads/{lead['id']}")).json()
    assert again["contacts"] == lead["contacts"]


async def test_the_contact_field_alone_works_as_before_and_is_listed_among_contacts(client) -> None:
    lead = (await _post(client, contact="ann@example.com")).json()
    assert lead["contact"] == "ann@example.com"
    assert lead["contacts"] == [{"kind": "email", "value": "ann@example.com", "normal": "ann@example.com"}]


async def test_a_contact_another_lead_has_is_a_409_with_that_leads_id(client) -> None:
    first = (await _post(client, contact="+7 999 123-45-67")).json()
    response = await _post(client, contact="89991234567")
    assert response.status_code == 409
    body = response.json()
    assert body["existing_lead_id"] == first["id"]
    assert (body["kind"], body["normal"]) == ("phone", "+79991234567")
    assert str(first["id"]) in body["detail"]


async def test_allow_duplicate_creates_it_anyway(client) -> None:
    first = (await _post(client, contacts=[{"value": "ann@example.com"}])).json()
    response = await _post(client, contact="ANN@example.com", allow_duplicate=True)
    assert response.status_code == 201
    assert response.json()["id"] != first["id"]


async def test_patch_contacts_replaces_the_list_and_keeps_a_primary_contact(client) -> None:
    lead = (await _post(client, contact="+7 999 123-45-67")).json()
    response = await client.patch(f"/leads/{lead['id']}", json={"contacts": [{"value": "ann@example.com"}]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["contact"] == "ann@example.com"
    assert [c["normal"] for c in body["contacts"]] == ["ann@example.com"]


async def test_patch_contact_alone_replaces_only_the_primary_contact(client) -> None:
    lead = (await _post(client, contact="+7 999 123-45-67", contacts=[{"value": "@ann_lee"}])).json()
    body = (await client.patch(f"/leads/{lead['id']}", json={"contact": "ann@example.com", "company": "Acme"})).json()
    assert body["contact"] == "ann@example.com"
    assert body["company"] == "Acme"
    assert sorted(c["normal"] for c in body["contacts"]) == ["ann@example.com", "ann_lee"]


async def test_a_contact_that_is_none_is_a_422_naming_it(client) -> None:
    response = await _post(client, contacts=[{"value": "+79991234567"}, {"value": "hello"}])
    assert response.status_code == 422
    assert "contacts[1]" in response.json()["detail"]


async def test_q_finds_a_phone_however_it_is_typed_and_names_and_companies(client) -> None:
    ann = (await _post(client, name="Ann Lee", contact="+7 999 123-45-67")).json()
    bob = (await _post(client, name="Bob", company="Northwind", contacts=[{"value": "bob@nw.io"}])).json()
    for q, expected in [
        ("9991234567", [ann["id"]]),
        ("+7 (999) 123 45 67", [ann["id"]]),
        ("8 999 123-45-67", [ann["id"]]),
        ("north", [bob["id"]]),
        ("BOB@NW", [bob["id"]]),
        ("ann l", [ann["id"]]),
    ]:
        response = await client.get("/leads", params={"q": q})
        assert response.status_code == 200, (q, response.text)
        assert [lead["id"] for lead in response.json()["items"]] == expected, q


async def test_q_pages_through_every_match_with_the_cursor(client) -> None:
    ids = {(await _post(client, name=f"Acme {i}", allow_duplicate=True)).json()["id"] for i in range(5)}
    seen: list[int] = []
    cursor = None
    while True:
        params = {"q": "acme", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/leads", params=params)).json()
        seen += [lead["id"] for lead in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)


async def test_the_409_is_documented_with_the_existing_leads_id(client) -> None:
    schema = (await client.get("/openapi.json")).json()
    conflict = schema["paths"]["/leads/"]["post"]["responses"]["409"]
    ref = conflict["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "existing_lead_id" in schema["components"]["schemas"][ref]["properties"]


async def _every_page(client, params) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = await client.get("/leads", params=params | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        seen += [lead["id"] for lead in page.json()["items"]]
        if (cursor := page.json()["next_cursor"]) is None:
            return seen


async def test_q_with_a_typo_finds_names_and_emails(client) -> None:
    near = (await _post(client, name="Ivan Petrov", contacts=[{"value": "petrov@gmail.com"}])).json()
    await _post(client, name="Ivan Petrovsky")  # too far from the typo (similarity 0.42)
    response = await client.get("/leads", params={"q": "Ivna Petrov"})
    assert [lead["id"] for lead in response.json()["items"]] == [near["id"]]
    response = await client.get("/leads", params={"q": "petrov@gmial.com"})
    assert [lead["id"] for lead in response.json()["items"]] == [near["id"]]


async def test_q_pages_a_ranked_typo_search_with_the_cursor_without_skips_or_repeats(client) -> None:
    ids = set()
    for name in ["Maria Ivanova"] * 4 + ["Maria Ivanova Jr"] * 3 + ["Maria Ivanovna"]:
        ids.add((await _post(client, name=name, allow_duplicate=True)).json()["id"])
    everything = await _every_page(client, {"q": "Maria Ivonova", "limit": 50})
    assert set(everything) <= ids and len(everything) >= 7
    for limit in (1, 2, 3):
        assert await _every_page(client, {"q": "Maria Ivonova", "limit": limit}) == everything, limit


async def test_a_cursor_of_one_kind_of_list_is_a_422_in_the_other(client) -> None:
    for i in range(3):
        await _post(client, name=f"Acme {i}", allow_duplicate=True)
    searched = (await client.get("/leads", params={"q": "acme", "limit": 1})).json()["next_cursor"]
    listed = (await client.get("/leads", params={"limit": 1})).json()["next_cursor"]
    assert searched and listed
    for params in ({"cursor": searched}, {"q": "acme", "cursor": listed}):
        response = await client.get("/leads", params=params)
        assert response.status_code == 422 and "search" in response.json()["detail"], params
    for forged in ("cXwyfDEwMDF8NQ", "cXwwfDB8MA", "cXx4fDB8NQ"):  # q|2|1001|5, q|0|0|0, q|x|0|5
        response = await client.get("/leads", params={"q": "acme", "cursor": forged})
        assert response.status_code == 422 and "next_cursor" in response.json()["detail"], forged


@pytest.mark.parametrize("q", ["ivan @ mail.ru", "ivan@ mail.ru", "ivan @mail.ru", "a @ b"])
async def test_q_with_spaces_around_the_at_sign_is_an_empty_page_not_a_500(client, q) -> None:
    await client.post("/leads/", json={"source": "partner", "name": "Ivan", "contact": "ivan@mail.ru"})
    response = await client.get("/leads", params={"q": q})
    assert response.status_code == 200 and isinstance(response.json()["items"], list)
