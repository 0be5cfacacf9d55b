"""``/reports/*`` over HTTP: the hand-counted week of tests/report_week.py as JSON, behind the API key,
in OpenAPI; bad ranges are 422s with a message."""

from __future__ import annotations

import pytest

from tests.report_week import ANNA, seed_week

WEEK = {"from": "2026-11-02", "to": "2026-11-08", "tz": "Europe/Moscow"}


@pytest.fixture
async def week(uow):
    async with uow:
        seeded = await seed_week(uow.session)
        await uow.commit()
    return seeded


async def test_the_funnel_report_counts_the_moscow_week(client, week) -> None:
    r = await client.get("/reports/funnel", params=WEEK)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"] == {
        "first_day": "2026-11-02",
        "last_day": "2026-11-08",
        "start": "2026-11-01T21:00:00+00:00",
        "end": "2026-11-08T21:00:00+00:00",
        "tz": "Europe/Moscow",
    }
    assert [(s["stage"], s["entered"]) for s in body["stages"]] == [
        ("new", 5), ("contacted", 4), ("qualified", 3), ("transferred", 2), ("lost", 3),
    ]  # fmt: skip
    assert body["stages"][0]["median_seconds"] == 7200.0
    assert (body["won"], body["deals_lost"]) == (1, 1)
    assert [c["rate"] for c in body["conversions"]] == [0.8, 0.75, 2 / 3, 0.5]


async def test_the_managers_report_has_lines_and_the_team_total(client, week) -> None:
    body = (await client.get("/reports/managers", params=WEEK)).json()
    anna = body["managers"][0]
    assert (anna["user_id"], anna["name"], anna["won"], anna["win_rate"]) == (ANNA, "Anna", 1, 0.5)
    assert anna["activities"] == {"call": 2, "message": 1}
    assert anna["won_amounts"] == {"RUB": "1000.00"}
    assert body["total"]["user_id"] is None and body["total"]["new_leads"] == 5


async def test_the_lost_sources_and_scorer_reports(client, week) -> None:
    lost = (await client.get("/reports/lost", params=WEEK)).json()
    assert {(c["stage"], c["reason_code"], c["count"]) for c in lost["leads"]} == {
        ("new", "no_budget", 1), ("contacted", None, 1), ("qualified", "competitor", 1),
    }  # fmt: skip
    assert lost["deals"] == [{"stage": "kyc", "reason_code": None, "count": 1}]
    assert lost["other_texts"][0]["count"] == 2
    sources = (await client.get("/reports/sources", params=WEEK)).json()
    assert sources["sources"][0] == {
        "source": "partner", "business_domain": None, "leads": 3, "transferred": 2, "won": 1,
        "transfer_rate": 2 / 3, "win_rate": 1 / 3,
    }  # fmt: skip
    scorer = (await client.get("/reports/scorer", params=WEEK)).json()
    assert [(b["low"], b["won"], b["lost"]) for b in scorer["bands"]][-2:] == [(0.8, 1, 0), (None, 0, 1)]


async def test_without_the_default_zone_the_days_are_the_teams(client, week, services) -> None:
    r = await client.get("/reports/funnel", params={"from": "2026-11-02", "to": "2026-11-08"})
    assert r.status_code == 200
    assert r.json()["period"]["tz"] == services.policy.default_timezone


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"from": "2026-11-08", "to": "2026-11-02"}, "'to' must not be before 'from'"),
        ({"from": "2024-01-01", "to": "2025-06-01"}, "between 1 and 366"),
        ({"from": "2026-11-02", "to": "2026-11-08", "tz": "Mars/Olympus"}, "not an IANA time zone"),
        ({"from": "yesterday", "to": "2026-11-08"}, ""),
        ({"to": "2026-11-08"}, ""),
        ({"from": "2026-11-02", "to": "2026-11-08", "owner": "1"}, "owner"),
    ],
)
async def test_a_bad_range_is_a_422_with_a_message(client, params, detail: str) -> None:
    r = await client.get("/reports/funnel", params=params)
    assert r.status_code == 422, r.text
    assert detail in r.json()["detail"]


async def test_reports_need_an_api_key(anon) -> None:
    r = await anon.get("/reports/funnel", params=WEEK)
    assert r.status_code == 401


async def test_the_reports_are_in_the_openapi_document(client) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for name in ("funnel", "managers", "lost", "sources", "scorer"):
        params = {p["name"] for p in paths[f"/reports/{name}"]["get"]["parameters"]}
        assert {"from", "to", "tz"} <= params
