"""Concurrent requests on real, separate connections."""

import asyncio

from sqlalchemy import func, select

from api.words import describe
from core.domain.errors import InvalidTransition
from core.services import leads as svc
from core.storage.models import OutboxRow, SaleRow, StageChangeRow
from core.storage.uow import SqlUnitOfWork
from tests.journeys import qualify


async def test_fifty_concurrent_transfers_make_exactly_one_sale(committing_factory, services, system) -> None:
    uow = SqlUnitOfWork(committing_factory)
    lead = await svc.create_lead(uow, services, system, source="partner", business_domain="saas")
    await qualify(uow, services, system, lead.id)

    async def transfer():
        return await svc.change_stage(SqlUnitOfWork(committing_factory), services, system, lead.id, "transferred")

    results = await asyncio.gather(*(transfer() for _ in range(50)), return_exceptions=True)
    ok = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(ok) == 1
    assert len(errors) == 49 and all(isinstance(e, InvalidTransition) for e in errors)
    assert describe(errors[0]) == "Invalid stage transition from 'transferred' to 'transferred'"
    async with committing_factory() as s:
        assert await s.scalar(select(func.count()).select_from(SaleRow)) == 1
        q = select(func.count()).select_from(StageChangeRow).where(StageChangeRow.to_stage == "transferred")
        assert await s.scalar(q) == 1
        transfers = select(func.count()).select_from(OutboxRow).where(OutboxRow.dedupe_key.like("lead-transferred:%"))
        assert await s.scalar(transfers) == 1  # (the intake's "nobody to assign it to" message is the other row)


async def test_concurrent_activity_logging_loses_no_increment(committing_factory, services, system) -> None:
    lead = await svc.create_lead(SqlUnitOfWork(committing_factory), services, system, source="manual")
    await asyncio.gather(
        *(
            svc.log_activity(SqlUnitOfWork(committing_factory), services, system, lead.id, kind="call")
            for _ in range(30)
        )
    )
    got = await svc.get_lead(SqlUnitOfWork(committing_factory), system, lead.id)
    assert got.activity_count == 30 and got.activity_counts == {"call": 30}
