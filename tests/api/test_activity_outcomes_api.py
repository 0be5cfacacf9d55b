"""Activities with an outcome over REST: a call reached / no answer / call back, a meeting held / cancelled,
with an optional comment; an outcome that does not fit the kind is a 422 naming the field."""

from __future__ import annotations

import pytest


async def _lead(client) -> int:
    response = await client.post("/leads/", json={"source": "manual", "name": "Outcome test"})
    assert response.status_code == 201
    return response.json()["id"]


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [("call", "reached"), ("call", "no_answer"), ("call", "call_back"), ("meeting", "held"), ("meeting", "cancelled")],
)
async def test_an_activity_keeps_its_outcome_and_comment(client, kind, outcome) -> None:
    lead_id = await _lead(client)
    body = {"kind": kind, "outcome": outcome, "text": "asked to call after lunch"}
    response = await client.post(f"/leads/{lead_id}/activities", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["outcome"] == outcome and response.json()["text"] == "asked to call after lunch"
    listed = (await client.get(f"/leads/{lead_id}/activities")).json()["items"]
    assert [(a["kind"], a["outcome"]) for a in listed] == [(kind, outcome)]


@pytest.mark.parametrize(
    ("kind", "outcome", "needle"),
    [
        ("call", "held", "outcome: 'held' is not one of: reached, no_answer, call_back"),
        ("meeting", "no_answer", "outcome: 'no_answer' is not one of: held, cancelled"),
        ("note", "reached", "outcome: 'reached' is not allowed here"),
        ("call", "maybe", "outcome"),
    ],
)
async def test_an_outcome_that_does_not_fit_the_kind_is_422(client, kind, outcome, needle) -> None:
    lead_id = await _lead(client)
    response = await client.post(f"/leads/{lead_id}/activities", json={"kind": kind, "outcome": outcome})
    assert response.status_code == 422, response.text
    assert needle in response.json()["detail"]
    assert (await client.get(f"/leads/{lead_id}")).json()["activity_count"] == 0


async def test_an_activity_without_outcome_still_works_as_before(client) -> None:
    lead_id = await _lead(client)
    response = await client.post(f"/leads/{lead_id}/activities", json={"kind": "message"})
    assert response.status_code == 201 and response.json()["outcome"] is None
