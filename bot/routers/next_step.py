"""The card's next-step and stalled-lead buttons: the preset picker (one tap sets a step), Done (one tap),
Clear, "type a time" (the answer is read in bot.routers.step_input), Save of an echoed typed time, and
Snooze of a stalled lead with a reason. Buttons carry the card's version: the services refuse a stale one
(StaleState -> alert and a fresh card) and leads the user may not see. Each handler: unpack -> one service
call -> render."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot import render, screens, step_keyboards
from bot.callbacks import CallbackIs, LeadAction, LeadCb, UnpackCallback
from bot.i18n import _
from bot.render import steps
from bot.states import CardInput
from core.domain.clock import utcnow
from core.domain.dates import Preset, preset_due
from core.domain.enums import SnoozeReason, StepKind
from core.domain.errors import InvalidValue, Rule, StaleState
from core.domain.models import Actor, User
from core.domain.validation import parse_enum
from core.services import leads as leads_svc
from core.services import next_steps as steps_svc
from core.services import stale as stale_svc
from core.services.context import Services
from core.services.ports import UnitOfWork

TOKEN_MAX_DIGITS = 11  # seconds since the epoch: 11 digits reach the year 5138 (datetime ends at 9999)


def _kind(value: str) -> StepKind:
    return parse_enum(StepKind, value or StepKind.CALL.value, "kind")


def _split(x: str) -> tuple[StepKind, str]:
    kind, _dot, value = x.partition(".")
    return _kind(kind), value


async def menu(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    kind = _kind(callback_data.x or (lead.next_step.kind.value if lead.next_step else ""))
    await query.answer()
    await screens.show(
        query, render.lead_card(lead, note=steps.picker_note(kind)), step_keyboards.picker(lead, kind, utcnow())
    )


async def skip(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await query.answer()
    await screens.show_card(query, lead, user)


async def set_preset(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    kind, value = _split(callback_data.x)
    if value not in Preset._value2member_map_:
        raise StaleState()  # not a button this bot makes
    due_at = preset_due(value, utcnow(), render.viewer().tz)
    lead = await steps_svc.set_next_step(
        uow, actor, callback_data.id, kind=kind.value, due_at=due_at, expected_version=callback_data.v
    )
    note = steps.step_saved(kind, due_at)
    await query.answer(render.plain(note))
    await screens.show_card(query, lead, user, note=note)


async def save_typed(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, user: User, state: FSMContext
) -> None:
    kind, value = _split(callback_data.x)
    if not value.isdecimal() or len(value) > TOKEN_MAX_DIGITS:
        raise StaleState()
    due_at = datetime.fromtimestamp(int(value), UTC)
    data = await state.get_data()
    # The note typed with the time is in the dialog's data, for the time the bot echoed (not for another one).
    note = data.get("note") if data.get("lead_id") == callback_data.id and data.get("due") == int(value) else None
    lead = await steps_svc.set_next_step(
        uow, actor, callback_data.id, kind=kind.value, due_at=due_at, note=note, expected_version=callback_data.v
    )
    await state.clear()
    text = steps.step_saved(kind, due_at)
    await query.answer(render.plain(text))
    await screens.show_card(query, lead, user, note=text)


async def ask_time(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)  # access check before asking anything
    kind = _kind(callback_data.x)
    await state.set_state(CardInput.next_step)
    await state.set_data({"lead_id": lead.id, "kind": kind.value})
    await query.answer()
    await screens.show(query, steps.ask_time(render.lead_name(lead), kind), edit=False)


async def done(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    lead = await steps_svc.complete_next_step(uow, actor, callback_data.id, expected_version=callback_data.v)
    note = _("Next step done.")
    await query.answer(note)
    await screens.offer_next_step(query, lead, note=note)


async def clear(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    lead = await steps_svc.clear_next_step(uow, actor, callback_data.id, expected_version=callback_data.v)
    note = _("Next step cleared.")
    await query.answer(note)
    await screens.show_card(query, lead, user, note=note)


async def snooze_menu(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await query.answer()
    await screens.show(
        query,
        render.lead_card(lead, note=_("Why is the lead quiet? The flag stays off for the days shown.")),
        step_keyboards.snooze_reasons(lead),
    )


async def snooze(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    if callback_data.x not in SnoozeReason._value2member_map_:
        raise InvalidValue("reason", Rule.NOT_ONE_OF, value=callback_data.x, allowed=list(SnoozeReason))
    code = SnoozeReason(callback_data.x)
    days = steps.SNOOZE_PRESETS[code][1]
    lead = await stale_svc.snooze_stale(
        uow, services, actor, callback_data.id, days=days, reason_code=code.value, expected_version=callback_data.v
    )
    note = _("Snoozed for {days} d: {reason}.").format(days=days, reason=steps.snooze_reason_name(code))
    await query.answer(note)
    await screens.show_card(query, lead, user, note=note)


async def ask_snooze_reason(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await state.set_state(CardInput.snooze_reason)
    await state.set_data({"lead_id": lead.id, "version": callback_data.v})
    await query.answer()
    await screens.show(query, steps.ask_snooze_reason(render.lead_name(lead)), edit=False)


def make_router() -> Router:
    """A fresh router with the card's next-step and snooze buttons (the card's other buttons are in
    bot.routers.lead_card; both filter on LeadCb and split it by action)."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(LeadCb))
    router.callback_query.register(menu, CallbackIs(LeadCb, a=LeadAction.STEP_MENU))
    router.callback_query.register(set_preset, CallbackIs(LeadCb, a=LeadAction.STEP_SET))
    router.callback_query.register(done, CallbackIs(LeadCb, a=LeadAction.STEP_DONE))
    router.callback_query.register(skip, CallbackIs(LeadCb, a=LeadAction.STEP_SKIP))
    router.callback_query.register(ask_time, CallbackIs(LeadCb, a=LeadAction.STEP_TEXT))
    router.callback_query.register(save_typed, CallbackIs(LeadCb, a=LeadAction.STEP_SAVE))
    router.callback_query.register(clear, CallbackIs(LeadCb, a=LeadAction.STEP_CLEAR))
    router.callback_query.register(snooze_menu, CallbackIs(LeadCb, a=LeadAction.SNOOZE_MENU))
    router.callback_query.register(snooze, CallbackIs(LeadCb, a=LeadAction.SNOOZE))
    router.callback_query.register(ask_snooze_reason, CallbackIs(LeadCb, a=LeadAction.SNOOZE_TEXT))
    return router
