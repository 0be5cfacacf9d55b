"""The leads board: who sees which cards, the filters, the collapsed closed stages, the card's fields, a column's
"show more", and bad filters as a 422 with a message."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.domain.clock import utcnow
from core.domain.enums import Stage
from core.domain.models import Actor
from core.services import next_steps as steps_svc
from core.storage.models import LeadRow
from core.storage.uow import SqlUnitOfWork
from tests.api.board.conftest import MANAGER, OTHER_MANAGER, TEAM_LEAD


def _ids(board: dict, stage: str) -> list[int]:
    column = next(c for c in board["columns"] if c["stage"] == stage)
    return [card["id"] for card in column["cards"]]


async def test_a_manager_sees_only_their_own_leads(board_client, make_lead):
    mine = await make_lead(MANAGER, name="Mine")
    theirs = await make_lead(OTHER_MANAGER, name="Theirs")
    board = (await board_client(MANAGER).get("/app/api/board")).json()
    assert _ids(board, "new") == [mine.id]
    assert theirs.id not in _ids(board, "new")
    assert board["can_filter"] is False
    assert [o["id"] for o in board["filters"]["owners"]] == [MANAGER]


async def test_a_manager_cannot_see_another_managers_leads_by_asking_for_them(board_client, make_lead):
    await make_lead(OTHER_MANAGER, name="Theirs")
    board = (await board_client(MANAGER).get(f"/app/api/board?owner={OTHER_MANAGER}")).json()
    assert _ids(board, "new") == []


async def test_a_team_lead_sees_everyone_and_filters_by_owner_source_and_text(board_client, make_lead):
    a = await make_lead(MANAGER, name="Anna Fintech", company="Acme")
    b = await make_lead(OTHER_MANAGER, name="Boris Retail")
    client = board_client(TEAM_LEAD)
    board = (await client.get("/app/api/board")).json()
    assert set(_ids(board, "new")) == {a.id, b.id}
    assert board["can_filter"] is True
    assert {MANAGER, OTHER_MANAGER, TEAM_LEAD} <= {o["id"] for o in board["filters"]["owners"]}
    assert _ids((await client.get(f"/app/api/board?owner={OTHER_MANAGER}")).json(), "new") == [b.id]
    assert _ids((await client.get("/app/api/board?q=acme")).json(), "new") == [a.id]
    assert _ids((await client.get("/app/api/board?source=partner")).json(), "new") == []
    assert set(_ids((await client.get("/app/api/board?source=manual")).json(), "new")) == {a.id, b.id}


async def test_a_card_has_what_the_board_shows(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER, name="Ann Lee", company="Acme")
    due = utcnow() + timedelta(hours=2)
    await steps_svc.set_next_step(
        SqlUnitOfWork(session_factory), Actor.system("t"), lead.id, kind="call", due_at=due, note="ask budget"
    )
    board = (await board_client(MANAGER).get("/app/api/board")).json()
    card = next(c for c in board["columns"][0]["cards"] if c["id"] == lead.id)
    assert card["name"] == "Ann Lee" and card["company"] == "Acme" and card["stage"] == "new"
    assert card["owner"] == {"id": MANAGER, "name": "Max Manager"}
    assert card["score"] is None and card["stale"] is False and card["version"] == lead.version + 1
    assert card["next_step"]["kind"] == "call" and card["next_step"]["note"] == "ask budget"
    assert card["next_step"]["overdue"] is False and card["next_step"]["title"] == "Call"


async def test_an_overdue_step_and_a_stalled_lead_are_flagged(board_client, make_lead, session_factory):
    lead = await make_lead(MANAGER)
    past = utcnow() - timedelta(days=20)
    async with session_factory() as session:
        row = (await session.execute(select(LeadRow).where(LeadRow.id == lead.id))).scalar_one()
        row.next_step_kind, row.next_step_due_at = "call", past
        row.stage_entered_at, row.created_at = past, past
        await session.commit()
    card = (await board_client(MANAGER).get("/app/api/board")).json()["columns"][0]["cards"][0]
    assert card["next_step"]["overdue"] is True
    assert card["stale"] is True


async def test_closed_stages_are_counts_only(board_client, make_lead, session_factory):
    leads = [await make_lead(MANAGER, name=f"L{i}") for i in range(3)]
    async with session_factory() as session:
        for lead in leads[:2]:
            row = (await session.execute(select(LeadRow).where(LeadRow.id == lead.id))).scalar_one()
            row.stage = Stage.LOST
        await session.commit()
    board = (await board_client(MANAGER).get("/app/api/board")).json()
    assert [c["stage"] for c in board["columns"]] == ["new", "contacted", "qualified"]
    collapsed = {c["stage"]: c["count"] for c in board["collapsed"]}
    assert collapsed == {"transferred": 0, "lost": 2}
    assert "cards" not in board["collapsed"][0]
    assert board["columns"][0]["count"] == 1
    opened = (await board_client(MANAGER).get("/app/api/board/column/lost")).json()  # a collapsed column tapped
    assert sorted(c["id"] for c in opened["cards"]) == sorted(lead.id for lead in leads[:2])
    assert all(c["stage"] == "lost" for c in opened["cards"]) and opened["count"] == 2


async def test_a_column_shows_a_limit_and_the_rest_page_by_page(board_client, make_lead):
    made = [await make_lead(MANAGER, name=f"L{i}") for i in range(5)]
    client = board_client(MANAGER)
    board = (await client.get("/app/api/board?limit=2")).json()
    new = board["columns"][0]
    assert new["count"] == 5 and len(new["cards"]) == 2 and new["more"] == 3 and new["capped"] is False
    rest = (await client.get("/app/api/board/column/new?limit=2&offset=2")).json()
    last = (await client.get("/app/api/board/column/new?limit=2&offset=4")).json()
    seen = [c["id"] for c in new["cards"]] + [c["id"] for c in rest["cards"]] + [c["id"] for c in last["cards"]]
    assert sorted(seen) == sorted(lead.id for lead in made)
    assert rest["more"] == 1 and last["more"] == 0


async def test_bad_filters_are_a_422_with_a_message(board_client, people):
    client = board_client(TEAM_LEAD)
    for query, words in [
        ("source=nowhere", "source"),
        ("owner=-1", "owner"),
        ("owner=abc", "owner"),
        ("limit=0", "limit"),
        ("limit=100000", "limit"),
        ("q=a", "2"),
        ("stgae=new", "unknown query parameter"),
    ]:
        response = await client.get(f"/app/api/board?{query}")
        assert response.status_code == 422, query
        assert response.json()["code"] == "invalid" and words in response.json()["detail"], query
    response = await client.get("/app/api/board/column/nope")
    assert response.status_code == 422 and response.json()["code"] == "invalid"


async def test_names_come_back_as_raw_text_not_html(board_client, make_lead):
    evil = "<img src=x onerror=alert(1)>"
    await make_lead(MANAGER, name=evil, company="<b>Co</b>")
    response = await board_client(MANAGER).get("/app/api/board")
    card = response.json()["columns"][0]["cards"][0]
    assert card["name"] == evil and card["company"] == "<b>Co</b>"
    assert response.headers["content-type"].startswith("application/json")
