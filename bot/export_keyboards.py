"""The buttons of /export's filter screen: each one carries the whole choice with its own line changed (the
screen keeps no state); the owner picker; ⬇️ Export."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import InlineKeyboardMarkup

from bot.export_choice import Choice
from bot.i18n import _
from bot.keyboards import Keyboard
from bot.render import exports as render
from core.domain.models import User

MAX_OWNERS = 30  # buttons of the owner picker (a team larger than that filters by owner through the REST export)


def screen(choice: Choice, owner_name: str | None) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(
        text=_("What: {value}").format(value=render.kind_name(choice.kind)), callback_data=choice.next_kind().cb()
    )
    kb.button(text=_("Stage: {value}").format(value=render.stage_label(choice)), callback_data=choice.next_stage().cb())
    kb.button(
        text=_("Owner: {value}").format(value=render.owner_label(choice, owner_name)), callback_data=choice.cb("o")
    )
    kb.button(
        text=_("Created: {value}").format(value=render.period_label(choice)), callback_data=choice.next_period().cb()
    )
    kb.button(
        text=_("Source: {value}").format(value=render.source_label(choice)), callback_data=choice.next_source().cb()
    )
    kb.button(text=_("Format: {value}").format(value=choice.fmt.value.upper()), callback_data=choice.next_format().cb())
    kb.button(text=_("⬇️ Export"), callback_data=choice.cb("g"))
    kb.adjust(1, 2, 2, 1, 1)
    return kb.as_markup()


def owners(choice: Choice, people: Iterable[User]) -> InlineKeyboardMarkup:
    kb = Keyboard()
    mark = "✅ "
    people = list(people)[:MAX_OWNERS]
    kb.button(text=(mark if not choice.owner_id else "") + _("Anyone"), callback_data=choice.with_owner(0).cb())
    for user in people:
        text = (mark if user.id == choice.owner_id else "") + (user.full_name or f"#{user.id}")
        kb.button(text=text[:60], callback_data=choice.with_owner(user.id).cb())
    kb.button(text=_("⬅️ Back"), callback_data=choice.cb())
    pairs = (len(people) + 1) // 2
    kb.adjust(*([2] * pairs), *([1] if (len(people) + 1) % 2 else []), 1)  # two a row, ⬅️ Back on its own
    return kb.as_markup()
