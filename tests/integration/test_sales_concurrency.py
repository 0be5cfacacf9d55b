"""Concurrent sale moves on real, separate connections: the sale row lock serialises them."""

import asyncio

from sqlalchemy import func, select

from core.domain.enums import SaleStage
from core.domain.errors import InvalidTransition
from core.services import sales as svc
from core.storage.models import SaleStageChangeRow
from core.storage.uow import SqlUnitOfWork
from tests.journeys import transferred_lead


async def test_twenty_concurrent_moves_to_kyc_record_exactly_one_step(committing_factory, services, system) -> None:
    uow = SqlUnitOfWork(committing_factory)
    sale = (await transferred_lead(uow, services, system, kind="meeting", business_domain="saas")).sale

    results = await asyncio.gather(
        *(svc.change_sale_stage(SqlUnitOfWork(committing_factory), system, sale.id, "kyc") for _ in range(20)),
        return_exceptions=True,
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 1 and ok[0].stage == SaleStage.KYC
    assert len(errors) == 19 and all(isinstance(e, InvalidTransition) for e in errors)
    async with committing_factory() as s:
        assert await s.scalar(select(func.count()).select_from(SaleStageChangeRow)) == 1
