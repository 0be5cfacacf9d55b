"""Greeting, help, the refusal for strangers, users and invites."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import _
from bot.render.vocabulary import TG_TEXT_MAX, esc, role_name
from core.domain.enums import Role
from core.domain.models import User


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
        lines.append(_("/queue — leads without an owner; /assignment — how new leads are assigned"))
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


def disabled() -> str:
    return _("Your access to this bot was disabled. Ask an admin to turn it back on.")


def disabled_alert() -> str:
    return _("Your access was disabled. Ask an admin.")


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
        "Invite for a <b>{role}</b> (one-time, valid 24 hours):\n{link}\n\nSend it to the person; opening it registers them."  # noqa: E501 (one msgid)
    ).format(role=role_name(role), link=esc(link))
