"""What a scorer is told about a lead: a lead (the domain Lead, or anything with the same fields, such as
a stored row) mapped to ScoringInput."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from core.scoring.base import ScoringInput


class LeadFacts(Protocol):
    """The fields of a lead the scorers read (``Lead`` has them; so does the storage row)."""

    @property
    def source(self) -> Any: ...  # a Source, or its value
    @property
    def stage(self) -> Any: ...  # a Stage, or its value
    @property
    def activity_count(self) -> int: ...
    @property
    def business_domain(self) -> str | None: ...
    @property
    def attributes(self) -> Mapping[str, Any] | None: ...
    @property
    def activity_counts(self) -> Mapping[str, int] | None: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def first_contact_at(self) -> datetime | None: ...
    @property
    def last_activity_at(self) -> datetime | None: ...


def _value(item: Any) -> str:
    return str(item.value if hasattr(item, "value") else item)


def scoring_input(lead: LeadFacts, now: datetime | None = None) -> ScoringInput:
    """The lead as a scorer sees it at ``now`` (default: the current time)."""
    return ScoringInput(
        source=_value(lead.source),
        stage=_value(lead.stage),
        activity_count=lead.activity_count,
        business_domain=lead.business_domain,
        attributes=dict(lead.attributes or {}),
        activity_counts=dict(lead.activity_counts or {}),
        created_at=lead.created_at,
        first_contact_at=lead.first_contact_at,
        last_activity_at=lead.last_activity_at,
        now=now or datetime.now(UTC),
    )
