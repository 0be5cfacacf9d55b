"""Shared setup steps for tests: drive a lead through the funnel with the real services."""

from __future__ import annotations

from typing import Any

from core.domain.models import Actor
from core.services import leads as lead_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


async def qualify(
    uow: UnitOfWork, services: Services, actor: Actor, lead_id: int, *, activities: int = 3, kind: str = "call"
) -> None:
    """Log ``activities`` of ``kind``, move the lead new -> contacted -> qualified and analyze it."""
    for _ in range(activities):
        await lead_svc.log_activity(uow, services, actor, lead_id, kind=kind)
    await lead_svc.change_stage(uow, services, actor, lead_id, "contacted")
    await lead_svc.change_stage(uow, services, actor, lead_id, "qualified")
    await lead_svc.analyze(uow, services, actor, lead_id)


async def transferred_lead(
    uow: UnitOfWork,
    services: Services,
    actor: Actor,
    *,
    activities: int = 3,
    kind: str = "call",
    **create: Any,
) -> lead_svc.StageResult:
    """A new partner lead (``create`` overrides the create_lead arguments), qualified and transferred."""
    fields = {"source": "partner", "business_domain": "fintech", **create}
    lead = await lead_svc.create_lead(uow, services, actor, **fields)
    await qualify(uow, services, actor, lead.id, activities=activities, kind=kind)
    return await lead_svc.change_stage(uow, services, actor, lead.id, "transferred")
