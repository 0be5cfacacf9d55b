"""What a good CSV row becomes (``ImportedLead``) and what storing a batch of them counts (``UpsertCounts``).
The port itself is ``core.services.ports.ImportsRepository``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.enums import Outcome, Source, Stage

AttributeValue = str | float | None

# An imported closed lead lands where a real one ends: won -> transferred (with a paid sale), lost -> lost.
STAGE_BY_OUTCOME = {Outcome.WON: Stage.TRANSFERRED, Outcome.LOST: Stage.LOST, Outcome.OPEN: Stage.NEW}


@dataclass(frozen=True, slots=True)
class ImportedLead:
    """One good row of the file, cleaned and typed; ``line`` is its line number in the CSV."""

    line: int
    external_id: str
    name: str | None
    contact: str | None
    source: Source
    outcome: Outcome
    business_domain: str | None
    attributes: dict[str, AttributeValue]
    activity_counts: dict[str, int]  # activity kind -> count
    created_at: datetime | None
    first_contact_at: datetime | None
    last_activity_at: datetime | None
    closed_at: datetime | None
    lost_reason: str | None  # set only when the outcome is lost

    @property
    def stage(self) -> Stage:
        return STAGE_BY_OUTCOME[self.outcome]


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int
    new_open_ids: tuple[int, ...] = ()  # the inserted leads that are open and have no owner (to be assigned)
