"""The board's look on a phone: 360 px wide without sideways scrolling, Telegram's theme colours, long columns
paged with "show more", and a board of 500 cards all on it (its speed is bench/board_render.py's)."""

from __future__ import annotations

import time

from playwright.async_api import expect

from tests.webapp.conftest import MANAGER, TEAM_LEAD

SEED_500 = f"""
INSERT INTO leads (name, company, source, stage, owner_id, created_at, updated_at, stage_entered_at, ai_score,
                   next_step_kind, next_step_due_at)
SELECT 'Lead ' || g, CASE WHEN g % 3 = 0 THEN 'Company ' || g END, 'manual',
       (ARRAY['new','contacted','qualified'])[1 + g % 3]::lead_stage, {MANAGER},
       now() - g * interval '1 minute', now() - g * interval '1 minute', now(),
       CASE WHEN g % 5 <> 0 THEN 0.5 END,
       CASE WHEN g % 4 = 0 THEN 'call'::step_kind END, CASE WHEN g % 4 = 0 THEN now() - interval '1 hour' END
  FROM generate_series(1, 500) g
"""


async def test_at_360_px_the_three_columns_fit_without_sideways_scrolling(phone, make_lead) -> None:
    await phone.page.set_viewport_size({"width": 360, "height": 740})
    await make_lead(MANAGER, name="Konstantin Konstantinopolsky", company="Very Long Company Name LLC")
    await make_lead(MANAGER, name="Ann", company="Acme")
    await phone.open(TEAM_LEAD, language_code="ru")
    await phone.page.locator("#title").wait_for(state="hidden")  # a team lead's tabs instead of the title

    widths = await phone.page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    await phone.shot("360px")
    assert widths[0] <= widths[1] == 360
    columns = await phone.page.locator("#board .column").evaluate_all(
        "cs => cs.map(c => Math.round(c.getBoundingClientRect().width))"
    )
    assert len(columns) == 3 and min(columns) >= 100, columns
    await phone.card("Konstantin").click()
    await phone.page.locator("#detail:not([hidden])").wait_for()
    detail_width = await phone.page.evaluate("document.getElementById('detail').scrollWidth")
    await phone.shot("360px-detail")
    assert detail_width <= 360


async def test_telegram_s_theme_colours_paint_the_board(phone, make_lead) -> None:
    await make_lead(MANAGER, name="Themed Theo")

    await phone.open(MANAGER)  # with THEME: button #3390ec

    tab_or_card = phone.page.locator("html")
    assert await tab_or_card.evaluate("h => getComputedStyle(h).getPropertyValue('--tg-theme-button-color')") == (
        "#3390ec"
    )
    colour = await phone.card("Themed Theo").evaluate("c => getComputedStyle(c).backgroundColor")
    assert colour == "rgb(255, 255, 255)"  # bg_color


async def test_a_long_column_shows_more_on_request(phone, make_lead) -> None:
    for i in range(3):
        await make_lead(MANAGER, name=f"Paged {i}")

    await phone.open(MANAGER, query="?limit=2")

    assert len(await phone.names_in("new")) == 2
    more = phone.column("new").locator("button.more")
    assert "1" in await more.text_content()
    await more.click()
    await expect(phone.column("new").locator(".card")).to_have_count(3)
    assert sorted(await phone.names_in("new")) == ["Paged 0", "Paged 1", "Paged 2"]
    await expect(more).to_have_count(0)


async def test_a_board_of_500_cards_shows_them_all(phone, db, people) -> None:
    await db(SEED_500)

    t0 = time.perf_counter()
    await phone.open(MANAGER, query="?limit=200")
    wall = time.perf_counter() - t0

    timing = await phone.page.evaluate("window.Board.lastRender")
    print(f"\n500 cards: built and laid out in {timing['renderMs']:.0f} ms, page to board {wall * 1000:.0f} ms")
    assert timing["cards"] == 500
    assert [await phone.count_of(stage) for stage in ("new", "contacted", "qualified")] == [166, 167, 167]
    assert await phone.page.locator(".flag.overdue").count() == 125
    await phone.shot("500")
    assert timing["renderMs"] < 10_000  # generous: a shared CI machine; bench/board_render.py measures speed
