"""The lead card's "✏️ Edit": name, company, business domain, contacts and custom fields (attributes; the keys
the team already uses are offered as buttons). A tap asks for the typed value (saved by
bot.routers.lead_input.got_field, after the command routers) or clears the field; every press re-checks access
in the services, and a clear also checks the card's version. Each handler: unpack -> one service call -> render."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot import edit_keyboards, screens
from bot.callbacks import CallbackIs, LeadAction, LeadCb, UnpackCallback
from bot.i18n import _
from bot.render.fields import edit_screen, field_prompt
from bot.states import CardInput
from core.domain.errors import StaleState
from core.domain.models import Actor
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


def checked_field(x: str) -> str:
    """``x`` as one of the fields the edit screen names; anything else is forged or from an old build."""
    if x in edit_keyboards.FIELD_NAMES or x == edit_keyboards.NEW_FIELD or (x.startswith("a.") and len(x) > 2):
        return x
    raise StaleState()


async def edit_menu(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lead, keys = await leads_svc.edit_view(uow, actor, callback_data.id)
    if await state.get_state() == CardInput.field.state:
        await state.clear()  # ⬅️ Back under a question: the question is over
    await query.answer()
    await screens.show(query, edit_screen(lead), edit_keyboards.edit_menu(lead, keys))


async def ask_field(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    field = checked_field(callback_data.x)
    lead, keys = await leads_svc.edit_view(uow, actor, callback_data.id)  # access check before asking anything
    await state.set_state(CardInput.field)
    await state.update_data(lead_id=lead.id, field=field, keys=keys)
    await query.answer()
    await screens.show(query, field_prompt(lead, field), edit_keyboards.field_prompt(lead, field), edit=False)


async def clear_field(
    query: CallbackQuery,
    callback_data: LeadCb,
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    state: FSMContext,
) -> None:
    field = checked_field(callback_data.x)
    if field == "company":
        lead = await leads_svc.update_lead(
            uow, services, actor, callback_data.id, changes={"company": None}, expected_version=callback_data.v
        )
    elif field.startswith("a."):
        lead = await leads_svc.set_attribute(
            uow, services, actor, callback_data.id, field[2:], None, expected_version=callback_data.v
        )
    else:
        raise StaleState()  # the name is never empty; "another field" has nothing to clear
    keys = (await state.get_data()).get("keys", [])  # the team's keys, read when the value was asked
    await state.clear()
    note = _("Cleared.")
    await query.answer(note)
    await screens.show(query, edit_screen(lead, note=note), edit_keyboards.edit_menu(lead, keys))


def make_router() -> Router:
    """A fresh router with the edit screen's buttons (a Router can belong to one Dispatcher only)."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(LeadCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(edit_menu, CallbackIs(LeadCb, a=LeadAction.EDIT_MENU))
    router.callback_query.register(ask_field, CallbackIs(LeadCb, a=LeadAction.EDIT_FIELD))
    router.callback_query.register(clear_field, CallbackIs(LeadCb, a=LeadAction.EDIT_CLEAR))
    return router
