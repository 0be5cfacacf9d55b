"""Showing a screen: edit the message a button belongs to, or send a new one.

Shared by the routers (no handlers here). "message is not modified" (the same card shown again) is
not an error for us.
"""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import keyboards, render
from bot.i18n import _
from bot.render import deals as render_deals
from core.domain.clock import utcnow
from core.domain.enums import StepKind
from core.domain.models import Actor, Lead, User
from core.services import deals as deals_svc
from core.services.ports import UnitOfWork


def not_modified(err: TelegramBadRequest) -> bool:
    return "message is not modified" in err.message


async def show(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None, *, edit: bool = True
) -> None:
    """On a button press edit its message in place (``edit``); otherwise send a new message."""
    if isinstance(target, CallbackQuery):
        message = target.message
        if edit and isinstance(message, Message):
            try:
                await message.edit_text(text, reply_markup=markup)
            except TelegramBadRequest as err:
                if not not_modified(err):
                    raise
            return
        assert target.bot is not None
        await target.bot.send_message(target.from_user.id, text, reply_markup=markup)
        return
    await target.answer(text, reply_markup=markup)


async def show_card(
    target: Message | CallbackQuery, lead: Lead, user: User, *, note: str | None = None, edit: bool = True
) -> None:
    await show(target, render.lead_card(lead, note=note), keyboards.lead_card(lead, user), edit=edit)


async def offer_next_step(
    target: Message | CallbackQuery,
    lead: Lead,
    *,
    note: str,
    kind: StepKind = StepKind.CALL,
    edit: bool = True,
    comment_on: int | None = None,
) -> None:
    """After an activity: the card with "next step?" and the presets (one tap to pick one, one to skip), and
    "add a comment" on activity ``comment_on``."""
    if lead.is_final:
        return
    from bot import step_keyboards
    from bot.render import steps

    text = render.lead_card(lead, note=f"{note} {steps.picker_note(kind)}")
    await show(
        target, text, step_keyboards.picker(lead, kind, utcnow(), after_activity=True, comment_on=comment_on), edit=edit
    )


async def sale_screen(
    uow: UnitOfWork, actor: Actor, user: User, sale_id: int, *, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The deal card's text and buttons: the sale, its lead's name, the manager, amount, expected close, owner
    and stage changes (``bot.render.deals.deal_card``). Raises SaleNotFound (or another domain error) before
    anything is sent, so a button press that opens it can still be answered once, with the error's alert."""
    view = await deals_svc.deal_view(uow, actor, sale_id)
    return render_deals.deal_card(view, note=note), keyboards.sale_card(view.sale, user)


async def sale_lost_screen(uow: UnitOfWork, actor: Actor, sale_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """The deal card (with its lead's name) asking why the deal is lost, and the reasons."""
    view = await deals_svc.deal_view(uow, actor, sale_id)
    text = render_deals.deal_card(view, note=_("Why is the deal lost?"))
    return text, keyboards.sale_lost_reasons(view.sale)


async def show_sale(
    target: Message | CallbackQuery,
    uow: UnitOfWork,
    actor: Actor,
    user: User,
    sale_id: int,
    *,
    edit: bool = True,
    note: str | None = None,
) -> None:
    """The deal card (``sale_screen``), shown."""
    text, markup = await sale_screen(uow, actor, user, sale_id, note=note)
    await show(target, text, markup, edit=edit)
