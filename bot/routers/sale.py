"""The deal (sale) card: opened from a transferred lead's card or the team-lead notification's link.
Team leads and admins move it one stage forward or to lost; the service re-checks the role and refuses
a stale card by the stage the card showed (``expected_stage``)."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from bot import confirm_keyboards, render, screens
from bot.callbacks import (
    CallbackIs,
    LeadAction,
    LeadCb,
    SaleAction,
    SaleCb,
    UnpackCallback,
)
from bot.i18n import _
from core.domain.enums import SaleStage
from core.domain.errors import InvalidValue, Rule, StaleState
from core.domain.models import Actor, User
from core.services import sales as sales_svc
from core.services.ports import UnitOfWork


async def sale_of_lead(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    sale = await sales_svc.sale_for_lead(uow, actor, callback_data.id)
    if sale is None:
        await query.answer(_("This lead has no deal."), show_alert=True)
        return
    text, markup = await screens.sale_screen(uow, actor, user, sale.id)
    await query.answer()
    await screens.show(query, text, markup)


async def open_sale(query: CallbackQuery, callback_data: SaleCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    # Load first: a deal that does not exist raises before the press is answered, so the errors router's
    # "not found" alert is its one answer (Telegram takes only the first).
    text, markup = await screens.sale_screen(uow, actor, user, callback_data.id)
    await query.answer()
    await screens.show(query, text, markup)


async def _confirm(
    query: CallbackQuery,
    callback_data: SaleCb,
    uow: UnitOfWork,
    actor: Actor,
    user: User,
    *,
    action: SaleAction,
    question: str,
) -> None:
    """Are you sure? The deal as it is now, and Yes (``action``, the same stage and value) / No."""
    sale = await sales_svc.get_sale(uow, actor, callback_data.id)
    if callback_data.st and sale.stage.value != callback_data.st:
        raise StaleState()
    text, _markup = await screens.sale_screen(uow, actor, user, sale.id)
    await query.answer()
    await screens.show(query, f"{text}\n\n{question}", confirm_keyboards.sale_step(sale, action, callback_data.x))


async def next_stage(query: CallbackQuery, callback_data: SaleCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    """One stage forward; to Paid only after "Are you sure?" (a paid deal is closed for good)."""
    if callback_data.a == SaleAction.NEXT and callback_data.x == SaleStage.PAID.value:
        question = _("Mark the deal as paid? This closes it for good.")
        await _confirm(query, callback_data, uow, actor, user, action=SaleAction.NEXT_YES, question=question)
        return
    sale = await sales_svc.change_sale_stage(
        uow, actor, callback_data.id, callback_data.x, expected_stage=callback_data.st or None
    )
    await query.answer(_("Deal stage: {stage}.").format(stage=render.sale_stage_name(sale.stage)))
    await screens.show_sale(query, uow, actor, user, sale.id)


async def lost_menu(query: CallbackQuery, callback_data: SaleCb, uow: UnitOfWork, actor: Actor) -> None:
    text, markup = await screens.sale_lost_screen(uow, actor, callback_data.id)  # with the lead's name
    await query.answer()
    await screens.show(query, text, markup)


async def lost(query: CallbackQuery, callback_data: SaleCb, uow: UnitOfWork, actor: Actor, user: User) -> None:
    name = render.lost_preset(callback_data.x)
    if name is None:
        raise InvalidValue("reason", Rule.NOT_ONE_OF, value=callback_data.x, allowed=list(render.LOST_PRESETS))
    if callback_data.a == SaleAction.LOST:  # the reason chosen: are you sure?
        question = _("Mark the deal as lost ({reason})? This closes it for good.").format(reason=name)
        await _confirm(query, callback_data, uow, actor, user, action=SaleAction.LOST_YES, question=question)
        return
    sale = await sales_svc.change_sale_stage(
        uow,
        actor,
        callback_data.id,
        SaleStage.LOST.value,
        reason_code=callback_data.x,
        expected_stage=callback_data.st or None,
    )
    await query.answer(_("Deal lost: {reason}.").format(reason=name))
    await screens.show_sale(query, uow, actor, user, sale.id)


def make_router() -> Router:
    """A fresh router with this module's handlers (a Router can belong to one Dispatcher only,
    and tests build several)."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(LeadCb, SaleCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(sale_of_lead, CallbackIs(LeadCb, a=LeadAction.SALE))
    router.callback_query.register(open_sale, CallbackIs(SaleCb, a=SaleAction.OPEN))
    router.callback_query.register(next_stage, CallbackIs(SaleCb, a={SaleAction.NEXT, SaleAction.NEXT_YES}))
    router.callback_query.register(lost_menu, CallbackIs(SaleCb, a=SaleAction.LOST_MENU))
    router.callback_query.register(lost, CallbackIs(SaleCb, a={SaleAction.LOST, SaleAction.LOST_YES}))
    return router
