"""The scheduler's messages (core.services.scheduler), rendered when the outbox sends them: a next step's
reminder with its buttons, the first-contact SLA reminder and escalation, the daily digest and the team
summary. Times are shown in the payload's zone (the recipient's; the team leads' group: the team's), through the
same helpers as every screen (``bot.render.clock``), words in the locale ``outbox_message`` set (the
recipient's language; the group: TEAM_LEADS_LANGUAGE). "Overdue by" is counted when sent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import ReminderAction, ReminderCb
from bot.i18n import _
from bot.render.clock import due, local, span, use_viewer, when
from bot.render.steps import step_kind_name
from bot.render.vocabulary import esc, stage_name
from core.domain.clock import utcnow
from core.domain.enums import StepKind

Rendered = tuple[str, InlineKeyboardMarkup | None]
DEFAULT_ZONE = "UTC"  # payloads always carry one; a hand-written row may not


def _link(bot_username: str, lead_id: int) -> str:
    return f"https://t.me/{bot_username}?start=lead_{lead_id}"


def _kind(value: object) -> str:
    try:
        return step_kind_name(StepKind(str(value)))
    except ValueError:  # a hand-written row
        return esc(value)


def _zone(payload: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(payload.get("timezone") or DEFAULT_ZONE))


def _at(iso: object) -> datetime | None:
    return datetime.fromisoformat(iso) if isinstance(iso, str) else None


def _due(iso: object) -> str:
    moment = _at(iso)
    return due(moment) if moment is not None else "—"


def _day(iso: object) -> str:
    moment = _at(iso)
    return when(moment).split(" ")[0] if moment is not None else "—"


def _title(payload: dict[str, Any]) -> str:
    return f"<b>{esc(payload.get('name') or '#' + str(payload.get('lead_id')))}</b> · #{payload.get('lead_id')}"


def _owner(payload: dict[str, Any]) -> str:
    name = payload.get("owner_name")
    if payload.get("owner_id") is None:
        return _("Owner: nobody (in the queue)")
    return _("Owner: {name} (cannot be reached)").format(name=esc(name or payload["owner_id"]))


def reminder_buttons(lead_id: int, token: int, bot_username: str) -> InlineKeyboardMarkup:
    def press(action: ReminderAction, text: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=ReminderCb(a=action, id=lead_id, t=token).pack())

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [press(ReminderAction.DONE, _("✅ Done")), press(ReminderAction.SNOOZE_HOUR, _("⏰ In 1 h"))],
            [
                press(ReminderAction.TOMORROW, _("Tomorrow 10:00")),
                InlineKeyboardButton(text=_("Open card"), url=_link(bot_username, lead_id)),
            ],
        ]
    )


def open_card(bot_username: str, lead_id: int, text: str | None = None) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=text or _("Open card"), url=_link(bot_username, lead_id))
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def next_step_due(payload: dict[str, Any], bot_username: str) -> Rendered:
    lead_id = int(payload["lead_id"])
    group = bool(payload.get("to_group"))
    head = _("⏰ <b>A next step is due, and the lead has no active owner</b>") if group else _("⏰ <b>Next step</b>")
    lines = [head, _title(payload), f"{_kind(payload.get('kind'))} · {_due(payload.get('due_at'))}"]
    if payload.get("note"):
        lines.append(_("Note: {note}").format(note=esc(payload["note"])))
    late = utcnow() - datetime.fromisoformat(str(payload["due_at"]))
    if late >= timedelta(minutes=1):
        lines.append(_("Overdue by {duration}").format(duration=span(late)))
    if group:
        lines.append(_owner(payload))
        return "\n".join(lines), open_card(bot_username, lead_id)
    return "\n".join(lines), reminder_buttons(lead_id, int(payload["due_token"]), bot_username)


def sla_reminder(payload: dict[str, Any], bot_username: str) -> Rendered:
    lines = [
        _("⏳ <b>Nobody has contacted this new lead yet</b>"),
        _title(payload),
        _("Created {time}; first contact is due within {minutes} min.").format(
            time=when(_at(payload.get("created_at"))), minutes=payload.get("minutes")
        ),
    ]
    if payload.get("to_group"):
        lines.append(_owner(payload))
    else:
        lines.append(_("Log a call or a message on the card to stop the clock."))
    return "\n".join(lines), open_card(bot_username, int(payload["lead_id"]))


def sla_escalated(payload: dict[str, Any], bot_username: str) -> Rendered:
    owner = payload.get("owner_name")
    lines = [
        _("🚨 <b>First contact overdue</b>"),
        _title(payload),
        _("Created {time}; not contacted within {minutes} min.").format(
            time=when(_at(payload.get("created_at"))), minutes=2 * int(payload.get("minutes") or 0)
        ),
        _("Owner: {name}").format(name=esc(owner)) if owner else _("Owner: nobody (in the queue)"),
    ]
    return "\n".join(lines), open_card(bot_username, int(payload["lead_id"]), _("Assign"))


DIGEST_PARTS = ("overdue", "today", "stale", "assigned")


def _section(part: dict[str, Any], title: str, line: Callable[[dict[str, Any]], str]) -> list[str]:
    count = int(part.get("count") or 0)
    if not count:
        return []
    leads = part.get("leads") or []
    lines = [title.format(count=count)] + [f"• {line(lead)}" for lead in leads]
    if count > len(leads):
        lines.append(_("…and {count} more").format(count=count - len(leads)))
    return lines


def digest(payload: dict[str, Any], bot_username: str) -> Rendered:
    now = utcnow()

    def name(lead: dict[str, Any]) -> str:
        return f"{esc(lead.get('name') or '#' + str(lead['id']))} #{lead['id']}"

    def today(lead: dict[str, Any]) -> str:
        at = _at(lead.get("at"))
        return f"{local(at).strftime('%H:%M') if at else '—'} {_kind(lead.get('kind'))} — {name(lead)}"

    def overdue(lead: dict[str, Any]) -> str:
        late = now - datetime.fromisoformat(str(lead["at"]))
        return _("{lead} — {kind}, overdue by {duration}").format(
            lead=name(lead), kind=_kind(lead.get("kind")), duration=span(late)
        )

    def stale(lead: dict[str, Any]) -> str:
        return _("{lead} — {stage}, no activity since {date}").format(
            lead=name(lead), stage=stage_name(str(lead.get("stage"))), date=_day(lead.get("at"))
        )

    day = datetime.fromisoformat(str(payload.get("date"))).strftime("%d.%m.%Y")
    lines = [_("☀️ <b>Your day, {date}</b>").format(date=day)]
    lines += _section(payload.get("overdue") or {}, _("⚠️ Overdue: {count}"), overdue)
    lines += _section(payload.get("today") or {}, _("📅 Due today: {count}"), today)
    lines += _section(payload.get("stale") or {}, _("💤 Stalled: {count}"), stale)
    lines += _section(payload.get("assigned") or {}, _("🆕 Newly assigned: {count}"), name)
    if not any((payload.get(part) or {}).get("count") for part in DIGEST_PARTS):
        lines.append(_("Nothing due today."))
    lines.append(_("Open leads: {count}. /leads to see them.").format(count=payload.get("open_leads", 0)))
    return "\n".join(lines), None


def team_digest(payload: dict[str, Any], bot_username: str) -> Rendered:
    day = datetime.fromisoformat(str(payload.get("date"))).strftime("%d.%m.%Y")
    lines = [_("📊 <b>Team summary, {date}</b>").format(date=day)]
    rows = payload.get("rows") or []
    for row in rows:
        who = esc(row["name"] or row["owner_id"]) if row.get("owner_id") else _("Queue (no active owner)")
        lines.append(
            _("{who}: open {open}, overdue {overdue}, due today {today}, stalled {stale}").format(
                who=who, open=row["open"], overdue=row["overdue"], today=row["today"], stale=row["stale"]
            )
        )
    if not rows:
        lines.append(_("No open leads."))
    return "\n".join(lines), None


def _in_payload_zone(render: Callable[[dict[str, Any], str], Rendered]) -> Callable[[dict[str, Any], str], Rendered]:
    """Render with the payload's zone as the viewer's (the recipient's; the team leads' group: the team's)."""

    def rendered(payload: dict[str, Any], bot_username: str) -> Rendered:
        with use_viewer(_zone(payload)):
            return render(payload, bot_username)

    return rendered


RENDERERS: dict[str, Callable[[dict[str, Any], str], Rendered]] = {
    event: _in_payload_zone(render)
    for event, render in {
        "next_step_due": next_step_due,
        "sla_reminder": sla_reminder,
        "sla_escalated": sla_escalated,
        "digest": digest,
        "team_digest": team_digest,
    }.items()
}
