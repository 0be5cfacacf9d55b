"""How an activity went, in one tap: "📞 Call" shows the outcomes (reached / no answer / call back; a meeting
held / cancelled) and each logs the activity with it; on a new lead "… → Contacted" also moves the lead, in
the same transaction (core.services.leads.log_activity ``to_contacted``). Then "next step?" as after any
activity. Each handler: unpack -> one service call -> render; the buttons carry the card's version, so a
second tap on the same menu is stale and logs nothing twice."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot import activity_keyboards, render, screens
from bot.callbacks import CallbackIs, LeadAction, LeadCb, UnpackCallback
from bot.i18n import _
from bot.states import CardInput
from core.domain.enums import ActivityKind, StepKind
from core.domain.errors import InvalidValue, Rule, StaleState
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import UnitOfWork

MENU_KINDS = {ActivityKind.CALL.value, ActivityKind.MESSAGE.value, ActivityKind.MEETING.value}


def _kind(value: str) -> ActivityKind:
    if value not in MENU_KINDS:
        raise InvalidValue("kind", Rule.NOT_ONE_OF, value=value, allowed=sorted(MENU_KINDS))
    return ActivityKind(value)


async def outcome_menu(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    kind = _kind(callback_data.x)
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await query.answer()
    note = _("{kind}: how did it go?").format(kind=render.kind_name(kind))
    await screens.show(query, render.lead_card(lead, note=note), activity_keyboards.outcome_menu(lead, kind))


async def log_outcome(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor
) -> None:
    kind, outcome, to_contacted = activity_keyboards.unpack_outcome(callback_data.x)
    lead, activity = await leads_svc.log_activity(
        uow,
        services,
        actor,
        callback_data.id,
        kind=_kind(kind).value,
        outcome=outcome,
        to_contacted=to_contacted,
        expected_version=callback_data.v,
    )
    what = render.activity_name(activity.kind, activity.outcome)
    if to_contacted:
        note = _("Logged: {activity}; stage: {stage}.").format(activity=what, stage=render.stage_name(lead.stage))
    else:
        note = _("Logged: {activity}.").format(activity=what)
    await query.answer(note)
    await screens.offer_next_step(query, lead, note=note, kind=StepKind(activity.kind.value), comment_on=activity.id)


async def ask_comment(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    """ "💬 Add a comment" under "next step?": the text is asked here and saved by
    bot.routers.lead_input.got_comment (which checks that the activity is this lead's)."""
    if not callback_data.x.isdecimal():
        raise StaleState()
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)  # access check before asking anything
    await state.set_state(CardInput.comment)
    await state.update_data(lead_id=lead.id, activity_id=int(callback_data.x))
    await query.answer()
    prompt = _("Type a comment for {name} (up to 4000 characters), or /cancel.")
    await screens.show(query, prompt.format(name=render.esc(render.lead_name(lead))), edit=False)


def make_router() -> Router:
    """A fresh router with the outcome buttons (a Router can belong to one Dispatcher only, and tests build
    several)."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(LeadCb))
    router.callback_query.register(outcome_menu, CallbackIs(LeadCb, a=LeadAction.OUTCOME_MENU))
    router.callback_query.register(log_outcome, CallbackIs(LeadCb, a=LeadAction.LOG_OUTCOME))
    router.callback_query.register(ask_comment, CallbackIs(LeadCb, a=LeadAction.COMMENT))
    return router
