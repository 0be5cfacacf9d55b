"""Messages sent through the outbox, rendered when sent: to the team leads' group in the group's language, and
personal ones (payload ``language``) in the recipient's. The owners' messages are in ``bot.render.assignments``."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _, make_i18n, pick_locale
from bot.render.assignments import assigned_notification, unassigned_notification
from bot.render.contacts import duplicate_attempt_notification, merged_notification
from bot.render.deals import deal_closed
from bot.render.leads import score_line
from bot.render.reminders import RENDERERS as SCHEDULED
from bot.render.scoring import retrained_notification
from bot.render.vocabulary import domain_name, esc, role_name, source_name
from core.domain.enums import Role


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


_OWNER_EVENTS = {
    "lead_assigned": assigned_notification,
    "lead_unassigned": unassigned_notification,
    "duplicate_attempt": duplicate_attempt_notification,
    "lead_merged": merged_notification,
}


def _user_joined(payload: dict[str, Any]) -> str:
    """To each admin: an invitee joined."""
    name = esc(str(payload.get("name") or payload.get("user_id")))
    if payload.get("username"):
        name += f" (@{esc(str(payload['username']))})"
    inviter = esc(str(payload.get("invited_by") or f"#{payload.get('invited_by_id')}"))
    role = role_name(str(payload.get("role"))) if payload.get("role") in Role._value2member_map_ else "?"
    return _("👋 <b>{name}</b> joined as {role}, invited by {inviter}.").format(name=name, role=role, inviter=inviter)


def outbox_message(
    payload: dict[str, Any], *, bot_username: str, locale: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Text and keyboard of an outbox message (rendered when it is sent, in the group's language:
    TEAM_LEADS_LANGUAGE, which run_bot binds with ``bot_username`` through functools.partial; the default
    locale unless given). A personal message names its reader's language in the payload ("language")."""
    i18n = make_i18n()
    if "language" in payload:  # a personal message: the recipient's language (None: the bot's default)
        locale = pick_locale(payload["language"] if isinstance(payload["language"], str) else None)
    with i18n.context(), i18n.use_locale(locale or i18n.default_locale):
        if payload.get("event") == "lead_transferred" and payload.get("lead_id") is not None:
            return _transfer_notification(payload, bot_username, locale or i18n.default_locale)
        if payload.get("event") == "user_joined":
            return _user_joined(payload), None
        if payload.get("event") == "model_retrained":
            return retrained_notification(payload), None
        if payload.get("event") == "deal_closed" and payload.get("sale_id") is not None:
            return deal_closed(payload, sale_link(bot_username, int(payload["sale_id"])))
        if payload.get("event") in _OWNER_EVENTS and payload.get("lead_id") is not None:
            return _OWNER_EVENTS[payload["event"]](payload, lead_link(bot_username, int(payload["lead_id"])))
        scheduled = SCHEDULED.get(str(payload.get("event")))
        if scheduled is not None:
            return scheduled(payload, bot_username)
        text = payload.get("text")
        return esc(text if text else payload.get("event", "notification")), None


def delivery_failed(payload: dict[str, Any], chat_id: int | None, error: str) -> str:
    """The notice the admins get when a message could not be delivered: plain text (no markup) in Russian and
    English at once (it is queued for every admin, whatever their language)."""
    event = payload.get("event", "message")
    lead = payload.get("lead_id")
    about = f" (lead #{lead})" if lead else ""
    return (
        f"⚠️ Не удалось доставить уведомление «{event}»{about} в чат {chat_id}: {error}\n"
        f"⚠️ Could not deliver the {event} notification{about} to chat {chat_id}: {error}"
    )
