"""A team lead's board: everyone's leads with their owners, the filters by manager and source, the search box,
and the deals board with its amounts per column."""

from __future__ import annotations

from decimal import Decimal

from playwright.async_api import expect

from core.domain.enums import Role
from core.domain.models import Actor
from core.services import deals as deals_svc
from core.storage.uow import SqlUnitOfWork
from tests.journeys import transferred_lead
from tests.webapp.conftest import MANAGER, OTHER_MANAGER, TEAM_LEAD

LEAD_ACTOR = Actor(label=f"tg:{TEAM_LEAD}", user_id=TEAM_LEAD, role=Role.TEAM_LEAD)


async def _names(phone) -> list[str]:
    return sorted(await phone.page.locator("#board .card .name").all_text_contents())


async def test_a_team_lead_sees_everyone_s_leads_with_owners_and_filters_by_manager_and_source(
    phone, make_lead
) -> None:
    await make_lead(MANAGER, name="Max's Scan", source="scanner")
    await make_lead(MANAGER, name="Max's Partner", source="partner")
    await make_lead(OTHER_MANAGER, name="Olga's Scan", source="scanner", company="Globex")

    await phone.open(TEAM_LEAD)

    assert await _names(phone) == ["Max's Partner", "Max's Scan", "Olga's Scan"]
    assert await phone.card("Olga's Scan").locator(".owner").text_content() == "Olga Other"
    await phone.shot("all")

    await phone.page.locator("#owner-filter").select_option(str(MANAGER))
    await expect(phone.page.locator("#board .card")).to_have_count(2)
    assert await _names(phone) == ["Max's Partner", "Max's Scan"]

    await phone.page.locator("#source-filter").select_option("scanner")
    await expect(phone.page.locator("#board .card")).to_have_count(1)
    assert await _names(phone) == ["Max's Scan"]
    await phone.shot("filtered")

    await phone.page.locator("#owner-filter").select_option("")
    await expect(phone.page.locator("#board .card")).to_have_count(2)
    assert await _names(phone) == ["Max's Scan", "Olga's Scan"]


async def test_the_search_box_finds_leads_by_company(phone, make_lead) -> None:
    await make_lead(MANAGER, name="Plain Paul")
    await make_lead(OTHER_MANAGER, name="Searched Sue", company="Initech")
    await phone.open(TEAM_LEAD)
    await expect(phone.page.locator("#board .card")).to_have_count(2)

    await phone.page.locator("#search").fill("initech")

    await expect(phone.page.locator("#board .card")).to_have_count(1)
    assert await _names(phone) == ["Searched Sue"]
    await phone.shot("search")


async def test_the_deals_board_shows_each_stage_with_its_count_and_amounts_and_a_deal_moves_by_drag(
    phone, committing_factory, services, db
) -> None:
    uow = lambda: SqlUnitOfWork(committing_factory)  # noqa: E731
    system = Actor.system("test")
    first = await transferred_lead(uow(), services, system, name="Deal Dana", owner_id=MANAGER)
    second = await transferred_lead(uow(), services, system, name="Deal Dima", owner_id=OTHER_MANAGER)
    for result, amount in ((first, "1500.00"), (second, "2500.50")):
        await deals_svc.update_sale(
            uow(), LEAD_ACTOR, result.sale.id, {"amount": Decimal(amount)}, default_currency="USD"
        )

    await phone.open(TEAM_LEAD)
    await phone.page.locator("#tab-deals").click()
    await phone.page.wait_for_selector('body[data-loaded="deals"]')

    deals = phone.page.locator("#deals")
    stages = await deals.locator(".column").evaluate_all("columns => columns.map(c => c.dataset.stage)")
    assert stages == ["new", "kyc", "agreement", "paid", "lost"]
    new = deals.locator('.column[data-stage="new"]')
    assert await new.locator(".count").text_content() == "2"
    assert "4,000.5 USD" in await new.locator(".totals").text_content()
    assert sorted(await new.locator(".card .name").all_text_contents()) == ["Deal Dana", "Deal Dima"]
    await phone.shot("deals")

    dana = deals.locator(".card", has_text="Deal Dana")
    box = await dana.bounding_box()
    target = await deals.locator('.column[data-stage="kyc"] .cards').bounding_box()
    await phone.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await phone.page.mouse.down()
    await phone.page.mouse.move(target["x"] + 20, target["y"] + 20, steps=15)
    await phone.page.mouse.up()

    await phone.notice()
    await expect(deals.locator('.column[data-stage="kyc"] .card .name')).to_have_text(["Deal Dana"])
    assert await db("SELECT stage FROM sales WHERE id = :id", id=first.sale.id) == [("kyc",)]
    assert "1,500 USD" in await deals.locator('.column[data-stage="kyc"] .totals').text_content()
    await phone.shot("deal-moved")


async def test_a_manager_has_no_deals_tab(phone, make_lead) -> None:
    await make_lead(MANAGER, name="Only Leads")

    await phone.open(MANAGER)

    assert await phone.page.locator("#tabs").is_hidden()
    assert not [url for _, url in phone.responses if url.endswith("/app/api/deals")]
