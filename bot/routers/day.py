"""/today (my overdue and today's steps, then my open leads with no next step; team leads and admins per
owner) and /settings (my time zone and language; pick a zone from buttons or type one)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import screens, step_keyboards
from bot.callbacks import CallbackIs, TodayCb, UnpackCallback, ZoneCb
from bot.filters import PrivateChat
from bot.render import steps
from bot.render.clock import use_viewer, viewer
from bot.states import SettingsInput
from core.domain.dates import zone
from core.domain.models import Actor, User
from core.services import today as today_svc
from core.services import users as users_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


async def _today(
    target: Message | CallbackQuery, uow: UnitOfWork, services: Services, actor: Actor, user: User, *, edit: bool
) -> None:
    report = await today_svc.today(uow, services, actor, user)
    leads = [lead for day in report.owners for lead in (*day.overdue, *day.today, *day.no_step)]
    await screens.show(target, steps.today(report), step_keyboards.today(leads), edit=edit)


async def today_command(message: Message, uow: UnitOfWork, services: Services, actor: Actor, user: User) -> None:
    await _today(message, uow, services, actor, user, edit=False)


async def today_refresh(query: CallbackQuery, uow: UnitOfWork, services: Services, actor: Actor, user: User) -> None:
    await query.answer()
    await _today(query, uow, services, actor, user, edit=True)


LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


def _settings_text(user: User, services: Services, locale: str) -> str:
    return steps.settings(viewer().tz.key, user.timezone is None, LANGUAGE_NAMES.get(locale, locale))


async def settings_command(message: Message, services: Services, user: User, locale: str) -> None:
    await message.answer(_settings_text(user, services, locale), reply_markup=step_keyboards.zones(viewer().tz.key))


async def pick_zone(
    query: CallbackQuery,
    callback_data: ZoneCb,
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    state: FSMContext,
    locale: str,
) -> None:
    if callback_data.i == -1:
        await state.set_state(SettingsInput.timezone)
        await query.answer()
        await screens.show(query, steps.ask_zone(), edit=False)
        return
    if not 0 <= callback_data.i < len(step_keyboards.ZONES):
        await query.answer()
        return  # not a button this bot makes: nothing changes
    user = await users_svc.set_timezone(uow, actor, step_keyboards.ZONES[callback_data.i])
    with use_viewer(zone(user.timezone, services.policy.default_timezone), services.policy):
        await query.answer(steps.zone_set(viewer().tz.key))
        await screens.show(query, _settings_text(user, services, locale), step_keyboards.zones(viewer().tz.key))


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(UnpackCallback(TodayCb, ZoneCb))
    router.message.register(today_command, Command("today"))
    router.callback_query.register(today_refresh, CallbackIs(TodayCb))
    router.message.register(settings_command, Command("settings"))
    router.callback_query.register(pick_zone, CallbackIs(ZoneCb))
    return router
