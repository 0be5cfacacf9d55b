"""Next steps, stalled leads, /today and /settings as the viewer reads them (times in their zone)."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, _
from bot.render.clock import due, span, viewer, when
from bot.render.vocabulary import esc, lead_label, lead_name
from core.domain.dates import Preset
from core.domain.enums import SnoozeReason, StepKind
from core.domain.models import Lead
from core.services.today import OwnerDay, Today

STEP_KINDS: dict[StepKind, str] = {
    StepKind.CALL: N_("Call"),
    StepKind.MESSAGE: N_("Message"),
    StepKind.MEETING: N_("Meeting"),
    StepKind.EMAIL: N_("E-mail"),
    StepKind.TASK: N_("Task"),
}
STEP_ICONS: dict[StepKind, str] = {
    StepKind.CALL: "📞",
    StepKind.MESSAGE: "✉️",
    StepKind.MEETING: "🤝",
    StepKind.EMAIL: "📧",
    StepKind.TASK: "📌",
}
PRESET_NAMES: dict[Preset, str] = {
    Preset.IN_1H: N_("In 1 h"),
    Preset.TODAY_18: N_("Today 18:00"),
    Preset.TOMORROW_10: N_("Tomorrow 10:00"),
    Preset.IN_3_DAYS: N_("In 3 days, 10:00"),
    Preset.NEXT_MONDAY: N_("Monday 10:00"),
}
# The preset reasons a stalled lead is snoozed, with how long (days) each keeps the flag off.
SNOOZE_PRESETS: dict[SnoozeReason, tuple[str, int]] = {
    SnoozeReason.WAITING_REPLY: (N_("Waiting for the client's reply"), 3),
    SnoozeReason.LONG_DECISION: (N_("A long decision"), 7),
    SnoozeReason.CALL_LATER: (N_("Asked to come back later"), 14),
}
SNOOZE_TEXT_DAYS = 7  # a reason typed by hand
PARSE_EXAMPLES = "завтра в 15:00 · fri 10am · 25.12 9:30 · через 2 часа · in 3 days"


def step_kind_name(kind: StepKind | str) -> str:
    name = STEP_KINDS.get(StepKind(kind))
    return _(name) if name else str(kind)


def preset_name(preset: Preset) -> str:
    return _(PRESET_NAMES[preset])


def snooze_reason_name(code: SnoozeReason | str) -> str | None:
    try:
        return _(SNOOZE_PRESETS[SnoozeReason(code)][0])
    except ValueError:
        return None


def step_text(kind: StepKind, due_at: datetime, note: str | None = None) -> str:
    text = f"{STEP_ICONS[kind]} {step_kind_name(kind)} · {due(due_at)}"
    return text + (f" — {esc(note)}" if note else "")


def card_lines(lead: Lead, now: datetime) -> list[str]:
    """The card's next-step and stalled lines (open leads only)."""
    if lead.is_final:
        return []
    step = lead.next_step
    lines = [_("Next step: {value}").format(value=step_text(step.kind, step.due_at, step.note) if step else "—")]
    late = step.overdue_by(now) if step else None
    if late is not None:
        lines.append("⚠️ <b>" + _("overdue by {span}").format(span=span(late)) + "</b>")
    if viewer().is_stale(lead, now) and lead.last_touched_at is not None:
        lines.append(
            "😴 <b>" + _("Stalled: no activity for {span}").format(span=span(now - lead.last_touched_at)) + "</b>"
        )
    elif lead.stale_snoozed_until is not None and lead.stale_snoozed_until > now:
        lines.append(_("😴 Stalled flag snoozed until {when}").format(when=when(lead.stale_snoozed_until)))
    return lines


def list_marks(lead: Lead, now: datetime) -> str:
    """Short marks after a lead in a list: ⏰ a step overdue, 😴 stalled."""
    marks = ""
    step = lead.next_step
    if step is not None and not lead.is_final and step.overdue_by(now) is not None:
        marks += " ⏰"
    if viewer().is_stale(lead, now):
        marks += " 😴"
    return marks


def picker_note(kind: StepKind) -> str:
    return _("Next step: {kind}. When?").format(kind=step_kind_name(kind))


def ask_time(name: str, kind: StepKind) -> str:
    return _(
        "When should the {kind} with {name} be? Type a day and time in your time zone ({zone}), e.g. {examples}. "
        "A note can follow a dash: «завтра 15:00 — send the contract». /cancel to stop."
    ).format(kind=step_kind_name(kind).lower(), name=esc(name), zone=viewer().tz.key, examples=PARSE_EXAMPLES)


def not_understood(text: str) -> str:
    return _("I could not read a date in “{text}”. Try e.g. {examples}, or /cancel.").format(
        text=esc(text[:100]), examples=PARSE_EXAMPLES
    )


def in_the_past(due_at: datetime) -> str:
    return _("{when} has already passed. Type a time ahead, e.g. {examples}, or /cancel.").format(
        when=due(due_at), examples=PARSE_EXAMPLES
    )


def confirm(lead: Lead, kind: StepKind, due_at: datetime, note: str | None) -> str:
    return _("Next step for {name}: {step}. Save it?").format(
        name=f"<b>{esc(lead_name(lead))}</b>", step=step_text(kind, due_at, note)
    )


def step_saved(kind: StepKind, due_at: datetime) -> str:
    return _("Next step set: {kind}, {when}.").format(kind=step_kind_name(kind), when=due(due_at))


def ask_snooze_reason(name: str) -> str:
    return _("Why is {name} quiet on purpose? Type the reason (up to 500 characters), or /cancel.").format(
        name=esc(name)
    )


# ---------------------------------------------------------------- /today


def _today_item(lead: Lead, now: datetime) -> str:
    step = lead.next_step
    head = esc(lead_label(lead))
    if step is None:
        return head
    late = step.overdue_by(now)
    tail = f" — {STEP_ICONS[step.kind]} {due(step.due_at)}"
    return head + tail + (" · " + _("overdue by {span}").format(span=span(late)) if late else "")


def _owner_block(day: OwnerDay, now: datetime, *, team: bool) -> list[str]:
    lines: list[str] = []
    if team:
        name = esc(day.owner_name or f"#{day.owner_id}")
        lines.append(
            _("<b>{name}</b>: overdue {overdue} · today {today} · no next step {bare}").format(
                name=name, overdue=day.overdue_count, today=day.today_count, bare=day.no_step_count
            )
        )
    for title, items, count in (
        (_("⚠️ Overdue"), day.overdue, day.overdue_count),
        (_("📅 Today"), day.today, day.today_count),
        (_("❔ No next step"), day.no_step, day.no_step_count),
    ):
        if not items:
            continue
        more = f" (+{count - len(items)})" if count > len(items) else ""
        lines.append(f"  {title}{more}" if team else f"<b>{title}</b>{more}")
        lines += [("    " if team else "") + _today_item(lead, now) for lead in items]
    return lines


def today(report: Today) -> str:
    head = _("<b>Today</b> · {when} ({zone})").format(when=due(report.now), zone=viewer().tz.key)
    owners = [d for d in report.owners if d.overdue_count or d.today_count or d.no_step_count]
    if not owners:
        return head + "\n\n" + _("Nothing due today and every open lead has a next step. 🎉")
    lines = [head, ""]
    for day in owners:
        lines += _owner_block(day, report.now, team=report.team)
        if report.team:
            lines.append("")
    return "\n".join(lines).rstrip()


# ---------------------------------------------------------------- /settings


def settings(zone_name: str, default: bool, language: str) -> str:
    zone_line = _("Time zone: {zone}").format(zone=f"<b>{esc(zone_name)}</b>")
    if default:
        zone_line += " " + _("(the team's default)")
    return "\n".join(
        [
            _("<b>Settings</b>"),
            zone_line,
            _("Language: {language} (from your Telegram settings)").format(language=esc(language)),
            "",
            _("Pick your time zone, or type its IANA name (e.g. Europe/Moscow)."),
        ]
    )


def ask_zone() -> str:
    return _("Type your time zone's IANA name, e.g. Europe/Moscow, Asia/Almaty or America/Chicago. /cancel to keep it.")


def zone_set(zone_name: str) -> str:
    return _("Time zone set: {zone}. Times are now shown in it.").format(zone=esc(zone_name))
