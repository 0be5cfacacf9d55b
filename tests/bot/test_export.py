"""/export in the bot: team leads pick leads or deals, a stage, an owner, a period and a source on one screen, and
get an XLSX or CSV document after a progress message; managers are refused; forged buttons change nothing.
Real Dispatcher + HTTP to the emulator + PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from core.storage.uow import SqlUnitOfWork
from tests.bot.support import alert_text, bot_settings
from tests.report_week import ANNA, TINA, Week, seed_week


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


def _rows(document) -> list[list[str]]:
    assert document.media is not None and document.media.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    return list(csv.reader(io.StringIO(document.media.data.decode("utf-8-sig"))))


async def _screen(tg, user):
    await tg.say(user, "/export")
    return tg.fake.last_message(user.id)


async def _press(tg, user, label: str):
    """Press ``label`` on the export screen (edited in place) and return the screen as it is now."""
    screen = tg.fake.last_keyboard_message(user.id)
    await tg.press(user, label, message_id=screen.message_id)
    return tg.fake.message(user.id, screen.message_id)


async def test_a_team_lead_gets_every_lead_as_an_xlsx_document(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    screen = await _screen(tg, tina)
    assert "What: Leads (with their deal)" in screen.text and "Owner: anyone" in screen.text
    assert screen.button_texts == [
        "What: Leads (with their deal)",
        "Stage: any", "Owner: anyone",
        "Created: all time", "Source: any",
        "Format: XLSX",
        "⬇️ Export",
    ]  # fmt: skip
    await tg.press(tina, "⬇️ Export", message_id=screen.message_id)
    messages = tg.fake.messages(tina.id)
    progress, document = messages[-2], messages[-1]
    assert progress.text == "Export ready, rows: 7."
    assert document.media is not None and document.media.kind == "document"
    assert document.media.filename.startswith("leads-") and document.media.filename.endswith(".xlsx")
    assert document.text == "Leads (with their deal) · rows: 7"
    sheet = load_workbook(io.BytesIO(document.media.data)).active
    assert sorted(row[0].value for row in sheet.iter_rows(min_row=2)) == sorted(running.leads.values())


async def test_the_filters_owner_source_and_stage_narrow_a_csv_of_leads(tg, running: Week) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    await _screen(tg, tina)
    picker = await _press(tg, tina, "Owner: anyone")
    assert picker.button_texts == ["✅ Anyone", "Anna", "Boris", "Idle", "Tina", "⬅️ Back"]
    assert [len(row) for row in picker.reply_markup["inline_keyboard"]] == [2, 2, 1, 1]  # Back on its own row
    screen = await _press(tg, tina, "Anna")
    assert "Owner: Anna" in screen.text
    await _press(tg, tina, "Source: any")  # scanner
    screen = await _press(tg, tina, "Source: Scanner")  # partner
    assert "Source: Partner" in screen.text
    screen = await _press(tg, tina, "Stage: any")
    assert "Stage: New" in screen.text
    screen = await _press(tg, tina, "Format: XLSX")
    assert "Format: CSV" in screen.text
    await tg.press(tina, "⬇️ Export", message_id=screen.message_id)
    document = tg.fake.last_message(tina.id)
    rows = _rows(document)
    assert rows[0][0] == "id" and [int(r[0]) for r in rows[1:]] == [running.leads["L7"]]  # Anna's new partner lead
    assert document.text == "Leads (with their deal) · New · Anna · Partner · rows: 1"


async def test_a_period_that_holds_no_lead_gives_a_csv_with_its_header_in_russian(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="ru")
    await _screen(tg, tina)
    screen = await _press(tg, tina, "Создан: за всё время")  # today: the week of November is long gone
    await _press(tg, tina, "Формат: XLSX")
    await tg.press(tina, "⬇️ Выгрузить", message_id=screen.message_id)
    document = tg.fake.last_message(tina.id)
    rows = _rows(document)
    assert rows[0][0] == "id" and len(rows) == 1
    assert document.text == "Лиды (со сделкой) · Сегодня · строк: 0"


async def test_a_deals_export_has_one_row_per_deal_with_typed_amounts(tg, running) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    await _screen(tg, tina)
    screen = await _press(tg, tina, "What: Leads (with their deal)")
    assert "What: Deals (with their lead)" in screen.text
    screen = await _press(tg, tina, "Stage: any")
    assert "Stage: New deal" in screen.text  # the deal stages now
    await _press(tg, tina, "Stage: New deal")  # kyc
    await _press(tg, tina, "Stage: KYC")  # agreement
    screen = await _press(tg, tina, "Stage: Agreement")  # paid
    await tg.press(tina, "⬇️ Export", message_id=screen.message_id)
    document = tg.fake.last_message(tina.id)
    assert document.media is not None and document.media.filename.startswith("deals-")
    sheet = load_workbook(io.BytesIO(document.media.data)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:8] == ["id", "lead_id", "lead_name", "company", "source", "stage", "amount", "currency"]
    (row,) = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert row[1] == running.leads["L1"] and row[5] == "paid" and row[6] == 1000.0 and row[9] == "Tina"


async def test_a_manager_is_refused_politely(tg, running) -> None:
    anna = tg.fake.user(ANNA, "Anna", language_code="en")
    await tg.say(anna, "/export")
    assert "Only team leads and admins can export leads." in tg.text(anna)
    assert not tg.fake.calls_of("sendDocument")


async def test_a_managers_forged_export_button_sends_nothing(tg, running) -> None:
    anna = tg.fake.user(ANNA, "Anna", language_code="en")
    await tg.say(anna, "/start")
    shown = tg.fake.last_message(anna.id)
    answer = await tg.press_data(anna, shown.message_id, "ex:g:l:xlsx::0:all:")
    assert "Only team leads and admins can export leads." in alert_text(answer)
    assert not tg.fake.calls_of("sendDocument")


@pytest.mark.parametrize(
    "data",
    [
        "ex:g:l:pdf::0:all:",  # a format it does not write
        "ex:g:l:csv::0:forever:",  # a period it does not know
        "ex:g:l:csv:paid:0:all:",  # a deal stage on leads
        "ex:g:x:csv::0:all:",  # neither leads nor deals
        "ex:g:l:csv::0:all:fax",  # a source there is not
        "ex:z:l:csv::0:all:",  # an action there is not
        "ex:xlsx:all",  # the old menu's buttons
    ],
)
async def test_a_forged_export_button_changes_nothing(tg, running, data: str) -> None:
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    menu = await _screen(tg, tina)
    count = len(tg.fake.messages(tina.id))
    answer = await tg.press_data(tina, menu.message_id, data)
    assert answer.ok and len(tg.fake.messages(tina.id)) == count
    assert tg.fake.message(tina.id, menu.message_id).text == menu.text
    assert not tg.fake.calls_of("sendDocument")


async def test_the_progress_message_is_edited_while_a_large_export_runs(tg, running, monkeypatch) -> None:
    import functools

    from bot.routers import export as export_router
    from core.services import export as export_svc

    monkeypatch.setattr(export_router, "PROGRESS_EVERY", 0.0)  # every batch, not every 1.5 s
    monkeypatch.setattr(export_svc, "export", functools.partial(export_svc.export, batch=3))
    tina = tg.fake.user(TINA, "Tina", language_code="en")
    menu = await _screen(tg, tina)
    await tg.press(tina, "⬇️ Export", message_id=menu.message_id)
    progress = tg.fake.messages(tina.id)[-2]
    edits = [
        c.params["text"]
        for c in tg.fake.calls_of("editMessageText")
        if c.params.get("message_id") == progress.message_id
    ]
    assert edits == [
        "Exporting… rows: 3 of 7",
        "Exporting… rows: 6 of 7",
        "Exporting… rows: 7 of 7",
        "Export ready, rows: 7.",
    ]
