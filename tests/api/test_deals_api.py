"""``/sales`` for deals over HTTP: GET /sales by stage and owner in keyset pages, PATCH /sales/{id} for the amount,
currency, expected close and owner, with 422s that name the field."""

from __future__ import annotations

import pytest

from core.domain.enums import Role
from core.domain.models import Actor
from core.services import sales as sales_svc
from core.services import users
from tests.journeys import transferred_lead

TEAM_LEAD = 7301


async def _sale_ids(uow, services, system, n: int) -> list[int]:
    return [(await transferred_lead(uow, services, system, name=f"Co {i}")).sale.id for i in range(n)]


async def test_patch_sets_amount_currency_expected_close_and_owner(client, uow, services, system) -> None:
    await users.ensure_user(uow, user_id=TEAM_LEAD, full_name="Tina", role=Role.TEAM_LEAD)
    [sale_id] = await _sale_ids(uow, services, system, 1)
    r = await client.patch(f"/sales/{sale_id}", json={"amount": 150000})
    assert r.status_code == 200, r.text
    assert (r.json()["amount"], r.json()["currency"]) == ("150000.00", "RUB")  # DEFAULT_CURRENCY
    r = await client.patch(
        f"/sales/{sale_id}",
        json={
            "amount": "2500.5",
            "currency": "usd",
            "expected_close": "2027-03-31T12:00:00+03:00",
            "owner_id": TEAM_LEAD,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["amount"], body["currency"], body["owner_id"]) == ("2500.50", "USD", TEAM_LEAD)
    assert body["expected_close"].startswith("2027-03-31T09:00:00")
    assert (await client.get(f"/sales/{sale_id}")).json() == body
    r = await client.patch(f"/sales/{sale_id}", json={"amount": None, "owner_id": None, "expected_close": None})
    assert r.status_code == 200
    assert [r.json()[k] for k in ("amount", "currency", "owner_id", "expected_close")] == [None] * 4


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({}, "send at least one of"),
        ({"amount": 0}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": 1e13}, "amount"),
        ({"currency": "dollars", "amount": 5}, "currency"),
        ({"currency": "USD"}, "a currency needs an amount"),
        ({"owner_id": 424242}, "user 424242 is not an active"),
        ({"expected_close": "2026-12-25T10:00:00"}, "expected_close"),  # no time zone
        ({"expected_close": "1999-12-31T10:00:00Z"}, "must be between 2000 and 2099"),
        ({"stage": "paid"}, "stage"),
    ],
)
async def test_bad_patches_are_422s_that_name_the_field(client, uow, services, system, body, words) -> None:
    [sale_id] = await _sale_ids(uow, services, system, 1)
    before = (await client.get(f"/sales/{sale_id}")).json()
    r = await client.patch(f"/sales/{sale_id}", json=body)
    assert r.status_code == 422, r.text
    assert words in r.text
    assert (await client.get(f"/sales/{sale_id}")).json() == before


async def test_get_sales_pages_by_id_and_filters_by_stage_and_owner(client, uow, services, system) -> None:
    tina = await users.ensure_user(uow, user_id=TEAM_LEAD, full_name="Tina", role=Role.TEAM_LEAD)
    ids = await _sale_ids(uow, services, system, 5)
    await sales_svc.change_sale_stage(uow, Actor.from_user(tina), ids[1], "kyc")  # Tina becomes its owner
    seen: list[int] = []
    cursor = None
    while True:
        r = await client.get("/sales", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        seen += [item["id"] for item in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
    kyc = (await client.get("/sales", params={"stage": "kyc"})).json()
    assert [item["id"] for item in kyc["items"]] == [ids[1]] and kyc["next_cursor"] is None
    owned = (await client.get("/sales/", params={"owner_id": TEAM_LEAD})).json()
    assert [(item["id"], item["owner_id"]) for item in owned["items"]] == [(ids[1], TEAM_LEAD)]
    assert (await client.get("/sales", params={"stage": "shipped"})).status_code == 422
    assert (await client.get("/sales", params={"cursor": "nonsense"})).status_code == 422
    assert (await client.get("/sales", params={"limit": 0})).status_code == 422


async def test_patching_an_unknown_sale_is_a_404(client) -> None:
    assert (await client.patch("/sales/987654321", json={"amount": 5})).status_code == 404
    assert (await client.patch(f"/sales/{2**63}", json={"amount": 5})).status_code == 404
