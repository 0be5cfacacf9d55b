"""The admins hear news, one personal message each, in their language, through the outbox in the transaction of
what happened (``tell_admins``): an invitee joined (who, with which role, invited by whom; event ``user_joined``),
and, from ``core.services.retraining``, a retrained model took over (``model_retrained``)."""

from __future__ import annotations

from typing import Any

from core.domain.enums import Role
from core.domain.models import Invite, User
from core.services.ports import UnitOfWork


async def tell_admins_joined(uow: UnitOfWork, user: User, invite: Invite) -> None:
    inviter = await uow.users.get(invite.created_by)
    payload = {
        "event": "user_joined",
        "user_id": user.id,
        "name": user.full_name,
        "username": user.username,
        "role": invite.role.value,
        "invited_by_id": invite.created_by,
        "invited_by": inviter.full_name if inviter else None,
    }
    await tell_admins(uow, f"joined:{invite.code}", payload, skip=user.id)


async def tell_admins(uow: UnitOfWork, key: str, payload: dict[str, Any], *, skip: int | None = None) -> None:
    """``payload`` to each active admin but ``skip``, in their language, queued once each (``key:<admin id>``)."""
    for admin_id in await uow.users.active_ids_with_role(Role.ADMIN):
        if admin_id == skip:
            continue
        admin = await uow.users.get(admin_id)
        language = admin.language if admin else None
        await uow.outbox.enqueue(
            dedupe_key=f"{key}:{admin_id}", chat_id=admin_id, payload={**payload, "language": language}
        )
