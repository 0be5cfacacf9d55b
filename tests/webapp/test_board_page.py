"""What a person sees when the board opens: their own leads, text shown as text, their language, a clear
message when the sign-in is refused."""

from __future__ import annotations

import time

from tests.initdata import forge
from tests.webapp.conftest import INACTIVE, MANAGER, OTHER_MANAGER

XSS = "<img src=x onerror=alert(1)>"


async def test_a_manager_sees_only_their_own_leads_in_their_stages(phone, make_lead) -> None:
    await make_lead(MANAGER, name="Mine New")
    await make_lead(OTHER_MANAGER, name="Olga's Lead")

    await phone.open(MANAGER)

    await phone.shot("board")
    assert await phone.page.locator(".card .name").all_text_contents() == ["Mine New"]
    assert await phone.names_in("new") == ["Mine New"]
    assert await phone.page.locator("#filters").is_hidden()  # no filter by manager for a manager
    assert await phone.page.locator("#tab-deals").is_hidden()
    assert await phone.page.locator(".card .owner").count() == 0  # their own: no owner line


async def test_a_lead_named_like_html_shows_as_text_everywhere(phone, make_lead) -> None:
    await make_lead(MANAGER, name=XSS, company="<b>Bold & Co</b>")

    await phone.open(MANAGER)
    card = phone.card("<img")
    assert await card.locator(".name").text_content() == XSS
    assert await card.locator(".company").text_content() == "<b>Bold & Co</b>"
    await card.click()
    await phone.page.wait_for_selector("#detail:not([hidden])")

    await phone.shot("detail")
    assert await phone.page.locator("#detail .detail-name").text_content() == XSS
    assert await phone.page.locator("img").count() == 0
    assert await phone.page.locator("b").count() == 0
    # (no dialog opened: the phone fixture checks that after every test)


async def test_the_board_speaks_the_user_s_language(phone, make_lead, db) -> None:
    await make_lead(OTHER_MANAGER, name="Ольга лид")  # Olga's CRM language is Russian

    await phone.open(OTHER_MANAGER, language_code="ru")

    await phone.shot("ru")
    assert await phone.page.locator("html").get_attribute("lang") == "ru"
    assert await phone.page.locator("#title").text_content() == "Воронка"
    assert await phone.column("new").locator(".column-title").text_content() == "Новый"


async def test_expired_init_data_gets_401_and_the_page_says_to_open_the_board_again(phone, make_lead) -> None:
    await make_lead(MANAGER, name="Hidden Henry")
    two_hours_ago = int(time.time()) - 7200

    await phone.open(MANAGER, auth_date=two_hours_ago, wait=False)

    fatal = phone.page.locator("#fatal")
    await fatal.wait_for()
    await phone.shot("expired")
    assert (401, f"{phone.base_url}/app/api/me") in phone.responses
    assert "sign you in" in await phone.page.locator("#fatal-title").text_content()
    assert await phone.page.locator("#fatal-detail").text_content()  # the server's reason
    assert "again" in await phone.page.locator("#fatal-hint").text_content()
    assert await phone.page.locator(".card").count() == 0


async def test_forged_init_data_gets_401_and_shows_no_lead(phone, make_lead) -> None:
    await make_lead(OTHER_MANAGER, name="Olga's Secret")

    await phone.open(init_data=forge(phone.init_data(MANAGER)), wait=False)

    await phone.page.locator("#fatal").wait_for()
    await phone.shot("forged")
    statuses = {status for status, url in phone.responses if "/app/api/" in url}
    assert statuses == {401}
    assert await phone.page.locator(".card").count() == 0


async def test_an_inactive_user_is_refused_with_a_message(phone) -> None:
    await phone.open(INACTIVE, wait=False)

    await phone.page.locator("#fatal").wait_for()
    assert (401, f"{phone.base_url}/app/api/me") in phone.responses
    assert await phone.page.locator("#fatal-detail").text_content()


async def test_opened_without_telegram_or_a_dev_login_the_page_says_where_to_open_it(phone) -> None:
    await phone.page.goto(f"{phone.base_url}/app/")

    await phone.page.locator("#fatal").wait_for()
    assert "Telegram" in await phone.page.locator("#fatal-detail").text_content()
    assert not [url for _, url in phone.responses if "/app/api/" in url]  # nothing asked without initData


async def test_the_sandbox_s_dev_login_link_opens_the_board_and_leaves_the_address_bar(phone, make_lead) -> None:
    await make_lead(MANAGER, name="Dev Dora")

    await phone.open(MANAGER, dev=True)

    assert await phone.names_in("new") == ["Dev Dora"]
    assert "dev_init" not in phone.page.url
    await phone.page.reload()  # the tab keeps its sign-in
    await phone.page.wait_for_selector("body[data-loaded]")
    assert await phone.names_in("new") == ["Dev Dora"]


async def test_every_word_of_the_page_exists_in_russian_and_english(phone) -> None:
    await phone.page.goto(f"{phone.base_url}/app/")

    english = await phone.page.evaluate("window.BoardI18n.keys('en')")
    russian = await phone.page.evaluate("window.BoardI18n.keys('ru')")

    assert len(english) > 50
    assert sorted(english) == sorted(russian)
