"""The admins hear when an invitee joins: who, with which role, invited by whom (one personal message each, in
their language, through the outbox in the joining transaction; rendered as event ``user_joined``)."""

from __future__ import annotations

from core.domain.enums import Role
from core.domain.models import Invite, User
from core.services.ports import UnitOfWork


async def tell_admins_joined(uow: UnitOfWork, user: User, invite: Invite) -> None:
    inviter = await uow.users.get(invite.created_by)
    for admin_id in await uow.users.active_ids_with_role(Role.ADMIN):
        if admin_id == user.id:
            continue
        admin = await uow.users.get(admin_id)
        await uow.outbox.enqueue(
            dedupe_key=f"joined:{invite.code}:{admin_id}",
            chat_id=admin_id,
            payload={
                "event": "user_joined",
                "language": admin.language if admin else None,
                "user_id": user.id,
                "name": user.full_name,
                "username": user.username,
                "role": invite.role.value,
                "invited_by_id": invite.created_by,
                "invited_by": inviter.full_name if inviter else None,
            },
        )
