"""``uow.team`` on PostgreSQL: the intake assignment's state (``team_settings['assignment']``) and the facts its
rules read (active managers, their open leads), and bulk hand-overs. Rows in, domain objects out; never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.enums import AssignmentRule, LeadEventKind, Role
from core.domain.funnel import OPEN_STAGES
from core.domain.ids import storable_id
from core.domain.models import Lead
from core.services.ports import Assignment, AssignmentState, Intake
from core.storage.models import TeamSettingRow, UserRow, table
from core.storage.repositories.base import BeforeWrite
from core.storage.repositories.leads import LEADS, LIVE, lead_columns, lead_from_row

SETTINGS = table(TeamSettingRow)
USERS = table(UserRow)
ASSIGNMENT_KEY = "assignment"

_LOCK = select(SETTINGS.c.value).where(SETTINGS.c.key == ASSIGNMENT_KEY).with_for_update()
_READ = select(SETTINGS.c.value).where(SETTINGS.c.key == ASSIGNMENT_KEY)

# Every lead's new owner and its ASSIGNED history row in one statement (names as they are now, for the history).
_ASSIGN_MANY = text(
    """
WITH v AS (
    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:owners AS bigint[]), CAST(:froms AS bigint[]))
        AS v(lead_id, owner_id, from_id)
), moved AS (
    UPDATE leads l
    SET owner_id = v.owner_id,
        assigned_at = CASE WHEN v.owner_id IS NULL THEN NULL ELSE CAST(:now AS timestamptz) END,
        updated_at = CASE WHEN :touch THEN CAST(:now AS timestamptz) ELSE l.updated_at END,
        version = l.version + 1
    FROM v WHERE l.id = v.lead_id
    RETURNING l.id
)
INSERT INTO lead_events (lead_id, kind, actor, data, created_at)
SELECT v.lead_id, CAST(:kind AS varchar), CAST(:actor AS varchar),
       jsonb_build_object('from_id', v.from_id, 'to_id', v.owner_id, 'from_name', fu.full_name,
                          'to_name', tu.full_name, 'rule', CAST(:rule AS text)),
       CAST(:now AS timestamptz)
FROM v JOIN moved ON moved.id = v.lead_id
LEFT JOIN users fu ON fu.id = v.from_id
LEFT JOIN users tu ON tu.id = v.owner_id
ORDER BY v.lead_id
"""
)


def _state(value: dict[str, Any] | None) -> AssignmentState:
    value = value or {}
    rule = value.get("rule")
    last = value.get("last_user_id")
    return AssignmentState(
        rule=AssignmentRule(rule) if isinstance(rule, str) and rule in AssignmentRule._value2member_map_ else None,
        last_user_id=int(last) if isinstance(last, int) else None,
    )


# Round-robin turns (migration 0016): nextval never blocks and never gives a value twice, whatever the process.
_MANAGERS = select(USERS.c.id).where(USERS.c.role == Role.MANAGER, USERS.c.is_active.is_(True)).order_by(USERS.c.id)
_TURNS = text("SELECT nextval('assignment_turns') FROM generate_series(1, :n) ORDER BY 1")


# An intake's reads in one statement (core.services.assignment.pick_owners): the rule's row, the active managers
# with their languages (the new owner's message is in theirs), and, for round robin, the turns.
_INTAKE = text(
    """
WITH s AS (SELECT value FROM team_settings WHERE key = 'assignment'),
m AS (SELECT id, language FROM users WHERE role = 'manager' AND is_active)
SELECT (SELECT value FROM s) AS value,
       ARRAY(SELECT id FROM m ORDER BY id) AS ids,
       ARRAY(SELECT language FROM m ORDER BY id) AS languages,
       CASE WHEN coalesce((SELECT value ->> 'rule' FROM s), :default) = 'round_robin' AND EXISTS (SELECT FROM m)
            THEN ARRAY(SELECT nextval('assignment_turns') FROM generate_series(1, :n) ORDER BY 1) END AS turns
"""
)


class SqlTeamRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

    async def lock_assignment(self) -> AssignmentState:
        await self._before_write()  # the lock comes before the writes it protects
        row = (await self.session.execute(_LOCK)).first()
        if row is None:  # the migration seeds it; a restored or truncated table may lack it
            await self.session.execute(
                pg_insert(SETTINGS).values(key=ASSIGNMENT_KEY, value={}).on_conflict_do_nothing()
            )
            row = (await self.session.execute(_LOCK)).first()
        return _state(row.value if row is not None else None)

    async def read_assignment(self) -> AssignmentState:
        row = (await self.session.execute(_READ)).first()
        return _state(row.value if row is not None else None)

    async def save_assignment(self, state: AssignmentState, *, actor: str, now: datetime) -> None:
        await self._before_write()
        value = {"rule": state.rule.value if state.rule else None, "last_user_id": state.last_user_id}
        stmt = (
            update(SETTINGS)
            .where(SETTINGS.c.key == ASSIGNMENT_KEY)
            .values(value=value, updated_at=now, updated_by=actor)
        )
        if (await self.session.execute(stmt)).rowcount == 0:  # type: ignore[attr-defined]
            await self.session.execute(
                insert(SETTINGS).values(key=ASSIGNMENT_KEY, value=value, updated_at=now, updated_by=actor)
            )

    async def take_turns(self, count: int) -> list[int]:
        turns = await self.session.execute(_TURNS, {"n": count})
        return [int(turn) for turn in turns.scalars()]

    async def active_managers(self) -> list[int]:
        return list((await self.session.execute(_MANAGERS)).scalars())

    async def read_intake(self, count: int, default_rule: AssignmentRule) -> Intake:
        row = (await self.session.execute(_INTAKE, {"n": count, "default": default_rule.value})).one()
        managers = dict(zip((int(i) for i in row.ids), row.languages, strict=True))
        turns = None if row.turns is None else [int(turn) for turn in row.turns]
        return Intake(_state(row.value), managers, turns)

    async def open_lead_counts(self, user_ids: Sequence[int]) -> dict[int, int]:
        counts = dict.fromkeys(user_ids, 0)
        user_ids = [user_id for user_id in user_ids if storable_id(user_id)]
        if not user_ids:
            return counts
        stmt = (
            select(LEADS.c.owner_id, func.count())
            .where(LEADS.c.owner_id.in_(list(user_ids)), LEADS.c.stage.in_(OPEN_STAGES), LIVE)
            .group_by(LEADS.c.owner_id)
        )
        for owner_id, count in (await self.session.execute(stmt)).all():
            counts[int(owner_id)] = int(count)
        return counts

    async def open_leads_of(self, user_id: int) -> list[Lead]:
        stmt = (
            lead_columns()
            .where(LEADS.c.owner_id == user_id, LEADS.c.stage.in_(OPEN_STAGES), LIVE)
            .order_by(LEADS.c.id)
            .with_for_update(of=LEADS)
        )
        return [lead_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    async def assign_many(
        self,
        assignments: Sequence[Assignment],
        *,
        actor: str,
        rule: AssignmentRule | None,
        now: datetime,
        touch: bool = True,
    ) -> None:
        if not assignments:
            return
        await self._before_write()
        await self.session.execute(
            _ASSIGN_MANY,
            {
                "ids": [a.lead_id for a in assignments],
                "owners": [a.owner_id for a in assignments],
                "froms": [a.from_id for a in assignments],
                "now": now,
                "touch": touch,
                "kind": LeadEventKind.ASSIGNED.value,
                "actor": actor,
                "rule": rule.value if rule else None,
            },
        )
