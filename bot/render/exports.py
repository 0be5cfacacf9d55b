"""/export as the bot says it: the filter screen, the owner picker's prompt, the progress and the document's
caption, in the reader's language. The choice itself is bot/export_choice.py."""

from __future__ import annotations

from bot.export_choice import ALL_TIME, Choice
from bot.i18n import N_, _
from bot.render.reports import PERIOD_NAMES
from bot.render.vocabulary import esc, sale_stage_name, source_name, stage_name
from core.domain.periods import PeriodKind
from core.services.export import ExportKind

KIND_NAMES = {ExportKind.LEADS: N_("Leads (with their deal)"), ExportKind.DEALS: N_("Deals (with their lead)")}


def kind_name(kind: ExportKind) -> str:
    return _(KIND_NAMES[kind])


def stage_label(choice: Choice) -> str:
    if not choice.stage:
        return _("any")
    return stage_name(choice.stage) if choice.kind == ExportKind.LEADS else sale_stage_name(choice.stage)


def period_label(choice: Choice) -> str:
    return _("all time") if choice.period == ALL_TIME else _(PERIOD_NAMES[PeriodKind(choice.period)])


def source_label(choice: Choice) -> str:
    return source_name(choice.source) if choice.source else _("any")


def owner_label(choice: Choice, owner_name: str | None) -> str:
    if not choice.owner_id:
        return _("anyone")
    return owner_name or f"#{choice.owner_id}"


def screen(choice: Choice, owner_name: str | None) -> str:
    """The filter screen: what the export will hold; each button below changes one line."""
    lines = [
        _("<b>Export</b>"),
        _("What: {value}").format(value=esc(kind_name(choice.kind))),
        _("Stage: {value}").format(value=esc(stage_label(choice))),
        _("Owner: {value}").format(value=esc(owner_label(choice, owner_name))),
        _("Created: {value}").format(value=esc(period_label(choice))),
        _("Source: {value}").format(value=esc(source_label(choice))),
        _("Format: {value}").format(value=choice.fmt.value.upper()),
        "",
        _(
            "Press a button to change a line, then ⬇️ Export. XLSX opens in Excel with dates and numbers typed; "
            "CSV is UTF-8."
        ),
    ]
    return "\n".join(lines)


def pick_owner() -> str:
    return _("Whose rows? (a deal's owner for deals, a lead's owner for leads)")


def started() -> str:
    return _("Exporting…")


def progress(done: int, total: int) -> str:
    return _("Exporting… rows: {done} of {total}").format(done=done, total=total)


def done(rows: int) -> str:
    return _("Export ready, rows: {n}.").format(n=rows)


def caption(choice: Choice, rows: int, owner_name: str | None) -> str:
    """The document's caption: what it holds and how many rows."""
    parts = [kind_name(choice.kind)]
    if choice.stage:
        parts.append(stage_label(choice))
    if choice.owner_id:
        parts.append(owner_label(choice, owner_name))
    if choice.period != ALL_TIME:
        parts.append(period_label(choice))
    if choice.source:
        parts.append(source_label(choice))
    return _("{what} · rows: {n}").format(what=esc(" · ".join(parts)), n=rows)
