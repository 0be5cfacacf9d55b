"""A card's detail and its actions: log an activity (with how it went), set the next step from free text the way
the bot reads it (or ISO), clear it; each refuses bad input with a 422 and a message and a stale card with 409."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.storage.models import ActivityRow, LeadRow
from tests.api.board.conftest import MANAGER


async def test_the_detail_has_contacts_score_history_and_the_allowed_actions(board_client, make_lead):
    lead = await make_lead(MANAGER, contact="+49 30 1234567", company="Acme", business_domain="saas")
    client = board_client(MANAGER)
    logged = await client.post(
        f"/app/api/leads/{lead.id}/activities", json={"kind": "call", "outcome": "reached", "version": lead.version}
    )
    version = logged.json()["card"]["version"]
    await client.post(f"/app/api/leads/{lead.id}/analyze", json={"version": version})
    detail = (await client.get(f"/app/api/leads/{lead.id}")).json()
    assert detail["contact"] == "+49 30 1234567" and detail["contacts"][0]["kind"] == "phone"
    assert detail["business_domain"] == "saas"
    assert 0 <= detail["score"]["value"] <= 1 and detail["score"]["reason"]
    assert any(h["type"] == "activity" and "Call" in h["text"] for h in detail["history"])
    assert detail["history"][0]["actor"] == "Max Manager"
    assert detail["actions"]["move_to"] == "contacted" and detail["actions"]["transfer"] is False
    assert {k["code"] for k in detail["lost_reasons"]} >= {"no_budget", "competitor"}
    assert "saas" in {d["code"] for d in detail["domains"]}
    call = next(k for k in detail["activity_kinds"] if k["code"] == "call")
    assert {o["code"] for o in call["outcomes"]} == {"reached", "no_answer", "call_back"}


async def test_the_score_reason_is_in_the_users_language(board_client, make_lead):
    lead = await make_lead(MANAGER, business_domain="saas")
    await board_client(MANAGER).post(f"/app/api/leads/{lead.id}/analyze", json={"version": lead.version})
    en = (await board_client(MANAGER, language_code="en").get(f"/app/api/leads/{lead.id}")).json()
    ru = (await board_client(MANAGER, language_code="ru").get(f"/app/api/leads/{lead.id}")).json()
    assert en["score"]["reason"] and ru["score"]["reason"] and en["score"]["reason"] != ru["score"]["reason"]


async def test_logging_an_activity_stores_it(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    response = await board_client(MANAGER).post(
        f"/app/api/leads/{lead.id}/activities",
        json={"kind": "meeting", "outcome": "held", "text": "went well", "version": lead.version},
    )
    assert response.status_code == 200, response.text
    assert response.json()["note"] == "Logged: Meeting · held."
    async with session_factory() as session:
        rows = (await session.execute(select(ActivityRow).where(ActivityRow.lead_id == lead.id))).scalars().all()
    assert [(r.kind, r.outcome, r.text) for r in rows] == [("meeting", "held", "went well")]


async def test_a_first_contact_can_move_the_lead_to_contacted(board_client, make_lead):
    lead = await make_lead(MANAGER)
    response = await board_client(MANAGER).post(
        f"/app/api/leads/{lead.id}/activities", json={"kind": "call", "version": lead.version, "to_contacted": True}
    )
    assert response.json()["card"]["stage"] == "contacted"


async def test_bad_activities_are_refused(board_client, make_lead):
    lead = await make_lead(MANAGER)
    client = board_client(MANAGER)
    for body in (
        {"kind": "telepathy", "version": lead.version},
        {"kind": "message", "outcome": "held", "version": lead.version},
        {"kind": "call", "version": 0},
        {"kind": "call"},
        {"kind": "call", "version": lead.version, "extra": 1},
        {"kind": "call", "version": lead.version, "text": "x" * 5000},
    ):
        response = await client.post(f"/app/api/leads/{lead.id}/activities", json=body)
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid" and response.json()["detail"], body
    stale = await client.post(f"/app/api/leads/{lead.id}/activities", json={"kind": "call", "version": 999})
    assert stale.status_code == 409 and stale.json()["code"] == "stale"


async def _due_at(session_factory, lead_id: int) -> datetime | None:
    async with session_factory() as session:
        row = (await session.execute(select(LeadRow).where(LeadRow.id == lead_id))).scalar_one()
        return row.next_step_due_at


async def test_the_next_step_is_read_from_free_text_in_the_users_zone(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    response = await board_client(MANAGER).post(
        f"/app/api/leads/{lead.id}/next-step",
        json={"kind": "meeting", "due": "tomorrow 10:00", "version": lead.version},
    )
    assert response.status_code == 200, response.text
    step = response.json()["card"]["next_step"]
    assert step["kind"] == "meeting" and step["overdue"] is False
    assert response.json()["note"].startswith("Next step set: Meeting")
    due = await _due_at(session_factory, lead.id)
    assert due is not None and timedelta(0) < due - datetime.now(UTC) < timedelta(days=2)
    assert due.astimezone(ZoneInfo("Europe/Moscow")).hour == 10  # the team's default zone


async def test_the_next_step_takes_an_iso_moment_and_can_be_cleared(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    client = board_client(MANAGER)
    moment = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    response = await client.post(
        f"/app/api/leads/{lead.id}/next-step",
        json={"due": moment.isoformat(), "note": "send the offer", "version": lead.version},
    )
    assert response.status_code == 200, response.text
    assert await _due_at(session_factory, lead.id) == moment
    assert response.json()["card"]["next_step"]["note"] == "send the offer"
    cleared = await client.post(
        f"/app/api/leads/{lead.id}/next-step", json={"clear": True, "version": response.json()["card"]["version"]}
    )
    assert cleared.status_code == 200 and cleared.json()["card"]["next_step"] is None
    assert await _due_at(session_factory, lead.id) is None


async def test_an_unreadable_or_past_time_is_refused_with_the_bots_examples(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    client = board_client(MANAGER, language_code="ru")
    garbage = await client.post(
        f"/app/api/leads/{lead.id}/next-step", json={"due": "when pigs fly", "version": lead.version}
    )
    assert garbage.status_code == 422 and garbage.json()["code"] == "invalid"
    assert "when pigs fly" in garbage.json()["detail"] and "завтра" in garbage.json()["detail"]
    past = await client.post(
        f"/app/api/leads/{lead.id}/next-step", json={"due": "2020-01-01T10:00:00+00:00", "version": lead.version}
    )
    assert past.status_code == 422 and past.json()["code"] == "invalid"
    missing = await client.post(f"/app/api/leads/{lead.id}/next-step", json={"version": lead.version})
    assert missing.status_code == 422
    assert await _due_at(session_factory, lead.id) is None


async def test_an_unknown_domain_is_refused(board_client, make_lead):
    lead = await make_lead(MANAGER)
    response = await board_client(MANAGER).post(
        f"/app/api/leads/{lead.id}/domain", json={"domain": "astrology", "version": lead.version}
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid"
