"""/export for team leads and admins: leads with their deals as XLSX or CSV (all, this month's, the last 30
days'), sent as a document. The file is written batch by batch to a temporary file (core.services.export), a
progress message is edited while it runs (at most every ``PROGRESS_EVERY`` seconds), the document is sent from
the file (aiogram streams it) and the file removed. Managers are refused politely (AccessDenied)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from typing import BinaryIO, cast

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, FSInputFile, Message

from bot import export_keyboards
from bot.callbacks import CallbackIs, ExportCb, UnpackCallback
from bot.filters import PrivateChat
from bot.render import reports as render_reports
from bot.render.clock import viewer
from core.domain.clock import utcnow
from core.domain.models import Actor
from core.domain.periods import PeriodKind, period
from core.services import export as export_svc
from core.services.ports import ExportFilter, UnitOfWork

PROGRESS_EVERY = 1.5
FORMATS = frozenset(f.value for f in export_svc.ExportFormat)


async def export_command(message: Message, actor: Actor) -> None:
    export_svc.check_may_export(actor)
    await message.answer(render_reports.export_menu(), reply_markup=export_keyboards.export_menu())


def _filter(scope: str) -> ExportFilter:
    if scope == "all":
        return ExportFilter()
    span = period(PeriodKind.MONTH if scope == "month" else PeriodKind.LAST_30, utcnow(), viewer().tz)
    return ExportFilter(created_from=span.start, created_to=span.end)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


async def export_press(query: CallbackQuery, callback_data: ExportCb, uow: UnitOfWork, actor: Actor) -> None:
    if callback_data.f not in FORMATS or callback_data.p not in render_reports.EXPORT_SCOPES:
        await query.answer()
        return  # not a button this bot makes: nothing changes
    export_svc.check_may_export(actor)
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    progress = await message.answer(render_reports.export_started())
    shown_at, shown_text = [time.monotonic()], [progress.text or ""]

    async def report(done: int, total: int) -> None:
        text = render_reports.export_progress(done, total)
        if time.monotonic() - shown_at[0] < PROGRESS_EVERY or text == shown_text[0]:
            return
        shown_at[0], shown_text[0] = time.monotonic(), text
        with contextlib.suppress(TelegramBadRequest):  # not modified, or deleted by the user: go on
            await progress.edit_text(text)

    fmt = export_svc.ExportFormat(callback_data.f)
    handle = await asyncio.to_thread(tempfile.NamedTemporaryFile, suffix=f".{fmt.value}", delete=False)
    try:
        try:
            done = await export_svc.export_leads(
                uow,
                actor,
                _filter(callback_data.p),
                fmt,
                cast(BinaryIO, handle),
                tz=viewer().tz,
                progress=report,
            )
        finally:
            await asyncio.to_thread(handle.close)
        name = f"leads-{utcnow().astimezone(viewer().tz):%Y-%m-%d}.{fmt.value}"
        await message.answer_document(
            FSInputFile(handle.name, filename=name), caption=render_reports.export_caption(done, callback_data.p)
        )
        with contextlib.suppress(TelegramBadRequest):
            await progress.edit_text(render_reports.export_done(done))
    finally:
        await asyncio.to_thread(_remove, handle.name)


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(UnpackCallback(ExportCb))
    router.message.register(export_command, Command("export"))
    router.callback_query.register(export_press, CallbackIs(ExportCb))
    return router
