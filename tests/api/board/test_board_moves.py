"""Dragging a card: one step forward through the bot's own service (the database and the stage history change);
a skip, a step back, a drop on transferred or lost is refused with the bot's words in the user's language and
changes nothing; a stale card is a 409 "stale" and never acts twice; transfer and lost have their own actions."""

from __future__ import annotations

from sqlalchemy import func, select

from core.storage.models import LeadRow, SaleRow, StageChangeRow
from tests.api.board.conftest import MANAGER, OTHER_MANAGER, TEAM_LEAD


async def _stage(session_factory, lead_id: int) -> tuple[str, int]:
    async with session_factory() as session:
        row = (await session.execute(select(LeadRow).where(LeadRow.id == lead_id))).scalar_one()
        return str(row.stage), int(row.version)


async def _history(session_factory, lead_id: int) -> list[tuple[str, str, str]]:
    async with session_factory() as session:
        rows = await session.execute(
            select(StageChangeRow.from_stage, StageChangeRow.to_stage, StageChangeRow.actor)
            .where(StageChangeRow.lead_id == lead_id)
            .order_by(StageChangeRow.id)
        )
        return [(str(a), str(b), c) for a, b, c in rows]


async def test_dragging_new_to_contacted_moves_the_lead_and_records_the_history(
    board_client, make_lead, session_factory
):
    lead = await make_lead(MANAGER)
    response = await board_client(MANAGER).post(
        f"/app/api/leads/{lead.id}/move", json={"to": "contacted", "version": lead.version}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["card"]["stage"] == "contacted" and body["card"]["version"] > lead.version
    assert body["note"] == "Stage: Contacted."
    assert (await _stage(session_factory, lead.id))[0] == "contacted"
    assert await _history(session_factory, lead.id) == [("new", "contacted", f"tg:{MANAGER}")]


async def test_a_skip_is_refused_in_the_users_language_and_changes_nothing(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    en = await board_client(MANAGER, language_code="en").post(
        f"/app/api/leads/{lead.id}/move", json={"to": "qualified", "version": lead.version}
    )
    ru = await board_client(MANAGER, language_code="ru").post(
        f"/app/api/leads/{lead.id}/move", json={"to": "qualified", "version": lead.version}
    )
    assert en.status_code == ru.status_code == 409
    assert en.json()["code"] == ru.json()["code"] == "invalid_transition"
    assert en.json()["detail"] and ru.json()["detail"] and en.json()["detail"] != ru.json()["detail"]
    assert "<" not in en.json()["detail"]  # plain text, not the bot's HTML
    assert await _stage(session_factory, lead.id) == ("new", lead.version)
    assert await _history(session_factory, lead.id) == []


async def test_a_step_back_is_refused(board_client, make_lead):
    lead = await make_lead(MANAGER)
    client = board_client(MANAGER)
    moved = await client.post(f"/app/api/leads/{lead.id}/move", json={"to": "contacted", "version": lead.version})
    back = await client.post(
        f"/app/api/leads/{lead.id}/move", json={"to": "new", "version": moved.json()["card"]["version"]}
    )
    assert back.status_code == 409 and back.json()["code"] == "invalid_transition"


async def test_dropping_on_transferred_or_lost_points_to_their_actions(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    client = board_client(MANAGER)
    for target, words in (("transferred", "Transfer to sales"), ("lost", "Lost")):
        response = await client.post(f"/app/api/leads/{lead.id}/move", json={"to": target, "version": lead.version})
        assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
        assert words in response.json()["detail"]
    assert await _stage(session_factory, lead.id) == ("new", lead.version)


async def test_a_stale_card_is_a_409_and_never_acts_twice(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    client = board_client(MANAGER)
    first = await client.post(f"/app/api/leads/{lead.id}/move", json={"to": "contacted", "version": lead.version})
    again = await client.post(f"/app/api/leads/{lead.id}/move", json={"to": "contacted", "version": lead.version})
    assert first.status_code == 200
    assert again.status_code == 409 and again.json()["code"] == "stale" and again.json()["detail"]
    assert len(await _history(session_factory, lead.id)) == 1
    # the card moved meanwhile: a drag to "qualified" with the old version does not act either
    late = await client.post(f"/app/api/leads/{lead.id}/move", json={"to": "qualified", "version": lead.version})
    assert late.status_code == 409 and late.json()["code"] == "stale"
    assert (await _stage(session_factory, lead.id))[0] == "contacted"


async def test_another_managers_lead_is_not_found(board_client, make_lead, session_factory):
    lead = await make_lead(OTHER_MANAGER)
    response = await board_client(MANAGER).post(
        f"/app/api/leads/{lead.id}/move", json={"to": "contacted", "version": lead.version}
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert (await board_client(MANAGER).get(f"/app/api/leads/{lead.id}")).status_code == 404
    assert await _stage(session_factory, lead.id) == ("new", lead.version)


async def test_a_team_lead_may_move_anyones_lead(board_client, make_lead):
    lead = await make_lead(MANAGER)
    response = await board_client(TEAM_LEAD).post(
        f"/app/api/leads/{lead.id}/move", json={"to": "contacted", "version": lead.version}
    )
    assert response.status_code == 200


async def _qualified(client, lead) -> int:
    version = lead.version
    for _ in range(4):
        logged = await client.post(f"/app/api/leads/{lead.id}/activities", json={"kind": "call", "version": version})
        assert logged.status_code == 200, logged.text
        version = logged.json()["card"]["version"]
    for stage in ("contacted", "qualified"):
        moved = await client.post(f"/app/api/leads/{lead.id}/move", json={"to": stage, "version": version})
        assert moved.status_code == 200, moved.text
        version = moved.json()["card"]["version"]
    return version


async def test_a_refused_transfer_says_why_and_offers_what_the_bot_offers(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER, source="partner")
    client = board_client(MANAGER)
    version = await _qualified(client, lead)
    response = await client.post(f"/app/api/leads/{lead.id}/transfer", json={"version": version})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transfer_refused"
    assert set(body["blocks"]) == {"no_score", "no_domain"} and body["offers"] == ["analyze", "set_domain"]
    assert "Cannot transfer to sales" in body["detail"]
    assert (await _stage(session_factory, lead.id))[0] == "qualified"


async def test_transfer_after_analyze_and_domain_creates_the_deal(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER, source="partner")
    client = board_client(MANAGER)
    version = await _qualified(client, lead)
    domain = await client.post(f"/app/api/leads/{lead.id}/domain", json={"domain": "saas", "version": version})
    assert domain.status_code == 200, domain.text
    analyzed = await client.post(
        f"/app/api/leads/{lead.id}/analyze", json={"version": domain.json()["card"]["version"]}
    )
    assert analyzed.status_code == 200 and analyzed.json()["card"]["score"] >= 0.6
    assert analyzed.json()["note"].startswith("Analyzed: score")
    response = await client.post(
        f"/app/api/leads/{lead.id}/transfer", json={"version": analyzed.json()["card"]["version"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["card"]["stage"] == "transferred" and response.json()["sale_id"]
    async with session_factory() as session:
        deals = (await session.execute(select(func.count()).where(SaleRow.lead_id == lead.id))).scalar_one()
    assert deals == 1


async def test_lost_needs_a_reason_and_records_it(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    client = board_client(MANAGER)
    none = await client.post(f"/app/api/leads/{lead.id}/lost", json={"version": lead.version})
    assert none.status_code == 422 and none.json()["code"] == "invalid"
    bad = await client.post(f"/app/api/leads/{lead.id}/lost", json={"version": lead.version, "reason_code": "zzz"})
    assert bad.status_code == 422
    response = await client.post(
        f"/app/api/leads/{lead.id}/lost", json={"version": lead.version, "reason_code": "no_budget", "reason": "later"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["card"]["stage"] == "lost" and "later" in response.json()["note"]
    history = await _history(session_factory, lead.id)
    assert history == [("new", "lost", f"tg:{MANAGER}")]
    closed = await client.post(
        f"/app/api/leads/{lead.id}/move", json={"to": "contacted", "version": response.json()["card"]["version"]}
    )
    assert closed.status_code == 409 and closed.json()["code"] == "invalid_transition"
