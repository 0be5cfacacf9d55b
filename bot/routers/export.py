"""/export for team leads and admins: a filter screen (leads or deals; stage, owner, creation period, source;
XLSX or CSV) whose buttons edit it in place, then ⬇️ Export sends the file as a document. The file is written
batch by batch to a temporary file (core.services.export), a progress message is edited while it runs (at most
every ``PROGRESS_EVERY`` seconds), the document is sent from the file (aiogram streams it) and the file removed.
Managers are refused politely (AccessDenied), a forged or outdated button changes nothing."""

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

from bot import export_choice, export_keyboards, screens
from bot.callbacks import CallbackIs, ExportCb, UnpackCallback
from bot.export_choice import Choice
from bot.filters import PrivateChat
from bot.render import exports as render
from bot.render.clock import viewer
from core.domain.clock import utcnow
from core.domain.models import Actor
from core.services import export as export_svc
from core.services.ports import UnitOfWork

PROGRESS_EVERY = 1.5


async def export_command(message: Message, actor: Actor) -> None:
    export_svc.check_may_export(actor)
    choice = Choice()
    await message.answer(render.screen(choice, None), reply_markup=export_keyboards.screen(choice, None))


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


async def _owner_name(uow: UnitOfWork, actor: Actor, choice: Choice) -> str | None:
    if not choice.owner_id:
        return None
    people = await export_svc.owner_choices(uow, actor, choice.kind)
    return next((u.full_name for u in people if u.id == choice.owner_id), None)


async def export_press(query: CallbackQuery, callback_data: ExportCb, uow: UnitOfWork, actor: Actor) -> None:
    export_svc.check_may_export(actor)
    choice = export_choice.read(callback_data)
    message = query.message
    if choice is None or not isinstance(message, Message):
        await query.answer()
        return  # not a button this bot makes: nothing changes
    if callback_data.a == "o":
        people = await export_svc.owner_choices(uow, actor, choice.kind)
        await query.answer()
        await screens.show(query, render.pick_owner(), export_keyboards.owners(choice, people))
        return
    owner_name = await _owner_name(uow, actor, choice)
    if callback_data.a == "v":
        await query.answer()
        await screens.show(query, render.screen(choice, owner_name), export_keyboards.screen(choice, owner_name))
        return
    await query.answer()
    await _export(message, uow, actor, choice, owner_name)


async def _export(message: Message, uow: UnitOfWork, actor: Actor, choice: Choice, owner_name: str | None) -> None:
    progress = await message.answer(render.started())
    shown_at, shown_text = [time.monotonic()], [progress.text or ""]

    async def report(done: int, total: int) -> None:
        text = render.progress(done, total)
        if time.monotonic() - shown_at[0] < PROGRESS_EVERY or text == shown_text[0]:
            return
        shown_at[0], shown_text[0] = time.monotonic(), text
        with contextlib.suppress(TelegramBadRequest):  # not modified, or deleted by the user: go on
            await progress.edit_text(text)

    tz, now = viewer().tz, utcnow()
    handle = await asyncio.to_thread(tempfile.NamedTemporaryFile, suffix=f".{choice.fmt.value}", delete=False)
    try:
        try:
            done = await export_svc.export(
                uow,
                actor,
                choice.kind,
                choice.export_filter(now, tz),
                choice.fmt,
                cast(BinaryIO, handle),
                tz=tz,
                progress=report,
            )
        finally:
            await asyncio.to_thread(handle.close)
        name = f"{choice.kind.value}-{now.astimezone(tz):%Y-%m-%d}.{choice.fmt.value}"
        await message.answer_document(
            FSInputFile(handle.name, filename=name), caption=render.caption(choice, done, owner_name)
        )
        with contextlib.suppress(TelegramBadRequest):
            await progress.edit_text(render.done(done))
    finally:
        await asyncio.to_thread(_remove, handle.name)


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(UnpackCallback(ExportCb))
    router.message.register(export_command, Command("export"))
    router.callback_query.register(export_press, CallbackIs(ExportCb))
    return router
