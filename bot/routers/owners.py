"""Owners: /queue (the unassigned leads, team leads and admins), the card's "👤 Assign" picker, /assignment
(the rule for new leads; admins change it). The services decide who may do what; these handlers unpack and
render."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import owner_keyboards, screens
from bot.callbacks import CallbackIs, LeadAction, LeadCb, QueueCb, RuleCb, UnpackCallback
from bot.filters import PrivateChat
from bot.outbox import OutboxSender
from bot.render import assignments as words
from bot.render.leads import lead_card
from core.domain.enums import Role
from core.domain.errors import StaleState
from core.domain.models import Actor, User
from core.services import assignment, browse
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import UnitOfWork

PER_PAGE = 8


async def _queue(target: Message | CallbackQuery, uow: UnitOfWork, actor: Actor, *, page: int, edit: bool) -> None:
    result = await browse.page_leads(uow, actor, page=page, per_page=PER_PAGE, unassigned=True)
    text = words.queue_page(result.items, page=result.page, pages=result.pages, total=result.total)
    await screens.show(
        target, text, owner_keyboards.queue_page(result.items, page=result.page, pages=result.pages), edit=edit
    )


async def queue_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    await _queue(message, uow, actor, page=0, edit=False)


async def queue_page(query: CallbackQuery, callback_data: QueueCb, uow: UnitOfWork, actor: Actor) -> None:
    await _queue(query, uow, actor, page=callback_data.p, edit=True)
    await query.answer()


async def assign_menu(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor) -> None:
    people = await assignment.candidates(uow, actor)
    lead = await leads_svc.get_lead(uow, actor, callback_data.id)
    await query.answer()
    await screens.show(
        query, lead_card(lead, note=words.pick_owner_note(lead)), owner_keyboards.owner_picker(lead, people)
    )


async def assign(
    query: CallbackQuery,
    callback_data: LeadCb,
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    user: User,
    outbox_sender: OutboxSender | None = None,
) -> None:
    if callback_data.x and not callback_data.x.isdecimal():
        raise StaleState()  # not a button this bot makes
    owner_id = int(callback_data.x) if callback_data.x else None
    lead = await assignment.assign_lead(
        uow, services, actor, callback_data.id, owner_id, expected_version=callback_data.v
    )
    if outbox_sender is not None:
        outbox_sender.wake()  # the new owner's message was queued with the change
    note = words.assigned_note(lead)
    await query.answer(note)
    await screens.show_card(query, lead, user, note=note)


async def rule_command(message: Message, uow: UnitOfWork, services: Services, actor: Actor, user: User) -> None:
    info = await assignment.get_rule(uow, services, actor)
    markup = owner_keyboards.rules(info.rule) if user.role == Role.ADMIN else None
    await message.answer(words.rule_screen(info), reply_markup=markup)


async def set_rule(
    query: CallbackQuery, callback_data: RuleCb, uow: UnitOfWork, services: Services, actor: Actor
) -> None:
    info = await assignment.set_rule(uow, services, actor, callback_data.r)
    await query.answer(words.rule_name(info.rule))
    await screens.show(query, words.rule_screen(info), owner_keyboards.rules(info.rule))


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only, and tests build
    several). The card's other buttons are in bot.routers.lead_card; a press of "w"/"as" passes that router
    (no handler there) and is taken here."""
    router = Router(name=__name__)
    router.message.filter(PrivateChat(), Command("queue", "assignment"))
    router.message.register(queue_command, Command("queue"))
    router.message.register(rule_command, Command("assignment"))
    router.callback_query.filter(UnpackCallback(LeadCb, QueueCb, RuleCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(queue_page, CallbackIs(QueueCb))
    router.callback_query.register(assign_menu, CallbackIs(LeadCb, a=LeadAction.ASSIGN_MENU))
    router.callback_query.register(assign, CallbackIs(LeadCb, a=LeadAction.ASSIGN))
    router.callback_query.register(set_rule, CallbackIs(RuleCb))
    return router
