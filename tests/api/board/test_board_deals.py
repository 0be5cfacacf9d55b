"""The deals board for team leads and admins: new → kyc → agreement → paid / lost with counts and amounts per
currency; a move is one step forward (or lost) through the bot's service, guarded by the stage the board showed;
managers get a 403 with the bot's sentence."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.domain.enums import SaleStage, Stage
from core.storage.models import LeadRow, SaleRow, SaleStageChangeRow
from tests.api.board.conftest import ADMIN, MANAGER, TEAM_LEAD


async def _deal(session_factory, make_lead, name: str, stage: SaleStage, amount: str | None, currency: str | None):
    lead = await make_lead(MANAGER, name=name)
    async with session_factory() as session:
        row = (await session.execute(select(LeadRow).where(LeadRow.id == lead.id))).scalar_one()
        row.stage = Stage.TRANSFERRED
        sale = SaleRow(lead_id=lead.id, stage=stage, amount=Decimal(amount) if amount else None, currency=currency)
        session.add(sale)
        await session.commit()
        return sale.id


async def test_the_deals_board_has_every_stage_with_amounts_per_currency(board_client, make_lead, session_factory):
    await _deal(session_factory, make_lead, "A", SaleStage.NEW, "1000.50", "USD")
    await _deal(session_factory, make_lead, "B", SaleStage.NEW, "499.50", "USD")
    await _deal(session_factory, make_lead, "C", SaleStage.NEW, "300", "EUR")
    await _deal(session_factory, make_lead, "D", SaleStage.KYC, None, None)
    await _deal(session_factory, make_lead, "E", SaleStage.PAID, "10", "USD")
    body = (await board_client(TEAM_LEAD).get("/app/api/deals")).json()
    columns = {c["stage"]: c for c in body["columns"]}
    assert list(columns) == ["new", "kyc", "agreement", "paid", "lost"]
    assert columns["new"]["count"] == 3 and len(columns["new"]["cards"]) == 3
    totals = {t["currency"]: t["amount"] for t in columns["new"]["totals"]}
    assert totals == {"USD": "1500.00", "EUR": "300.00"}
    assert columns["kyc"]["count"] == 1 and columns["kyc"]["totals"] == []
    assert columns["paid"]["totals"] == [{"currency": "USD", "amount": "10.00", "count": 1}]
    card = columns["kyc"]["cards"][0]
    assert card["name"] == "D" and card["amount"] is None and card["moves"] == ["agreement", "lost"]
    assert card["manager"] == {"id": MANAGER, "name": "Max Manager"}


async def test_a_manager_may_not_open_the_deals_board(board_client, people):
    response = await board_client(MANAGER).get("/app/api/deals")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden" and "team leads" in response.json()["detail"]


async def test_moving_a_deal_one_step_records_it(board_client, make_lead, session_factory):
    sale_id = await _deal(session_factory, make_lead, "A", SaleStage.NEW, "100", "USD")
    client = board_client(ADMIN)
    response = await client.post(f"/app/api/deals/{sale_id}/move", json={"to": "kyc", "stage": "new"})
    assert response.status_code == 200, response.text
    assert response.json()["deal"]["stage"] == "kyc" and response.json()["note"] == "Deal stage: KYC."
    async with session_factory() as session:
        changes = (
            await session.execute(select(SaleStageChangeRow.to_stage).where(SaleStageChangeRow.sale_id == sale_id))
        ).all()
    assert [str(c[0]) for c in changes] == ["kyc"]
    again = await client.post(f"/app/api/deals/{sale_id}/move", json={"to": "kyc", "stage": "new"})
    assert again.status_code == 409 and again.json()["code"] == "stale"
    skip = await client.post(f"/app/api/deals/{sale_id}/move", json={"to": "paid", "stage": "kyc"})
    assert skip.status_code == 409 and skip.json()["code"] == "invalid_transition"


async def test_a_deal_move_by_a_manager_or_with_bad_input_changes_nothing(board_client, make_lead, session_factory):
    sale_id = await _deal(session_factory, make_lead, "A", SaleStage.NEW, None, None)
    assert (
        await board_client(MANAGER).post(f"/app/api/deals/{sale_id}/move", json={"to": "kyc", "stage": "new"})
    ).status_code == 403
    client = board_client(TEAM_LEAD)
    assert (await client.post(f"/app/api/deals/{sale_id}/move", json={"to": "kyc"})).status_code == 422
    bad_stage = await client.post(f"/app/api/deals/{sale_id}/move", json={"to": "kyc", "stage": "nope"})
    assert bad_stage.status_code == 422
    missing = await client.post("/app/api/deals/999999999/move", json={"to": "kyc", "stage": "new"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    async with session_factory() as session:
        stage = (await session.execute(select(SaleRow.stage).where(SaleRow.id == sale_id))).scalar_one()
    assert stage == SaleStage.NEW
