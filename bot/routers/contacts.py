"""A lead's contacts from its card: the list (☎️ Contacts), ✖ remove one, ➕ add one (the typed answer is in
bot.routers.lead_input, after the command routers), "Add anyway" when another lead has it. Every press
re-checks access and the card's version in the services (``core.services.contacts``)."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot import contact_keyboards, screens
from bot.callbacks import CallbackIs, LeadAction, LeadCb, UnpackCallback
from bot.i18n import _
from bot.render.contacts import contacts_screen
from bot.render.vocabulary import esc
from bot.states import CardInput
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor
from core.services import contacts as contacts_svc
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


async def show_contacts(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await query.answer()
    await screens.show(query, contacts_screen(lead), contact_keyboards.contacts(lead))


async def remove_contact(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    if not callback_data.x.isdecimal() or len(callback_data.x) > 18:
        raise InvalidValue("contact", Rule.NOT_A_NUMBER)
    lead = await contacts_svc.remove_contact(
        uow, actor, callback_data.id, int(callback_data.x), expected_version=callback_data.v
    )
    note = _("Contact removed.")
    await query.answer(note)
    await screens.show(query, contacts_screen(lead, note=note), contact_keyboards.contacts(lead))


async def ask_contact(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)  # access check before asking anything
    await state.set_state(CardInput.contact)
    await state.update_data(lead_id=lead.id)
    await query.answer()
    text = _("Send one more contact for {name}: a phone number, an e-mail or a Telegram @username. /cancel to stop.")
    await screens.show(query, text.format(name=esc(lead.display_name)), edit=False)


async def add_anyway(
    query: CallbackQuery,
    callback_data: LeadCb,
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    state: FSMContext,
) -> None:
    """The contact another lead has, added all the same (the typed text kept in the FSM data; a button of another
    chat or an older question finds none, and the card's version guards the rest)."""
    data = await state.get_data()
    if data.get("pending_contact") is None or data.get("lead_id") != callback_data.id:
        await query.answer(_("This question is over. Press ➕ Add a contact again."), show_alert=True)
        return
    lead = await contacts_svc.add_contact(
        uow,
        services.policy,
        actor,
        callback_data.id,
        str(data["pending_contact"]),
        expected_version=callback_data.v,
        allow_duplicate=True,
    )
    await state.clear()
    note = _("Contact added.")
    await query.answer(note)
    await screens.show(query, contacts_screen(lead, note=note), contact_keyboards.contacts(lead))


def make_router() -> Router:
    """A fresh router with the contacts' buttons (a Router can belong to one Dispatcher only)."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(LeadCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(show_contacts, CallbackIs(LeadCb, a=LeadAction.CONTACT))
    router.callback_query.register(remove_contact, CallbackIs(LeadCb, a=LeadAction.CONTACT_DEL))
    router.callback_query.register(ask_contact, CallbackIs(LeadCb, a=LeadAction.CONTACT_ADD))
    router.callback_query.register(add_anyway, CallbackIs(LeadCb, a=LeadAction.CONTACT_ANYWAY))
    return router
