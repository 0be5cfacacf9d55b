"""``/sales`` over HTTP: read a sale, move it, errors as 4xx with a message."""

from tests.journeys import transferred_lead


async def _transferred(uow, services, system):
    return await transferred_lead(uow, services, system)


async def _sale_id(uow, services, system) -> int:
    return (await _transferred(uow, services, system)).sale.id


async def test_get_sale_returns_its_stage_and_lead(client, uow, services, system) -> None:
    transfer = await _transferred(uow, services, system)
    sale_id = transfer.sale.id
    r = await client.get(f"/sales/{sale_id}")
    assert r.status_code == 200
    body = r.json()
    assert (body["id"], body["stage"], body["closed_at"]) == (sale_id, "new", None)
    assert body["lead_id"] == transfer.lead.id


async def test_patch_stage_moves_the_sale_to_paid_one_step_at_a_time(client, uow, services, system) -> None:
    sale_id = await _sale_id(uow, services, system)
    for stage in ("kyc", "agreement", "paid"):
        r = await client.patch(f"/sales/{sale_id}/stage", json={"stage": stage})
        assert r.status_code == 200, r.text
        assert r.json()["stage"] == stage
    assert r.json()["closed_at"] is not None


async def test_a_skipped_or_unknown_sale_stage_is_a_400_with_a_message(client, uow, services, system) -> None:
    sale_id = await _sale_id(uow, services, system)
    for stage in ("paid", "shipped"):
        r = await client.patch(f"/sales/{sale_id}/stage", json={"stage": stage})
        assert r.status_code == 400
        assert "Invalid stage transition from 'new'" in r.json()["detail"]
    assert (await client.get(f"/sales/{sale_id}")).json()["stage"] == "new"


async def test_lost_with_a_reason_closes_the_sale(client, uow, services, system) -> None:
    sale_id = await _sale_id(uow, services, system)
    r = await client.patch(f"/sales/{sale_id}/stage", json={"stage": "lost", "reason": "no budget"})
    assert r.status_code == 200 and r.json()["stage"] == "lost" and r.json()["closed_at"]


async def test_unknown_sale_is_404_bad_body_is_422_and_no_key_is_401(client, anon, uow, services, system) -> None:
    assert (await client.get("/sales/987654321")).status_code == 404
    assert (await client.patch("/sales/987654321/stage", json={"stage": "kyc"})).status_code == 404
    sale_id = await _sale_id(uow, services, system)
    assert (await client.patch(f"/sales/{sale_id}/stage", json={"stage": "kyc", "extra": 1})).status_code == 422
    assert (await client.patch(f"/sales/{sale_id}/stage", json={})).status_code == 422
    assert (await anon.get(f"/sales/{sale_id}")).status_code == 401
