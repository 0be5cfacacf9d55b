"""The outcome of a lead, derived from its stage and its sale."""

from __future__ import annotations

from core.domain.enums import Outcome, SaleStage, Stage


def lead_outcome(stage: Stage | str, sale_stage: SaleStage | str | None) -> Outcome:
    """Won when the sale is paid; lost when the lead or its sale is lost; open otherwise."""
    if sale_stage is not None and SaleStage(sale_stage) == SaleStage.PAID:
        return Outcome.WON
    if Stage(stage) == Stage.LOST or (sale_stage is not None and SaleStage(sale_stage) == SaleStage.LOST):
        return Outcome.LOST
    return Outcome.OPEN
