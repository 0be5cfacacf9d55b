"""Sale use cases: the funnel after a lead is transferred (new → kyc → agreement → paid, or lost)."""

from __future__ import annotations

from core.domain import funnel
from core.domain.clock import utcnow
from core.domain.enums import LostReason, Role, SaleStage
from core.domain.errors import AccessDenied, AccessRule, InvalidValue, Rule, SaleNotFound, StaleState
from core.domain.models import Actor, Sale, SaleStageChange
from core.domain.validation import clean_reason, parse_enum
from core.services import deal_news, webhooks
from core.services.ports import UnitOfWork

SALE_MOVERS = frozenset({Role.ADMIN, Role.TEAM_LEAD})


def may_move_sales(actor: Actor) -> bool:
    """Team leads, admins, API keys and the system (role None) move sales; managers only look."""
    return actor.role is None or actor.role in SALE_MOVERS


async def get_sale(uow: UnitOfWork, actor: Actor, sale_id: int) -> Sale:
    async with uow:
        sale = await uow.sales.get(sale_id)
        if sale is None:
            raise SaleNotFound(sale_id)
        if not actor.sees_all_leads:
            lead = await uow.leads.get(sale.lead_id)
            if lead is None or not actor.may_act_on(lead.owner_id):
                raise SaleNotFound(sale_id)
        return sale


async def sale_for_lead(uow: UnitOfWork, actor: Actor, lead_id: int) -> Sale | None:
    async with uow:
        lead = await uow.leads.get(lead_id)
        if lead is None or not actor.may_act_on(lead.owner_id):
            return None
        return await uow.sales.by_lead(lead_id)


async def sale_history(uow: UnitOfWork, actor: Actor, sale_id: int) -> list[SaleStageChange]:
    await get_sale(uow, actor, sale_id)
    async with uow:
        return await uow.sales.list_stage_changes(sale_id)


async def change_sale_stage(
    uow: UnitOfWork,
    actor: Actor,
    sale_id: int,
    target: str,
    *,
    reason: str | None = None,
    reason_code: str | None = None,
    expected_stage: str | None = None,
) -> Sale:
    """Move the sale one step forward (or to lost). The sale row is locked; history is recorded;
    ``closed_at`` is set when the sale becomes paid or lost."""
    if not may_move_sales(actor):
        raise AccessDenied(AccessRule.SALES_NEED_TEAM_LEAD)
    reason = clean_reason(reason)
    code = parse_enum(LostReason, reason_code, "reason_code") if reason_code is not None else None
    if expected_stage is not None:
        try:
            expected_stage = SaleStage(expected_stage).value
        except ValueError:
            raise InvalidValue(
                "expected_stage", Rule.NOT_ONE_OF, value=expected_stage, allowed=[s.value for s in SaleStage]
            ) from None
    async with uow:
        sale = await uow.sales.get(sale_id, lock=True)
        if sale is None:
            raise SaleNotFound(sale_id)
        if expected_stage is not None and sale.stage.value != expected_stage:
            raise StaleState()
        new = funnel.ensure_sale_transition(sale.stage.value, str(target))
        now = utcnow()
        from_stage = sale.stage.value
        sale = await uow.sales.record_stage_change(
            sale,
            to_stage=new,
            actor=actor.label,
            reason=reason,
            reason_code=code,
            now=now,
            closed_at=now if new in funnel.SALE_FINAL else None,
        )
        if sale.owner_id is None and actor.role == Role.TEAM_LEAD and actor.user_id is not None:
            sale = await uow.sales.update(sale.id, {"owner_id": actor.user_id}, now=now)  # who first works it
        if new in funnel.SALE_FINAL:
            await deal_news.tell_manager_closed(uow, actor, sale, reason=reason, reason_code=code)
        await webhooks.sale_stage_changed(uow, sale, from_stage, actor.label, now)
        await uow.commit()
    return sale
