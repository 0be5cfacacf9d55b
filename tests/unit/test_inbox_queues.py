"""How stored updates are scheduled (bot.inbox.ChatQueues) and keyed (bot.inbox.chat_key): one chat's updates one
at a time and in order, different chats in parallel, never more at once than the pool allows."""

from __future__ import annotations

import asyncio

import pytest

from bot.inbox import ChatQueues, chat_key
from core.services import inbox as inbox_svc
from core.services.ports import ReceivedUpdate
from tests.unit.fakes import FakeUnitOfWork


def _update(update_id: int, chat: int | None) -> ReceivedUpdate:
    return ReceivedUpdate(update_id=update_id, chat_key=chat, payload={"update_id": update_id})


async def test_one_chats_updates_run_one_at_a_time_in_order_and_chats_run_in_parallel() -> None:
    running: dict[object, int] = {}
    order: dict[object, list[int]] = {}
    at_once: list[int] = []
    done = asyncio.Event()
    total = 12

    async def apply(update: ReceivedUpdate) -> None:
        key = update.chat_key
        running[key] = running.get(key, 0) + 1
        at_once.append(sum(running.values()))
        assert running[key] == 1, "two updates of one chat at once"
        await asyncio.sleep(0.01 * (update.update_id % 3))  # uneven handler times
        order.setdefault(key, []).append(update.update_id)
        running[key] -= 1
        if sum(len(v) for v in order.values()) == total:
            done.set()

    queues = ChatQueues(apply, concurrency=2, stop=asyncio.Event())
    updates = [_update(i, chat=(i % 3)) for i in range(1, total + 1)]
    queues.add(reversed(updates[:6]))  # a batch in any order is applied by id
    queues.add(updates[6:] + updates[:2])  # ids already queued are not queued twice
    await asyncio.wait_for(done.wait(), 5)

    assert order == {c: [i for i in range(1, total + 1) if i % 3 == c] for c in (0, 1, 2)}
    assert max(at_once) == 2  # parallel across chats, bounded by the concurrency
    assert queues.backlog == 0


async def test_the_poller_waits_for_room_when_too_many_updates_wait() -> None:
    release = asyncio.Event()

    async def apply(update: ReceivedUpdate) -> None:
        await release.wait()

    queues = ChatQueues(apply, concurrency=1, stop=asyncio.Event())
    queues.add(_update(i, chat=7) for i in range(3))
    waiting = asyncio.create_task(queues.room(3))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    release.set()
    await asyncio.wait_for(waiting, 1)


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ({"update_id": 1, "message": {"chat": {"id": -100}, "from": {"id": 5}}}, -100),
        ({"update_id": 2, "callback_query": {"from": {"id": 5}, "message": {"chat": {"id": 9}}}}, 9),
        ({"update_id": 3, "callback_query": {"from": {"id": 5}, "inline_message_id": "x"}}, 5),
        ({"update_id": 4, "my_chat_member": {"chat": {"id": 3}, "from": {"id": 5}}}, 3),
        ({"update_id": 5, "poll": {"id": "p"}}, None),
        ({"update_id": 6, "message": {"chat": {"id": 2**63}}}, None),  # out of BIGINT: no key rather than a failure
    ],
)
def test_an_update_is_keyed_by_its_chat_else_its_user(payload, key) -> None:
    assert chat_key(payload) == key


async def test_an_update_marked_done_with_its_change_is_not_pending_and_not_claimed_again() -> None:
    uow = FakeUnitOfWork()
    assert await inbox_svc.receive(uow, [_update(2, 1), _update(1, 1)]) == [1, 2]
    async with uow:
        assert await inbox_svc.claim(uow, 1) is True
        await uow.commit()
    async with uow:
        assert await inbox_svc.claim(uow, 2) is True  # not committed: undone
    assert [u.update_id for u in await inbox_svc.pending(uow)] == [2]
    async with uow:
        assert await inbox_svc.claim(uow, 1) is False
