"""Typed answers of the working day: a next step's time (read with bot.dates, echoed back with Save /
Change before anything is saved; text it cannot read is asked again with examples), a reason to snooze a
stalled lead, and a time zone typed in /settings. After the command routers, so /cancel is a command."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import screens, step_keyboards
from bot.dates import parse_due
from bot.filters import HasText, PrivateChat
from bot.i18n import _
from bot.render import steps
from bot.render.clock import use_viewer, viewer
from bot.states import CardInput, SettingsInput
from core.domain.clock import utcnow
from core.domain.dates import zone
from core.domain.enums import StepKind
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor, User
from core.services import leads as leads_svc
from core.services import stale as stale_svc
from core.services import users as users_svc
from core.services.context import Services
from core.services.next_steps import PAST_GRACE
from core.services.ports import UnitOfWork


def _typed(message: Message) -> str:
    text = message.text or ""
    if text.startswith("/"):
        raise InvalidValue("text", Rule.LOOKS_LIKE_COMMAND)
    return text


async def got_time(message: Message, state: FSMContext, uow: UnitOfWork, actor: Actor) -> None:
    data = await state.get_data()
    text = _typed(message)
    lead = await leads_svc.get_lead(uow, actor, int(data["lead_id"]))
    kind = StepKind(data.get("kind") or StepKind.CALL.value)
    now = utcnow()
    parsed = parse_due(text, viewer().tz, now)
    if parsed is None:
        await message.answer(steps.not_understood(text))  # the dialog stays: the next text is read again
        return
    if parsed.due_at < now - PAST_GRACE:
        await message.answer(steps.in_the_past(parsed.due_at))
        return
    note = parsed.note[:500] if parsed.note else None
    await state.update_data(due=int(parsed.due_at.timestamp()), note=note)
    await message.answer(
        steps.confirm(lead, kind, parsed.due_at, note), reply_markup=step_keyboards.confirm(lead, kind, parsed.due_at)
    )


async def got_snooze_reason(
    message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    data = await state.get_data()
    lead = await stale_svc.snooze_stale(
        uow,
        services,
        actor,
        int(data["lead_id"]),
        days=steps.SNOOZE_TEXT_DAYS,
        reason=_typed(message),
        expected_version=data.get("version"),
    )
    await state.clear()
    await screens.show_card(message, lead, user, note=_("Snoozed for {days} d.").format(days=steps.SNOOZE_TEXT_DAYS))


async def got_zone(message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor) -> None:
    user = await users_svc.set_timezone(uow, actor, _typed(message).strip())
    await state.clear()
    with use_viewer(zone(user.timezone, services.policy.default_timezone), services.policy):
        await message.answer(steps.zone_set(viewer().tz.key))


def make_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.message.register(got_time, StateFilter(CardInput.next_step), HasText())
    router.message.register(got_snooze_reason, StateFilter(CardInput.snooze_reason), HasText())
    router.message.register(got_zone, StateFilter(SettingsInput.timezone), HasText())
    return router
