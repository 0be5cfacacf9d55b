"""What services need besides the unit of work: the policy (settings) and the scorer provider.

The contracts only; ``core.wiring.make_services`` builds the product's ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from core.config import Settings
from core.domain.enums import AssignmentRule, Stage
from core.domain.funnel import DEFAULT_TRANSFER_THRESHOLD
from core.domain.models import Lead
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


DEFAULT_STALE_DAYS = {Stage.NEW: 1, Stage.CONTACTED: 3, Stage.QUALIFIED: 5}


@dataclass(frozen=True)
class Policy:
    domains: frozenset[str]
    transfer_threshold: float = DEFAULT_TRANSFER_THRESHOLD
    default_timezone: str = "Europe/Moscow"
    assignment_rule: AssignmentRule = AssignmentRule.ROUND_ROBIN  # until an admin sets one (team_settings)
    first_contact_sla: timedelta = timedelta(minutes=60)
    stale_days: dict[Stage, int] = field(default_factory=lambda: dict(DEFAULT_STALE_DAYS))
    digest_hour: int = 9
    weekly_summary_weekday: int | None = 1  # ISO weekday of the team leads' weekly summary; None: off
    weekly_summary_hour: int = 9  # its local hour in ``default_timezone``
    phone_region: str = "RU"  # phones typed without +country code (DEFAULT_PHONE_REGION)
    default_currency: str = "RUB"
    retrain_hour: int | None = 3  # local hour (``default_timezone``) of the nightly retraining; None: off
    retrain_after_closed: int = 200  # retrain once this many leads closed since the last trained version; 0: off

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            domains=settings.domain_set,
            transfer_threshold=settings.transfer_threshold,
            default_timezone=settings.default_timezone,
            assignment_rule=AssignmentRule(settings.assignment_rule),
            first_contact_sla=timedelta(minutes=settings.first_contact_sla_minutes),
            stale_days={
                Stage.NEW: settings.stale_days_new,
                Stage.CONTACTED: settings.stale_days_contacted,
                Stage.QUALIFIED: settings.stale_days_qualified,
            },
            digest_hour=settings.digest_hour,
            weekly_summary_weekday=settings.weekly_summary_weekday,
            weekly_summary_hour=settings.weekly_summary_hour,
            phone_region=settings.default_phone_region,
            default_currency=settings.default_currency,
            retrain_hour=settings.retrain_hour,
            retrain_after_closed=settings.retrain_after_closed,
        )

    def is_stale(self, lead: Lead, now: datetime) -> bool:
        """No activity for the stage's days since the lead entered it (and not snoozed): flagged as stalled."""
        days = self.stale_days.get(lead.stage)
        touched = lead.last_touched_at
        if days is None or touched is None:  # final stages never stall
            return False
        if lead.stale_snoozed_until is not None and lead.stale_snoozed_until > now:
            return False
        return now - touched >= timedelta(days=days)


@dataclass
class Services:
    """Everything a use case needs, injected once into the API app and the bot dispatcher."""

    policy: Policy
    scorers: ScorerProvider = field(default_factory=RulesOnly)
    # told (scorer version, seconds) after each lead is scored: the edges record it (core.metrics)
    observe_scoring: Callable[[str, float], None] | None = None
