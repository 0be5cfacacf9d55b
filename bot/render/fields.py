"""The lead's "✏️ Edit" screen: the card, its custom fields (attributes) and what a typed value is asked for."""

from __future__ import annotations

from typing import Any

from bot.i18n import _
from bot.render.leads import lead_card
from bot.render.vocabulary import esc
from core.domain.models import Lead

FIELDS_SHOWN = 15


def attribute_value(value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "—"
    return esc(value)


def edit_screen(lead: Lead, *, note: str | None = None) -> str:
    lines = [lead_card(lead, note=note), ""]
    if lead.attributes:
        lines.append("<b>" + _("Fields") + "</b>")
        keys = sorted(lead.attributes)
        lines += [f"{esc(key)}: {attribute_value(lead.attributes[key])}" for key in keys[:FIELDS_SHOWN]]
        if len(keys) > FIELDS_SHOWN:
            lines.append(_("… and {count} more").format(count=len(keys) - FIELDS_SHOWN))
        lines.append("")
    lines.append(_("What do you want to change?"))
    return "\n".join(lines)


def field_prompt(lead: Lead, field: str) -> str:
    """What the bot asks for ``field`` ("name", "company", "a.<key>", "a+"), with the value it has now."""
    name = esc(lead.display_name)
    if field == "name":
        text = _("Type the new name for {name} (up to 200 characters), or /cancel.").format(name=name)
    elif field == "company":
        text = _("Type the company of {name} (up to 200 characters), or /cancel.").format(name=name)
        if lead.company:
            text += "\n" + _("Now: {value}").format(value=esc(lead.company))
    elif field.startswith("a."):
        key = field[2:]
        text = _("Type the value of “{key}” (up to 500 characters), or /cancel.").format(key=esc(key))
        if key in lead.attributes:
            text += "\n" + _("Now: {value}").format(value=attribute_value(lead.attributes[key]))
    else:
        text = _("Type the new field as name: value, for example “country: Spain”, or /cancel.")
    return text
