"""/model's buttons (admins): the transfer gate and the stored versions. Every "Yes" carries what the question
showed as current (``ModelCb.x``), so a second or stale press changes nothing (the services refuse it)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import ModelAction, ModelCb
from bot.i18n import _
from bot.keyboards import Keyboard
from core.services.ports import ModelVersion
from core.services.scorer_admin import GATE_MAX, GATE_MIN

GATE_CHOICES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def milli(value: float) -> int:
    return round(value * 1000)


def home() -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("🎚 Transfer gate"), callback_data=ModelCb(a=ModelAction.GATE).pack())
    kb.button(text=_("🗂 Model versions"), callback_data=ModelCb(a=ModelAction.VERSIONS).pack())
    kb.adjust(2)
    return kb.as_markup()


def gate_choices(current: float) -> list[float]:
    near = {round(current - 0.05, 2), round(current + 0.05, 2)}
    values = {v for v in (*GATE_CHOICES, *near) if GATE_MIN <= v <= GATE_MAX and abs(v - current) > 1e-9}
    return sorted(values)


def gate(current: float) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for value in gate_choices(current):
        kb.button(
            text=f"{value:.2f}", callback_data=ModelCb(a=ModelAction.GATE_ASK, v=milli(value), x=milli(current)).pack()
        )
    kb.button(text=_("⬅️ Back"), callback_data=ModelCb(a=ModelAction.HOME).pack())
    kb.adjust(4)
    return kb.as_markup()


def gate_confirm(new: float, current: float) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("✅ Yes"), callback_data=ModelCb(a=ModelAction.GATE_YES, v=milli(new), x=milli(current)).pack())
    kb.button(text=_("✖️ No"), callback_data=ModelCb(a=ModelAction.GATE).pack())
    kb.adjust(2)
    return kb.as_markup()


def versions(items: Sequence[ModelVersion], label: dict[int, str]) -> InlineKeyboardMarkup:
    active = next((v.id for v in items if v.is_active), None) or 0
    kb = Keyboard()
    for v in items:
        assert v.id is not None
        action = ModelAction.HOME if v.is_active else ModelAction.VERSION_ASK
        kb.button(text=label[v.id], callback_data=ModelCb(a=action, v=v.id, x=active).pack())
    kb.button(text=_("⬅️ Back"), callback_data=ModelCb(a=ModelAction.HOME).pack())
    kb.adjust(1)
    return kb.as_markup()


def version_confirm(version_id: int, active_id: int) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("✅ Yes"), callback_data=ModelCb(a=ModelAction.VERSION_YES, v=version_id, x=active_id).pack())
    kb.button(text=_("✖️ No"), callback_data=ModelCb(a=ModelAction.VERSIONS).pack())
    kb.adjust(2)
    return kb.as_markup()
