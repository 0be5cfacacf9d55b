"""The bot's inbox: Telegram updates are stored before they are acknowledged, and applied exactly once.

- ``receive``: the poller stores a batch (one statement, one transaction) and only then tells Telegram.
- ``claim``: the first step of an update's own unit of work marks it done; the mark is committed with the
  change the update makes, so a crash before that commit leaves the update pending (applied on restart)
  and a redelivery after it finds the update done (skipped).
- ``finish``: an update whose unit of work committed nothing (a read, a refused action) is marked done after.
- ``pending``: what a restart still has to apply.
- ``lease`` / ``renew`` / ``release`` (webhook mode, several replicas): a worker leases the oldest pending update
  of each chat before it applies it; the chat's next update is not leased until that one is done, so the order
  per chat holds across replicas. A lease only routes the work: exactly once is still ``claim``'s row lock and
  done mark, so an update whose lease expired while it was being applied (a stuck replica) is skipped by the
  replica that takes it over. A killed replica's leases expire and the others take its updates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from core.domain.clock import utcnow
from core.services.ports import Leased, ReceivedUpdate, UnitOfWork

DONE_KEPT = timedelta(days=2)  # Telegram keeps undelivered updates for 24 hours


async def tables_ready(uow: UnitOfWork) -> bool:
    """Whether the database has the CRM schema (the bot checks at start-up; it does not migrate)."""
    async with uow:
        return await uow.inbox.tables_exist()


async def receive(uow: UnitOfWork, updates: Sequence[ReceivedUpdate]) -> list[int]:
    """Store a batch of updates; returns the ids not stored before (a redelivered batch returns fewer)."""
    async with uow:
        new = await uow.inbox.store(updates)
        await uow.commit()
    return new


async def pending(uow: UnitOfWork, *, after: int | None = None, limit: int = 500) -> list[ReceivedUpdate]:
    """The stored updates not applied yet, oldest first (one page)."""
    async with uow:
        return await uow.inbox.pending(after=after, limit=limit)


async def claim(uow: UnitOfWork, update_id: int, *, user_id: int | None = None) -> bool:
    """Mark an update done inside the caller's open unit of work; False if it was done already.

    Deliberately does not commit: the mark is committed by the handler's own service commit (or by the
    caller when the handler is done), so it lands in the same transaction as the change the update made
    (see bot/middlewares/db.py). ``user_id``: load that user in the same round trip, so ``authenticate``
    right after is free."""
    return await uow.inbox.claim(update_id, prefetch_user_id=user_id)


async def finish(uow: UnitOfWork, update_id: int) -> None:
    """Mark a stored update done in its own transaction (nothing happens if it is done already)."""
    async with uow:
        await uow.inbox.finish(update_id)
        await uow.commit()


async def forget_old(uow: UnitOfWork, *, now: datetime | None = None) -> int:
    """Drop updates done longer ago than any redelivery could come, so the table stays small and an id
    Telegram reuses much later (it picks ids at random after a week of silence) is not mistaken for a
    redelivery. Pending updates are kept."""
    async with uow:
        removed = await uow.inbox.prune((now or utcnow()) - DONE_KEPT)
        await uow.commit()
    return removed


async def lease(uow: UnitOfWork, worker: str, *, limit: int, lease_seconds: float) -> Leased:
    """Lease to ``worker`` up to ``limit`` updates it may apply now (each the oldest pending of its chat); one
    transaction."""
    async with uow:
        leased = await uow.inbox.lease(worker, limit=limit, lease_seconds=lease_seconds)
        await uow.commit()
    return leased


async def renew(uow: UnitOfWork, worker: str, update_ids: Sequence[int], *, lease_seconds: float) -> None:
    """Keep ``worker``'s leases on the updates it is still applying."""
    async with uow:
        await uow.inbox.renew(worker, update_ids, lease_seconds)
        await uow.commit()


async def release(uow: UnitOfWork, worker: str) -> int:
    """Give back ``worker``'s leases on updates not done (a replica stopping), so another replica takes them now."""
    async with uow:
        released = await uow.inbox.release(worker)
        await uow.commit()
    return released
