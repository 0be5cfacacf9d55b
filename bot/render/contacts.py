"""A lead's contacts on screen: the list with add / remove, the /new dialog's "this contact is already a
lead's", and the owner's message that someone tried to add their lead again (outbox ``duplicate_attempt``)."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.render.vocabulary import esc, stage_name
from core.domain.contacts import ContactKind
from core.domain.models import Lead
from core.services.contacts import Duplicate


def kind_name(kind: str) -> str:
    names = {ContactKind.PHONE: _("phone"), ContactKind.EMAIL: _("e-mail"), ContactKind.TELEGRAM: _("Telegram")}
    return names.get(ContactKind(kind), "") if kind in ContactKind._value2member_map_ else esc(kind)


def contacts_screen(lead: Lead, *, note: str | None = None) -> str:
    lines = [f"<i>{esc(note)}</i>", ""] if note else []
    lines.append(_("<b>Contacts</b> · {name} · #{id}").format(name=esc(lead.display_name), id=lead.id))
    if not lead.contacts:
        lines.append(_("No contacts yet."))
    for contact in lead.contacts:
        primary = " ⭐" if contact.value == lead.contact else ""
        lines.append(f"• {kind_name(contact.kind)}: {esc(contact.value)}{primary}")
    lines += ["", _("⭐ the main contact. Add one more, or remove one with ✖.")]
    return "\n".join(lines)


def duplicate_screen(duplicate: Duplicate) -> str:
    what = f"{kind_name(duplicate.contact.kind)} {esc(duplicate.contact.value)}"
    lead = duplicate.lead
    if lead is None:
        return _("This contact ({what}) already belongs to a lead of another manager; they have been told.").format(
            what=what
        )
    owner = esc(lead.owner_name) if lead.owner_name else _("nobody (in the queue)")
    return "\n".join(
        [
            _("This contact ({what}) is already a lead's:").format(what=what),
            f"<b>{esc(lead.display_name)}</b> · #{lead.id}",
            _("Stage: {value}").format(value=stage_name(lead.stage)),
            _("Owner: {value}").format(value=owner),
        ]
    )


def duplicate_attempt_notification(payload: dict[str, Any], link: str) -> tuple[str, InlineKeyboardMarkup]:
    """To the lead's owner (or the team leads for a lead in the queue): someone tried to add it again, as a new
    lead or (``adding_to``) to another lead."""
    if payload.get("adding_to") is not None:
        template = _("⚠️ {by} tried to add the {kind} {contact}, which is already your lead's, to lead #{other}:")
    else:
        template = _("⚠️ {by} tried to add a new lead with the {kind} {contact}, which is already your lead's:")
    text = template.format(
        by=esc(str(payload.get("by") or "—")),
        kind=kind_name(str(payload.get("kind") or "")),
        contact=esc(str(payload.get("contact") or "")),
        other=esc(str(payload.get("adding_to"))),
    )
    head = f"<b>{esc(str(payload.get('name') or ''))}</b> · #{payload.get('lead_id')}"
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=_("Open the card"), url=link)]])
    return text + "\n" + head, markup


def merged_notification(payload: dict[str, Any], link: str) -> tuple[str, InlineKeyboardMarkup]:
    """To the owner of a lead merged into another: where it went, and who merged it."""
    text = _(
        "🔗 {by} merged your lead #{merged} “{merged_name}” into lead #{id}: its activities and history are there now."
    )
    text = text.format(
        by=esc(str(payload.get("by") or "—")),
        merged=esc(str(payload.get("merged_id"))),
        merged_name=esc(str(payload.get("merged_name") or "")),
        id=esc(str(payload.get("lead_id"))),
    )
    head = f"<b>{esc(str(payload.get('name') or ''))}</b> · #{payload.get('lead_id')}"
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=_("Open the card"), url=link)]])
    return text + "\n" + head, markup
