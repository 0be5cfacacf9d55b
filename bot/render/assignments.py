"""Owners on screen: the new owner's message (outbox), the team leads' "nobody to take it" message, the queue,
the assignment rule, the deactivation hand-over question. (A lead's events in its history: ``bot.render.events``.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.render.events import rule_name
from bot.render.leads import lead_line, score_line
from bot.render.vocabulary import domain_name, esc, lead_name, source_name, stage_name
from core.domain.models import Lead, User
from core.services.assignment import RuleInfo


def _open_button(link: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=_("Open the card"), url=link)]])


def _summary(payload: dict[str, Any]) -> list[str]:
    domain = payload.get("business_domain")
    score = payload.get("ai_score")
    lines = [
        f"<b>{esc(payload.get('name') or '#' + str(payload.get('lead_id')))}</b> · #{payload.get('lead_id')}",
        _("Contact: {value}").format(value=esc(payload["contact"]) if payload.get("contact") else "—"),
        _("Source: {value}").format(value=source_name(payload["source"]) if payload.get("source") else "—"),
    ]
    if domain:
        lines.append(_("Domain: {value}").format(value=esc(domain_name(domain))))
    if payload.get("stage"):
        lines.append(_("Stage: {value}").format(value=stage_name(payload["stage"])))
    if isinstance(score, int | float):
        lines.append(_("Score: {value}").format(value=score_line(score)))
    return lines


def assigned_notification(payload: dict[str, Any], link: str) -> tuple[str, InlineKeyboardMarkup]:
    """The personal message to a lead's new owner (outbox event ``lead_assigned``); ``link`` opens the card."""
    lines = [_("👤 <b>A lead is yours now</b>"), *_summary(payload)]
    if payload.get("by"):
        lines.append(_("Assigned by: {value}").format(value=esc(payload["by"])))
    return "\n".join(lines), _open_button(link)


def unassigned_notification(payload: dict[str, Any], link: str) -> tuple[str, InlineKeyboardMarkup]:
    """To the team leads' group (outbox event ``lead_unassigned``): a lead came in and no manager is active."""
    lines = [
        _("📥 <b>A new lead is waiting in the queue</b>: there is no active manager to assign it to."),
        *_summary(payload),
        _("Assign it from the card, or see /queue."),
    ]
    return "\n".join(lines), _open_button(link)


# ---------------------------------------------------------------- screens


def queue_page(items: Sequence[Lead], *, page: int, pages: int, total: int) -> str:
    head = _("<b>Unassigned leads</b> · page {page}/{pages} · {total} total").format(
        page=page + 1, pages=max(pages, 1), total=total
    )
    if not items:
        return head + "\n\n" + _("The queue is empty: every open lead has an owner.")
    return head + "\n\n" + "\n".join(lead_line(lead) for lead in items)


def pick_owner_note(lead: Lead) -> str:
    return _("Whom should {name} go to?").format(name=lead_name(lead))


def assigned_note(lead: Lead) -> str:
    if lead.owner_id is None:
        return _("Back in the queue.")
    return _("Assigned to {name}.").format(name=lead.owner_name or lead.owner_id)


def rule_screen(info: RuleInfo) -> str:
    lines = [
        _("<b>Assignment of new leads</b>"),
        _("Leads created without an owner (the API, imports, “for the queue”) go to active managers by the rule."),
        "",
        _("Now: {rule}").format(rule=f"<b>{rule_name(info.rule)}</b>"),
    ]
    if not info.chosen:
        lines.append(_("(the default from the settings; no admin has chosen one yet)"))
    return "\n".join(lines)


def handover_question(user: User, count: int) -> str:
    return _(
        "Open leads of {name}: {count}. Before deactivating, where should they go?\n"
        "The queue: team leads assign them. By the rule: to the active managers. Or choose a manager."
    ).format(name=esc(user.full_name or user.id), count=count)


def handed_over(count: int) -> str:
    return _("Deactivated: the user has lost access; open leads handed over: {count}.").format(count=count)


def handover_pick(user: User) -> str:
    return _("Who takes the open leads of {name}?").format(name=esc(user.full_name or user.id))
