"""The original REST contract and the new /leads routes, over HTTP against real PostgreSQL."""

from __future__ import annotations

import pytest

from core.services import leads as svc
from core.storage.uow import SqlUnitOfWork

ORIGINAL_FIELDS = {
    "id",
    "source",
    "stage",
    "business_domain",
    "activity_count",
    "ai_score",
    "ai_recommendation",
    "ai_reason",
    "created_at",
}
NEW_FIELDS = {
    "name",
    "contact",
    "attributes",
    "activity_counts",
    "ai_scored_at",
    "scorer_version",
    "owner_id",
    "lost_reason",
    "lost_reason_code",
    "updated_at",
    "first_contact_at",
    "last_activity_at",
    "version",
}


async def _create(client, **body) -> dict:
    body.setdefault("source", "partner")
    response = await client.post("/leads/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _qualified(client, **body) -> dict:
    lead = await _create(client, **body)
    for _ in range(4):
        assert (await client.post(f"/leads/{lead['id']}/activities", json={"kind": "call"})).status_code == 201
    for stage in ("contacted", "qualified"):
        assert (await client.patch(f"/leads/{lead['id']}/stage", json={"stage": stage})).status_code == 200
    return lead


# --- the original contract -------------------------------------------------------------------------------


async def test_create_returns_201_with_the_original_and_the_new_fields(client) -> None:
    response = await client.post("/leads/", json={"source": "scanner", "business_domain": "fintech"})
    assert response.status_code == 201
    lead = response.json()
    assert set(lead) >= ORIGINAL_FIELDS | NEW_FIELDS
    assert lead["source"] == "scanner" and lead["business_domain"] == "fintech"
    assert (lead["stage"], lead["activity_count"], lead["ai_score"], lead["ai_recommendation"]) == (
        "new",
        0,
        None,
        None,
    )
    assert lead["version"] == 1 and lead["attributes"] == {} and lead["created_at"]


async def test_create_accepts_name_contact_and_attributes(client) -> None:
    lead = await _create(
        client,
        source="manual",
        name="  ACME  Ltd ",
        contact="ops@acme.example",
        attributes={"country": "DE", "seats": 40},
    )
    assert lead["name"] == "ACME Ltd"
    assert lead["contact"] == "ops@acme.example"
    assert lead["attributes"] == {"country": "DE", "seats": 40}


@pytest.mark.parametrize("path", ["/leads", "/leads/"])
async def test_create_and_list_answer_with_and_without_the_trailing_slash(client, path) -> None:
    created = await client.post(path, json={"source": "manual"})
    assert created.status_code == 201
    listed = await client.get(path)
    assert listed.status_code == 200
    assert created.json()["id"] in [lead["id"] for lead in listed.json()["items"]]


async def test_get_returns_the_stored_lead(client) -> None:
    lead = await _create(client, source="partner", name="Globex")
    response = await client.get(f"/leads/{lead['id']}")
    assert response.status_code == 200
    assert response.json() == lead


async def test_get_of_a_missing_lead_is_404_lead_not_found(client) -> None:
    response = await client.get("/leads/987654321")
    assert response.status_code == 404
    assert response.json() == {"detail": "Lead not found"}


async def test_stage_moves_one_step_forward(client) -> None:
    lead = await _create(client)
    response = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "contacted"})
    assert response.status_code == 200
    assert response.json()["stage"] == "contacted"
    assert response.json()["version"] == lead["version"] + 1


@pytest.mark.parametrize(
    ("target", "detail"),
    [
        ("qualified", "Invalid stage transition from 'new' to 'qualified'"),
        ("new", "Invalid stage transition from 'new' to 'new'"),
        ("banana", "Invalid stage transition from 'new' to 'banana'"),
    ],
)
async def test_invalid_transition_is_400_with_the_original_message(client, target, detail) -> None:
    lead = await _create(client)
    response = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": target})
    assert response.status_code == 400
    assert response.json() == {"detail": detail}


async def test_stage_change_of_a_missing_lead_is_404(client) -> None:
    response = await client.patch("/leads/987654321/stage", json={"stage": "contacted"})
    assert (response.status_code, response.json()) == (404, {"detail": "Lead not found"})


async def test_transfer_without_score_and_domain_is_400_naming_both_conditions(client) -> None:
    lead = await _qualified(client)
    response = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "transferred"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("Cannot transfer lead to sales:")
    assert "no AI score" in detail and "business_domain is not set" in detail


async def test_transfer_with_a_low_score_is_400_naming_the_score(client) -> None:
    lead = await _create(client, source="manual", business_domain="fintech")
    for stage in ("contacted", "qualified"):
        await client.patch(f"/leads/{lead['id']}/stage", json={"stage": stage})
    analyzed = (await client.post(f"/leads/{lead['id']}/analyze")).json()
    assert analyzed["ai_score"] < 0.6
    response = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "transferred"})
    assert response.status_code == 400
    assert f"ai_score {analyzed['ai_score']:.2f} is below the required 0.60" in response.json()["detail"]


async def test_transfer_with_score_and_domain_succeeds_and_freezes_the_lead(client) -> None:
    lead = await _qualified(client, business_domain="saas")
    analyzed = await client.post(f"/leads/{lead['id']}/analyze")
    assert analyzed.json()["ai_score"] >= 0.6
    response = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "transferred"})
    assert response.status_code == 200
    assert response.json()["stage"] == "transferred"
    again = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "lost"})
    assert again.status_code == 400
    assert again.json() == {"detail": "Invalid stage transition from 'transferred' to 'lost'"}


async def test_analyze_stores_the_rules_v1_score(client) -> None:
    # partner .7, no activity -.2, new 0, known domain +.1 -> 0.6, continue qualification
    lead = await _create(client, source="partner", business_domain="fintech")
    response = await client.post(f"/leads/{lead['id']}/analyze")
    assert response.status_code == 200
    body = response.json()
    assert body["ai_score"] == pytest.approx(0.6)
    assert body["ai_recommendation"] == "continue_qualification"
    assert body["ai_reason"] and body["scorer_version"] == "rules-v1" and body["ai_scored_at"]
    assert (await client.get(f"/leads/{lead['id']}")).json()["ai_score"] == pytest.approx(0.6)


async def test_analyze_of_a_missing_lead_is_404(client) -> None:
    response = await client.post("/leads/987654321/analyze")
    assert (response.status_code, response.json()) == (404, {"detail": "Lead not found"})


# --- new routes --------------------------------------------------------------------------------------------


async def test_lost_keeps_the_reason(client) -> None:
    lead = await _create(client)
    response = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "lost", "reason": "no budget"})
    assert response.status_code == 200
    assert (response.json()["stage"], response.json()["lost_reason"]) == ("lost", "no budget")


async def test_lost_with_a_preset_code_returns_the_code_on_the_lead_and_in_the_history(client) -> None:
    lead = await _create(client)
    body = {"stage": "lost", "reason_code": "competitor", "reason": "Acme was cheaper"}
    response = await client.patch(f"/leads/{lead['id']}/stage", json=body)
    assert response.status_code == 200
    assert (response.json()["lost_reason_code"], response.json()["lost_reason"]) == ("competitor", "Acme was cheaper")
    [change] = (await client.get(f"/leads/{lead['id']}/history")).json()["items"]
    assert (change["reason_code"], change["reason"]) == ("competitor", "Acme was cheaper")


async def test_an_unknown_lost_reason_code_is_a_422_naming_the_field(client) -> None:
    lead = await _create(client)
    response = await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "lost", "reason_code": "weather"})
    assert response.status_code == 422 and "reason_code" in response.json()["detail"]


async def test_logging_an_activity_returns_201_and_updates_the_counters(client) -> None:
    lead = await _create(client)
    response = await client.post(f"/leads/{lead['id']}/activities", json={"kind": "meeting", "text": "demo booked"})
    assert response.status_code == 201
    activity = response.json()
    assert (activity["lead_id"], activity["kind"], activity["text"]) == (lead["id"], "meeting", "demo booked")
    assert activity["author"] == "api:test-client"
    after = (await client.get(f"/leads/{lead['id']}")).json()
    assert after["activity_count"] == 1 and after["activity_counts"] == {"meeting": 1}
    assert after["first_contact_at"] and after["last_activity_at"]


async def test_activities_are_listed_newest_first(client) -> None:
    lead = await _create(client)
    for kind in ("call", "email", "note"):
        await client.post(f"/leads/{lead['id']}/activities", json={"kind": kind})
    response = await client.get(f"/leads/{lead['id']}/activities")
    assert response.status_code == 200
    assert [a["kind"] for a in response.json()["items"]] == ["note", "email", "call"]
    assert [a["kind"] for a in (await client.get(f"/leads/{lead['id']}/activities?limit=1")).json()["items"]] == [
        "note"
    ]


async def test_activity_on_a_final_lead_is_refused_with_400(client) -> None:
    lead = await _create(client)
    await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "lost"})
    response = await client.post(f"/leads/{lead['id']}/activities", json={"kind": "call"})
    assert response.status_code == 400
    assert response.json() == {"detail": f"Lead #{lead['id']} is already 'lost'; it can no longer be changed"}


async def test_activities_and_history_of_a_missing_lead_are_404(client) -> None:
    for response in (
        await client.get("/leads/987654321/activities"),
        await client.post("/leads/987654321/activities", json={"kind": "call"}),
        await client.get("/leads/987654321/history"),
    ):
        assert (response.status_code, response.json()) == (404, {"detail": "Lead not found"})


async def test_history_lists_every_stage_change_with_actor_and_reason(client) -> None:
    lead = await _create(client)
    await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "contacted"})
    await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "lost", "reason": "went silent"})
    response = await client.get(f"/leads/{lead['id']}/history")
    assert response.status_code == 200
    changes = response.json()["items"]
    assert [(c["from_stage"], c["to_stage"]) for c in changes] == [("contacted", "lost"), ("new", "contacted")]
    assert changes[0]["reason"] == "went silent" and changes[0]["actor"] == "api:test-client"


async def test_patch_changes_only_the_fields_sent(client) -> None:
    lead = await _create(client, name="Old name", contact="+7 900 000-00-00", attributes={"country": "RU"})
    response = await client.patch(
        f"/leads/{lead['id']}", json={"business_domain": "EdTech", "attributes": {"lang": "en"}}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["contact"]) == ("Old name", "+7 900 000-00-00")
    assert (body["business_domain"], body["attributes"]) == ("edtech", {"lang": "en"})
    cleared = await client.patch(f"/leads/{lead['id']}", json={"name": None})
    assert cleared.status_code == 200 and cleared.json()["name"] is None


async def test_patch_with_a_domain_outside_the_catalogue_is_422_naming_the_catalogue(client) -> None:
    lead = await _create(client)
    response = await client.patch(f"/leads/{lead['id']}", json={"business_domain": "astrology"})
    assert response.status_code == 422
    assert (
        response.json()["detail"]
        == "business_domain: 'astrology' is not in the catalogue: ecommerce, edtech, fintech, saas"
    )


async def test_patch_of_a_final_lead_is_400(client) -> None:
    lead = await _create(client)
    await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "lost"})
    response = await client.patch(f"/leads/{lead['id']}", json={"name": "Late"})
    assert response.status_code == 400 and "can no longer be changed" in response.json()["detail"]


# --- list and keyset pagination ----------------------------------------------------------------------------


async def test_list_filters_by_stage_owner_and_source(client, session_factory, services, system, managers) -> None:
    anna, boris = managers
    uow = SqlUnitOfWork(session_factory)
    made = {}
    for owner in (anna, boris):
        for source in ("partner", "scanner"):
            lead = await svc.create_lead(uow, services, system, source=source, owner_id=owner)
            made[(owner, source)] = lead.id
    await svc.change_stage(uow, services, system, made[(anna, "scanner")], "contacted")

    def ids(response):
        assert response.status_code == 200, response.text
        return {lead["id"] for lead in response.json()["items"]}

    assert ids(await client.get(f"/leads?owner_id={anna}")) == {made[(anna, "partner")], made[(anna, "scanner")]}
    assert ids(await client.get(f"/leads?owner_id={anna}&stage=new")) == {made[(anna, "partner")]}
    assert ids(await client.get(f"/leads?owner_id={anna}&stage=contacted")) == {made[(anna, "scanner")]}
    assert ids(await client.get("/leads?source=scanner&stage=new")) == {made[(boris, "scanner")]}
    listed = (await client.get(f"/leads?owner_id={boris}")).json()["items"]
    assert len(listed) == 2 and {lead["owner_id"] for lead in listed} == {boris}


async def test_keyset_pagination_walks_every_lead_once_newest_first(client) -> None:
    created = []
    for _ in range(7):
        created.append((await _create(client))["id"])
    seen: list[int] = []
    cursor, pages = None, 0
    while True:
        url = "/leads?limit=3&source=partner&stage=new" + (f"&cursor={cursor}" if cursor else "")
        response = await client.get(url)
        assert response.status_code == 200
        page = response.json()
        assert len(page["items"]) <= 3
        seen.extend(lead["id"] for lead in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert len(seen) == len(set(seen))
    assert seen == list(reversed(created))
    assert pages == 3


async def test_the_last_page_has_no_next_cursor(client) -> None:
    await _create(client, source="manual")
    page = (await client.get("/leads?limit=200&source=manual")).json()
    assert page["items"] and page["next_cursor"] is None


def _b64(raw: str) -> str:
    import base64

    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "MjAyNi0xMS0yNXwx",
        "eA",
        "x" * 300,
        _b64("2026-11-25T10:00:00|5"),  # naive
        _b64("0001-01-01T00:00:00+14:00|1"),  # before year 1 in UTC
        _b64("9999-12-31T23:59:59-14:00|1"),  # after year 9999 in UTC
        _b64("2026-11-25T10:00:00+00:00|0"),
        _b64(f"2026-11-25T10:00:00+00:00|{2**63}"),
        _b64("2026-11-25T10:00:00+00:00|"),
        _b64("\x00|1"),
        "\u00e9t\u00e9",
    ],
)
async def test_a_cursor_that_does_not_decode_is_422_with_a_message(client, cursor) -> None:
    response = await client.get("/leads", params={"cursor": cursor})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert (
        detail == "Invalid cursor: pass the next_cursor of the previous page unchanged"
        or detail.startswith("cursor:")
        or "Start again without cursor" in detail  # one of the former updated_at order
    )


async def test_a_lead_changed_during_a_pass_is_neither_skipped_nor_repeated(client) -> None:
    created = [(await _create(client, source="scanner"))["id"] for _ in range(6)]
    first = (await client.get("/leads?limit=3&source=scanner")).json()
    assert [lead["id"] for lead in first["items"]] == created[:2:-1]
    # The oldest lead of the next page changes now; with the newest-updated order it jumped to page 1.
    changed = created[0]
    response = await client.patch(f"/leads/{changed}", json={"name": "Changed meanwhile"})
    assert response.status_code == 200, response.text
    second = (await client.get(f"/leads?limit=3&source=scanner&cursor={first['next_cursor']}")).json()
    assert [lead["id"] for lead in second["items"]] == created[2::-1]
    assert second["next_cursor"] is None


async def test_updated_since_lists_only_leads_changed_since_then(client) -> None:
    old = (await _create(client, source="scanner"))["id"]
    untouched = (await _create(client, source="scanner"))["id"]
    since = (await client.get(f"/leads/{untouched}")).json()["updated_at"]
    fresh = (await _create(client, source="scanner"))["id"]
    assert (await client.patch(f"/leads/{old}", json={"name": "Touched"})).status_code == 200
    response = await client.get("/leads", params={"source": "scanner", "updated_since": since})
    assert response.status_code == 200, response.text
    ids = [lead["id"] for lead in response.json()["items"]]
    assert fresh in ids and old in ids and ids == sorted(ids, reverse=True)
    later = (await client.get("/leads", params={"updated_since": "2999-01-01T00:00:00Z"})).json()
    assert later["items"] == []


@pytest.mark.parametrize("value", ["yesterday", "0001-01-01T00:00:00+14:00"])
async def test_a_bad_updated_since_is_422_naming_it(client, value) -> None:
    response = await client.get("/leads", params={"updated_since": value})
    assert response.status_code == 422 and "updated_since" in response.json()["detail"]


async def test_a_cursor_of_the_former_updated_at_order_is_refused_clearly(client) -> None:
    response = await client.get("/leads", params={"cursor": _b64("2026-11-25T10:00:00+00:00|5")})
    assert response.status_code == 422
    assert "Start again without cursor" in response.json()["detail"]


async def test_openapi_documents_updated_since_and_the_stable_order(client) -> None:
    schema = (await client.get("/openapi.json")).json()
    op = schema["paths"]["/leads"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["updated_since"]["schema"]["anyOf"][0]["format"] == "date-time"
    assert "incremental" in params["updated_since"]["description"]
    assert "by id" in op["summary"]


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("stage=frozen", "stage"),
        ("source=radio", "source"),
        ("owner_id=abc", "owner_id"),
        ("owner_id=99999999999999999999", "owner_id"),
    ],
)
async def test_bad_list_parameters_are_422_naming_the_parameter(client, query, needle) -> None:
    response = await client.get(f"/leads?{query}")
    assert response.status_code == 422
    assert needle in response.json()["detail"]


async def test_unknown_stage_filter_names_the_allowed_stages(client) -> None:
    response = await client.get("/leads?stage=frozen")
    detail = response.json()["detail"]
    for stage in ("new", "contacted", "qualified", "transferred", "lost"):
        assert stage in detail


# ---------------------------------------------------------------- owners


async def test_an_api_lead_gets_an_owner_by_the_rule_and_the_list_names_the_owner(client, managers) -> None:
    anna, boris = managers
    first, second = await _create(client), await _create(client)
    assert {first["owner_id"], second["owner_id"]} == {anna, boris}
    listed = (await client.get("/leads")).json()["items"]
    names = {lead["id"]: lead["owner_name"] for lead in listed}
    assert names[first["id"]] in ("Anna", "Boris") and names[first["id"]] == first["owner_name"]
    assert names[second["id"]] is not None


async def test_create_and_patch_take_an_owner_and_refuse_an_inactive_or_unknown_one(
    client, managers, session_factory
) -> None:
    anna, boris = managers
    lead = await _create(client, owner_id=anna)
    assert (lead["owner_id"], lead["owner_name"]) == (anna, "Anna")
    moved = await client.patch(f"/leads/{lead['id']}", json={"owner_id": boris})
    assert moved.status_code == 200 and moved.json()["owner_id"] == boris
    assert moved.json()["version"] == lead["version"] + 1
    for bad in (424242, -1):
        refused = await client.post("/leads/", json={"source": "partner", "owner_id": bad})
        assert refused.status_code == 422
        assert refused.json()["detail"] == f"owner_id: user {bad} is not an active manager or team lead"
    refused = await client.patch(f"/leads/{lead['id']}", json={"owner_id": 424242})
    assert refused.status_code == 422 and "owner_id" in refused.json()["detail"]
    assert (await client.get(f"/leads/{lead['id']}")).json()["owner_id"] == boris


async def test_unassigned_lists_the_queue_and_patch_null_puts_a_lead_back(client, managers) -> None:
    anna, _ = managers
    lead = await _create(client, owner_id=anna)
    assert (await client.get("/leads?unassigned=true")).json()["items"] == []
    queued = await client.patch(f"/leads/{lead['id']}", json={"owner_id": None})
    assert queued.status_code == 200 and queued.json()["owner_id"] is None
    listed = (await client.get("/leads?unassigned=true")).json()["items"]
    assert [item["id"] for item in listed] == [lead["id"]]
    assert (await client.get(f"/leads?unassigned=true&owner_id={anna}")).json()["items"] == []


async def test_history_shows_assignments_next_to_the_stage_changes(client, managers) -> None:
    anna, boris = managers
    lead = await _create(client, owner_id=anna)
    await client.patch(f"/leads/{lead['id']}", json={"owner_id": boris})
    await client.patch(f"/leads/{lead['id']}/stage", json={"stage": "contacted"})
    body = (await client.get(f"/leads/{lead['id']}/history")).json()
    assert [item["to_stage"] for item in body["items"]] == ["contacted"]  # the original list, unchanged
    moves = [(e["kind"], e["data"]["from_id"], e["data"]["to_id"]) for e in body["events"]]
    assert moves == [("assigned", anna, boris), ("assigned", None, anna)]
    assert body["events"][0]["actor"] == "api:test-client" and body["events"][0]["data"]["to_name"] == "Boris"
