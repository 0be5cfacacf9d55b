"""Lists: /leads (8 per page, ◀ ▶, stage filter), /find TEXT, /lead ID. Managers see their own leads,
team leads and admins all (the services decide)."""

from __future__ import annotations

from dataclasses import astuple

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import contact_keyboards, keyboards, render, screens
from bot.callbacks import CallbackIs, FindCb, ListCb, MenuCb, MyListCb, UnpackCallback
from bot.filters import HasText, PrivateChat
from bot.i18n import _
from bot.states import Find
from core.domain.enums import Stage
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor, User
from core.domain.search import SearchPosition
from core.services import browse
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import UnitOfWork

PER_PAGE = 8
FIND_PAGE = 10
LEAD_NUMBER_MAX_DIGITS = 30  # longer is not a number anyone means (and would not fit the reply)


async def _show_page(
    target: Message | CallbackQuery,
    uow: UnitOfWork,
    actor: Actor,
    user: User,
    *,
    stage: str,
    page: int,
    edit: bool,
    mine: bool,
) -> None:
    """One page of leads: ``mine`` the viewer's own (always so for a manager), else everyone's."""
    if stage and stage not in Stage._value2member_map_:
        stage = ""
    team = keyboards.sees_all(user)
    mine = mine or not team
    result = await browse.page_leads(uow, actor, page=page, per_page=PER_PAGE, stage=stage or None, mine=mine)
    text = render.leads_page(
        result.items,
        page=result.page,
        pages=result.pages,
        total=result.total,
        stage=stage,
        mine=mine,
        owners=team and not mine,
    )
    markup = keyboards.leads_page(result.items, page=result.page, pages=result.pages, stage=stage, mine=mine)
    await screens.show(target, text, markup, edit=edit)


async def leads_command(message: Message, uow: UnitOfWork, actor: Actor, user: User) -> None:
    """/leads: a manager's own leads, everyone's for a team lead or admin (their "My leads" is the button)."""
    await _show_page(message, uow, actor, user, stage="", page=0, edit=False, mine=False)


async def leads_button(query: CallbackQuery, callback_data: MenuCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    """The menu's "📋 My leads" (the viewer's own, whatever the role) and "🗂 All leads"."""
    await query.answer()
    mine = callback_data.item == "leads"
    await _show_page(query, uow, actor, user, stage="", page=0, edit=False, mine=mine)


async def leads_page(
    query: CallbackQuery, callback_data: ListCb | MyListCb, uow: UnitOfWork, actor: Actor, user: User
) -> None:
    await query.answer()
    mine = isinstance(callback_data, MyListCb)
    await _show_page(query, uow, actor, user, stage=callback_data.st, page=callback_data.p, edit=True, mine=mine)


async def _find(
    target: Message | CallbackQuery,
    text: str,
    uow: UnitOfWork,
    actor: Actor,
    services: Services,
    state: FSMContext,
    *,
    page: int = 0,
    starts: list[list[int] | None] | None = None,
) -> None:
    """A page of FIND_PAGE results, best first, ◀ ▶ when there are other pages. Pages are keyset pages of the
    ranked search: ``starts[p]`` is where page p starts (a ``SearchPosition`` as a list; None for the first),
    kept in the dialog state with the query as each page is shown."""
    starts = starts or [None]
    start = starts[page]
    result = await leads_svc.find_leads(
        uow,
        actor,
        text,
        limit=FIND_PAGE,
        after=SearchPosition(*start) if start is not None else None,
        region=services.policy.phone_region,
    )
    more = result.next_after is not None
    starts = starts[: page + 1] + ([list(astuple(result.next_after))] if result.next_after is not None else [])
    first = page * FIND_PAGE + 1
    rendered = render.found_leads(text, result.items, first=first, more=more)
    markup = contact_keyboards.found_page(result.items, page, more=more)
    await screens.show(target, rendered, markup, edit=isinstance(target, CallbackQuery))
    await state.update_data(find_query=text, find_starts=starts)  # for ◀ ▶


async def find_page(
    query: CallbackQuery, callback_data: FindCb, uow: UnitOfWork, actor: Actor, services: Services, state: FSMContext
) -> None:
    data = await state.get_data()
    text, starts = data.get("find_query"), data.get("find_starts")
    if not isinstance(text, str) or not isinstance(starts, list) or not 0 <= callback_data.p < len(starts):
        await query.answer(_("This search is over. /find starts a new one."), show_alert=True)
        return
    await query.answer()
    await _find(query, text, uow, actor, services, state, page=callback_data.p, starts=starts)


async def find_command(
    message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor, state: FSMContext, services: Services
) -> None:
    if not (command.args or "").strip():
        await state.set_state(Find.query)
        await message.answer(_("What should I look for? Send part of a name or contact, or /cancel."))
        return
    await _find(message, command.args or "", uow, actor, services, state)


async def find_button(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(Find.query)
    await query.answer()
    await screens.show(query, _("What should I look for? Send part of a name or contact, or /cancel."), edit=False)


async def find_text(message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext, services: Services) -> None:
    await _find(message, message.text or "", uow, actor, services, state)  # a bad text: the dialog stays
    await state.set_state(None)


async def lead_command(message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor, user: User) -> None:
    raw = (command.args or "").strip().lstrip("#")
    if not raw.isdecimal() or len(raw) > LEAD_NUMBER_MAX_DIGITS:  # a number beyond BIGINT is "not found"
        raise InvalidValue("lead_id", Rule.NOT_A_NUMBER)
    lead = await leads_svc.get_lead(uow, actor, int(raw))
    await screens.show_card(message, lead, user)


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only,
    and tests build several)."""
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(UnpackCallback(MenuCb, ListCb, MyListCb, FindCb))  # one unpack per press
    router.message.register(leads_command, Command("leads"))
    router.callback_query.register(leads_button, CallbackIs(MenuCb, item={"leads", "all"}))
    router.callback_query.register(leads_page, CallbackIs(ListCb))
    router.callback_query.register(leads_page, CallbackIs(MyListCb))
    router.message.register(find_command, Command("find"))
    router.callback_query.register(find_page, CallbackIs(FindCb))
    router.callback_query.register(find_button, CallbackIs(MenuCb, item="find"))
    router.message.register(find_text, StateFilter(Find.query), HasText())
    router.message.register(lead_command, Command("lead"))
    return router
