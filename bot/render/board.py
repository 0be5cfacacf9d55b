"""The pipeline board's own words (the Mini App, ``api.board``): its labels, and the refusals only a drag can
cause. Everything else the board says is the bot's own wording (stage names, refusals, notes), so the two read
the same. Plain text: the board inserts every string as text."""

from __future__ import annotations

from bot.i18n import N_, _
from bot.render.steps import PARSE_EXAMPLES

LABELS: dict[str, str] = {
    "board": N_("Pipeline"),
    "deals": N_("Deals"),
    "more": N_("Show more"),
    "search": N_("Search"),
    "all_owners": N_("All managers"),
    "no_owner": N_("No owner"),
    "all_sources": N_("All sources"),
    "overdue": N_("overdue"),
    "stale": N_("stalled"),
    "open_detail": N_("Details"),
    "close": N_("Close"),
    "history": N_("History"),
    "contacts": N_("Contacts"),
    "score": N_("Score"),
    "next_step": N_("Next step"),
    "analyze": N_("Analyze"),
    "transfer": N_("Transfer to sales"),
    "lost": N_("Lost"),
    "log_activity": N_("Log an activity"),
    "set_domain": N_("Set domain"),
    "save": N_("Save"),
    "cancel": N_("Cancel"),
    "empty": N_("No leads here"),
    "total": N_("Total"),
}


def labels() -> dict[str, str]:
    return {key: _(label) for key, label in LABELS.items()}


def unknown_stage(value: str) -> str:
    return _("Unknown stage: {stage}.").format(stage=value[:50])


def transfer_by_action() -> str:
    return _("A lead goes to sales only through “Transfer to sales” on its card (the score and domain are checked).")


def lost_by_action() -> str:
    return _("Use “Lost” on the card and say why the lead is lost.")


def date_not_understood(text: str) -> str:
    return _("I could not read a date in “{text}”. Try e.g. {examples}.").format(
        text=text[:100], examples=PARSE_EXAMPLES
    )


def date_passed(when: str) -> str:
    return _("{when} has already passed. Type a time ahead, e.g. {examples}.").format(
        when=when, examples=PARSE_EXAMPLES
    )
