"""Deals for team leads against real PostgreSQL: amount, expected close, owner, /deals pages and totals, and who
is told when a deal closes or an invitee joins (each test rolled back)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.domain.enums import Role, SaleStage
from core.domain.errors import AccessDenied, InvalidValue
from core.domain.models import Actor
from core.services import deals as svc
from core.services import sales as sales_svc
from core.services import users
from core.storage.models import OutboxRow
from tests.journeys import transferred_lead

ADMIN, TEAM_LEAD, MANAGER, OTHER_LEAD = 7101, 7102, 7103, 7104


@pytest.fixture
async def team(uow) -> dict[int, Actor]:
    actors = {}
    for user_id, role, name, language in (
        (ADMIN, Role.ADMIN, "Ada Admin", "en"),
        (TEAM_LEAD, Role.TEAM_LEAD, "Tina Lead", "en"),
        (MANAGER, Role.MANAGER, "Maria Manager", "ru"),
        (OTHER_LEAD, Role.TEAM_LEAD, "Ted Lead", "en"),
    ):
        user = await users.ensure_user(uow, user_id=user_id, full_name=name, role=role, language=language)
        actors[user_id] = Actor.from_user(user)
    return actors


async def _deal(uow, services, team, name: str = "Deal Co"):
    result = await transferred_lead(uow, services, team[MANAGER], name=name)
    assert result.sale is not None
    return result.lead, result.sale


async def _outbox(uow, prefix: str) -> list[OutboxRow]:
    async with uow:
        stmt = select(OutboxRow).where(OutboxRow.dedupe_key.like(prefix + "%")).order_by(OutboxRow.id)
        rows = list((await uow.session.execute(stmt)).scalars())
        for row in rows:
            uow.session.expunge(row)
        return rows


async def test_an_amount_without_a_currency_takes_the_default_and_keeps_it_later(uow, services, team) -> None:
    _, sale = await _deal(uow, services, team)
    lead_actor = team[TEAM_LEAD]
    sale = await svc.update_sale(uow, lead_actor, sale.id, {"amount": Decimal("150000")}, default_currency="RUB")
    assert (sale.amount, sale.currency) == (Decimal("150000.00"), "RUB")
    sale = await svc.update_sale(uow, lead_actor, sale.id, {"currency": "usd"}, default_currency="RUB")
    assert (sale.amount, sale.currency) == (Decimal("150000.00"), "USD")
    sale = await svc.update_sale(uow, lead_actor, sale.id, {"amount": Decimal("2500.5")}, default_currency="RUB")
    assert (sale.amount, sale.currency) == (Decimal("2500.50"), "USD")  # the deal's currency stays
    assert await sales_svc.get_sale(uow, lead_actor, sale.id) == sale  # stored as returned
    sale = await svc.update_sale(uow, lead_actor, sale.id, {"amount": None}, default_currency="RUB")
    assert (sale.amount, sale.currency) == (None, None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("-5")}, "amount"),
        ({"amount": Decimal("1.005")}, "amount"),
        ({"amount": Decimal("1000000000000")}, "amount"),
        ({"currency": "USD"}, "currency"),  # a currency with no amount
        ({"currency": None}, "currency"),  # only ``amount: null`` clears it
        ({"amount": Decimal(1), "currency": "dollars"}, "currency"),
        ({"owner_id": 999999}, "owner_id"),
        ({"expected_close_at": datetime(2026, 12, 25)}, "expected_close"),  # naive
        ({"stage": "paid"}, "stage"),
    ],
)
async def test_bad_deal_fields_are_refused_and_change_nothing(uow, services, team, fields, field) -> None:
    _, sale = await _deal(uow, services, team)
    with pytest.raises(InvalidValue) as err:
        await svc.update_sale(uow, team[TEAM_LEAD], sale.id, fields, default_currency="RUB")
    assert err.value.field == field
    assert await sales_svc.get_sale(uow, team[TEAM_LEAD], sale.id) == sale


async def test_a_manager_may_not_edit_or_list_deals(uow, services, team) -> None:
    _, sale = await _deal(uow, services, team)
    with pytest.raises(AccessDenied):
        await svc.update_sale(uow, team[MANAGER], sale.id, {"amount": Decimal(1)}, default_currency="RUB")
    with pytest.raises(AccessDenied):
        await svc.page_deals(uow, team[MANAGER])


async def test_expected_close_and_owner_are_set_and_cleared(uow, services, team) -> None:
    _, sale = await _deal(uow, services, team)
    close = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)
    sale = await svc.update_sale(
        uow, team[ADMIN], sale.id, {"expected_close_at": close, "owner_id": OTHER_LEAD}, default_currency="RUB"
    )
    assert sale.expected_close_at == close and sale.owner_id == OTHER_LEAD
    view = await svc.deal_view(uow, team[ADMIN], sale.id)
    assert view.owner is not None and view.owner.full_name == "Ted Lead"
    assert view.manager is not None and view.manager.full_name == "Maria Manager"
    sale = await svc.update_sale(
        uow, team[ADMIN], sale.id, {"expected_close_at": None, "owner_id": None}, default_currency="RUB"
    )
    assert sale.expected_close_at is None and sale.owner_id is None


async def test_every_edit_of_a_deal_is_history_with_before_after_and_who(uow, services, team) -> None:
    _, sale = await _deal(uow, services, team)
    close = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)
    await svc.update_sale(uow, team[TEAM_LEAD], sale.id, {"amount": Decimal("150000")}, default_currency="RUB")
    await svc.update_sale(
        uow, team[ADMIN], sale.id, {"expected_close_at": close, "owner_id": OTHER_LEAD}, default_currency="RUB"
    )
    await svc.update_sale(uow, team[ADMIN], sale.id, {"owner_id": None}, default_currency="RUB")
    view = await svc.deal_view(uow, team[ADMIN], sale.id)
    assert [(e.actor, e.data["changes"]) for e in view.edits] == [
        (team[TEAM_LEAD].label, {"amount": [None, "150000.00"], "currency": [None, "RUB"]}),
        (team[ADMIN].label, {"expected_close_at": [None, close.isoformat()], "owner_id": [None, OTHER_LEAD]}),
        (team[ADMIN].label, {"owner_id": [OTHER_LEAD, None]}),
    ]
    assert (view.edits[1].data["from_name"], view.edits[1].data["to_name"]) == (None, "Ted Lead")
    assert view.edits[2].data["from_name"] == "Ted Lead"  # kept, whatever the user is called later
    assert {view.names[e.actor] for e in view.edits} == {"Tina Lead", "Ada Admin"}


async def test_an_edit_that_changes_nothing_leaves_no_history(uow, services, team) -> None:
    _, sale = await _deal(uow, services, team)
    await svc.update_sale(uow, team[TEAM_LEAD], sale.id, {"amount": Decimal("100")}, default_currency="RUB")
    await svc.update_sale(uow, team[TEAM_LEAD], sale.id, {"amount": Decimal("100.00")}, default_currency="RUB")
    await svc.update_sale(uow, team[TEAM_LEAD], sale.id, {"owner_id": None}, default_currency="RUB")
    view = await svc.deal_view(uow, team[TEAM_LEAD], sale.id)
    assert len(view.edits) == 1


async def test_the_team_lead_who_first_moves_a_deal_becomes_its_owner(uow, services, team) -> None:
    _, sale = await _deal(uow, services, team)
    sale = await sales_svc.change_sale_stage(uow, team[ADMIN], sale.id, "kyc")
    assert sale.owner_id is None  # an admin moving it is not "working it"
    sale = await sales_svc.change_sale_stage(uow, team[TEAM_LEAD], sale.id, "agreement")
    assert sale.owner_id == TEAM_LEAD
    sale = await sales_svc.change_sale_stage(uow, team[OTHER_LEAD], sale.id, "paid")
    assert sale.owner_id == TEAM_LEAD  # the first one stays
    view = await svc.deal_view(uow, team[ADMIN], sale.id)
    assert [view.names.get(ch.actor) for ch in view.changes] == ["Ada Admin", "Tina Lead", "Ted Lead"]


async def test_deal_pages_are_newest_first_with_totals_per_stage_and_currency(uow, services, team) -> None:
    sales = [(await _deal(uow, services, team, name=f"Deal {i}"))[1] for i in range(10)]
    lead = team[TEAM_LEAD]
    await svc.update_sale(uow, lead, sales[0].id, {"amount": Decimal(100)}, default_currency="RUB")
    await svc.update_sale(uow, lead, sales[1].id, {"amount": Decimal(250), "currency": "RUB"}, default_currency="RUB")
    await svc.update_sale(uow, lead, sales[2].id, {"amount": Decimal(40), "currency": "USD"}, default_currency="RUB")
    await sales_svc.change_sale_stage(uow, lead, sales[3].id, "kyc")
    page = await svc.page_deals(uow, team[ADMIN], per_page=8)
    assert (page.total, page.pages) == (10, 2)
    assert [item.sale.id for item in page.items] == [s.id for s in reversed(sales)][:8]
    assert page.items[0].lead is not None and page.items[0].lead.name == "Deal 9"
    last = await svc.page_deals(uow, team[ADMIN], per_page=8, page=5)  # clamped to the last page
    assert last.page == 1 and [item.sale.id for item in last.items] == [sales[1].id, sales[0].id]
    totals = {(t.stage, t.currency): (t.count, t.amount) for t in page.totals}
    assert totals == {
        (SaleStage.NEW, "RUB"): (2, Decimal("350.00")),
        (SaleStage.NEW, "USD"): (1, Decimal("40.00")),
        (SaleStage.NEW, None): (6, Decimal(0)),
        (SaleStage.KYC, None): (1, Decimal(0)),
    }
    kyc = await svc.page_deals(uow, team[ADMIN], stage="kyc")
    assert [item.sale.id for item in kyc.items] == [sales[3].id] and kyc.total == 1
    owned = await svc.list_sales(uow, team[ADMIN], owner_id=TEAM_LEAD)
    assert [s.id for s in owned.items] == [sales[3].id] and owned.next_before_id is None
    keyset = await svc.list_sales(uow, team[ADMIN], before_id=sales[5].id, limit=3)
    assert [s.id for s in keyset.items] == [sales[4].id, sales[3].id, sales[2].id]
    assert keyset.next_before_id == sales[2].id
    rest = await svc.list_sales(uow, team[ADMIN], before_id=keyset.next_before_id, limit=3)
    assert [s.id for s in rest.items] == [sales[1].id, sales[0].id] and rest.next_before_id is None


@pytest.mark.parametrize("target", ["paid", "lost"])
async def test_the_manager_who_transferred_the_lead_is_told_when_the_deal_closes(uow, services, team, target) -> None:
    lead, sale = await _deal(uow, services, team)
    await svc.update_sale(uow, team[TEAM_LEAD], sale.id, {"amount": Decimal(9000)}, default_currency="RUB")
    for step in ("kyc", "agreement"):
        await sales_svc.change_sale_stage(uow, team[TEAM_LEAD], sale.id, step)
    assert await _outbox(uow, "deal_closed:") == []  # nothing before it closes
    await sales_svc.change_sale_stage(
        uow, team[TEAM_LEAD], sale.id, target, reason_code="competitor" if target == "lost" else None
    )
    [row] = await _outbox(uow, "deal_closed:")
    assert row.chat_id == MANAGER
    assert row.payload["language"] == "ru" and row.payload["stage"] == target
    assert row.payload["name"] == "Deal Co" and row.payload["amount"] == "9000.00"
    assert row.payload["lead_id"] == lead.id and row.payload["sale_id"] == sale.id
    assert row.payload["reason_code"] == ("competitor" if target == "lost" else None)


async def test_the_admins_are_told_who_joined_with_which_role_and_by_whose_invite(uow, team) -> None:
    code = await users.create_invite(uow, team[TEAM_LEAD], "manager")
    await users.accept_invite(uow, code=code, user_id=7200, full_name="Nina New", username="nina", language="en")
    rows = await _outbox(uow, "joined:")
    assert [row.chat_id for row in rows] == [ADMIN]
    assert rows[0].payload | {} == {
        "event": "user_joined",
        "language": "en",
        "user_id": 7200,
        "name": "Nina New",
        "username": "nina",
        "role": "manager",
        "invited_by_id": TEAM_LEAD,
        "invited_by": "Tina Lead",
    }
