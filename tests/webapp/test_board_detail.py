"""A card's detail on a phone: its contacts, score and history, and the actions a manager takes from it —
each one lands in the database and shows on the board."""

from __future__ import annotations

from playwright.async_api import expect

from core.domain.models import Actor
from core.storage.uow import SqlUnitOfWork
from tests.journeys import qualify
from tests.webapp.conftest import MANAGER


async def _open_detail(phone, name: str) -> None:
    await phone.card(name).click()
    await phone.page.locator("#detail:not([hidden]) .detail-name", has_text=name).wait_for()


async def _open_fold(phone, fold: str) -> None:
    await phone.page.locator(f"#{fold} summary").click()


async def test_the_detail_shows_contacts_and_logging_a_call_records_it_with_its_outcome(phone, make_lead, db) -> None:
    lead = await make_lead(MANAGER, name="Call Carl", contact="+79001234567", company="Carl & Sons")
    await phone.open(MANAGER)
    await _open_detail(phone, "Call Carl")
    assert "+79001234567" in (await phone.page.locator("#detail .block").first.text_content()).replace(" ", "")

    await _open_fold(phone, "fold-activity")
    form = phone.page.locator("#activity-form")
    await form.locator("select[name=kind]").select_option("call")
    await form.locator("select[name=outcome]").select_option("reached")
    await form.locator("input[name=text]").fill("Talked about the pilot")
    await form.locator("button[type=submit]").click()

    assert "Logged" in await phone.notice()
    await expect(phone.page.locator("#detail .history")).to_contain_text("Talked about the pilot")
    await phone.shot("logged")
    rows = await db("SELECT kind, outcome, text FROM activities WHERE lead_id = :id", id=lead.id)
    assert rows == [("call", "reached", "Talked about the pilot")]


async def test_analyze_shows_the_score_with_its_reasons(phone, make_lead, db) -> None:
    lead = await make_lead(MANAGER, name="Score Sofia", business_domain="fintech")
    await phone.open(MANAGER)
    await _open_detail(phone, "Score Sofia")

    await phone.page.locator("#detail .actions > button", has_text="Analyze").click()

    assert "score" in (await phone.notice()).lower()
    [(score,)] = await db("SELECT ai_score FROM leads WHERE id = :id", id=lead.id)
    assert score is not None
    await expect(phone.page.locator("#detail .score-line")).to_contain_text(f"{score:.2f}")
    assert await phone.page.locator("#detail .reason").text_content()
    await phone.shot("analyzed")


async def test_setting_the_next_step_in_words_saves_it_and_the_board_shows_it(phone, make_lead, db) -> None:
    lead = await make_lead(MANAGER, name="Step Stan")
    await phone.open(MANAGER)
    await _open_detail(phone, "Step Stan")

    await _open_fold(phone, "fold-step")
    form = phone.page.locator("#step-form")
    await form.locator("select[name=kind]").select_option("meeting")
    await form.locator("input[name=due]").fill("tomorrow 10:00")
    await form.locator("button[type=submit]").click()

    await phone.notice()
    [(kind, due)] = await db("SELECT next_step_kind, next_step_due_at FROM leads WHERE id = :id", id=lead.id)
    assert kind == "meeting" and due is not None
    await phone.page.locator("#detail-back").click()
    await expect(phone.card("Step Stan").locator(".step")).to_be_visible()
    await phone.shot("board")


async def test_a_due_time_the_bot_would_not_understand_is_refused_with_its_words_and_nothing_is_saved(
    phone, make_lead, db
) -> None:
    lead = await make_lead(MANAGER, name="Vague Vera")
    await phone.open(MANAGER)
    await _open_detail(phone, "Vague Vera")
    await _open_fold(phone, "fold-step")

    await phone.page.locator("#step-form input[name=due]").fill("when pigs fly")
    await phone.page.locator("#step-form button[type=submit]").click()

    assert "when pigs fly" in await phone.notice()
    assert await phone.notice_kind() == "error"
    assert await db("SELECT next_step_kind FROM leads WHERE id = :id", id=lead.id) == [(None,)]


async def test_marking_a_lead_lost_with_a_reason_closes_it_and_the_board_counts_it_as_lost(
    phone, make_lead, db
) -> None:
    lead = await make_lead(MANAGER, name="Lost Lars")
    await phone.open(MANAGER)
    await _open_detail(phone, "Lost Lars")

    await _open_fold(phone, "fold-lost")
    await phone.page.locator("#lost-form select[name=reason_code]").select_option("no_budget")
    await phone.page.locator("#lost-form button[type=submit]").click()

    await phone.notice()
    await expect(phone.page.locator("#detail .actions")).to_have_count(0)  # a closed lead has no actions
    rows = await db("SELECT stage, lost_reason_code FROM leads WHERE id = :id", id=lead.id)
    assert rows == [("lost", "no_budget")]
    await phone.page.locator("#detail-back").click()
    await expect(phone.page.locator('.collapsed-column[data-stage="lost"] .count')).to_have_text("1")
    assert await phone.names_in("new") == []
    await phone.page.locator('.collapsed-column[data-stage="lost"]').click()
    await expect(phone.page.locator("#closed-list .card .name")).to_have_text(["Lost Lars"])
    await phone.shot("lost-column")


async def test_a_refused_transfer_says_why_and_its_offers_lead_to_a_transfer(
    phone, make_lead, db, committing_factory, services
) -> None:
    lead = await make_lead(MANAGER, name="Transfer Tanya", source="partner")
    await qualify(SqlUnitOfWork(committing_factory), services, Actor.system("test"), lead.id)  # no domain yet
    await phone.open(MANAGER)
    await _open_detail(phone, "Transfer Tanya")

    await phone.page.locator("#detail button.action", has_text="Transfer").click()

    await phone.notice()
    assert await phone.notice_kind() == "error"
    refusal = phone.page.locator("#transfer-refusal")
    await expect(refusal).to_be_visible()
    await phone.shot("refused")
    assert await refusal.locator(".refusal-text").text_content()
    await refusal.locator("#domain-form select[name=domain]").select_option("fintech")
    await refusal.locator("#domain-form button[type=submit]").click()
    await phone.notice()
    assert await db("SELECT business_domain FROM leads WHERE id = :id", id=lead.id) == [("fintech",)]
    await phone.page.locator("#detail .actions > button", has_text="Analyze").click()
    await phone.notice()

    await phone.page.locator("#detail button.action", has_text="Transfer").click()

    await phone.notice()
    await expect(phone.page.locator("#detail .meta")).to_contain_text("Transferred")
    assert await db("SELECT stage FROM leads WHERE id = :id", id=lead.id) == [("transferred",)]
    assert len(await db("SELECT id FROM sales WHERE lead_id = :id", id=lead.id)) == 1
    await phone.shot("transferred")
