"""The deal card's edits (team leads and admins): the amount, the expected close (presets or typed), the owner,
and a typed lost reason. Buttons that ask for text set a SaleInput state; the typed answers are read by
bot.routers.deal_input (after the command routers). Each handler: unpack -> one service call -> render."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot import deal_keyboards, screens
from bot.callbacks import CallbackIs, SaleAction, SaleCb, UnpackCallback
from bot.i18n import _
from bot.render import deals as render_deals
from bot.render.clock import viewer
from bot.states import SaleInput
from core.domain.clock import utcnow
from core.domain.deal_close import ClosePreset, preset_close
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor, User
from core.services import deals as deals_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


async def ask_text(
    query: CallbackQuery,
    callback_data: SaleCb,
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    state: FSMContext,
) -> None:
    """Amount, typed close date or typed lost reason: check the deal may be edited, then ask."""
    sale = await deals_svc.editable_sale(uow, actor, callback_data.id)
    target, prompt = {
        SaleAction.AMOUNT: (
            SaleInput.amount,
            _(
                "Type the deal's amount, e.g. 150000, 150 000 руб or 2,500 USD (without a currency: {currency}), "
                "or /cancel."
            ),
        ),
        SaleAction.CLOSE_TEXT: (
            SaleInput.expected_close,
            _("When is the deal expected to close? Type a date, e.g. 25.12, 15 January or in 2 weeks, or /cancel."),
        ),
        SaleAction.LOST_TEXT: (
            SaleInput.lost_reason,
            _("Why is the deal lost? Type the reason (up to 500 characters), or /cancel."),
        ),
    }[callback_data.a]
    await state.set_state(target)
    await state.update_data(sale_id=sale.id, stage=callback_data.st or sale.stage.value)
    await query.answer()
    currency = sale.currency or services.policy.default_currency
    await screens.show(query, prompt.format(currency=currency), edit=False)


async def close_menu(query: CallbackQuery, callback_data: SaleCb, uow: UnitOfWork, actor: Actor) -> None:
    sale = await deals_svc.editable_sale(uow, actor, callback_data.id)
    await query.answer()
    text = _("Expected close of deal #{id}: {day}. Pick a new one or type a date.").format(
        id=sale.id, day=render_deals.close_day(sale.expected_close_at)
    )
    await screens.show(query, text, deal_keyboards.close_presets(sale))


async def set_close(
    query: CallbackQuery, callback_data: SaleCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    if callback_data.x and callback_data.x not in ClosePreset._value2member_map_:
        raise InvalidValue("expected_close", Rule.NOT_ONE_OF, value=callback_data.x, allowed=list(ClosePreset))
    close = preset_close(callback_data.x, utcnow(), viewer().tz) if callback_data.x else None
    sale = await deals_svc.update_sale(
        uow, actor, callback_data.id, {"expected_close_at": close}, default_currency=services.policy.default_currency
    )
    await query.answer(_("Expected close: {day}.").format(day=render_deals.close_day(sale.expected_close_at)))
    await screens.show_sale(query, uow, actor, user, sale.id)


async def owner_menu(query: CallbackQuery, callback_data: SaleCb, uow: UnitOfWork, actor: Actor) -> None:
    sale = await deals_svc.editable_sale(uow, actor, callback_data.id)
    users = await deals_svc.deal_owners(uow, actor)
    await query.answer()
    text = _("Who works deal #{id}? Now: {owner}.").format(id=sale.id, owner=_owner_name(users, sale.owner_id))
    await screens.show(query, text, deal_keyboards.owner_picker(sale, users))


def _owner_name(users: list[User], owner_id: int | None) -> str:
    found = next((u for u in users if u.id == owner_id), None)
    return render_deals.person(found) if owner_id is None or found else f"#{owner_id}"


async def set_owner(
    query: CallbackQuery, callback_data: SaleCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    if callback_data.x and not callback_data.x.isdecimal():
        raise InvalidValue("owner_id", Rule.NOT_A_NUMBER)
    owner_id = int(callback_data.x) if callback_data.x else None
    sale = await deals_svc.update_sale(
        uow, actor, callback_data.id, {"owner_id": owner_id}, default_currency=services.policy.default_currency
    )
    await query.answer(_("Owner changed.") if sale.owner_id else _("The deal has no owner now."))
    await screens.show_sale(query, uow, actor, user, sale.id)


def make_router() -> Router:
    """A fresh router with the deal card's edit buttons."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(SaleCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(
        ask_text, CallbackIs(SaleCb, a={SaleAction.AMOUNT, SaleAction.CLOSE_TEXT, SaleAction.LOST_TEXT})
    )
    router.callback_query.register(close_menu, CallbackIs(SaleCb, a=SaleAction.CLOSE_MENU))
    router.callback_query.register(set_close, CallbackIs(SaleCb, a=SaleAction.CLOSE))
    router.callback_query.register(owner_menu, CallbackIs(SaleCb, a=SaleAction.OWNER_MENU))
    router.callback_query.register(set_owner, CallbackIs(SaleCb, a=SaleAction.OWNER))
    return router
