"""What services need besides the unit of work: the policy (settings) and the scorer provider.

The contracts only; ``core.wiring.make_services`` builds the product's ones."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from core.config import Settings
from core.domain.funnel import DEFAULT_TRANSFER_THRESHOLD
from core.scoring.base import Scorer
from core.scoring.provider import ModelsUnitOfWork
from core.scoring.rules_v1 import RulesV1Scorer


class ScorerProvider(Protocol):
    """The scorer to use now (the product's: ``core.scoring.provider.LearnedOrRules``)."""

    async def current(self, uow: ModelsUnitOfWork) -> Scorer: ...


class RulesOnly:
    """Always the original hand rule."""

    def __init__(self) -> None:
        self._scorer = RulesV1Scorer()

    async def current(self, uow: ModelsUnitOfWork) -> Scorer:
        return self._scorer


@dataclass(frozen=True)
class Policy:
    domains: frozenset[str]
    transfer_threshold: float = DEFAULT_TRANSFER_THRESHOLD

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            domains=settings.domain_set,
            transfer_threshold=settings.transfer_threshold,
        )


@dataclass
class Services:
    """Everything a use case needs, injected once into the API app and the bot dispatcher."""

    policy: Policy
    scorers: ScorerProvider = field(default_factory=RulesOnly)
