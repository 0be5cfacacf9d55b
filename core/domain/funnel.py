"""The lead and sale funnels, exactly as the original service defined them.

Only one step forward; ``lost`` from any non-final stage; final stages are frozen;
an unknown or identical stage is an invalid transition.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from core.domain.enums import ActivityKind, ActivityOutcome, SaleStage, Stage
from core.domain.errors import InvalidTransition, TransferBlock, TransferNotAllowed

LEAD_FORWARD: dict[Stage, Stage] = {
    Stage.NEW: Stage.CONTACTED,
    Stage.CONTACTED: Stage.QUALIFIED,
    Stage.QUALIFIED: Stage.TRANSFERRED,
}
LEAD_FINAL = frozenset({Stage.TRANSFERRED, Stage.LOST})
OPEN_STAGES = (Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED)  # the stages a lead is still worked in

SALE_FORWARD: dict[SaleStage, SaleStage] = {
    SaleStage.NEW: SaleStage.KYC,
    SaleStage.KYC: SaleStage.AGREEMENT,
    SaleStage.AGREEMENT: SaleStage.PAID,
}
SALE_FINAL = frozenset({SaleStage.PAID, SaleStage.LOST})

DEFAULT_TRANSFER_THRESHOLD = 0.6

E = TypeVar("E", bound=StrEnum)


def _one_step(
    enum: type[E],
    forward: Mapping[E, E],
    final: frozenset[E],
    lost: E,
    current: str,
    target: str,
) -> bool:
    """The rule both funnels share: one step forward, or lost from any non-final stage."""
    try:
        cur, tgt = enum(current), enum(target)
    except ValueError:
        return False
    if cur in final or cur == tgt:
        return False
    return tgt == lost or forward.get(cur) == tgt


def is_valid_stage_transition(current: str, target: str) -> bool:
    """The original ``lead_service.is_valid_stage_transition``."""
    return _one_step(Stage, LEAD_FORWARD, LEAD_FINAL, Stage.LOST, current, target)


def ensure_transition(current: str, target: str) -> Stage:
    if not is_valid_stage_transition(current, target):
        raise InvalidTransition(current, target)
    return Stage(target)


def next_stage(current: Stage) -> Stage | None:
    return LEAD_FORWARD.get(current)


def is_final(stage: Stage) -> bool:
    return stage in LEAD_FINAL


def transfer_blocks(
    ai_score: float | None, business_domain: str | None, threshold: float = DEFAULT_TRANSFER_THRESHOLD
) -> list[TransferBlock]:
    blocks: list[TransferBlock] = []
    if ai_score is None:
        blocks.append(TransferBlock.NO_SCORE)
    elif ai_score < threshold:
        blocks.append(TransferBlock.LOW_SCORE)
    if not business_domain:
        blocks.append(TransferBlock.NO_DOMAIN)
    return blocks


def ensure_transfer_allowed(
    ai_score: float | None, business_domain: str | None, threshold: float = DEFAULT_TRANSFER_THRESHOLD
) -> None:
    blocks = transfer_blocks(ai_score, business_domain, threshold)
    if blocks:
        raise TransferNotAllowed(blocks, ai_score, threshold)


def is_valid_sale_transition(current: str, target: str) -> bool:
    return _one_step(SaleStage, SALE_FORWARD, SALE_FINAL, SaleStage.LOST, current, target)


def ensure_sale_transition(current: str, target: str) -> SaleStage:
    if not is_valid_sale_transition(current, target):
        raise InvalidTransition(current, target)
    return SaleStage(target)


# The outcomes each activity kind may have (a kind not here has none). The database checks the same pairs.
OUTCOMES: dict[ActivityKind, tuple[ActivityOutcome, ...]] = {
    ActivityKind.CALL: (ActivityOutcome.REACHED, ActivityOutcome.NO_ANSWER, ActivityOutcome.CALL_BACK),
    ActivityKind.MEETING: (ActivityOutcome.HELD, ActivityOutcome.CANCELLED),
}


def outcomes_of(kind: ActivityKind) -> tuple[ActivityOutcome, ...]:
    return OUTCOMES.get(kind, ())
