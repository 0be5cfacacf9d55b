"""The product's wiring: the services' policy from the settings and the scorer provider it runs with."""

from __future__ import annotations

from datetime import timedelta

from core.config import Settings
from core.scoring.provider import LearnedOrRules
from core.services.context import Policy, Services


def make_services(settings: Settings) -> Services:
    """Settings-based policy and the learned scorer (rules-v1 until a model is active)."""
    scorers = LearnedOrRules(
        transfer_threshold=settings.transfer_threshold, drop_min_age=timedelta(days=settings.drop_min_age_days)
    )
    from core.metrics import observe_scoring

    return Services(policy=Policy.from_settings(settings), scorers=scorers, observe_scoring=observe_scoring)
