"""Ids from outside (callback data, typed numbers, URLs) may be beyond what a BIGINT column holds: such an id
names no row, so the repositories' lookups find nothing instead of the driver refusing the query."""

from __future__ import annotations

import pytest

from core.domain.errors import LeadNotFound, SaleNotFound, UserNotFound
from core.domain.ids import BIGINT_MAX, BIGINT_MIN, storable_id
from core.domain.models import Actor
from core.services import leads as lead_svc
from core.services import sales as sale_svc
from core.services import users as user_svc

BEYOND = (BIGINT_MAX + 1, BIGINT_MIN - 1, 10**30)


def test_storable_ids_are_exactly_bigints() -> None:
    assert storable_id(BIGINT_MAX) and storable_id(BIGINT_MIN) and storable_id(0)
    assert not any(storable_id(value) for value in BEYOND)


@pytest.mark.parametrize("value", BEYOND)
async def test_lookups_beyond_bigint_find_nothing(uow, value) -> None:
    async with uow:
        assert await uow.leads.get(value) is None
        assert await uow.leads.get(value, lock=True) is None
        assert await uow.leads.list_activities(value, limit=5) == []
        assert await uow.leads.list_stage_changes(value, limit=5) == []
        assert await uow.sales.get(value, lock=True) is None
        assert await uow.sales.by_lead(value) is None
        assert await uow.sales.list_stage_changes(value) == []
        assert await uow.users.get(value) is None


@pytest.mark.parametrize("value", BEYOND)
async def test_services_answer_not_found_for_ids_beyond_bigint(uow, services, system, value) -> None:
    with pytest.raises(LeadNotFound):
        await lead_svc.get_lead(uow, system, value)
    with pytest.raises(LeadNotFound):
        await lead_svc.log_activity(uow, services, system, value, kind="call")
    with pytest.raises(SaleNotFound):
        await sale_svc.get_sale(uow, system, value)
    admin = Actor.from_user(await user_svc.ensure_user(uow, user_id=1, full_name="Ada", role="admin"))
    with pytest.raises(UserNotFound):
        await user_svc.get_user(uow, admin, value)
