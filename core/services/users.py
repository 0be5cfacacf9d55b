"""Bot users: ADMIN_IDS bootstrap, one-time invites, roles and deactivation.

Rules:
- ``ADMIN_IDS`` (configuration) are always active admins: to remove such an admin, edit the setting.
- Anyone else needs an invite: an admin may invite any role, a team lead only managers.
  An invite is one-time and expires after 24 hours.
- Only admins list users, change roles and deactivate; nobody changes their own role or deactivates
  themselves (so the last admin cannot lock everyone out by accident).
- A deactivated user loses access at once: ``authenticate`` reads the row on every update.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.domain.clock import utcnow
from core.domain.dates import check_zone
from core.domain.enums import Role
from core.domain.errors import AccessDenied, AccessRule, InvalidInvite, InviteProblem, StaleState, UserNotFound
from core.domain.models import Actor, Invite, User
from core.domain.validation import parse_enum
from core.services import people_news
from core.services.assignment import Handover, hand_over
from core.services.context import Policy
from core.services.ports import UnitOfWork

INVITE_TTL = timedelta(hours=24)
FULL_NAME_MAX = 200
USERNAME_MAX = 64
LANGUAGE_MAX = 16
_INVITE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # token_urlsafe's alphabet, as a /start payload allows


def _role(value: str | Role) -> Role:
    return parse_enum(Role, value, "role")


@dataclass(frozen=True)
class Profile:
    """What Telegram tells about a user, trimmed to what the table keeps."""

    full_name: str
    username: str | None
    language: str | None

    @classmethod
    def of(cls, full_name: str | None, username: str | None, language: str | None) -> Profile:
        """NUL (U+0000), which no text column holds, is dropped: a name is Telegram's, not refused."""
        username, language = (value.replace("\x00", "") if value else None for value in (username, language))
        return cls(
            full_name=" ".join((full_name or "").replace("\x00", "").split())[:FULL_NAME_MAX],
            username=username[:USERNAME_MAX] if username else None,
            language=language[:LANGUAGE_MAX] if language else None,
        )

    def changes(self, user: User) -> dict[str, Any]:
        """The columns of ``user`` this profile would change (a blank name keeps the known one)."""
        out: dict[str, Any] = {}
        if self.full_name and self.full_name != user.full_name:
            out["full_name"] = self.full_name
        if self.username != user.username:
            out["username"] = self.username
        if self.language != user.language:
            out["language"] = self.language
        return out


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise AccessDenied(AccessRule.ADMIN_ONLY)


def ensure_admin(actor: Actor) -> None:
    """For admin-only operations that have no actor of their own (e.g. training the scorer from the bot)."""
    _require_admin(actor)


async def ensure_user(
    uow: UnitOfWork,
    *,
    user_id: int,
    full_name: str,
    role: str | Role,
    username: str | None = None,
    language: str | None = None,
) -> User:
    """Create or update a user with this role and make it active (demo users, bootstrap admins)."""
    role_ = _role(role)
    profile = Profile.of(full_name, username, language)
    async with uow:
        await uow.users.insert_if_missing(
            user_id=user_id,
            role=role_,
            full_name=profile.full_name,
            username=profile.username,
            language=profile.language,
        )
        user = await uow.users.get(user_id)
        assert user is not None
        user = await uow.users.update(user_id, **profile.changes(user), role=role_, is_active=True)
        await uow.commit()
    return user


async def authenticate(
    uow: UnitOfWork,
    *,
    user_id: int,
    full_name: str | None,
    username: str | None,
    language: str | None,
    admin_ids: Collection[int],
) -> User | None:
    """The active user behind a Telegram account, or None (unknown or deactivated).

    ADMIN_IDS are created/restored as active admins (committed at once). A changed Telegram name,
    username or language is written to the row but not committed here: it is saved with the next
    change the user makes, so a read-only update costs no write."""
    profile = Profile.of(full_name, username, language)
    async with uow:
        user = await uow.users.get(user_id)
        if user_id in admin_ids and (user is None or user.role != Role.ADMIN or not user.is_active):
            if user is None:
                await uow.users.insert_if_missing(
                    user_id=user_id,
                    role=Role.ADMIN,
                    full_name=profile.full_name,
                    username=profile.username,
                    language=profile.language,
                )
                user = await uow.users.get(user_id)
                assert user is not None
            user = await uow.users.update(user_id, **profile.changes(user), role=Role.ADMIN, is_active=True)
            await uow.commit()
            return user
        if user is None or not user.is_active:
            return None
        changed = profile.changes(user)
        if changed:  # a new Telegram name: saved with the user's next change, costs a read-only update nothing
            user = uow.users.update_on_commit(user_id, **changed)
        return user


async def was_deactivated(uow: UnitOfWork, user_id: int) -> bool:
    """Whether ``user_id`` is a known user whose access an admin switched off (not a stranger)."""
    async with uow:
        user = await uow.users.get(user_id)
        return user is not None and not user.is_active


async def create_invite(uow: UnitOfWork, actor: Actor, role: str | Role) -> str:
    """A one-time invite code for ``role`` (valid 24 h). Admins invite any role, team leads managers."""
    role_ = _role(role)
    if actor.role == Role.ADMIN:
        pass
    elif actor.role == Role.TEAM_LEAD:
        if role_ != Role.MANAGER:
            raise AccessDenied(AccessRule.TEAM_LEAD_INVITES_MANAGERS)
    else:
        raise AccessDenied(AccessRule.INVITES_NEED_TEAM_LEAD)
    if actor.user_id is None:
        raise AccessDenied(AccessRule.INVITES_NEED_PERSON)
    code = secrets.token_urlsafe(16)  # 22 characters of [A-Za-z0-9_-]: a valid /start payload
    async with uow:
        await uow.users.add_invite(
            Invite(code=code, role=role_, created_by=actor.user_id, expires_at=utcnow() + INVITE_TTL)
        )
        await uow.commit()
    return code


async def accept_invite(
    uow: UnitOfWork,
    *,
    code: str,
    user_id: int,
    full_name: str | None,
    username: str | None,
    language: str | None,
) -> User:
    """Register (or re-activate) the user with the invite's role and spend the invite."""
    profile = Profile.of(full_name, username, language)
    if not _INVITE_CODE.fullmatch(code):  # not one create_invite makes: unknown, without a lookup
        raise InvalidInvite(InviteProblem.UNKNOWN)
    async with uow:
        invite = await uow.users.get_invite(code, lock=True)
        now = utcnow()
        if invite is None:
            raise InvalidInvite(InviteProblem.UNKNOWN)
        if invite.used_at is not None:
            raise InvalidInvite(InviteProblem.USED)
        if invite.expires_at <= now:
            raise InvalidInvite(InviteProblem.EXPIRED)
        user = await uow.users.get(user_id)
        if user is None:
            user = await uow.users.add(
                User(user_id, invite.role, profile.full_name, profile.username, profile.language, is_active=True)
            )
        else:
            user = await uow.users.update(user_id, **profile.changes(user), role=invite.role, is_active=True)
        await uow.users.spend_invite(code, used_by=user_id, used_at=now)
        await people_news.tell_admins_joined(uow, user, invite)
        await uow.commit()
    return user


async def list_users(uow: UnitOfWork, actor: Actor) -> list[User]:
    _require_admin(actor)
    async with uow:
        return await uow.users.list_users()


async def get_user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    _require_admin(actor)
    async with uow:
        user = await uow.users.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        return user


async def _change(uow: UnitOfWork, actor: Actor, user_id: int, **values: object) -> User:
    _require_admin(actor)
    if actor.user_id == user_id:
        raise AccessDenied(AccessRule.NOT_YOURSELF)
    async with uow:
        if await uow.users.get(user_id) is None:
            raise UserNotFound(user_id)
        user = await uow.users.update(user_id, **values)
        await uow.commit()
    return user


async def set_role(uow: UnitOfWork, actor: Actor, user_id: int, role: str | Role) -> User:
    return await _change(uow, actor, user_id, role=_role(role))


async def open_lead_count(uow: UnitOfWork, actor: Actor, user_id: int) -> int:
    """How many open leads a user owns (what deactivating them would hand over)."""
    _require_admin(actor)
    async with uow:
        if await uow.users.get(user_id) is None:
            raise UserNotFound(user_id)
        return (await uow.team.open_lead_counts([user_id]))[user_id]


async def deactivate(
    uow: UnitOfWork,
    actor: Actor,
    user_id: int,
    *,
    policy: Policy | None = None,
    leads_to: Handover = Handover.QUEUE,
    to_user_id: int | None = None,
) -> User:
    """The user loses access with their next update (every update re-reads the user). Their open leads go, in
    the same transaction, to the queue, by the team's rule (``policy``'s default unless an admin chose one) or
    to ``to_user_id``: nothing stays owned by someone who cannot log in."""
    user, _moved = await deactivate_and_hand_over(
        uow, actor, user_id, policy=policy, leads_to=leads_to, to_user_id=to_user_id
    )
    return user


async def deactivate_and_hand_over(
    uow: UnitOfWork,
    actor: Actor,
    user_id: int,
    *,
    policy: Policy | None = None,
    leads_to: Handover = Handover.QUEUE,
    to_user_id: int | None = None,
    expect_active: bool = False,
) -> tuple[User, int]:
    """``deactivate``, also saying how many open leads were handed over. With ``expect_active`` a user
    already deactivated is a StaleState (a confirmation pressed twice, or an old one), and nothing changes."""
    _require_admin(actor)
    if actor.user_id == user_id:
        raise AccessDenied(AccessRule.NOT_YOURSELF)
    async with uow:
        found = await uow.users.get(user_id)
        if found is None:
            raise UserNotFound(user_id)
        if expect_active and not found.is_active:
            raise StaleState()
        user = await uow.users.update(user_id, is_active=False)
        moved = await hand_over(
            uow, policy or Policy(domains=frozenset()), actor, user_id, to=leads_to, to_user_id=to_user_id
        )
        await uow.commit()
    return user, moved


async def reactivate(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    return await _change(uow, actor, user_id, is_active=True)


async def set_timezone(uow: UnitOfWork, actor: Actor, zone: str | None) -> User:
    """The actor's own time zone (an IANA name, e.g. ``Europe/Moscow``; None: the team's default)."""
    if actor.user_id is None:  # an API key or the system has no zone of its own
        raise UserNotFound(0)
    name = check_zone(zone) if zone is not None else None
    async with uow:
        if await uow.users.get(actor.user_id) is None:
            raise UserNotFound(actor.user_id)
        user = await uow.users.update(actor.user_id, timezone=name)
        await uow.commit()
    return user
