"""Users, invites and roles against real PostgreSQL (each test rolled back)."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from api.words import describe
from core.domain.clock import utcnow
from core.domain.enums import Role
from core.domain.errors import (
    AccessDenied,
    InvalidInvite,
    InvalidValue,
    InviteProblem,
    UserNotFound,
)
from core.domain.models import Actor
from core.services import users as svc
from core.storage.models import InviteRow, UserRow

ADMIN, LEAD, MANAGER, STRANGER = 1001, 1002, 1003, 1999


async def _user(uow, user_id, role):
    return Actor.from_user(await svc.ensure_user(uow, user_id=user_id, full_name=f"U{user_id}", role=role))


async def _auth(uow, user_id, admin_ids=()):
    return await svc.authenticate(
        uow, user_id=user_id, full_name="Someone", username="someone", language="en", admin_ids=admin_ids
    )


async def test_unknown_telegram_user_is_not_authenticated(uow) -> None:
    assert await _auth(uow, STRANGER) is None


async def test_admin_ids_bootstrap_an_active_admin_on_first_contact(uow) -> None:
    user = await _auth(uow, ADMIN, admin_ids=[ADMIN])
    assert user is not None and user.role == Role.ADMIN and user.is_active
    async with uow:
        row = await uow.session.get(UserRow, ADMIN)
        assert row is not None and row.role == Role.ADMIN and row.full_name == "Someone"


async def test_admin_ids_restore_a_demoted_or_deactivated_configured_admin(uow) -> None:
    await svc.ensure_user(uow, user_id=ADMIN, full_name="A", role="manager")
    async with uow:
        await uow.session.execute(update(UserRow).where(UserRow.id == ADMIN).values(is_active=False))
        await uow.commit()
    user = await _auth(uow, ADMIN, admin_ids={ADMIN})
    assert user is not None and (user.role, user.is_active) == (Role.ADMIN, True)


async def test_ensure_user_is_idempotent_and_updates_role(uow) -> None:
    await svc.ensure_user(uow, user_id=MANAGER, full_name="Ivan", role="manager")
    again = await svc.ensure_user(uow, user_id=MANAGER, full_name="Ivan P", role="team_lead")
    assert (again.role, again.full_name) == (Role.TEAM_LEAD, "Ivan P")
    async with uow:
        count = len((await uow.session.execute(select(UserRow).where(UserRow.id == MANAGER))).all())
    assert count == 1


async def test_invite_registers_the_user_with_the_role_once(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    code = await svc.create_invite(uow, admin, "manager")
    assert 16 <= len(code) <= 64 and code.replace("-", "").replace("_", "").isalnum()
    user = await svc.accept_invite(uow, code=code, user_id=MANAGER, full_name="Maria", username="maria", language="ru")
    assert (user.id, user.role, user.full_name) == (MANAGER, Role.MANAGER, "Maria")
    assert (await _auth(uow, MANAGER)).role == Role.MANAGER
    with pytest.raises(InvalidInvite) as err:
        await svc.accept_invite(uow, code=code, user_id=STRANGER, full_name="X", username=None, language=None)
    assert err.value.problem == InviteProblem.USED
    assert await _auth(uow, STRANGER) is None


async def test_expired_invite_is_refused(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    code = await svc.create_invite(uow, admin, "manager")
    async with uow:
        await uow.session.execute(
            update(InviteRow).where(InviteRow.code == code).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await uow.commit()
    with pytest.raises(InvalidInvite) as err:
        await svc.accept_invite(uow, code=code, user_id=MANAGER, full_name="M", username=None, language=None)
    assert err.value.problem == InviteProblem.EXPIRED
    assert "expired" in describe(err.value)


async def test_invite_expires_in_24_hours(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    code = await svc.create_invite(uow, admin, "team_lead")
    async with uow:
        invite = await uow.session.get(InviteRow, code)
        left = invite.expires_at - utcnow()
    assert timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)


async def test_unknown_invite_code_is_refused(uow) -> None:
    with pytest.raises(InvalidInvite) as err:
        await svc.accept_invite(uow, code="nope", user_id=MANAGER, full_name="M", username=None, language=None)
    assert err.value.problem == InviteProblem.UNKNOWN


async def test_team_lead_may_invite_managers_only(uow) -> None:
    lead = await _user(uow, LEAD, "team_lead")
    assert await svc.create_invite(uow, lead, "manager")
    for role in ("team_lead", "admin"):
        with pytest.raises(AccessDenied):
            await svc.create_invite(uow, lead, role)


async def test_manager_may_not_invite(uow) -> None:
    manager = await _user(uow, MANAGER, "manager")
    with pytest.raises(AccessDenied):
        await svc.create_invite(uow, manager, "manager")


async def test_invite_for_an_unknown_role_names_the_allowed_roles(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    with pytest.raises(InvalidValue) as err:
        await svc.create_invite(uow, admin, "boss")
    assert err.value.field == "role" and "team_lead" in describe(err.value)


async def test_deactivated_user_loses_access_at_once(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    await _user(uow, MANAGER, "manager")
    user = await svc.deactivate(uow, admin, MANAGER)
    assert user.is_active is False
    assert await _auth(uow, MANAGER) is None
    await svc.reactivate(uow, admin, MANAGER)
    assert await _auth(uow, MANAGER) is not None


async def test_a_new_invite_reactivates_a_deactivated_user(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    await _user(uow, MANAGER, "manager")
    await svc.deactivate(uow, admin, MANAGER)
    code = await svc.create_invite(uow, admin, "team_lead")
    user = await svc.accept_invite(uow, code=code, user_id=MANAGER, full_name="M", username=None, language=None)
    assert (user.role, user.is_active) == (Role.TEAM_LEAD, True)


async def test_only_admins_manage_users(uow) -> None:
    lead = await _user(uow, LEAD, "team_lead")
    await _user(uow, MANAGER, "manager")
    with pytest.raises(AccessDenied):
        await svc.list_users(uow, lead)
    with pytest.raises(AccessDenied):
        await svc.set_role(uow, lead, MANAGER, "team_lead")
    with pytest.raises(AccessDenied):
        await svc.deactivate(uow, lead, MANAGER)
    assert (await _auth(uow, MANAGER)).role == Role.MANAGER


async def test_admin_changes_roles_and_lists_users(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    await _user(uow, MANAGER, "manager")
    changed = await svc.set_role(uow, admin, MANAGER, "team_lead")
    assert changed.role == Role.TEAM_LEAD
    assert [(u.id, u.role) for u in await svc.list_users(uow, admin)] == [
        (ADMIN, Role.ADMIN),
        (MANAGER, Role.TEAM_LEAD),
    ]


async def test_admin_cannot_demote_or_deactivate_themselves(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    with pytest.raises(AccessDenied):
        await svc.deactivate(uow, admin, ADMIN)
    with pytest.raises(AccessDenied):
        await svc.set_role(uow, admin, ADMIN, "manager")
    assert (await _auth(uow, ADMIN)).role == Role.ADMIN


async def test_changing_an_unknown_user_says_not_found(uow) -> None:
    admin = await _user(uow, ADMIN, "admin")
    with pytest.raises(UserNotFound):
        await svc.set_role(uow, admin, STRANGER, "manager")
