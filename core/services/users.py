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

import secrets
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from core.domain.enums import Role
from core.domain.errors import AccessDenied, AccessRule, InvalidInvite, InviteProblem, UserNotFound
from core.domain.models import Actor, User
from core.domain.validation import parse_enum
from core.storage.models import InviteRow, UserRow
from core.storage.repositories import user_to_domain
from core.storage.uow import UnitOfWork

INVITE_TTL = timedelta(hours=24)
FULL_NAME_MAX = 200
USERNAME_MAX = 64
LANGUAGE_MAX = 16


def utcnow() -> datetime:
    return datetime.now(UTC)


def _role(value: str | Role) -> Role:
    return parse_enum(Role, value, "role")


def _profile(full_name: str | None, username: str | None, language: str | None) -> dict[str, str | None]:
    return {
        "full_name": " ".join((full_name or "").split())[:FULL_NAME_MAX],
        "username": (username or None) and username[:USERNAME_MAX],
        "language": (language or None) and language[:LANGUAGE_MAX],
    }


def _apply_profile(row: UserRow, profile: dict[str, str | None]) -> bool:
    changed = False
    for key, value in profile.items():
        if key == "full_name" and not value:
            continue  # keep a known name rather than blanking it
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


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
    profile = _profile(full_name, username, language)
    async with uow:
        await uow.users.insert_if_missing(user_id=user_id, role=role_, **profile)  # type: ignore[arg-type]
        row = await uow.users.get(user_id)
        assert row is not None
        _apply_profile(row, profile)
        row.role = role_
        row.is_active = True
        user = user_to_domain(row)
        await uow.commit()
    return user


async def tables_ready(uow: UnitOfWork) -> bool:
    """Whether the database has the CRM schema (the bot checks at start-up; it does not migrate)."""
    async with uow:
        return await uow.updates.tables_exist()


async def claim_update(uow: UnitOfWork, update_id: int, *, user_id: int | None = None) -> bool:
    """Record a Telegram update id inside the caller's open unit of work; False if already done.

    Deliberately does not commit: the record is committed by the handler's own service commit,
    so it lands in the same transaction as the change the update made (see bot/middlewares/db.py).
    ``user_id``: load that user in the same round trip, so ``authenticate`` right after is free."""
    return await uow.updates.claim(update_id, prefetch_user_id=user_id)


UPDATE_IDS_KEPT = timedelta(days=2)  # Telegram keeps undelivered updates for 24 hours


async def forget_old_updates(uow: UnitOfWork, *, now: datetime | None = None) -> int:
    """Drop recorded update ids older than any redelivery could be, so the table stays small and an id
    Telegram reuses much later (it picks ids at random after a week of silence) is not mistaken for a
    redelivery."""
    async with uow:
        removed = await uow.updates.prune((now or datetime.now(UTC)) - UPDATE_IDS_KEPT)
        await uow.commit()
    return removed


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
    profile = _profile(full_name, username, language)
    async with uow:
        row = await uow.users.get(user_id)
        if user_id in admin_ids and (row is None or row.role != Role.ADMIN or not row.is_active):
            if row is None:
                await uow.users.insert_if_missing(user_id=user_id, role=Role.ADMIN, **profile)  # type: ignore[arg-type]
                row = await uow.users.get(user_id)
                assert row is not None
            row.role = Role.ADMIN
            row.is_active = True
            _apply_profile(row, profile)
            user = user_to_domain(row)
            await uow.commit()
            return user
        if row is None or not row.is_active:
            return None
        _apply_profile(row, profile)
        # The session's identity map holds rows weakly: keep this one referenced for the session's life,
        # so a later session.get(UserRow, id) (e.g. the lead owner's name) costs no query.
        uow.session.info["authenticated_user_row"] = row
        return user_to_domain(row)


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
        uow.users.add_invite(
            InviteRow(code=code, role=role_, created_by=actor.user_id, expires_at=utcnow() + INVITE_TTL)
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
    profile = _profile(full_name, username, language)
    if not code or len(code) > 64:
        raise InvalidInvite(InviteProblem.UNKNOWN)
    async with uow:
        invite = await uow.users.invite_for_update(code)
        now = utcnow()
        if invite is None:
            raise InvalidInvite(InviteProblem.UNKNOWN)
        if invite.used_at is not None:
            raise InvalidInvite(InviteProblem.USED)
        if invite.expires_at <= now:
            raise InvalidInvite(InviteProblem.EXPIRED)
        row = await uow.users.get(user_id)
        if row is None:
            row = uow.users.add(UserRow(id=user_id, role=invite.role, is_active=True, **profile))
            await uow.session.flush()  # the user row must exist before invites.used_by points at it
        else:
            _apply_profile(row, profile)
            row.role = invite.role
            row.is_active = True
        invite.used_by = user_id
        invite.used_at = now
        await uow.session.flush()
        user = user_to_domain(row)
        await uow.commit()
    return user


async def list_users(uow: UnitOfWork, actor: Actor) -> list[User]:
    _require_admin(actor)
    async with uow:
        return [user_to_domain(r) for r in await uow.users.list()]


async def get_user(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    _require_admin(actor)
    async with uow:
        row = await uow.users.get(user_id)
        if row is None:
            raise UserNotFound(user_id)
        return user_to_domain(row)


async def _change(uow: UnitOfWork, actor: Actor, user_id: int, **values: object) -> User:
    _require_admin(actor)
    if actor.user_id == user_id:
        raise AccessDenied(AccessRule.NOT_YOURSELF)
    async with uow:
        row = await uow.users.get(user_id)
        if row is None:
            raise UserNotFound(user_id)
        for key, value in values.items():
            setattr(row, key, value)
        await uow.session.flush()
        user = user_to_domain(row)
        await uow.commit()
    return user


async def set_role(uow: UnitOfWork, actor: Actor, user_id: int, role: str | Role) -> User:
    return await _change(uow, actor, user_id, role=_role(role))


async def deactivate(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    """The user loses access with their next update (every update re-reads the user)."""
    return await _change(uow, actor, user_id, is_active=False)


async def reactivate(uow: UnitOfWork, actor: Actor, user_id: int) -> User:
    return await _change(uow, actor, user_id, is_active=True)
