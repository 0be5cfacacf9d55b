"""Dragging cards on a phone: a move the funnel allows is applied and recorded; one it refuses snaps back with
the server's words; a card changed behind the board's back refreshes it instead of acting."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import text

from tests.webapp.conftest import MANAGER


async def test_dragging_a_new_card_to_contacted_by_mouse_moves_the_lead_and_records_the_stage_change(
    phone, make_lead, db
) -> None:
    lead = await make_lead(MANAGER, name="Ann Lee", company="Acme")
    await phone.open(MANAGER)
    await phone.shot("before")

    await phone.drag_by_mouse(phone.card("Ann Lee"), "contacted")

    assert "Contacted" in await phone.notice()
    assert await phone.names_in("contacted") == ["Ann Lee"]
    assert await phone.names_in("new") == []
    assert (await phone.count_of("new"), await phone.count_of("contacted")) == (0, 1)
    await phone.shot("after")
    [(stage, version)] = await db("SELECT stage, version FROM leads WHERE id = :id", id=lead.id)
    assert (stage, version) == ("contacted", lead.version + 1)
    history = await db("SELECT from_stage, to_stage, actor FROM stage_changes WHERE lead_id = :id", id=lead.id)
    assert history == [("new", "contacted", f"tg:{MANAGER}")]


async def test_a_finger_drags_a_card_after_a_long_press_with_telegram_s_swipe_to_close_off_while_it_is_held(
    phone, make_lead, db
) -> None:
    lead = await make_lead(MANAGER, name="Touchy Tina")
    await phone.open(MANAGER, spy=True)

    await phone.drag_by_touch(phone.card("Touchy Tina"), "contacted")

    assert await phone.names_in("contacted") == ["Touchy Tina"]
    await phone.shot("after")
    assert await db("SELECT stage FROM leads WHERE id = :id", id=lead.id) == [("contacted",)]
    calls = await phone.page.evaluate("window.__tgCalls")
    assert calls[:2] == ["ready", "expand"]
    assert calls[2:] == ["disableVerticalSwipes", "enableVerticalSwipes"]


async def test_a_quick_swipe_over_a_card_scrolls_instead_of_dragging(phone, make_lead, db) -> None:
    lead = await make_lead(MANAGER, name="Swiped Sam")
    await phone.open(MANAGER)

    await phone.drag_by_touch(phone.card("Swiped Sam"), "contacted", hold=0)

    assert await phone.names_in("new") == ["Swiped Sam"]
    assert await db("SELECT stage FROM leads WHERE id = :id", id=lead.id) == [("new",)]


async def test_a_skipping_drag_snaps_back_and_shows_why_in_the_user_s_language(phone, make_lead, db) -> None:
    lead = await make_lead(MANAGER, name="Skip Sergei")
    await db("UPDATE users SET language = 'ru' WHERE id = :id", id=MANAGER)
    await phone.open(MANAGER, language_code="ru")

    await phone.drag_by_mouse(phone.card("Skip Sergei"), "qualified")

    message = await phone.notice()
    await phone.shot("refused")
    assert any("а" <= letter <= "я" for letter in message.lower()), message  # said in Russian
    assert await phone.names_in("new") == ["Skip Sergei"]
    assert await phone.names_in("qualified") == []
    assert await phone.count_of("qualified") == 0
    assert await db("SELECT stage FROM leads WHERE id = :id", id=lead.id) == [("new",)]
    assert await db("SELECT count(*) FROM stage_changes WHERE lead_id = :id", id=lead.id) == [(0,)]


async def test_a_backward_drag_snaps_back(phone, make_lead, db) -> None:
    lead = await make_lead(MANAGER, name="Back Bella")
    await phone.open(MANAGER)
    await phone.drag_by_mouse(phone.card("Back Bella"), "contacted")
    await phone.notice()

    await phone.drag_by_mouse(phone.card("Back Bella"), "new")

    await phone.notice()
    assert await phone.notice_kind() == "error"
    assert await phone.names_in("contacted") == ["Back Bella"]
    assert await db("SELECT stage FROM leads WHERE id = :id", id=lead.id) == [("contacted",)]


async def test_a_card_changed_since_the_board_loaded_refreshes_the_board_and_is_not_moved_twice(
    phone, make_lead, db, committing_factory
) -> None:
    lead = await make_lead(MANAGER, name="Stale Steve")
    await phone.open(MANAGER)
    # Meanwhile, in the bot: the lead moves to contacted (its version goes up).
    async with committing_factory() as session:
        await session.execute(
            text("UPDATE leads SET stage = 'contacted', version = version + 1 WHERE id = :id"), {"id": lead.id}
        )
        await session.commit()

    await phone.drag_by_mouse(phone.card("Stale Steve"), "contacted")

    await phone.notice()
    await expect(phone.column("contacted").locator(".card")).to_have_count(1)  # the board was read again
    assert await phone.names_in("new") == []
    assert await phone.count_of("contacted") == 1
    assert await db("SELECT count(*) FROM stage_changes WHERE lead_id = :id", id=lead.id) == [(0,)]
    codes = [status for status, url in phone.responses if url.endswith("/move")]
    assert codes == [409]
