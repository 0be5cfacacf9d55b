"""The inbox on real PostgreSQL (each test rolled back): stored updates, done once, old ones forgotten."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from core.services import inbox as svc
from core.services import users as users_svc
from core.services.ports import ReceivedUpdate
from core.storage.models import InboxRow

MANAGER, STRANGER = 1003, 1999


def _update(update_id: int, chat: int = 42, text: str = "hi") -> ReceivedUpdate:
    payload = {"update_id": update_id, "message": {"message_id": 1, "date": 0, "chat": {"id": chat}, "text": text}}
    return ReceivedUpdate(update_id=update_id, chat_key=chat, payload=payload)


async def test_a_received_batch_is_stored_once_and_pending_until_claimed(uow) -> None:
    assert await svc.receive(uow, [_update(11), _update(10)]) == [10, 11]
    assert await svc.receive(uow, [_update(11), _update(12)]) == [12]  # a redelivered update is not new
    assert [u.update_id for u in await svc.pending(uow)] == [10, 11, 12]
    async with uow:
        assert await svc.claim(uow, 11) is True
        await uow.commit()
    assert [u.update_id for u in await svc.pending(uow)] == [10, 12]
    assert (await svc.pending(uow, after=10))[0].payload["message"]["text"] == "hi"


async def test_the_payload_keeps_what_jsonb_could_not_hold(uow) -> None:
    """U+0000 is refused by jsonb; a forged update with it must not stop the batch from being stored."""
    assert await svc.receive(uow, [_update(20, text="a\x00b")]) == [20]
    assert (await svc.pending(uow))[0].payload["message"]["text"] == "a\x00b"


async def test_an_update_id_is_claimed_once_when_committed(uow) -> None:
    async with uow:
        assert await svc.claim(uow, 777) is True
        await uow.commit()
    async with uow:
        assert await svc.claim(uow, 777) is False
    async with uow:
        rows = (await uow.session.execute(select(InboxRow.update_id))).scalars().all()
    assert rows == [777]


async def test_an_update_claim_not_committed_is_forgotten(uow) -> None:
    await svc.receive(uow, [_update(778)])
    async with uow:
        assert await svc.claim(uow, 778) is True
    async with uow:
        assert await svc.claim(uow, 778) is True
    assert [u.update_id for u in await svc.pending(uow)] == [778]  # still to be applied


async def test_finishing_marks_a_stored_update_done(uow) -> None:
    await svc.receive(uow, [_update(30)])
    await svc.finish(uow, 30)
    await svc.finish(uow, 30)  # nothing happens the second time
    assert await svc.pending(uow) == []
    async with uow:
        assert await svc.claim(uow, 30) is False


async def test_claiming_an_update_with_a_user_loads_the_user_in_the_same_round_trip(uow) -> None:
    await users_svc.ensure_user(uow, user_id=MANAGER, full_name="Maria", role="manager")
    async with uow:
        assert await svc.claim(uow, 779, user_id=MANAGER) is True
        with _statements(uow) as seen:
            assert (await uow.users.get(MANAGER)).full_name == "Maria"
        assert seen == []  # already loaded by the claim
        await uow.commit()
    async with uow:
        assert await svc.claim(uow, 779, user_id=MANAGER) is False
        assert await svc.claim(uow, 780, user_id=STRANGER) is True  # unknown user: claimed, no row
        with _statements(uow) as seen:
            assert await uow.users.get(STRANGER) is None
        assert len(seen) == 1


@contextmanager
def _statements(uow):
    """The statements the unit of work's session runs inside the block."""
    seen: list[object] = []

    def record(state) -> None:
        seen.append(state.statement)

    event.listen(uow.session.sync_session, "do_orm_execute", record)
    try:
        yield seen
    finally:
        event.remove(uow.session.sync_session, "do_orm_execute", record)


async def test_old_done_updates_are_forgotten_and_recent_or_pending_ones_kept(uow) -> None:
    now = datetime.now(UTC)
    async with uow:
        uow.session.add_all(
            [
                InboxRow(update_id=1, received_at=now - timedelta(days=3), done_at=now - timedelta(days=3)),
                InboxRow(update_id=2, done_at=now - timedelta(hours=1)),
                InboxRow(update_id=3, received_at=now - timedelta(days=3), payload={"update_id": 3}),
            ]
        )
        await uow.commit()
    assert await svc.forget_old(uow, now=now) == 1
    async with uow:
        left = (await uow.session.execute(select(InboxRow.update_id).order_by(InboxRow.update_id))).scalars().all()
    assert left == [2, 3]
