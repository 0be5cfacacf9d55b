"""/model (admins): the active scorer in plain words with its chart, the transfer gate (choose or type it, then
confirm) and the stored versions (switch back to one, confirm). After a change the open leads are re-scored in
a background task with its own unit of work, so their stored advice follows the new gate / model."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import model_chart, model_keyboards, render, screens
from bot.callbacks import CallbackIs, ModelAction, ModelCb, UnpackCallback
from bot.filters import PrivateChat
from bot.i18n import _
from bot.render import model_admin as words
from core.domain.models import Actor
from core.services import scorer_admin
from core.services import training as training_svc
from core.services.context import Services
from core.services.ports import UnitOfWork
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)
CHART_FILE = "model.png"


async def home_text(uow: UnitOfWork, services: Services, actor: Actor) -> tuple[str, training_svc.ModelInfo]:
    info = await training_svc.active_model_info(uow, policy=services.policy)
    changes = await scorer_admin.recent_changes(uow, actor)
    return render.model_info(info) + words.changes_block(changes), info


class ModelRouter:
    """The handlers, with the set of running re-score tasks (kept referenced until done)."""

    def __init__(self) -> None:
        self.rescoring: set[asyncio.Task[None]] = set()

    def rescore(self, services: Services, session_factory: async_sessionmaker[AsyncSession]) -> None:
        async def run() -> None:
            try:
                await training_svc.rescore_open_leads(SqlUnitOfWork(session_factory), services)
            except Exception:  # a background task: log it instead of losing it
                log.exception("re-scoring after a scorer change failed")

        task = asyncio.create_task(run(), name="rescore-open-leads")
        self.rescoring.add(task)
        task.add_done_callback(self.rescoring.discard)

    async def model(
        self, message: Message, command: CommandObject, uow: UnitOfWork, services: Services, actor: Actor
    ) -> None:
        args = (command.args or "").split()
        if args and args[0].lower() in {"gate", "порог"}:
            await self.ask_gate(message, uow, services, actor, scorer_admin.parse_gate(" ".join(args[1:])))
            return
        text, info = await home_text(uow, services, actor)
        chart = words.chart(info)
        if chart is not None:
            png = await model_chart.render(chart)
            await message.answer_photo(BufferedInputFile(png, CHART_FILE))
        await message.answer(text, reply_markup=model_keyboards.home())

    async def ask_gate(
        self, target: Message | CallbackQuery, uow: UnitOfWork, services: Services, actor: Actor, new: float
    ) -> None:
        current = await scorer_admin.current_gate(uow, services.policy, actor)
        preview = await scorer_admin.gate_preview(uow, actor, new)
        markup = model_keyboards.gate_confirm(new, current.threshold)
        await screens.show(target, words.gate_question(current.threshold, preview), markup)

    async def press(
        self,
        query: CallbackQuery,
        callback_data: ModelCb,
        uow: UnitOfWork,
        services: Services,
        actor: Actor,
        session_factory: async_sessionmaker[AsyncSession],
    ) -> None:
        a, v, x = callback_data.a, callback_data.v, callback_data.x
        note: str | None = None
        if a == ModelAction.HOME:
            text, _info = await home_text(uow, services, actor)
            await screens.show(query, text, model_keyboards.home())
        elif a == ModelAction.GATE:
            gate = await scorer_admin.current_gate(uow, services.policy, actor)
            await screens.show(query, words.gate_screen(gate), model_keyboards.gate(gate.threshold))
        elif a == ModelAction.GATE_ASK:
            await self.ask_gate(query, uow, services, actor, v / 1000)
        elif a == ModelAction.GATE_YES:
            stats = await scorer_admin.set_gate(uow, services.policy, actor, v / 1000, expect=x / 1000)
            self.rescore(services, session_factory)
            note = _("Transfer gate set.")
            await screens.show(query, words.gate_set(stats), model_keyboards.home())
        elif a == ModelAction.VERSIONS:
            items = await scorer_admin.list_versions(uow, actor)
            labels = {item.id: words.version_button(item) for item in items if item.id is not None}
            await screens.show(query, words.versions_screen(items), model_keyboards.versions(items, labels))
        elif a == ModelAction.VERSION_ASK:
            version = await scorer_admin.get_version(uow, actor, v)
            info = await training_svc.active_model_info(uow)
            await screens.show(
                query, words.version_question(version, info.version), model_keyboards.version_confirm(v, x)
            )
        elif a == ModelAction.VERSION_YES:
            version = await scorer_admin.activate_version(uow, actor, v, expect_active=x or None)
            self.rescore(services, session_factory)
            note = _("Model switched.")
            await screens.show(query, words.version_set(version), model_keyboards.home())
        await query.answer(note)


def make_router() -> Router:
    """A fresh router (a Router can belong to one Dispatcher only, and tests build several)."""
    handlers = ModelRouter()
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.message.register(handlers.model, Command("model"))
    router.callback_query.filter(UnpackCallback(ModelCb))
    router.callback_query.register(handlers.press, CallbackIs(ModelCb))
    return router
