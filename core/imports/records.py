"""What a good CSV row becomes (``ImportedLead``), what the stored leads say about a batch's rows
(``LeadHit``: same external id or same contact) and what storing a batch counts (``UpsertCounts``).
The port itself is ``core.services.ports.ImportsRepository``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.contacts import Contact
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
    contacts: tuple[Contact, ...] = ()  # the row's contacts that have a normal form, one per normal form

    @property
    def stage(self) -> Stage:
        return STAGE_BY_OUTCOME[self.outcome]


@dataclass(frozen=True, slots=True)
class LeadHit:
    """A stored lead that a row of the batch points at: by the same external id (``normal`` None) or by one of
    the row's contacts (``normal``: the contact's normal form)."""

    line: int
    lead_id: int
    external_id: str | None  # the stored lead's
    normal: str | None = None

    @property
    def by_external_id(self) -> bool:
        return self.normal is None


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int
    updated: int  # by external id
    matched: int = 0  # existing leads found by contact: external id attached, empty fields filled
    new_open_ids: tuple[int, ...] = ()  # the inserted leads that are open and have no owner (to be assigned)
