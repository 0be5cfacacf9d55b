"""/start (plain, invite code, lead_/sale_ deep links), /help, /cancel and the main menu's Help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import keyboards, render, screens
from bot.callbacks import CallbackIs, MenuCb, UnpackCallback
from bot.filters import PrivateChat
from bot.i18n import _
from core.domain.models import Actor, User
from core.services import leads as leads_svc
from core.services import users as users_svc
from core.services.ports import UnitOfWork


async def open_lead_link(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor, user: User) -> None:
    assert command.args is not None  # the deep-link filter matched it against ^lead_\d{1,30}$
    lead = await leads_svc.get_lead(uow, actor, int(command.args.removeprefix("lead_")))
    await screens.show_card(message, lead, user)


async def open_sale_link(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor, user: User) -> None:
    assert command.args is not None  # the deep-link filter matched it against ^sale_\d{1,30}$
    await screens.show_sale(message, uow, actor, user, int(command.args.removeprefix("sale_")))


async def bad_link(message: Message, command: CommandObject, user: User | None) -> None:
    """``/start lead_abc`` or ``sale_<huge>``: a card link that names no card (not an invite code)."""
    if user is None:
        assert message.from_user is not None
        await message.answer(render.refused(message.from_user.id))
        return
    if (command.args or "").startswith("sale_"):
        await message.answer(_("There is no such deal. Check the link, or open /leads."))
    else:
        await message.answer(_("There is no such lead. Check the link, or open /leads."))


async def invite(
    message: Message, command: CommandObject, uow: UnitOfWork, user: User | None, state: FSMContext
) -> None:
    """``/start CODE`` from an invite link registers the user (the middleware let a stranger through)."""
    if user is not None:
        await message.answer(
            _("You are already registered as {role}; the invite was not used.").format(
                role=render.role_name(user.role)
            ),
            reply_markup=keyboards.main_menu(user),
        )
        return
    assert message.from_user is not None
    tg = message.from_user
    user = await users_svc.accept_invite(
        uow,
        code=command.args or "",
        user_id=tg.id,
        full_name=tg.full_name,
        username=tg.username,
        language=tg.language_code,
    )
    await state.clear()
    await message.answer(render.greeting(user), reply_markup=keyboards.main_menu(user))


async def start(message: Message, user: User, state: FSMContext) -> None:
    await state.clear()
    await message.answer(render.greeting(user), reply_markup=keyboards.main_menu(user))


async def help_command(message: Message, user: User) -> None:
    await message.answer(render.help_text(user))


async def help_button(query: CallbackQuery, user: User) -> None:
    await query.answer()
    await screens.show(query, render.help_text(user), edit=False)


async def cancel(message: Message, state: FSMContext, user: User) -> None:
    if await state.get_state() is None:
        await message.answer(_("Nothing to cancel."), reply_markup=keyboards.main_menu(user))
        return
    await state.clear()
    await message.answer(_("Cancelled."), reply_markup=keyboards.main_menu(user))


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only,
    and tests build several)."""
    router = Router(name=__name__)
    # Every message handler here takes one of these commands: one parse skips the router for other messages
    # (each handler's own Command/CommandStart still decides, as before).
    router.message.filter(PrivateChat(), Command("start", "help", "cancel"))
    router.message.register(open_lead_link, CommandStart(deep_link=True, magic=F.args.regexp(r"^lead_\d{1,30}$")))
    router.message.register(open_sale_link, CommandStart(deep_link=True, magic=F.args.regexp(r"^sale_\d{1,30}$")))
    router.message.register(bad_link, CommandStart(deep_link=True, magic=F.args.regexp(r"^(lead|sale)_")))
    router.message.register(invite, CommandStart(deep_link=True))
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    router.callback_query.filter(UnpackCallback(MenuCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(help_button, CallbackIs(MenuCb, item="help"))
    router.message.register(cancel, Command("cancel"))
    return router
