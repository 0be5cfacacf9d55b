"""The lead card: one message edited in place. Buttons carry the lead id and the version the card showed;
the services refuse a stale version (StaleState -> alert + fresh card) and leads the user may not see
(LeadNotFound -> alert, nothing changes). Each handler: unpack -> one service call -> render."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot import confirm_keyboards, keyboards, render, screens
from bot.callbacks import CallbackIs, LeadAction, LeadCb, UnpackCallback
from bot.i18n import _
from bot.outbox import OutboxSender
from bot.states import CardInput
from core.domain.enums import ActivityKind, Stage, StepKind
from core.domain.errors import InvalidValue, Rule, StaleState, TransferNotAllowed
from core.domain.models import Actor, User
from core.services import history as history_svc
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import UnitOfWork

NEXT_TARGETS = frozenset({Stage.CONTACTED.value, Stage.QUALIFIED.value})  # transfer and lost have their own buttons
BUTTON_KINDS = frozenset({ActivityKind.CALL.value, ActivityKind.MESSAGE.value, ActivityKind.MEETING.value})


async def open_card(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await query.answer()
    await screens.show_card(query, lead, user, edit=callback_data.x != keyboards.OPEN_NEW)


async def log_activity(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    if callback_data.x not in BUTTON_KINDS:
        raise InvalidValue("kind", Rule.NOT_ONE_OF, value=callback_data.x, allowed=sorted(BUTTON_KINDS))
    lead, activity = await leads_svc.log_activity(
        uow, services, actor, callback_data.id, kind=callback_data.x, expected_version=callback_data.v
    )
    note = _("Logged: {kind}.").format(kind=render.kind_name(activity.kind))
    await query.answer(note)
    await screens.offer_next_step(query, lead, note=note, kind=StepKind(activity.kind.value), comment_on=activity.id)


async def analyze(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    lead = await leads_svc.analyze(uow, services, actor, callback_data.id, expected_version=callback_data.v)
    note = _("Analyzed: score {score:.2f}.").format(score=lead.ai_score or 0.0)
    await query.answer(note)
    await screens.show_card(query, lead, user, note=note)


async def next_stage(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    # The button names its target stage; with the card's version the service refuses it unless the lead
    # is still where the card showed it (and the funnel allows the step), so no extra read is needed.
    # A button without a target (an older card) takes the next step from wherever the lead is.
    if not callback_data.x:
        result = await leads_svc.advance(uow, services, actor, callback_data.id, expected_version=callback_data.v)
    elif callback_data.x in NEXT_TARGETS:
        result = await leads_svc.change_stage(
            uow, services, actor, callback_data.id, callback_data.x, expected_version=callback_data.v
        )
    else:
        raise StaleState()  # not a button this bot makes: treated as an outdated card
    note = _("Stage: {stage}.").format(stage=render.stage_name(result.lead.stage))
    await query.answer(note)
    await screens.show_card(query, result.lead, user, note=note)


async def transfer(
    query: CallbackQuery,
    callback_data: LeadCb,
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    user: User,
    outbox_sender: OutboxSender | None = None,
) -> None:
    try:
        result = await leads_svc.change_stage(
            uow, services, actor, callback_data.id, Stage.TRANSFERRED.value, expected_version=callback_data.v
        )
    except TransferNotAllowed as refused:
        # An expected answer, not a failure: say exactly why and offer what fixes it.
        why = render.transfer_refused(refused)
        await query.answer(render.plain(why), show_alert=True)
        lead = await leads_svc.get_lead(uow, actor, callback_data.id)
        await screens.show(query, render.lead_card(lead, note=why), keyboards.transfer_refused(lead))
        return
    if outbox_sender is not None:
        outbox_sender.wake()  # the notification was queued in the transfer's transaction; send it now
    note = _("Transferred to sales; the team leads are notified.")
    await query.answer(note)
    await screens.show_card(query, result.lead, user, note=note)


async def lost_menu(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await query.answer()
    await screens.show(query, render.lead_card(lead, note=_("Why is the lead lost?")), keyboards.lost_reasons(lead))


def _preset(code: str) -> str:
    name = render.lost_preset(code)
    if name is None:
        raise InvalidValue("reason", Rule.NOT_ONE_OF, value=code, allowed=list(render.LOST_PRESETS))
    return name


async def lost(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    """A preset reason chosen: are you sure? (a lost lead cannot be reopened)."""
    name = _preset(callback_data.x)
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    if lead.version != callback_data.v:
        raise StaleState()
    await query.answer()
    question = _("Mark the lead as lost ({reason})? This cannot be undone.").format(reason=name)
    await screens.show(query, render.lead_card(lead, note=question), confirm_keyboards.lead_lost(lead, callback_data.x))


async def lost_confirmed(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    name = _preset(callback_data.x)
    result = await leads_svc.change_stage(
        uow,
        services,
        actor,
        callback_data.id,
        Stage.LOST.value,
        reason_code=callback_data.x,
        expected_version=callback_data.v,
    )
    note = _("Marked as lost: {reason}.").format(reason=name)
    await query.answer(note)
    await screens.show_card(query, result.lead, user, note=note)


async def domain_menu(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor
) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await query.answer()
    await screens.show(
        query,
        render.lead_card(lead, note=_("Choose the business domain:")),
        keyboards.lead_domains(lead, sorted(services.policy.domains)),
    )


async def set_domain(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    domain = keyboards.domain_from_value(callback_data.x, sorted(services.policy.domains))
    lead = await leads_svc.update_lead(
        uow, services, actor, callback_data.id, changes={"business_domain": domain}, expected_version=callback_data.v
    )
    note = _("Domain set: {domain}.").format(domain=render.domain_name(lead.business_domain or ""))
    await query.answer(note)
    await screens.show_card(query, lead, user, note=note)


async def history(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    found = await history_svc.lead_history(uow, actor, callback_data.id)
    text = render.history(found.lead, found.changes, found.activities, found.events, names=found.names)
    await query.answer()
    await screens.show(query, text, keyboards.back_to_card(found.lead))


# ---------------------------------------------------------------- buttons that ask for text

PROMPTS = {
    LeadAction.NOTE: (CardInput.note, "note"),
    LeadAction.LOST_TEXT: (CardInput.lost_reason, "lost"),
}


async def ask_text(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)  # access check before asking anything
    target, what = PROMPTS[callback_data.a]
    await state.set_state(target)
    await state.update_data(lead_id=lead.id)
    prompts = {
        "note": _("Type the note for {name} (up to 4000 characters), or /cancel."),
        "lost": _("Why is {name} lost? Type the reason (up to 500 characters), or /cancel."),
    }
    await query.answer()
    await screens.show(query, prompts[what].format(name=render.esc(render.lead_name(lead))), edit=False)


def make_router() -> Router:
    """A fresh router with the card's buttons (a Router can belong to one Dispatcher only, and tests build
    several). The typed answers those buttons ask for are in bot.routers.lead_input: the dispatcher puts the
    buttons first and the typed answers after the command routers (see bot.app.build_dispatcher)."""
    router = Router(name=__name__)
    # Filters are aiogram Filter objects (StateFilter, bot.callbacks' and bot.filters' filters), which aiogram
    # awaits in the event loop: a bare ``F...`` or State is a plain callable, which aiogram runs through
    # asyncio.to_thread on every check (a thread hop per filter per update; see bench/bot.py's notes).
    # One unpack per press for the whole router (bot.callbacks.UnpackCallback); the handlers check its result.
    router.callback_query.filter(UnpackCallback(LeadCb))
    router.callback_query.register(open_card, CallbackIs(LeadCb, a=LeadAction.OPEN))
    router.callback_query.register(log_activity, CallbackIs(LeadCb, a=LeadAction.LOG))
    router.callback_query.register(analyze, CallbackIs(LeadCb, a=LeadAction.ANALYZE))
    router.callback_query.register(next_stage, CallbackIs(LeadCb, a=LeadAction.NEXT))
    router.callback_query.register(transfer, CallbackIs(LeadCb, a=LeadAction.TRANSFER))
    router.callback_query.register(lost_menu, CallbackIs(LeadCb, a=LeadAction.LOST_MENU))
    router.callback_query.register(lost, CallbackIs(LeadCb, a=LeadAction.LOST))
    router.callback_query.register(lost_confirmed, CallbackIs(LeadCb, a=LeadAction.LOST_YES))
    router.callback_query.register(domain_menu, CallbackIs(LeadCb, a=LeadAction.DOMAIN_MENU))
    router.callback_query.register(set_domain, CallbackIs(LeadCb, a=LeadAction.DOMAIN))
    router.callback_query.register(history, CallbackIs(LeadCb, a=LeadAction.HISTORY))
    router.callback_query.register(ask_text, CallbackIs(LeadCb, a=set(PROMPTS)))
    return router
