"""The /new dialog: name -> source (buttons) -> business domain (buttons or Skip) -> contact (or Skip) -> card.
A contact another lead already has shows that lead (or only that it is another manager's) with "Open it" /
"Create anyway" before anything is created (the duplicate guard, ``core.services.contacts``).

Input is checked with the domain's own validation at each step; a bad answer raises InvalidValue, which
the errors router turns into the reason plus "try again, or /cancel" (the state stays, so it re-asks).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import contact_keyboards, keyboards, render, screens
from bot.callbacks import CallbackIs, MenuCb, NewLeadCb, UnpackCallback
from bot.filters import HasText, PrivateChat
from bot.i18n import _
from bot.render.contacts import duplicate_screen
from bot.states import NewLead
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor, User
from core.domain.validation import clean_contact, clean_domain, clean_name, clean_source
from core.services import contacts as contacts_svc
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


def catalogue(services: Services) -> list[str]:
    return sorted(services.policy.domains)


def _ask_name() -> str:
    return _("New lead. What is the lead's name (a company or a person)?\n/cancel to stop.")


def _for_queue_button(user: User) -> InlineKeyboardMarkup | None:
    """Team leads and admins may create a lead for the queue (the team's rule assigns it)."""
    if not keyboards.sees_all(user):
        return None
    kb = keyboards.Keyboard()
    kb.button(text=_("📥 For the queue (assigned by the rule)"), callback_data=NewLeadCb(step="q"))
    return kb.as_markup()


async def new_command(message: Message, state: FSMContext, user: User) -> None:
    await state.clear()
    await state.set_state(NewLead.name)
    await message.answer(_ask_name(), reply_markup=_for_queue_button(user))


async def new_button(query: CallbackQuery, state: FSMContext, user: User) -> None:
    await state.clear()
    await state.set_state(NewLead.name)
    await query.answer()
    await screens.show(query, _ask_name(), _for_queue_button(user), edit=False)


async def for_queue(query: CallbackQuery, state: FSMContext) -> None:
    """The lead will have no owner of the creator's choosing: the rule assigns it when it is created."""
    await state.update_data(for_queue=True)
    await query.answer()
    await screens.show(query, _("For the queue: the team's rule will assign it.") + "\n" + _ask_name())


async def got_name(message: Message, state: FSMContext) -> None:
    text = message.text or ""
    if text.startswith("/"):
        await message.answer(_("Send the name as plain text, or /cancel."))
        return
    name = clean_name(text)
    if name is None:
        raise InvalidValue("name", Rule.REQUIRED)
    await state.update_data(name=name)
    await state.set_state(NewLead.source)
    await message.answer(_("Where does the lead come from?"), reply_markup=keyboards.sources())


async def got_source(query: CallbackQuery, callback_data: NewLeadCb, state: FSMContext, services: Services) -> None:
    source = clean_source(callback_data.val)  # a forged value is a polite InvalidValue alert
    await state.update_data(source=source.value)
    await state.set_state(NewLead.domain)
    await query.answer()
    await screens.show(
        query,
        _("Source: {value}. Business domain?").format(value=render.source_name(source)),
        keyboards.new_lead_domains(catalogue(services)),
    )


async def got_domain(query: CallbackQuery, callback_data: NewLeadCb, state: FSMContext, services: Services) -> None:
    cat = catalogue(services)
    domain = clean_domain(keyboards.domain_from_value(callback_data.val, cat), services.policy.domains)
    await state.update_data(business_domain=domain)
    await state.set_state(NewLead.contact)
    await query.answer()
    shown = render.domain_name(domain) if domain else _("not set")
    await screens.show(
        query,
        _("Domain: {value}. The lead's contact: a phone number, an e-mail or a Telegram @username?").format(
            value=shown
        ),
        keyboards.skip_contact(),
    )


async def use_buttons(message: Message, state: FSMContext, services: Services) -> None:
    if await state.get_state() == NewLead.source.state:
        await message.answer(_("Please choose the source with the buttons."), reply_markup=keyboards.sources())
    else:
        await message.answer(
            _("Please choose the domain with the buttons, or Skip."),
            reply_markup=keyboards.new_lead_domains(catalogue(services)),
        )


async def _create(
    target: Message | CallbackQuery,
    contact: str | None,
    *,
    state: FSMContext,
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    user: User,
    allow_duplicate: bool = False,
) -> None:
    data = await state.get_data()
    lead = await leads_svc.create_lead(
        uow,
        services,
        actor,
        source=data["source"],
        name=data.get("name"),
        contact=contact,
        business_domain=data.get("business_domain"),
        for_queue=bool(data.get("for_queue")),
        allow_duplicate=allow_duplicate,
    )
    await state.clear()
    await screens.show_card(target, lead, user, note=_("Lead created."), edit=False)


async def got_contact(
    message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    text = message.text or ""
    if text.startswith("/"):
        await message.answer(
            _("Send the contact as plain text, Skip, or /cancel."), reply_markup=keyboards.skip_contact()
        )
        return
    contact = clean_contact(text)
    duplicate = await contacts_svc.check_new_contact(uow, services.policy, actor, contact) if contact else None
    if duplicate is not None:  # the duplicate guard: show that lead (or whose it is), then Open it / Create anyway
        await state.update_data(contact=contact, duplicate_id=duplicate.lead_id)
        await message.answer(
            duplicate_screen(duplicate), reply_markup=contact_keyboards.duplicate(duplicate.lead is not None)
        )
        return
    await _create(message, contact, state=state, uow=uow, services=services, actor=actor, user=user)


async def duplicate_choice(
    query: CallbackQuery,
    callback_data: NewLeadCb,
    state: FSMContext,
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    user: User,
) -> None:
    """ "Create anyway" creates with the contact kept in the state; "Open it" shows the other lead (the
    service checks again that the user may see it: the state's id is not trusted more than a button)."""
    data = await state.get_data()
    if "duplicate_id" not in data:
        await query.answer(_("This dialog is over. /new starts a new lead."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.val == "open":
        lead = await leads_svc.get_lead(uow, actor, int(data["duplicate_id"]))
        await state.clear()
        await screens.show_card(query, lead, user, edit=False)
        return
    await _create(
        query,
        data.get("contact"),
        state=state,
        uow=uow,
        services=services,
        actor=actor,
        user=user,
        allow_duplicate=True,
    )


async def skip_contact(
    query: CallbackQuery, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await _create(query, None, state=state, uow=uow, services=services, actor=actor, user=user)


async def dialog_over(query: CallbackQuery) -> None:
    """A button of a finished or cancelled dialog."""
    await query.answer(_("This dialog is over. /new starts a new lead."), show_alert=True)


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only,
    and tests build several)."""
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(UnpackCallback(MenuCb, NewLeadCb))  # one unpack per press (bot.callbacks)
    router.message.register(new_command, Command("new"))
    router.callback_query.register(new_button, CallbackIs(MenuCb, item="new"))
    router.message.register(got_name, StateFilter(NewLead.name), HasText())
    router.callback_query.register(for_queue, StateFilter(NewLead.name), CallbackIs(NewLeadCb, step="q"))
    router.callback_query.register(got_source, StateFilter(NewLead.source), CallbackIs(NewLeadCb, step="src"))
    router.callback_query.register(got_domain, StateFilter(NewLead.domain), CallbackIs(NewLeadCb, step="dom"))
    router.message.register(use_buttons, StateFilter(NewLead.domain))
    router.message.register(use_buttons, StateFilter(NewLead.source))
    router.message.register(got_contact, StateFilter(NewLead.contact), HasText())
    router.callback_query.register(skip_contact, StateFilter(NewLead.contact), CallbackIs(NewLeadCb, step="ct"))
    router.callback_query.register(duplicate_choice, StateFilter(NewLead.contact), CallbackIs(NewLeadCb, step="dup"))
    router.callback_query.register(dialog_over, CallbackIs(NewLeadCb))
    return router
