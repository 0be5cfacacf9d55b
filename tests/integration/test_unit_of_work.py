"""The unit of work: one transaction, rolled back unless committed; nested levels are savepoints."""

import pytest

from core.domain.clock import utcnow
from core.domain.errors import InvalidValue
from core.services import api_keys
from core.storage.uow import SqlUnitOfWork


async def _key_names(uow: SqlUnitOfWork) -> list[str]:
    return [key.name for key in await api_keys.list_api_keys(uow)]


async def test_work_that_is_not_committed_is_rolled_back(uow) -> None:
    async with uow:
        await uow.api_keys.add(name="draft", key_hash="h" * 64, prefix="lcrm_x", created_at=utcnow())
    assert await _key_names(uow) == []


async def test_an_inner_failure_is_not_committed_by_a_later_commit(uow) -> None:
    async with uow:  # the bot's per-update level
        with pytest.raises(RuntimeError):
            async with uow:  # a service that wrote, then failed before its commit
                await uow.api_keys.add(name="half-done", key_hash="a" * 64, prefix="lcrm_a", created_at=utcnow())
                raise RuntimeError("boom")
        await api_keys.create_api_key(uow, "kept")  # a later service commits the whole transaction
    assert await _key_names(uow) == ["kept"]


async def test_an_inner_refusal_keeps_what_the_outer_level_did(uow) -> None:
    async with uow:
        await uow.api_keys.add(name="outer", key_hash="b" * 64, prefix="lcrm_b", created_at=utcnow())
        with pytest.raises(InvalidValue):
            await api_keys.create_api_key(uow, "outer")  # refused inside: a name that exists
        await uow.commit()
    assert await _key_names(uow) == ["outer"]


async def test_an_inner_commit_commits_the_outer_work_with_it(uow) -> None:
    async with uow:
        await uow.api_keys.add(name="update-id", key_hash="c" * 64, prefix="lcrm_c", created_at=utcnow())
        await api_keys.create_api_key(uow, "change")
    assert await _key_names(uow) == ["update-id", "change"]


async def test_a_failed_statement_inside_is_undone_and_the_transaction_goes_on(uow) -> None:
    async with uow:
        await uow.api_keys.add(name="first", key_hash="d" * 64, prefix="lcrm_d", created_at=utcnow())
        with pytest.raises(Exception, match="duplicate key"):
            async with uow:
                await uow.api_keys.add(name="first", key_hash="e" * 64, prefix="lcrm_e", created_at=utcnow())
        await uow.commit()  # PostgreSQL would refuse this had the savepoint not been rolled back to
    assert await _key_names(uow) == ["first"]
