"""/model's "what the gate means on your data", counted by SQL on real PostgreSQL: the share of scored open
leads at or above the gate, and the win rate of closed leads scored at or above it (each test rolled back)."""

from __future__ import annotations

from core.services import leads as lead_svc
from core.services import sales as sales_svc
from core.services import training
from tests.journeys import transferred_lead


async def test_the_gate_counts_open_leads_passing_and_past_leads_won_above_it(uow, services, system) -> None:
    won = await transferred_lead(uow, services, system, name="Won")  # partner + fintech + 3 calls: 0.9+
    assert won.sale is not None
    await sales_svc.change_sale_stage(uow, system, won.sale.id, "kyc")
    await sales_svc.change_sale_stage(uow, system, won.sale.id, "agreement")
    await sales_svc.change_sale_stage(uow, system, won.sale.id, "paid")
    lost_deal = await transferred_lead(uow, services, system, name="Lost deal")
    assert lost_deal.sale is not None
    await sales_svc.change_sale_stage(uow, system, lost_deal.sale.id, "lost", reason="no budget")
    passing = await lead_svc.create_lead(uow, services, system, source="partner", business_domain="fintech")
    await lead_svc.analyze(uow, services, system, passing.id)  # 0.7 + 0 (no activity: -0.2) + 0.1: 0.6
    low = await lead_svc.create_lead(uow, services, system, source="manual")
    await lead_svc.analyze(uow, services, system, low.id)  # 0.4 - 0.2, no domain: 0.2
    await lead_svc.create_lead(uow, services, system, source="scanner")  # never scored: not counted

    info = await training.active_model_info(uow, transfer_threshold=0.6)
    assert info.gate is not None
    assert (info.gate.open_scored, info.gate.open_passing) == (2, 1)
    assert (info.gate.closed_above, info.gate.won_above) == (2, 1)
    assert (await training.active_model_info(uow)).gate is None  # the CLI's /model without a gate
