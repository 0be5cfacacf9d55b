"""The buttons of /export: a format (XLSX, CSV) for each choice of leads."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import ExportCb
from bot.i18n import _
from bot.keyboards import Keyboard
from bot.render.reports import EXPORT_SCOPES


def export_menu() -> InlineKeyboardMarkup:
    kb = Keyboard()
    for scope, name in EXPORT_SCOPES.items():
        for fmt in ("xlsx", "csv"):
            kb.button(text=f"{fmt.upper()} · {_(name)}", callback_data=ExportCb(f=fmt, p=scope))
    kb.adjust(2)
    return kb.as_markup()
