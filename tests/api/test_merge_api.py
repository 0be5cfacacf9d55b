"""POST /leads/{id}/merge, the 410 of a merged lead on every /leads/{id}... route, and the 409 of a contact
added to a lead that another lead has (PATCH), over HTTP on real PostgreSQL."""

from __future__ import annotations

import pytest


async def _post(client, **body):
    body.setdefault("source", "partner")
    response = await client.post("/leads/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_merge_returns_the_survivor_with_both_leads_history_and_contacts(client) -> None:
    keep = await _post(client, name="Acme", contact="+7 999 123-45-67")
    gone = await _post(client, company="Acme LLC", contacts=[{"value": "ceo@acme.example"}], business_domain="saas")
    assert (await client.post(f"/leads/{gone['id']}/activities", json={"kind": "call"})).status_code == 201

    response = await client.post(
        f"/leads/{keep['id']}/merge",
        json={"merge_lead_id": gone["id"], "expected_version": keep["version"], "merge_lead_version": 2},
    )

    assert response.status_code == 200, response.text
    lead = response.json()
    assert lead["id"] == keep["id"] and lead["version"] == keep["version"] + 1
    assert (lead["name"], lead["company"], lead["business_domain"]) == ("Acme", "Acme LLC", "saas")
    assert [c["normal"] for c in lead["contacts"]] == ["+79991234567", "ceo@acme.example"]
    assert lead["activity_count"] == 1
    activities = (await client.get(f"/leads/{keep['id']}/activities")).json()["items"]
    assert [a["kind"] for a in activities] == ["call"]
    events = (await client.get(f"/leads/{keep['id']}/history")).json()["events"]
    assert events[0]["kind"] == "merged" and events[0]["data"]["merged_id"] == gone["id"]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "x"}),
        ("PATCH", "/stage", {"stage": "contacted"}),
        ("POST", "/analyze", None),
        ("POST", "/activities", {"kind": "call"}),
        ("GET", "/activities", None),
        ("GET", "/history", None),
        ("POST", "/merge", {"merge_lead_id": 1}),
    ],
)
async def test_every_route_of_a_merged_lead_answers_410_naming_the_survivor(client, method, suffix, body) -> None:
    keep = await _post(client, name="Keep")
    gone = await _post(client, name="Gone")
    assert (await client.post(f"/leads/{keep['id']}/merge", json={"merge_lead_id": gone["id"]})).status_code == 200

    response = await client.request(method, f"/leads/{gone['id']}{suffix}", json=body)

    assert response.status_code == 410, response.text
    assert response.json() == {
        "detail": f"Lead {gone['id']} was merged into lead {keep['id']}",
        "merged_into": keep["id"],
    }


async def test_a_merged_lead_is_not_listed_searched_or_a_duplicate(client) -> None:
    keep = await _post(client, name="Keep")
    gone = await _post(client, name="Gone Ltd", contact="gone@example.com")
    await client.post(f"/leads/{keep['id']}/merge", json={"merge_lead_id": gone["id"]})
    listed = (await client.get("/leads")).json()["items"]
    assert [lead["id"] for lead in listed] == [keep["id"]]
    assert (await client.get("/leads", params={"q": "Gone Ltd"})).json()["items"] == []
    again = await client.post("/leads/", json={"source": "partner", "contact": "gone@example.com"})
    assert again.status_code == 409 and again.json()["existing_lead_id"] == keep["id"]  # the contact moved


async def test_merge_refusals_are_409_404_and_422_and_change_nothing(client) -> None:
    keep = await _post(client, name="Keep")
    other = await _post(client, name="Other")
    third = await _post(client, name="Third")

    same = await client.post(f"/leads/{keep['id']}/merge", json={"merge_lead_id": keep["id"]})
    assert same.status_code == 422 and "itself" in same.json()["detail"]
    missing = await client.post(f"/leads/{keep['id']}/merge", json={"merge_lead_id": 987654321})
    assert missing.status_code == 404
    stale = await client.post(f"/leads/{keep['id']}/merge", json={"merge_lead_id": other["id"], "expected_version": 9})
    assert stale.status_code == 409
    assert (await client.post(f"/leads/{third['id']}/merge", json={"merge_lead_id": other["id"]})).status_code == 200
    merged = await client.post(f"/leads/{keep['id']}/merge", json={"merge_lead_id": other["id"]})
    assert merged.status_code == 409
    assert merged.json()["detail"] == f"Lead {other['id']} was already merged into lead {third['id']}"
    huge = await client.post(f"/leads/{keep['id']}/merge", json={"merge_lead_id": 2**70})
    assert huge.status_code == 422
    assert (await client.get(f"/leads/{keep['id']}")).json()["version"] == keep["version"]


async def test_a_transferred_lead_cannot_be_merged_away(client) -> None:
    keep = await _post(client, name="Keep")
    sold = await _post(client, name="Sold", business_domain="saas")
    for _ in range(7):
        await client.post(f"/leads/{sold['id']}/activities", json={"kind": "meeting"})
    for stage in ("contacted", "qualified"):
        assert (await client.patch(f"/leads/{sold['id']}/stage", json={"stage": stage})).status_code == 200
    await client.post(f"/leads/{sold['id']}/analyze")
    assert (await client.patch(f"/leads/{sold['id']}/stage", json={"stage": "transferred"})).status_code == 200

    response = await client.post(f"/leads/{keep['id']}/merge", json={"merge_lead_id": sold["id"]})

    assert response.status_code == 409
    assert "transferred" in response.json()["detail"]


async def test_a_contact_added_by_patch_that_another_lead_has_is_a_409_unless_allowed(client) -> None:
    other = await _post(client, contact="+7 999 123-45-67")
    lead = await _post(client, contact="me@example.com")
    body = {"contacts": [{"value": "me@example.com"}, {"value": "8 999 123 45 67"}]}

    refused = await client.patch(f"/leads/{lead['id']}", json=body)

    assert refused.status_code == 409, refused.text
    assert refused.json()["existing_lead_id"] == other["id"] and refused.json()["normal"] == "+79991234567"
    assert "allow_duplicate" in refused.json()["detail"]
    assert (await client.patch(f"/leads/{lead['id']}", json={"contact": "89991234567"})).status_code == 409
    assert len((await client.get(f"/leads/{lead['id']}")).json()["contacts"]) == 1
    allowed = await client.patch(f"/leads/{lead['id']}", json={**body, "allow_duplicate": True})
    assert allowed.status_code == 200 and len(allowed.json()["contacts"]) == 2
    # keeping contacts the lead already has is no duplicate, and allow_duplicate alone is no edit
    assert (await client.patch(f"/leads/{lead['id']}", json=body)).status_code == 200
    assert (await client.patch(f"/leads/{lead['id']}", json={"allow_duplicate": True})).status_code == 422


async def test_openapi_documents_the_merge_route_and_410_on_every_lead_route(client) -> None:
    spec = (await client.get("/openapi.json")).json()
    merge = spec["paths"]["/leads/{lead_id}/merge"]["post"]
    assert {"200", "404", "409", "410", "422"} <= set(merge["responses"])
    assert "merge_lead_id" in str(spec["components"]["schemas"]["MergeIn"])
    for path, operations in spec["paths"].items():
        if path.startswith("/leads/{lead_id}"):
            for method, operation in operations.items():
                assert "410" in operation["responses"], (method, path)
                assert "MergedOut" in str(operation["responses"]["410"])
