"""People and the model: /invite ROLE (admins any role, team leads managers), /users with role and
deactivate buttons, /train (admins; /model is bot/routers/model_admin.py). The services enforce who may do
what; these handlers only unpack and render."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import confirm_keyboards, keyboards, owner_keyboards, render, screens
from bot.callbacks import CallbackIs, UnpackCallback, UserAction, UserCb
from bot.filters import PrivateChat
from bot.i18n import _
from bot.render import assignments as owner_words
from core.config import Settings
from core.domain.enums import Role
from core.domain.errors import StaleState
from core.domain.models import Actor, User
from core.services import assignment
from core.services import training as training_svc
from core.services import users as users_svc
from core.services.assignment import Handover
from core.services.context import Services
from core.services.ports import UnitOfWork
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


async def invite(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor, bot: Bot) -> None:
    role = (command.args or Role.MANAGER.value).strip().lower()
    code = await users_svc.create_invite(uow, actor, role)
    me = await bot.me()  # cached by aiogram after the start-up getMe
    await message.answer(render.invite_link(role, f"https://t.me/{me.username}?start={code}"))


async def users(message: Message, uow: UnitOfWork, actor: Actor, user: User) -> None:
    items = await users_svc.list_users(uow, actor)
    await message.answer(render.users_list(items), reply_markup=keyboards.users(items, user))


async def open_user(query: CallbackQuery, callback_data: UserCb, uow: UnitOfWork, actor: Actor) -> None:
    target = await users_svc.get_user(uow, actor, callback_data.id)
    await query.answer()
    await screens.show(query, render.user_card(target), keyboards.user_actions(target))


async def set_role(query: CallbackQuery, callback_data: UserCb, uow: UnitOfWork, actor: Actor) -> None:
    target = await users_svc.set_role(uow, actor, callback_data.id, callback_data.x)
    await query.answer(_("Role changed: {role}.").format(role=render.role_name(target.role)))
    await screens.show(query, render.user_card(target), keyboards.user_actions(target))


HANDOVERS = {owner_keyboards.QUEUE_TO: Handover.QUEUE, owner_keyboards.RULE_TO: Handover.RULE}


async def set_active(
    query: CallbackQuery, callback_data: UserCb, uow: UnitOfWork, services: Services, actor: Actor
) -> None:
    if callback_data.a == UserAction.OFF:
        # first press: someone who owns open leads is not deactivated before they are handed over; then
        # (or at once, for someone without open leads) "Are you sure?"; the "Yes" is UserAction.OFF_YES
        x = callback_data.x
        count = 0 if x else await users_svc.open_lead_count(uow, actor, callback_data.id)
        target = await users_svc.get_user(uow, actor, callback_data.id)
        await query.answer()
        if count:
            await screens.show(query, owner_words.handover_question(target, count), owner_keyboards.handover(target))
        else:
            question = _("Deactivate this user? They lose access at once.")
            await screens.show(
                query, f"{render.user_card(target)}\n\n{question}", confirm_keyboards.deactivate(target, x)
            )
        return
    if callback_data.a == UserAction.OFF_YES:
        x = callback_data.x
        if x.startswith(owner_keyboards.USER_TO) and x[1:].isdecimal():
            leads_to, to_user_id = Handover.USER, int(x[1:])
        elif x in HANDOVERS or not x:
            leads_to, to_user_id = HANDOVERS.get(x, Handover.QUEUE), None
        else:
            raise StaleState()  # not a button this bot makes
        target, moved = await users_svc.deactivate_and_hand_over(
            uow,
            actor,
            callback_data.id,
            policy=services.policy,
            leads_to=leads_to,
            to_user_id=to_user_id,
            expect_active=True,  # a second "Yes" (or an old one) changes nothing
        )
        note = owner_words.handed_over(moved) if moved else _("Deactivated: the user has lost access.")
    else:
        target = await users_svc.reactivate(uow, actor, callback_data.id)
        note = _("Reactivated.")
    await query.answer(note)
    await screens.show(query, render.user_card(target), keyboards.user_actions(target))


async def pick_heir(query: CallbackQuery, callback_data: UserCb, uow: UnitOfWork, actor: Actor) -> None:
    """The manager who takes a deactivated user's open leads."""
    target = await users_svc.get_user(uow, actor, callback_data.id)
    people = await assignment.candidates(uow, actor)
    await query.answer()
    text = f"{render.user_card(target)}\n\n{owner_words.handover_pick(target)}"
    await screens.show(query, text, owner_keyboards.handover_picker(target, people))


async def train(
    message: Message,
    actor: Actor,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    training: set[asyncio.Task[None]],
) -> None:
    """Training takes seconds to minutes: it runs in a task with its own unit of work, so the update's
    transaction (and its pooled connection) is not held open meanwhile; the report follows as a message."""
    users_svc.ensure_admin(actor)
    await message.answer(_("Training the scorer on closed leads… this can take a minute."))
    thresholds = training_svc.settings_thresholds(settings)

    async def run() -> None:
        try:
            report = await training_svc.train_model(SqlUnitOfWork(session_factory), **thresholds)
            # The task runs in a copy of the update's context: the reader's locale still applies.
            await message.answer(render.train_report(report))
        except Exception:  # a background task: report the failure instead of losing it silently
            log.exception("training failed")
            await message.answer(_("Training failed; see the bot's log."))

    task = asyncio.create_task(run(), name="train-model")
    training.add(task)
    task.add_done_callback(training.discard)


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only,
    and tests build several)."""
    router = Router(name=__name__)
    # Every message handler here takes one of these commands: one parse skips the router for other messages.
    router.message.filter(PrivateChat(), Command("invite", "users", "train"))
    training: set[asyncio.Task[None]] = set()  # running /train tasks, kept referenced until done

    async def train_command(
        message: Message, actor: Actor, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
    ) -> None:
        await train(message, actor, settings, session_factory, training)

    router.message.register(invite, Command("invite"))
    router.message.register(users, Command("users"))
    router.message.register(train_command, Command("train"))
    router.callback_query.filter(UnpackCallback(UserCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(open_user, CallbackIs(UserCb, a=UserAction.OPEN))
    router.callback_query.register(set_role, CallbackIs(UserCb, a=UserAction.ROLE))
    router.callback_query.register(
        set_active, CallbackIs(UserCb, a={UserAction.OFF, UserAction.OFF_YES, UserAction.ON})
    )
    router.callback_query.register(pick_heir, CallbackIs(UserCb, a=UserAction.PICK))
    return router
