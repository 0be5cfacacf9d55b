"""/deals for team leads and admins: deals by stage (filter buttons), 8 per page, with totals per stage (count
and amount per currency). A deal's button opens its card (bot.routers.sale)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import deal_keyboards, screens
from bot.callbacks import CallbackIs, DealsCb, UnpackCallback
from bot.filters import PrivateChat
from bot.render import deals as render_deals
from core.domain.enums import SaleStage
from core.domain.models import Actor
from core.services import deals as deals_svc
from core.services.ports import UnitOfWork

PER_PAGE = 8


async def _show_page(
    target: Message | CallbackQuery, uow: UnitOfWork, actor: Actor, *, stage: str, page: int, edit: bool
) -> None:
    if stage not in SaleStage._value2member_map_:  # a forged or old filter: all stages
        stage = ""
    result = await deals_svc.page_deals(uow, actor, stage=stage or None, page=page, per_page=PER_PAGE)
    text = render_deals.deals_page(result, stage=stage)
    markup = deal_keyboards.deals_page(result.items, page=result.page, pages=result.pages, stage=stage)
    await screens.show(target, text, markup, edit=edit)


async def deals_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    await _show_page(message, uow, actor, stage="", page=0, edit=False)


async def deals_page(query: CallbackQuery, callback_data: DealsCb, uow: UnitOfWork, actor: Actor) -> None:
    await _show_page(query, uow, actor, stage=callback_data.st, page=callback_data.p, edit=True)
    await query.answer()


def make_router() -> Router:
    """A fresh router with /deals and its pages (a Router can belong to one Dispatcher only)."""
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(UnpackCallback(DealsCb))  # one unpack per press (bot.callbacks)
    router.message.register(deals_command, Command("deals"))
    router.callback_query.register(deals_page, CallbackIs(DealsCb))
    return router
