"""Keyboards of deals (the deal card itself is ``bot.keyboards.sale_card``): /deals' pages and stage filter,
the expected close presets, the owner picker. What a button may do is re-checked by the services."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import DealsCb, SaleAction, SaleCb
from bot.i18n import N_, _
from bot.keyboards import MAX_USER_BUTTONS, Keyboard
from bot.render.deals import deal_button_text
from bot.render.vocabulary import sale_stage_name
from core.domain.deal_close import ClosePreset
from core.domain.enums import SaleStage
from core.domain.models import Sale, User
from core.services.deals import DealItem

CLOSE_PRESET_NAMES: dict[ClosePreset, str] = {
    ClosePreset.WEEK: N_("In a week"),
    ClosePreset.TWO_WEEKS: N_("In 2 weeks"),
    ClosePreset.MONTH_END: N_("End of month"),
    ClosePreset.MONTH: N_("In a month"),
    ClosePreset.QUARTER_END: N_("End of quarter"),
}
DEAL_STAGES = ("", *(stage.value for stage in SaleStage))  # the filter buttons: all, then each stage


def _cb(action: SaleAction, sale: Sale, x: str = "") -> SaleCb:
    return SaleCb(a=action, id=sale.id, st=sale.stage.value, x=x)


def close_presets(sale: Sale) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for preset, name in CLOSE_PRESET_NAMES.items():
        kb.button(text=_(name), callback_data=_cb(SaleAction.CLOSE, sale, preset.value))
    kb.button(text=_("⌨️ Type a date"), callback_data=_cb(SaleAction.CLOSE_TEXT, sale))
    sizes = [3, 3]
    if sale.expected_close_at is not None:
        kb.button(text=_("✖️ Clear"), callback_data=_cb(SaleAction.CLOSE, sale))
        sizes.append(1)
    kb.button(text=_("⬅️ Back"), callback_data=_cb(SaleAction.OPEN, sale))
    kb.adjust(*sizes, 1)
    return kb.as_markup()


def owner_picker(sale: Sale, users: Iterable[User]) -> InlineKeyboardMarkup:
    kb = Keyboard()
    count = 0
    for user in list(users)[:MAX_USER_BUTTONS]:
        mark = "• " if user.id == sale.owner_id else ""
        kb.button(text=f"{mark}{user.full_name}"[:40], callback_data=_cb(SaleAction.OWNER, sale, str(user.id)))
        count += 1
    if sale.owner_id is not None:
        kb.button(text=_("✖️ Nobody"), callback_data=_cb(SaleAction.OWNER, sale))
        count += 1
    kb.button(text=_("⬅️ Back"), callback_data=_cb(SaleAction.OPEN, sale))
    kb.adjust(*([2] * ((count + 1) // 2)), 1)
    return kb.as_markup()


def back_to_deal(sale: Sale) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("⬅️ Back"), callback_data=_cb(SaleAction.OPEN, sale))
    return kb.as_markup()


def deals_page(items: Iterable[DealItem], *, page: int, pages: int, stage: str) -> InlineKeyboardMarkup:
    kb = Keyboard()
    sizes: list[int] = []
    for item in items:
        kb.button(text=deal_button_text(item), callback_data=SaleCb(a=SaleAction.OPEN, id=item.sale.id))
        sizes.append(1)
    nav = 0
    if page > 0:
        kb.button(text="◀", callback_data=DealsCb(st=stage, p=page - 1))
        nav += 1
    if page + 1 < pages:
        kb.button(text="▶", callback_data=DealsCb(st=stage, p=page + 1))
        nav += 1
    if nav:
        sizes.append(nav)
    for value in DEAL_STAGES:
        label = sale_stage_name(value) if value else _("All")
        kb.button(text=("• " + label) if value == stage else label, callback_data=DealsCb(st=value, p=0))
    sizes += [3, 3]
    kb.adjust(*sizes)
    return kb.as_markup()
