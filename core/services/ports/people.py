"""Ports of people: ``uow.users`` (users, invites), ``uow.api_keys``, and ``uow.team`` (intake assignment)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.domain.enums import (
    AssignmentRule,
    Role,
)
from core.domain.models import (
    ApiKey,
    Invite,
    Lead,
    User,
)


class UserRepository(Protocol):
    async def get(self, user_id: int) -> User | None: ...

    async def insert_if_missing(
        self, *, user_id: int, full_name: str, role: Role, username: str | None, language: str | None
    ) -> None:
        """Create the user unless it exists (two first updates of a bootstrap admin may race)."""

    async def add(self, user: User) -> User: ...

    async def update(self, user_id: int, **values: Any) -> User:
        """Write ``values`` (full_name, username, language, role, is_active) to an existing user."""

    def update_on_commit(self, user_id: int, **values: Any) -> User:
        """Like ``update``, but written only if the unit of work commits (the user as it will be)."""

    async def list_users(self, *, include_inactive: bool = True) -> list[User]: ...

    async def active_ids_with_role(self, role: Role) -> list[int]: ...

    async def add_invite(self, invite: Invite) -> None: ...

    async def get_invite(self, code: str, *, lock: bool = False) -> Invite | None: ...

    async def spend_invite(self, code: str, *, used_by: int, used_at: datetime) -> None: ...


class ApiKeyRepository(Protocol):
    async def add(
        self, *, name: str, key_hash: str, prefix: str, created_at: datetime, source: str | None = None
    ) -> ApiKey: ...

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash, unless it is revoked."""

    async def by_name(self, name: str) -> ApiKey | None: ...

    async def revoke(self, key_id: int, *, when: datetime) -> ApiKey: ...

    async def list_keys(self) -> list[ApiKey]: ...


@dataclass(frozen=True, slots=True)
class AssignmentState:
    """``team_settings['assignment']``: the rule an admin chose (None: the settings' default) and the
    round-robin position (the last manager picked)."""

    rule: AssignmentRule | None = None
    last_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Intake:
    """What picking owners for new leads reads, in one round trip (``TeamRepository.read_intake``)."""

    state: AssignmentState
    managers: dict[int, str | None]  # the active managers' ids, ascending, and their languages
    turns: list[int] | None  # round-robin turns taken (None: the rule in force is not round robin)


@dataclass(frozen=True, slots=True)
class Assignment:
    """One lead given to an owner in bulk (the importer, a deactivation): the history row comes with it."""

    lead_id: int
    owner_id: int | None
    from_id: int | None = None


class TeamRepository(Protocol):
    """``uow.team``: intake assignment's state and the facts its rules read."""

    async def lock_assignment(self) -> AssignmentState:
        """Read ``team_settings['assignment']`` and hold its row until the transaction ends, so concurrent
        intakes pick owners one after another (created when missing)."""

    async def read_assignment(self) -> AssignmentState:
        """The same without the lock (for showing the rule)."""

    async def save_assignment(self, state: AssignmentState, *, actor: str, now: datetime) -> None: ...

    async def take_turns(self, count: int) -> list[int]:
        """``count`` round-robin turns, ascending, never handed out twice (a sequence: no lock, any process)."""

    async def read_intake(self, count: int, default_rule: AssignmentRule) -> Intake:
        """``read_assignment``, ``active_managers`` with their languages and, when the rule in force (the stored
        one, else ``default_rule``) is round robin and a manager is active, ``take_turns(count)``: one statement
        for what ``read_assignment``, ``active_managers``, ``take_turns`` and the owner's language read apart."""

    async def active_managers(self) -> list[int]:
        """Ids of the active users with role manager, ascending."""

    async def open_lead_counts(self, user_ids: Sequence[int]) -> dict[int, int]:
        """Open leads (new / contacted / qualified) owned by each of ``user_ids`` (0 for none)."""

    async def open_leads_of(self, user_id: int) -> list[Lead]:
        """The user's open leads, oldest first, locked for this transaction."""

    async def assign_many(
        self,
        assignments: Sequence[Assignment],
        *,
        actor: str,
        rule: AssignmentRule | None,
        now: datetime,
        touch: bool = True,
    ) -> None:
        """Set each lead's owner (version + 1, ``assigned_at`` = now, and ``updated_at`` = now with ``touch``)
        and add its ASSIGNED event: one statement for all of them."""
