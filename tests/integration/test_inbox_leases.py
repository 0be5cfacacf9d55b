"""Webhook replicas' inbox leases on real PostgreSQL: only a chat's oldest pending update is leased, by one worker,
until it is done; an expired lease is taken over; a drained worker gives its leases back."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from core.services import inbox as svc
from core.services.ports import ReceivedUpdate
from core.storage.uow import SqlUnitOfWork


def _update(update_id: int, chat: int | None = 42) -> ReceivedUpdate:
    payload = {"update_id": update_id, "message": {"message_id": 1, "date": 0, "chat": {"id": chat}, "text": "hi"}}
    return ReceivedUpdate(update_id=update_id, chat_key=chat, payload=payload)


def _ids(leased) -> list[int]:
    return [u.update_id for u in leased.updates]


async def test_only_the_oldest_pending_update_of_a_chat_is_leased_until_it_is_done(uow) -> None:
    await svc.receive(uow, [_update(3, chat=42), _update(1, chat=42), _update(2, chat=7), _update(4, chat=7)])
    assert _ids(await svc.lease(uow, "a", limit=10, lease_seconds=30)) == [1, 2]
    assert _ids(await svc.lease(uow, "b", limit=10, lease_seconds=30)) == []  # both heads are held
    async with uow:
        assert await svc.claim(uow, 1) is True  # the update's own transaction marks it done
        await uow.commit()
    assert _ids(await svc.lease(uow, "b", limit=10, lease_seconds=30)) == [3]  # chat 7's head is still held by a


async def test_updates_of_no_chat_are_queues_of_their_own(uow) -> None:
    await svc.receive(uow, [_update(10, chat=None), _update(11, chat=None), _update(12, chat=5)])
    assert _ids(await svc.lease(uow, "a", limit=10, lease_seconds=30)) == [10, 11, 12]


async def test_the_limit_takes_the_oldest_heads_first(uow) -> None:
    await svc.receive(uow, [_update(n, chat=n) for n in range(20, 26)])
    assert _ids(await svc.lease(uow, "a", limit=2, lease_seconds=30)) == [20, 21]
    assert _ids(await svc.lease(uow, "b", limit=2, lease_seconds=30)) == [22, 23]


async def test_an_expired_lease_is_taken_over_and_counted(uow) -> None:
    await svc.receive(uow, [_update(30, chat=1), _update(31, chat=2)])
    assert _ids(await svc.lease(uow, "killed", limit=10, lease_seconds=30)) == [30, 31]
    async with uow:  # 30's lease ran out (its replica was killed); 31's has not
        await uow.session.execute(
            text("UPDATE inbox SET lease_until = now() - interval '1 second' WHERE update_id = 30")
        )
        await uow.commit()
    taken = await svc.lease(uow, "survivor", limit=10, lease_seconds=30)
    assert (_ids(taken), taken.taken_over) == ([30], 1)


async def test_a_drained_worker_gives_back_only_its_leases_on_updates_not_done(uow) -> None:
    await svc.receive(uow, [_update(40, chat=1), _update(41, chat=2), _update(42, chat=3)])
    assert _ids(await svc.lease(uow, "a", limit=2, lease_seconds=30)) == [40, 41]
    assert _ids(await svc.lease(uow, "b", limit=2, lease_seconds=30)) == [42]
    await svc.finish(uow, 40)
    assert await svc.release(uow, "a") == 1  # 41; 40 is done, 42 is b's
    taken = await svc.lease(uow, "c", limit=10, lease_seconds=30)
    assert (_ids(taken), taken.taken_over) == ([41], 0)


async def test_renewing_keeps_a_lease_that_would_have_expired(uow) -> None:
    await svc.receive(uow, [_update(50)])
    assert _ids(await svc.lease(uow, "a", limit=1, lease_seconds=1)) == [50]
    await svc.renew(uow, "a", [50], lease_seconds=60)
    await svc.renew(uow, "someone else", [50], lease_seconds=0)  # not theirs: no effect
    await asyncio.sleep(1.1)
    assert _ids(await svc.lease(uow, "b", limit=1, lease_seconds=30)) == []


async def test_workers_leasing_at_once_never_take_the_same_update(committing_factory) -> None:
    chats, per_chat = 30, 4
    updates = [_update(1000 + n, chat=n % chats) for n in range(chats * per_chat)]
    await svc.receive(SqlUnitOfWork(committing_factory), updates)
    taken: dict[str, list[int]] = {"a": [], "b": [], "c": []}

    async def worker(name: str) -> None:
        for _ in range(per_chat * 3):
            leased = await svc.lease(SqlUnitOfWork(committing_factory), name, limit=7, lease_seconds=30)
            for update in leased.updates:
                taken[name].append(update.update_id)
                await svc.finish(SqlUnitOfWork(committing_factory), update.update_id)
            await asyncio.sleep(0)

    await asyncio.gather(*(worker(name) for name in taken))
    everything = sorted(i for ids in taken.values() for i in ids)
    assert everything == sorted(u.update_id for u in updates)  # each exactly once, none left
    assert sum(bool(ids) for ids in taken.values()) >= 2, taken  # the work was shared
