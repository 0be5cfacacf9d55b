"""Outbox state transitions: claim due messages, then record what Telegram said.

A row is ``pending`` until Telegram accepted it (``sent``) or it can never be delivered (``failed``).
Each function is one short transaction and commits once. Claiming leases the row: ``attempts`` goes up
and ``next_attempt_at`` moves ``lease_seconds`` ahead, so a second sender (or this one after a crash) does
not pick it up while a send is in flight; the retry schedule lives in the database, so a restart keeps it.
Order per chat: only the oldest pending row of a chat is ever due (see ``OutboxRepository.claim_due``).

Where a message goes can be left to the sender: a row for ``TEAM_LEADS`` has no chat when it is written
(any process may write it, whatever its settings) and the sender resolves it from its own settings
(the bot's TEAM_LEADS_CHAT_ID/THREAD_ID) when it sends; until it can, the rows wait, in order, untouched.
Admin notices are addressed to the admin's user id.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from core.domain.clock import utcnow
from core.domain.enums import Role
from core.domain.models import OutboxMessage
from core.services.ports import UnitOfWork

ADMIN_NOTICE_PREFIX = "outbox-failed:"
TEAM_LEADS = "team_leads"  # the team leads' group (and forum thread), as the sender's settings name it
DESTINATIONS = frozenset({TEAM_LEADS})  # the database's CHECK on outbox.destination says the same


def is_admin_notice(item: OutboxMessage) -> bool:
    """A notice to the admins about another message that could not be delivered (it never notifies again)."""
    return item.dedupe_key.startswith(ADMIN_NOTICE_PREFIX)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for 5xx/timeouts, ``retry_after`` for 429, a give-up deadline."""

    give_up_after: float = 3600.0
    base_backoff: float = 1.0
    max_backoff: float = 300.0

    def backoff(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failed try: half fixed, half random ("equal jitter")."""
        ceiling = min(self.max_backoff, self.base_backoff * 2.0 ** max(attempts - 1, 0))
        jitter: float = (rng or random).uniform(0, ceiling / 2)
        return ceiling / 2 + jitter

    def deadline(self, item: OutboxMessage) -> datetime:
        return item.created_at + timedelta(seconds=self.give_up_after)


async def claim_due(
    uow: UnitOfWork,
    *,
    limit: int = 20,
    lease_seconds: float = 60.0,
    destinations: Collection[str] = (),
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Lease the due rows (at most one per chat or destination, the oldest) and return them; one
    transaction. Rows for a destination not in ``destinations`` (the sender cannot resolve it) stay."""
    now = now or utcnow()
    async with uow:
        items = []
        for row in await uow.outbox.claim_due(now, limit, destinations=destinations):
            attempts = row.attempts + 1
            await uow.outbox.mark(row.id, attempts=attempts, next_attempt_at=now + timedelta(seconds=lease_seconds))
            items.append(replace(row, attempts=attempts))
        await uow.commit()
    return items


async def postpone(uow: UnitOfWork, item: OutboxMessage, *, until: datetime) -> None:
    """Give a claimed row back unsent (its chat is at Telegram's rate limit): the attempt does not count and it
    is due again at ``until``; the chat's later rows wait behind it, so the order is kept."""
    async with uow:
        await uow.outbox.mark(item.id, attempts=max(item.attempts - 1, 0), next_attempt_at=until)
        await uow.commit()


async def waiting(uow: UnitOfWork, destination: str) -> int:
    """How many messages for ``destination`` are still to be sent."""
    async with uow:
        return await uow.outbox.count_pending(destination)


async def mark_sent(uow: UnitOfWork, item: OutboxMessage, *, now: datetime | None = None) -> None:
    """Telegram accepted ``item`` (as the sender addressed it: the chat it went to is recorded)."""
    async with uow:
        await uow.outbox.mark(
            item.id,
            status="sent",
            sent_at=now or utcnow(),
            last_error=None,
            chat_id=item.chat_id,
            thread_id=item.thread_id,
        )
        await uow.commit()


async def mark_retry(
    uow: UnitOfWork,
    item: OutboxMessage,
    *,
    error: str,
    policy: RetryPolicy,
    retry_after: float | None = None,
    admin_ids: Iterable[int] = (),
    notice_text: str,
    now: datetime | None = None,
) -> Literal["retry", "failed"]:
    """A transient failure: schedule the next try (``retry_after`` if Telegram gave one, else backoff),
    never later than the give-up deadline; past the deadline the row fails and the admins are told."""
    now = now or utcnow()
    deadline = policy.deadline(item)
    if now >= deadline:
        await mark_failed(
            uow,
            item,
            error=f"gave up after {item.attempts} attempts: {error}",
            admin_ids=admin_ids,
            notice_text=notice_text,
            now=now,
        )
        return "failed"
    delay = retry_after if retry_after is not None else policy.backoff(item.attempts)
    next_at = min(now + timedelta(seconds=delay), deadline)
    async with uow:
        await uow.outbox.mark(item.id, next_attempt_at=next_at, last_error=error[:2000])
        await uow.commit()
    return "retry"


async def mark_failed(
    uow: UnitOfWork,
    item: OutboxMessage,
    *,
    error: str,
    admin_ids: Iterable[int] = (),
    notice_text: str,
    now: datetime | None = None,
) -> list[int]:
    """Record a permanent failure (``item`` as the sender addressed it, so the row and the notice name the
    chat that refused it; a row that never got a chat keeps none) and, in the same transaction, queue a
    notice to every active admin
    (users with role admin, plus ``admin_ids`` not deactivated there), once per admin (dedupe key
    ``outbox-failed:{id}:{admin}``). A failed admin notice does not notify again. Returns the admins queued."""
    now = now or utcnow()
    notified: list[int] = []
    async with uow:
        await uow.outbox.mark(
            item.id,
            status="failed",
            last_error=error[:2000],
            next_attempt_at=now,
            chat_id=item.chat_id,
            thread_id=item.thread_id,
        )
        if not is_admin_notice(item):
            admins = set(await uow.users.active_ids_with_role(Role.ADMIN))
            for admin_id in set(admin_ids) - admins:  # ADMIN_IDS, unless deactivated in the users table
                user = await uow.users.get(admin_id)
                if user is None or user.is_active:
                    admins.add(admin_id)
            for admin_id in sorted(admins):
                queued = await uow.outbox.enqueue(
                    dedupe_key=f"{ADMIN_NOTICE_PREFIX}{item.id}:{admin_id}",
                    chat_id=admin_id,
                    thread_id=None,
                    payload={
                        "event": "outbox_failed",
                        "failed_id": item.id,
                        "failed_event": item.payload.get("event"),
                        "failed_chat_id": item.chat_id,
                        "error": error[:500],
                        "text": notice_text,
                    },
                )
                if queued:
                    notified.append(admin_id)
        await uow.commit()
    return notified
