"""Typed answers the lead card's buttons ask for: a note, one more contact, a free-text lost reason, the number
of the lead to merge (the card's FSM states). A router of its own because of its place: after the command
routers, so /cancel or /lead in the middle of a note is a command, not the note (bot.app.build_dispatcher).
Each handler: unpack -> one service call -> render."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import confirm_keyboards, contact_keyboards, edit_keyboards, keyboards, render, screens
from bot.filters import HasText, PrivateChat
from bot.i18n import _
from bot.render import merge as render_merge
from bot.render.contacts import contacts_screen, duplicate_screen
from bot.render.fields import edit_screen
from bot.routers.merge import lead_number
from bot.states import CardInput
from core.domain.enums import ActivityKind, Stage, StepKind
from core.domain.errors import InvalidValue, Rule, StaleState
from core.domain.models import Actor, User
from core.services import contacts as contacts_svc
from core.services import leads as leads_svc
from core.services import merge as merge_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


async def _lead_id(state: FSMContext) -> int:
    return int((await state.get_data())["lead_id"])


def _typed(message: Message) -> str:
    text = message.text or ""
    if text.startswith("/"):
        raise InvalidValue("text", Rule.LOOKS_LIKE_COMMAND)
    return text


async def got_note(
    message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    lead, _activity = await leads_svc.log_activity(
        uow, services, actor, await _lead_id(state), kind=ActivityKind.NOTE.value, text=_typed(message)
    )
    await state.clear()
    await screens.offer_next_step(message, lead, note=_("Note saved."))


async def got_contact(
    message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    """One more contact (bot.routers.contacts' ➕), never in place of another. One another lead has is not added
    yet: that lead is shown (or only whose it is) with "Add anyway" / "Open it" / "Merge", the contact waits in
    the FSM data (``pending_contact``) for "Add anyway"."""
    text = _typed(message)
    added = await contacts_svc.add_contact_or_show(uow, services.policy, actor, await _lead_id(state), text)
    lead, duplicate = added.lead, added.duplicate
    if duplicate is not None:
        await state.set_state(None)
        await state.update_data(lead_id=lead.id, pending_contact=text)
        markup = contact_keyboards.added_duplicate(
            lead, duplicate.lead_id, visible=duplicate.lead is not None, may_merge=keyboards.sees_all(user)
        )
        await screens.show(message, duplicate_screen(duplicate), markup, edit=False)
        return
    await state.clear()
    note = _("Contact added.")
    await screens.show(message, contacts_screen(lead, note=note), contact_keyboards.contacts(lead), edit=False)


async def got_lost_reason(
    message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    result = await leads_svc.change_stage(
        uow, services, actor, await _lead_id(state), Stage.LOST.value, reason=_typed(message)
    )
    await state.clear()
    await screens.show_card(message, result.lead, user, note=_("Marked as lost."))


async def got_comment(message: Message, state: FSMContext, uow: UnitOfWork, actor: Actor, user: User) -> None:
    data = await state.get_data()
    try:
        lead, activity = await leads_svc.comment_activity(
            uow, actor, int(data["lead_id"]), int(data["activity_id"]), _typed(message)
        )
    except StaleState:
        await state.clear()  # not this lead's activity (a forged button): asking again would not help
        raise
    await state.clear()
    note = _("Comment saved: {activity}.").format(activity=render.activity_name(activity.kind, activity.outcome))
    await screens.offer_next_step(message, lead, note=note, kind=StepKind(activity.kind.value), edit=False)


async def got_field(message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor) -> None:
    """A typed value for the edit screen's field (bot.routers.lead_edit): "name", "company", "a.<key>", or
    "a+" (another field, typed as "name: value")."""
    data = await state.get_data()
    lead_id, field, text = int(data["lead_id"]), str(data["field"]), _typed(message)
    if field == "name":
        lead = await leads_svc.update_lead(uow, services, actor, lead_id, changes={"name": text})
    elif field == "company":
        lead = await leads_svc.update_lead(uow, services, actor, lead_id, changes={"company": text})
    else:
        if field.startswith("a."):
            key, value = field[2:], text
        else:
            key, _sep, value = text.partition(":")
            if not _sep or not key.strip() or not value.strip():
                await message.answer(_("Please type it as name: value, for example “country: Spain”."))
                return  # still asking
        lead = await leads_svc.set_attribute(uow, services, actor, lead_id, key.strip(), value.strip())
    keys = data.get("keys", [])
    await state.clear()
    note = _("Saved.")
    await screens.show(message, edit_screen(lead, note=note), edit_keyboards.edit_menu(lead, keys), edit=False)


async def got_merge_with(message: Message, state: FSMContext, uow: UnitOfWork, actor: Actor) -> None:
    """The other lead's number (bot.routers.merge's 🔗): both leads, and "are you sure?"."""
    pair = await merge_svc.preview(uow, actor, await _lead_id(state), lead_number(_typed(message)))
    await state.clear()
    await screens.show(
        message,
        render_merge.merge_question(pair.lead, pair.other),
        confirm_keyboards.merge(pair.lead, pair.other),
        edit=False,
    )


def make_router() -> Router:
    """A fresh router with the handlers of the text the card's buttons ask for. It must come after the command
    routers, or it would take /cancel as a note."""
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.message.register(got_note, StateFilter(CardInput.note), HasText())
    router.message.register(got_contact, StateFilter(CardInput.contact), HasText())
    router.message.register(got_lost_reason, StateFilter(CardInput.lost_reason), HasText())
    router.message.register(got_comment, StateFilter(CardInput.comment), HasText())
    router.message.register(got_field, StateFilter(CardInput.field), HasText())
    router.message.register(got_merge_with, StateFilter(CardInput.merge_with), HasText())
    return router
