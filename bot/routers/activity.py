"""How an activity went, in one tap: "📞 Call" shows the outcomes (reached / no answer / call back; a meeting
held / cancelled) and each logs the activity with it; on a new lead "… → Contacted" also moves the lead, in
the same transaction (core.services.leads.log_activity ``to_contacted``). Then "next step?" as after any
activity. Each handler: unpack -> one service call -> render; the buttons carry the card's version, so a
second tap on the same menu is stale and logs nothing twice."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from bot import activity_keyboards, render, screens
from bot.callbacks import CallbackIs, LeadAction, LeadCb, UnpackCallback
from bot.i18n import _
from core.domain.enums import ActivityKind, StepKind
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor
from core.services import leads as leads_svc
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


async def log_outcome(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    kind, outcome, to_contacted = activity_keyboards.unpack_outcome(callback_data.x)
    lead, activity = await leads_svc.log_activity(
        uow,
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
    await screens.offer_next_step(query, lead, note=note, kind=StepKind(activity.kind.value))


def make_router() -> Router:
    """A fresh router with the outcome buttons (a Router can belong to one Dispatcher only, and tests build
    several)."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(LeadCb))
    router.callback_query.register(outcome_menu, CallbackIs(LeadCb, a=LeadAction.OUTCOME_MENU))
    router.callback_query.register(log_outcome, CallbackIs(LeadCb, a=LeadAction.LOG_OUTCOME))
    return router
