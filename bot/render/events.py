"""A lead's events (``LeadEventKind``: assignments, next steps, snoozes, escalations) as history lines, and the
names of the assignment rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.i18n import N_, _
from bot.render.deals import edit_text
from bot.render.vocabulary import esc, when
from core.domain.enums import AssignmentRule, LeadEventKind, StepKind
from core.domain.models import LeadEvent

RULE_NAMES: dict[AssignmentRule, str] = {
    AssignmentRule.ROUND_ROBIN: N_("Round robin (in turn)"),
    AssignmentRule.LEAST_LOADED: N_("Least loaded (fewest open leads)"),
    AssignmentRule.MANUAL: N_("Manual (leads wait in the queue)"),
}
STEP_NAMES: dict[str, str] = {
    StepKind.CALL: N_("Call"),
    StepKind.MESSAGE: N_("Message"),
    StepKind.MEETING: N_("Meeting"),
    StepKind.EMAIL: N_("E-mail"),
    StepKind.TASK: N_("Task"),
}


def rule_name(rule: AssignmentRule | str) -> str:
    name = RULE_NAMES.get(AssignmentRule(rule)) if rule in AssignmentRule._value2member_map_ else None
    return _(name) if name else esc(rule)


def _who(data: dict[str, Any], side: str) -> str:
    name, user_id = data.get(f"{side}_name"), data.get(f"{side}_id")
    if name:
        return esc(name)
    return esc(user_id) if user_id is not None else _("the queue")


def _when_iso(value: Any) -> str:
    try:
        return when(datetime.fromisoformat(str(value)))
    except ValueError:
        return esc(value)


def event_line(event: LeadEvent) -> str:
    """One line of a lead's history for an event of any kind (an unknown kind shows as its name)."""
    data = event.data
    stamp = when(event.created_at)
    if event.kind == LeadEventKind.ASSIGNED:
        rule = data.get("rule")
        how = (
            _("by the rule “{rule}”").format(rule=rule_name(rule))
            if rule
            else _("by {actor}").format(actor=esc(data.get("by_name") or event.actor))
        )
        return _("{when}: 👤 {source} → {target}, {how}").format(
            when=stamp, source=_who(data, "from"), target=_who(data, "to"), how=how
        )
    step = STEP_NAMES.get(str(data.get("kind")))
    step_name = _(step) if step else esc(data.get("kind") or "")
    if event.kind == LeadEventKind.NEXT_STEP_SET:
        return _("{when}: 📌 next step: {kind}, due {due}").format(
            when=stamp, kind=step_name, due=_when_iso(data.get("due_at"))
        )
    if event.kind == LeadEventKind.NEXT_STEP_DONE:
        return _("{when}: ✅ next step done: {kind}").format(when=stamp, kind=step_name)
    if event.kind == LeadEventKind.NEXT_STEP_CLEARED:
        return _("{when}: next step cleared: {kind}").format(when=stamp, kind=step_name)
    if event.kind == LeadEventKind.STALE_SNOOZED:
        return _("{when}: 💤 stalled flag snoozed until {until}").format(when=stamp, until=_when_iso(data.get("until")))
    if event.kind == LeadEventKind.SLA_ESCALATED:
        return _("{when}: ⏰ first contact overdue, the team leads were told").format(when=stamp)
    if event.kind == LeadEventKind.DEAL_EDITED:
        return _("{when}: 💼 deal #{id}: {what}").format(when=stamp, id=esc(data.get("sale_id")), what=edit_text(data))
    if event.kind == LeadEventKind.MERGED:
        return _("{when}: 🔗 lead #{id} “{name}” merged into this one by {actor}").format(
            when=stamp,
            id=esc(data.get("merged_id")),
            name=esc(data.get("merged_name") or ""),
            actor=esc(data.get("by_name") or event.actor),
        )
    return f"{stamp}: {esc(event.kind)}"


def events_section(events: Sequence[LeadEvent]) -> list[str]:
    """The history screen's "Owners and steps" part (empty when the lead has no events)."""
    if not events:
        return []
    return ["", "<b>" + _("Owners and steps") + "</b>", *(event_line(event) for event in events)]
