"""Texts the bot shows: lead card, lists, history, sale card, users, errors, the team-lead notification.

Pure functions of domain objects -> HTML strings (parse_mode HTML). Everything a user typed is escaped.
They translate with the current i18n locale (set per update by bot.i18n.LocaleMiddleware).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n

from bot.i18n import N_, _, make_i18n
from core.domain.enums import (
    ActivityKind,
    Recommendation,
    Role,
    SaleStage,
    Source,
    Stage,
)
from core.domain.errors import (
    AccessDenied,
    DomainError,
    InvalidInvite,
    InvalidTransition,
    InvalidValue,
    InviteProblem,
    LeadIsFinal,
    LeadNotFound,
    SaleNotFound,
    StaleState,
    TransferBlock,
    TransferNotAllowed,
    UserNotFound,
)
from core.domain.models import Activity, Lead, Sale, SaleStageChange, StageChange, User

BAR_CELLS = 10
TG_TEXT_MAX = 4096


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


# ---------------------------------------------------------------- vocabulary


# The names are translated when asked for, one gettext per name (not one per entry of a table per call).
STAGE_NAMES: dict[Stage, str] = {
    Stage.NEW: N_("New"),
    Stage.CONTACTED: N_("Contacted"),
    Stage.QUALIFIED: N_("Qualified"),
    Stage.TRANSFERRED: N_("Transferred to sales"),
    Stage.LOST: N_("Lost"),
}
SOURCE_NAMES: dict[Source, str] = {Source.SCANNER: N_("Scanner"), Source.PARTNER: N_("Partner"), Source.MANUAL: N_("Manual")}
RECOMMENDATION_NAMES: dict[Recommendation, str] = {
    Recommendation.TRANSFER_TO_SALES: N_("Transfer to sales"),
    Recommendation.CONTINUE_QUALIFICATION: N_("Continue qualification"),
    Recommendation.DROP_LEAD: N_("Drop the lead"),
}
KIND_NAMES: dict[ActivityKind, str] = {
    ActivityKind.CALL: N_("Call"),
    ActivityKind.MESSAGE: N_("Message"),
    ActivityKind.MEETING: N_("Meeting"),
    ActivityKind.EMAIL: N_("E-mail"),
    ActivityKind.NOTE: N_("Note"),
}
ROLE_NAMES: dict[Role, str] = {Role.ADMIN: N_("Admin"), Role.TEAM_LEAD: N_("Team lead"), Role.MANAGER: N_("Manager")}
SALE_STAGE_NAMES: dict[SaleStage, str] = {
    SaleStage.NEW: N_("New deal"),
    SaleStage.KYC: N_("KYC"),
    SaleStage.AGREEMENT: N_("Agreement"),
    SaleStage.PAID: N_("Paid"),
    SaleStage.LOST: N_("Deal lost"),
}


def _translated(table: Mapping[Any, str], value: StrEnum) -> str:
    """The translated name of ``value`` from one of the N_ tables above (its raw value if it has none)."""
    name = table.get(value)
    return _(name) if name else str(value)


def stage_name(stage: Stage | str) -> str:
    return _translated(STAGE_NAMES, Stage(stage))


def source_name(source: Source | str) -> str:
    return _translated(SOURCE_NAMES, Source(source))


def recommendation_name(rec: Recommendation | str) -> str:
    return _translated(RECOMMENDATION_NAMES, Recommendation(rec))


def kind_name(kind: ActivityKind | str) -> str:
    return _translated(KIND_NAMES, ActivityKind(kind))


def role_name(role: Role | str) -> str:
    return _translated(ROLE_NAMES, Role(role))


def sale_stage_name(stage: SaleStage | str) -> str:
    return _translated(SALE_STAGE_NAMES, SaleStage(stage))


def domain_name(domain: str) -> str:
    return domain.replace("_", " ")


LOST_PRESETS: dict[str, str] = {
    "budget": N_("No budget"),
    "silent": N_("Stopped responding"),
    "rival": N_("Chose a competitor"),
    "fit": N_("Not our client"),
}


def lost_preset(code: str) -> str | None:
    text = LOST_PRESETS.get(code)
    return _(text) if text else None


# ---------------------------------------------------------------- small pieces


def when(dt: datetime | None) -> str:
    if dt is None:
        return "—"
    return dt.astimezone(UTC).strftime("%d.%m.%Y %H:%M UTC")


def score_bar(score: float | None) -> str:
    if score is None:
        return "▱" * BAR_CELLS
    filled = max(0, min(BAR_CELLS, round(score * BAR_CELLS)))
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def score_line(score: float | None) -> str:
    if score is None:
        return _("not analyzed yet")
    return f"{score_bar(score)} {score:.2f}"


def lead_reason(lead: Lead, locale: str) -> str | None:
    if locale == "ru":
        return lead.ai_reason_ru or lead.ai_reason
    return lead.ai_reason or lead.ai_reason_ru


def current_locale() -> str:
    return get_i18n().current_locale


# ---------------------------------------------------------------- lead screens


def lead_card(lead: Lead, *, note: str | None = None) -> str:
    """The lead card (one message, edited in place). ``note`` is a line shown on top (e.g. "Call logged")."""
    locale = current_locale()
    lines = []
    if note:
        lines += [f"<i>{esc(note)}</i>", ""]
    lines.append(f"<b>{esc(lead.display_name)}</b> · #{lead.id}")
    lines.append(_("Contact: {value}").format(value=esc(lead.contact) if lead.contact else "—"))
    lines.append(_("Source: {value}").format(value=source_name(lead.source)))
    domain = esc(domain_name(lead.business_domain)) if lead.business_domain else _("not set")
    lines.append(_("Domain: {value}").format(value=domain))
    lines.append(_("Stage: {value}").format(value=f"<b>{stage_name(lead.stage)}</b>"))
    if lead.stage == Stage.LOST and lead.lost_reason:
        lines.append(_("Lost reason: {value}").format(value=esc(lead.lost_reason)))
    lines.append(
        _("Activities: {count} (last: {when})").format(count=lead.activity_count, when=when(lead.last_activity_at))
    )
    lines.append(_("Score: {value}").format(value=score_line(lead.ai_score)))
    if lead.ai_recommendation is not None:
        lines.append(_("Recommendation: {value}").format(value=f"<b>{recommendation_name(lead.ai_recommendation)}</b>"))
        reason = lead_reason(lead, locale)
        if reason:
            lines.append(_("Why: {value}").format(value=esc(reason)))
    lines.append(_("Owner: {value}").format(value=esc(lead.owner_name) if lead.owner_name else "—"))
    return "\n".join(lines)


def lead_line(lead: Lead) -> str:
    score = f" · {lead.ai_score:.2f}" if lead.ai_score is not None else ""
    return f"#{lead.id} {esc(lead.display_name)} — {stage_name(lead.stage)}{score}"


def lead_button_text(lead: Lead) -> str:
    text = f"#{lead.id} {lead.display_name}"
    return text if len(text) <= 40 else text[:39] + "…"


def leads_page(items: Sequence[Lead], *, page: int, pages: int, total: int, stage: str, mine: bool) -> str:
    title = _("My leads") if mine else _("All leads")
    filt = stage_name(stage) if stage else _("all stages")
    head = _("<b>{title}</b> · {filter} · page {page}/{pages} · {total} total").format(
        title=title, filter=filt, page=page + 1, pages=max(pages, 1), total=total
    )
    if not items:
        return head + "\n\n" + _("No leads here yet. /new creates one.")
    return head + "\n\n" + "\n".join(lead_line(lead) for lead in items)


def found_leads(query: str, items: Sequence[Lead]) -> str:
    if not items:
        return _("Nothing found for “{query}”.").format(query=esc(query))
    head = _("Found for “{query}”:").format(query=esc(query))
    return head + "\n" + "\n".join(lead_line(lead) for lead in items)


def history(lead: Lead, changes: Sequence[StageChange], activities: Sequence[Activity]) -> str:
    lines = [_("<b>History</b> · {name} · #{id}").format(name=esc(lead.display_name), id=lead.id), ""]
    lines.append("<b>" + _("Stages") + "</b>")
    if not changes:
        lines.append(_("no stage changes yet"))
    for ch in changes:
        reason = f" — {esc(ch.reason)}" if ch.reason else ""
        lines.append(f"{when(ch.created_at)}: {stage_name(ch.from_stage)} → {stage_name(ch.to_stage)}{reason}")
    lines += ["", "<b>" + _("Activities") + "</b>"]
    if not activities:
        lines.append(_("no activities yet"))
    for act in activities:
        text = act.text or ""
        if len(text) > 200:
            text = text[:199] + "…"
        lines.append(f"{when(act.created_at)}: {kind_name(act.kind)}" + (f" — {esc(text)}" if text else ""))
    out = "\n".join(lines)
    return out if len(out) <= TG_TEXT_MAX else out[: TG_TEXT_MAX - 1] + "…"


def transfer_refused(err: TransferNotAllowed) -> str:
    parts = []
    for block in err.blocks:
        if block == TransferBlock.NO_SCORE:
            parts.append(_("the lead has no AI score yet — press Analyze"))
        elif block == TransferBlock.LOW_SCORE:
            parts.append(
                _("the score {score:.2f} is below the required {threshold:.2f}").format(
                    score=err.score or 0.0, threshold=err.threshold
                )
            )
        elif block == TransferBlock.NO_DOMAIN:
            parts.append(_("the business domain is not set"))
    return _("Cannot transfer to sales: {reasons}.").format(reasons="; ".join(parts))


# ---------------------------------------------------------------- prompts and menus


def greeting(user: User) -> str:
    return _("Hello, {name}! You are signed in as <b>{role}</b>.\nWhat shall we do?").format(
        name=esc(user.full_name or user.id), role=role_name(user.role)
    )


def help_text(user: User) -> str:
    lines = [
        _("<b>Commands</b>"),
        _("/new — add a lead"),
        _("/leads — my leads (team leads and admins: all)"),
        _("/find TEXT — find a lead by name or contact"),
        _("/lead ID — open a lead card"),
        _("/cancel — stop the current dialog"),
    ]
    if user.role in (Role.ADMIN, Role.TEAM_LEAD):
        lines.append(_("/invite manager — an invite link for a new manager"))
    if user.role == Role.ADMIN:
        lines.append(_("/invite team_lead|admin — invite a team lead or an admin"))
        lines.append(_("/users — users, roles, deactivation"))
        lines.append(_("/model — the active scoring model; /train — train a new one"))
    lines += ["", _("On a lead card: log calls, messages, meetings and notes, analyze, move the stage, transfer.")]
    return "\n".join(lines)


def refused(telegram_id: int) -> str:
    return _(
        "Sorry, this bot is only for the sales team. Ask an admin for an invite and give them your "
        "Telegram id: <code>{id}</code>"
    ).format(id=telegram_id)


def refused_alert(telegram_id: int) -> str:
    return _("No access. Your Telegram id: {id}").format(id=telegram_id)


# ---------------------------------------------------------------- users


def user_line(user: User) -> str:
    name = esc(user.full_name or "—")
    handle = f" (@{esc(user.username)})" if user.username else ""
    state = "" if user.is_active else " · " + _("deactivated")
    return f"{name}{handle} — {role_name(user.role)} · id <code>{user.id}</code>{state}"


def users_list(users: Sequence[User]) -> str:
    out = _("<b>Users</b>")
    for user in users:
        line = "\n• " + user_line(user)
        if len(out) + len(line) > TG_TEXT_MAX - 10:
            return out + "\n…"
        out += line
    return out


def user_card(user: User) -> str:
    return user_line(user)


def invite_link(role: Role | str, link: str) -> str:
    return _(
        "Invite for a <b>{role}</b> (one-time, valid 24 hours):\n{link}\n\nSend it to the person; opening it registers them."
    ).format(role=role_name(role), link=esc(link))


def model_lines(lines: Sequence[str]) -> str:
    """The scorer's report (the models service words it in ru/en itself): first line bold."""
    if not lines:
        return ""
    return "\n".join([f"<b>{esc(lines[0])}</b>", *(esc(line) for line in lines[1:])])


# ---------------------------------------------------------------- sale


def sale_card(sale: Sale, lead: Lead | None, changes: Sequence[SaleStageChange] = ()) -> str:
    name = esc(lead.display_name) if lead else f"#{sale.lead_id}"
    lines = [
        _("<b>Deal</b> #{id} · lead {name} (#{lead_id})").format(id=sale.id, name=name, lead_id=sale.lead_id),
        _("Stage: {value}").format(value=f"<b>{sale_stage_name(sale.stage)}</b>"),
        _("Opened: {when}").format(when=when(sale.created_at)),
    ]
    if sale.closed_at:
        lines.append(_("Closed: {when}").format(when=when(sale.closed_at)))
    for ch in changes[-5:]:
        reason = f" — {esc(ch.reason)}" if ch.reason else ""
        lines.append(f"{when(ch.created_at)}: {sale_stage_name(ch.from_stage)} → {sale_stage_name(ch.to_stage)}{reason}")
    return "\n".join(lines)


# ---------------------------------------------------------------- errors

# Fixed English messages of domain errors, translated through the catalogue by their text.
_KNOWN_MESSAGES = (
    N_("You do not have access to this lead"),
    N_("Only an admin can do this"),
    N_("A team lead can invite managers only"),
    N_("Only an admin or a team lead can invite people"),
    N_("You cannot change your own role or deactivate yourself"),
    N_("Only team leads and admins can move a sale"),
)

_TOO_LONG = re.compile(r"at most (\d+) characters(?: \(got (\d+)\))?")


def field_name(field: str) -> str:
    names = {
        "name": _("Name"),
        "contact": _("Contact"),
        "text": _("Text"),
        "reason": _("Reason"),
        "query": _("Search text"),
        "business_domain": _("Business domain"),
        "role": _("Role"),
    }
    return names.get(field, field)


def invalid_value(err: InvalidValue) -> str:
    message = err.message.split(": ", 1)[1] if ": " in err.message else err.message
    match = _TOO_LONG.search(message)
    if match:
        limit, got = match.group(1), match.group(2)
        if got:
            return _("{field}: too long — at most {limit} characters, you sent {got}.").format(
                field=field_name(err.field), limit=limit, got=got
            )
        return _("{field}: too long — at most {limit} characters.").format(field=field_name(err.field), limit=limit)
    if message == "looks like a command":
        return _("That looks like a command. Send plain text, or /cancel.")
    if message == "must not be empty":
        return _("{field} must not be empty.").format(field=field_name(err.field))
    if err.field == "lead_id":
        return _("Send the lead number, e.g. /lead 42.")
    if err.field == "contact":
        return _("Contact: send a phone number, an e-mail address or a Telegram @username.")
    if err.field == "query":
        return _("Type at least 2 characters to search.")
    if err.field == "business_domain":
        return _("This business domain is not in the catalogue; choose one from the buttons.")
    if err.field == "role":
        return _("Unknown role. Use one of: manager, team_lead, admin.")
    return _("{field}: {message}").format(field=field_name(err.field), message=esc(message))


def error_text(err: DomainError) -> str:
    """A polite, localized sentence for a domain error (no HTML in alerts, so keep it plain)."""
    if isinstance(err, TransferNotAllowed):
        return transfer_refused(err)
    if isinstance(err, StaleState):
        return _("This card is out of date; it has been refreshed. Please look and press again.")
    if isinstance(err, LeadNotFound):
        return _("Lead #{id} not found.").format(id=err.lead_id)
    if isinstance(err, SaleNotFound):
        return _("Deal #{id} not found.").format(id=err.sale_id)
    if isinstance(err, UserNotFound):
        return _("User {id} not found.").format(id=err.user_id)
    if isinstance(err, LeadIsFinal):
        return _("The lead is already “{stage}”; it can no longer be changed.").format(stage=stage_name(err.stage))
    if isinstance(err, InvalidTransition):
        return _("This stage change is not allowed: {current} → {target}.").format(
            current=_any_stage_name(err.current), target=_any_stage_name(err.target)
        )
    if isinstance(err, InvalidValue):
        return invalid_value(err)
    if isinstance(err, InvalidInvite):
        return {
            InviteProblem.UNKNOWN: _("This invite link is not valid. Ask an admin for a new one."),
            InviteProblem.USED: _("This invite link has already been used. Ask an admin for a new one."),
            InviteProblem.EXPIRED: _("This invite link has expired. Ask an admin for a new one."),
        }[err.problem]
    if isinstance(err, AccessDenied):
        return _(err.message) if err.message in _KNOWN_MESSAGES else _("You are not allowed to do this.")
    return esc(err.message)


def _any_stage_name(value: str) -> str:
    if value in Stage._value2member_map_:
        return stage_name(value)
    if value in SaleStage._value2member_map_:
        return sale_stage_name(value)
    return esc(value)


def plain(text: str) -> str:
    """HTML -> plain text for callback alerts (Telegram shows alerts without formatting, ≤ 200 chars)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text if len(text) <= 200 else text[:199] + "…"


# ---------------------------------------------------------------- team leads' group (outbox)


def lead_link(bot_username: str, lead_id: int) -> str:
    return f"https://t.me/{bot_username}?start=lead_{lead_id}"


def sale_link(bot_username: str, sale_id: int) -> str:
    return f"https://t.me/{bot_username}?start=sale_{sale_id}"


def _transfer_notification(payload: dict[str, Any], bot_username: str, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    score = payload.get("ai_score")
    reason = payload.get("ai_reason_ru") if locale == "ru" else payload.get("ai_reason")
    reason = reason or payload.get("ai_reason") or payload.get("ai_reason_ru")
    domain = payload.get("business_domain")
    lines = [
        _("🚀 <b>Lead transferred to sales</b>"),
        f"<b>{esc(payload.get('name') or '#' + str(payload.get('lead_id')))}</b> · #{payload.get('lead_id')}",
        _("Contact: {value}").format(value=esc(payload["contact"]) if payload.get("contact") else "—"),
        _("Source: {value}").format(value=source_name(payload["source"]) if payload.get("source") else "—"),
        _("Domain: {value}").format(value=esc(domain_name(domain)) if domain else _("not set")),
        _("Score: {value}").format(value=score_line(score if isinstance(score, int | float) else None)),
    ]
    if reason:
        lines.append(_("Why: {value}").format(value=esc(reason)))
    lines.append(_("Activities: {count}").format(count=payload.get("activity_count", 0)))
    manager = payload.get("manager_name") or (f"id {payload['manager_id']}" if payload.get("manager_id") else "—")
    lines.append(_("Manager: {value}").format(value=esc(manager)))
    buttons = [[InlineKeyboardButton(text=_("Open the lead"), url=lead_link(bot_username, int(payload["lead_id"])))]]
    if payload.get("sale_id"):
        buttons.append(
            [InlineKeyboardButton(text=_("Open the deal"), url=sale_link(bot_username, int(payload["sale_id"])))]
        )
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons)


def outbox_message(
    payload: dict[str, Any], *, bot_username: str, locale: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Text and keyboard of an outbox message (rendered when it is sent, in the group's language:
    TEAM_LEADS_LANGUAGE, which run_bot binds with ``bot_username`` through functools.partial; the default
    locale unless given)."""
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(locale or i18n.default_locale):
        if payload.get("event") == "lead_transferred" and payload.get("lead_id") is not None:
            return _transfer_notification(payload, bot_username, locale or i18n.default_locale)
        text = payload.get("text")
        return esc(text if text else payload.get("event", "notification")), None
