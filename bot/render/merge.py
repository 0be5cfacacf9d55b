"""Merging two leads on screen: the question which lead to merge, the confirmation showing both, and the notice
a merged lead's id answers with ("Lead #5 was merged into #3", with a button to open #3)."""

from __future__ import annotations

from bot.i18n import _
from bot.render.vocabulary import esc, lead_name, stage_name
from core.domain.models import Lead


def _owner(lead: Lead) -> str:
    return esc(lead.owner_name) if lead.owner_name else _("nobody (in the queue)")


def lead_summary(lead: Lead) -> str:
    """ "<b>Acme</b> · #3 — Stage: New, owner: Maria" (name, stage, owner), one line."""
    return _("<b>{name}</b> · #{id} — stage: {stage}, owner: {owner}").format(
        name=esc(lead_name(lead)), id=lead.id, stage=stage_name(lead.stage), owner=_owner(lead)
    )


def merge_prompt(lead: Lead, candidates: list[Lead]) -> str:
    lines = [
        _("🔗 Merge another lead into this one:"),
        lead_summary(lead),
        "",
        _("Send the other lead's number (e.g. #42), or /cancel."),
    ]
    if candidates:
        lines.append(_("Leads that share a contact with this one are below."))
    return "\n".join(lines)


def merge_question(lead: Lead, other: Lead) -> str:
    return "\n".join(
        [
            _("Merge lead #{other} into lead #{lead}?").format(other=other.id, lead=lead.id),
            "",
            _("Stays: {lead}").format(lead=lead_summary(lead)),
            _("Merged away: {lead}").format(lead=lead_summary(other)),
            "",
            _(
                "Its activities, history, next step and contacts move to #{lead}; #{other} is closed for good. "
                "This cannot be undone."
            ).format(lead=lead.id, other=other.id),
        ]
    )


def merged_note(other_id: int) -> str:
    return _("Lead #{other} was merged into this one.").format(other=other_id)


def merged_notice(lead_id: int, merged_into: int) -> str:
    return _("Lead #{id} was merged into #{into}.").format(id=lead_id, into=merged_into)


def open_merged_button(merged_into: int) -> str:
    return _("Open #{id}").format(id=merged_into)
