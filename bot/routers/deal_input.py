"""Typed answers the deal card's buttons ask for: the amount, the expected close date, a lost reason (the
SaleInput states; the state data holds ``sale_id`` and the card's ``stage``). After the command routers, so
/cancel is a command (bot.app.build_dispatcher). A text the bot cannot read is asked again politely."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import screens
from bot.dates import parse_due
from bot.filters import HasText, PrivateChat
from bot.i18n import _
from bot.render import deals as render_deals
from bot.render import esc
from bot.render.clock import viewer
from bot.states import SaleInput
from core.domain.clock import utcnow
from core.domain.deal_close import close_at
from core.domain.enums import SaleStage
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor, User
from core.domain.money import parse_money
from core.services import deals as deals_svc
from core.services import sales as sales_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


def _typed(message: Message) -> str:
    text = message.text or ""
    if text.startswith("/"):
        raise InvalidValue("text", Rule.LOOKS_LIKE_COMMAND)
    return text


async def _sale_id(state: FSMContext) -> int:
    return int((await state.get_data())["sale_id"])


async def got_amount(
    message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    text = _typed(message)
    try:
        amount, currency = parse_money(text, services.policy.default_currency)
    except InvalidValue:  # the dialog stays: the next text is read again
        await message.answer(
            _("I could not read an amount in “{text}”. Type a number, e.g. 150000 or 2 500 USD, or /cancel.").format(
                text=esc(text[:60])
            )
        )
        return
    sale = await deals_svc.update_sale(
        uow,
        actor,
        await _sale_id(state),
        {"amount": amount, "currency": currency},
        default_currency=services.policy.default_currency,
    )
    await state.clear()
    note = _("Amount: {value}.").format(value=render_deals.money(sale.amount, sale.currency))
    await screens.show_sale(message, uow, actor, user, sale.id, note=note)


async def got_close(
    message: Message, state: FSMContext, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    text = _typed(message)
    now, tz = utcnow(), viewer().tz
    parsed = parse_due(text, tz, now)
    if parsed is None:
        await message.answer(
            _("I could not read a date in “{text}”. Try 25.12, 15 January or in 2 weeks, or /cancel.").format(
                text=esc(text[:80])
            )
        )
        return
    day = parsed.due_at.astimezone(tz).date()
    if day < now.astimezone(tz).date():
        await message.answer(_("That day has passed. Type a day from today on, or /cancel."))
        return
    sale = await deals_svc.update_sale(
        uow,
        actor,
        await _sale_id(state),
        {"expected_close_at": close_at(day, tz)},
        default_currency=services.policy.default_currency,
    )
    await state.clear()
    note = _("Expected close: {day}.").format(day=render_deals.close_day(sale.expected_close_at))
    await screens.show_sale(message, uow, actor, user, sale.id, note=note)


async def got_lost_reason(message: Message, state: FSMContext, uow: UnitOfWork, actor: Actor, user: User) -> None:
    data = await state.get_data()
    sale = await sales_svc.change_sale_stage(
        uow,
        actor,
        int(data["sale_id"]),
        SaleStage.LOST.value,
        reason=_typed(message),
        expected_stage=data.get("stage") or None,
    )
    await state.clear()
    await screens.show_sale(message, uow, actor, user, sale.id, note=_("Deal lost."))


def make_router() -> Router:
    """A fresh router with the typed answers of the deal card. It must come after the command routers."""
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.message.register(got_amount, StateFilter(SaleInput.amount), HasText())
    router.message.register(got_close, StateFilter(SaleInput.expected_close), HasText())
    router.message.register(got_lost_reason, StateFilter(SaleInput.lost_reason), HasText())
    return router
