"""/export in the bot: team leads get the leads as an XLSX or CSV document after a progress message; managers
are refused; forged buttons change nothing. Real Dispatcher + HTTP to the emulator + PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from core.storage.uow import SqlUnitOfWork
from tests.bot.support import alert_text, bot_settings
from tests.report_week import ANNA, TINA, seed_week


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        seeded = await seed_week(uow.session)
        await uow.commit()
    await bot_runner(
        bot_settings(default_timezone="Europe/Moscow"), services=services, session_factory=committing_factory
    )
    return seeded


async def test_a_team_lead_gets_every_lead_as_an_xlsx_document(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    await tg.say(tina, "/export")
    menu = tg.fake.last_message(tina.id)
    assert menu.button_texts == [
        "XLSX · All leads", "CSV · All leads",
        "XLSX · Created this month", "CSV · Created this month",
        "XLSX · Created in the last 30 days", "CSV · Created in the last 30 days",
    ]  # fmt: skip
    await tg.press(tina, "XLSX · All leads", message_id=menu.message_id)
    messages = tg.fake.messages(tina.id)
    progress, document = messages[-2], messages[-1]
    assert progress.text == "Export ready: 7 leads."
    assert document.media is not None and document.media.kind == "document"
    assert document.media.filename.startswith("leads-") and document.media.filename.endswith(".xlsx")
    assert document.text == "All leads: 7 leads"
    sheet = load_workbook(io.BytesIO(document.media.data)).active
    assert sorted(row[0].value for row in sheet.iter_rows(min_row=2)) == sorted(running.leads.values())


async def test_a_csv_of_this_months_leads_is_empty_but_has_its_header(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="ru")
    await tg.say(tina, "/export")
    menu = tg.fake.last_message(tina.id)
    await tg.press(tina, "CSV · Созданные в этом месяце", message_id=menu.message_id)
    document = tg.fake.last_message(tina.id)
    assert document.media is not None and document.media.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(document.media.data.decode("utf-8-sig"))))
    assert rows[0][0] == "id" and len(rows) == 1  # the week of November is not this month
    assert document.text == "Созданные в этом месяце: лидов — 0"


async def test_a_manager_is_refused_politely(tg, running) -> None:
    anna = tg.fake.user(ANNA, "Anna", language_code="en")
    await tg.say(anna, "/export")
    assert "Only team leads and admins can export leads." in tg.text(anna)
    assert not tg.fake.calls_of("sendDocument")


async def test_a_managers_forged_export_button_sends_nothing(tg, running) -> None:
    anna = tg.fake.user(ANNA, "Anna", language_code="en")
    await tg.say(anna, "/start")
    shown = tg.fake.last_message(anna.id)
    answer = await tg.press_data(anna, shown.message_id, "ex:xlsx:all")
    assert "Only team leads and admins can export leads." in alert_text(answer)
    assert not tg.fake.calls_of("sendDocument")


@pytest.mark.parametrize("data", ["ex:pdf:all", "ex:csv:forever"])
async def test_a_forged_export_button_changes_nothing(tg, running, data: str) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    await tg.say(tina, "/export")
    menu = tg.fake.last_message(tina.id)
    count = len(tg.fake.messages(tina.id))
    answer = await tg.press_data(tina, menu.message_id, data)
    assert answer.ok and len(tg.fake.messages(tina.id)) == count
    assert not tg.fake.calls_of("sendDocument")


async def test_the_progress_message_is_edited_while_a_large_export_runs(tg, running, monkeypatch) -> None:
    import functools

    from bot.routers import export as export_router
    from core.services import export as export_svc

    monkeypatch.setattr(export_router, "PROGRESS_EVERY", 0.0)  # every batch, not every 1.5 s
    monkeypatch.setattr(export_svc, "export_leads", functools.partial(export_svc.export_leads, batch=3))
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    await tg.say(tina, "/export")
    menu = tg.fake.last_message(tina.id)
    await tg.press(tina, "CSV · All leads", message_id=menu.message_id)
    progress = tg.fake.messages(tina.id)[-2]
    edits = [
        c.params["text"]
        for c in tg.fake.calls_of("editMessageText")
        if c.params.get("message_id") == progress.message_id
    ]
    assert edits == [
        "Exporting… 3 of 7 leads",
        "Exporting… 6 of 7 leads",
        "Exporting… 7 of 7 leads",
        "Export ready: 7 leads.",
    ]
