"""The sandbox's cast: a demo admin, team lead, manager and an unregistered guest, and the team leads' group
they share. Registered through ``core.services`` like any other user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from core.config import Settings
from core.domain.enums import Role
from core.domain.models import Actor
from core.services.users import ensure_user, list_users

DEMO_GROUP_ID = -1001000000001
DEMO_GROUP_TITLE = "Team leads"
GUEST_ID_STEP = 1000  # a guest who joined in an earlier run is registered: the next guest is id + 1000


@dataclass(frozen=True)
class DemoUser:
    key: str
    user_id: int
    full_name: str
    role: Role | None  # None: not registered (sees the refusal; can join through an invite link)
    username: str

    @property
    def first_name(self) -> str:
        return self.full_name.split()[0]

    @property
    def label(self) -> str:
        role = self.role.value if self.role else "not registered"
        return f"{self.full_name} ({role}, id {self.user_id})"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", 900001, "Alice Admin", Role.ADMIN, "alice_admin"),
    DemoUser("lead", 900002, "Tom Teamlead", Role.TEAM_LEAD, "tom_lead"),
    DemoUser("manager", 900003, "Max Manager", Role.MANAGER, "max_manager"),
    DemoUser("guest", 900004, "Gina Guest", None, "gina_guest"),
)


async def seed_demo_users(new_uow: Callable[[], Any], users: tuple[DemoUser, ...] = DEMO_USERS) -> tuple[DemoUser, ...]:
    """Register the demo admin, team lead and manager (idempotent). A guest gets the first id not yet
    registered (a guest who joined through an invite in an earlier run is a manager now). ``new_uow``
    makes a fresh unit of work for each service call."""
    admin: Actor | None = None
    for demo in users:
        if demo.role is not None:
            user = await ensure_user(
                new_uow(), user_id=demo.user_id, full_name=demo.full_name, role=demo.role, username=demo.username
            )
            if demo.role == Role.ADMIN:
                admin = Actor.from_user(user)
    if all(demo.role is not None for demo in users):
        return users
    assert admin is not None, "the demo cast needs an admin to look up which guest ids are taken"
    taken = {user.id for user in await list_users(new_uow(), admin)}
    seeded = []
    for demo in users:
        if demo.role is None:
            user_id = demo.user_id
            while user_id in taken:
                user_id += GUEST_ID_STEP
            demo = replace(demo, user_id=user_id)
        seeded.append(demo)
    return tuple(seeded)


def demo_settings(settings: Settings) -> Settings:
    """A copy of ``settings`` with the team leads' group and the admins pointed at the demo ones."""
    admin = next(u for u in DEMO_USERS if u.role == Role.ADMIN)
    return settings.model_copy(
        update={
            "team_leads_chat_id": DEMO_GROUP_ID,
            "team_leads_thread_id": None,
            "admin_ids": sorted(set(settings.admin_ids) | {admin.user_id}),
            "outbox_poll_seconds": min(settings.outbox_poll_seconds, 0.5),
        }
    )
