"""The Scorer port: anything that turns what we know about a lead into a score."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from core.domain.enums import Recommendation


@dataclass(frozen=True, slots=True)
class ScoringInput:
    source: str
    stage: str
    activity_count: int
    business_domain: str | None
    attributes: dict[str, Any] = field(default_factory=dict)
    activity_counts: dict[str, int] = field(default_factory=dict)
    created_at: datetime | None = None
    first_contact_at: datetime | None = None
    last_activity_at: datetime | None = None
    now: datetime | None = None


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: float  # probability of a deal, 0..1
    recommendation: Recommendation
    reason: str  # English
    reason_ru: str
    version: str


@runtime_checkable
class Scorer(Protocol):
    version: str

    def score(self, data: ScoringInput) -> ScoreResult: ...


DEFAULT_DROP_MIN_AGE = timedelta(days=3)  # DROP_MIN_AGE_DAYS: a learned model never says "drop" to a younger lead


def recommend(score: float, domain_known: bool) -> Recommendation:
    """The original recommendation rule, shared by every scorer."""
    if score >= 0.7 and domain_known:
        return Recommendation.TRANSFER_TO_SALES
    if score <= 0.3:
        return Recommendation.DROP_LEAD
    return Recommendation.CONTINUE_QUALIFICATION
