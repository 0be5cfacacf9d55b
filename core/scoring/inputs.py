"""What a scorer is told about a lead: the domain Lead mapped to ScoringInput (one mapping for scoring and
training, so the two never see a lead differently)."""

from __future__ import annotations

from datetime import datetime

from core.domain.clock import utcnow
from core.domain.models import Lead
from core.scoring.base import ScoringInput


def scoring_input(lead: Lead, now: datetime | None = None) -> ScoringInput:
    """``now``: the moment the lead is described at (a closed lead: its close time)."""
    return ScoringInput(
        source=lead.source.value,
        stage=lead.stage.value,
        activity_count=lead.activity_count,
        business_domain=lead.business_domain,
        attributes=dict(lead.attributes),
        activity_counts=dict(lead.activity_counts),
        created_at=lead.created_at,
        first_contact_at=lead.first_contact_at,
        last_activity_at=lead.last_activity_at,
        now=now or utcnow(),
    )
