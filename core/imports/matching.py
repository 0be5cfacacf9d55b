"""Which stored lead a row of the file is (the duplicate guard of the import), decided from what the batch's one
lookup found (``LeadHit``) and from the rows of the same file seen before.

In order, for each row (lines in file order):

1. **External id**: a stored lead has the row's external id -> the row updates it (as every re-import does).
2. **Same contact earlier in the file**: one of the row's contacts (normal form) belongs to an earlier row of
   the same file that was stored -> a conflict (``SAME_CONTACT_IN_FILE``, with that line). The earlier row
   created or matched that lead and gave it its own external id, so the later row, with another external id,
   would be a lead with two external ids: it is reported, not guessed.
3. **Contact**: the row's contacts belong to stored leads -> one lead without an external id is the match
   (it gets the row's external id, its empty fields filled, the new contacts); a lead with another external
   id is a conflict (``OTHER_EXTERNAL_ID``), two or more leads are a conflict (``SEVERAL_LEADS``).
4. Otherwise the row creates a lead.

Conflicting rows are skipped and reported with their line, the contact and the lead ids; their contacts do
not count as "earlier in the file". Plain Python: the lookups are one SQL query per batch each
(``core.storage.bulk``), and the file's earlier rows are remembered by the database, not here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from core.imports.records import ImportedLead, LeadHit


class ConflictReason(StrEnum):
    OTHER_EXTERNAL_ID = "other_external_id"  # the lead found by contact has another external id
    SEVERAL_LEADS = "several_leads"  # the row's contacts belong to two or more leads
    SAME_CONTACT_IN_FILE = "same_contact_in_file"  # an earlier row of the file has this contact (other_line)


@dataclass(frozen=True)
class ContactMatch:
    """A row that updated an existing lead found by contact (``value``: the contact as the file typed it)."""

    line: int
    external_id: str
    value: str
    lead_id: int


@dataclass(frozen=True)
class Conflict:
    """A row skipped because its contact points at a lead it cannot safely be (``cli.reports.conflict``)."""

    line: int
    external_id: str
    reason: ConflictReason
    value: str  # the contact as typed in this row
    lead_ids: tuple[int, ...] = ()
    lead_external_id: str | None = None  # OTHER_EXTERNAL_ID: the one the lead has
    other_line: int | None = None  # SAME_CONTACT_IN_FILE


@dataclass
class BatchPlan:
    """What to do with a batch: the rows to store (``matched``: line -> lead found by contact), the conflicts."""

    rows: list[ImportedLead] = field(default_factory=list)
    matched: dict[int, int] = field(default_factory=dict)
    matches: list[ContactMatch] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


class Matcher:
    """One batch's decisions. What the file's earlier batches stored is not kept here (that would grow with
    the file) but passed in: ``earlier``, the normal forms those batches' stored rows had, with the line of each
    (``uow.imports.seen_in_file``). A lead found by contact in an earlier batch already carries that row's
    external id in the database, so the lookup itself says it is taken."""

    def __init__(self, earlier: Mapping[tuple[str, str], int] | None = None) -> None:
        self.first_line: dict[tuple[str, str], int] = dict(earlier or {})
        self.claimed: dict[int, str] = {}  # lead found by contact in this batch -> the external id it got

    def plan(self, batch: Sequence[ImportedLead], hits: Sequence[LeadHit]) -> BatchPlan:
        by_ext = {h.line for h in hits if h.by_external_id}
        by_contact: dict[int, list[LeadHit]] = {}
        for h in hits:
            if not h.by_external_id:
                by_contact.setdefault(h.line, []).append(h)
        plan = BatchPlan()
        for lead in sorted(batch, key=lambda lead: lead.line):
            conflict = None if lead.line in by_ext else self._conflict(lead, by_contact.get(lead.line, []), plan)
            if conflict is not None:
                plan.conflicts.append(conflict)
                continue
            plan.rows.append(lead)
            for c in lead.contacts:
                self.first_line.setdefault((c.kind.value, c.normal), lead.line)
        return plan

    def _conflict(self, lead: ImportedLead, hits: list[LeadHit], plan: BatchPlan) -> Conflict | None:
        for c in lead.contacts:
            earlier = self.first_line.get((c.kind.value, c.normal))
            if earlier is not None:
                return Conflict(
                    lead.line, lead.external_id, ConflictReason.SAME_CONTACT_IN_FILE, c.value, other_line=earlier
                )
        if not hits:
            return None
        typed = {c.normal: c.value for c in lead.contacts}
        value = typed.get(hits[0].normal or "", "")
        leads = {h.lead_id: h for h in hits}
        if len(leads) > 1:
            return Conflict(lead.line, lead.external_id, ConflictReason.SEVERAL_LEADS, value, tuple(sorted(leads)))
        (hit,) = leads.values()
        external_id = hit.external_id or self.claimed.get(hit.lead_id)  # an earlier row may have matched it
        if external_id is not None:
            return Conflict(
                lead.line,
                lead.external_id,
                ConflictReason.OTHER_EXTERNAL_ID,
                value,
                (hit.lead_id,),
                lead_external_id=external_id,
            )
        self.claimed[hit.lead_id] = lead.external_id
        plan.matched[lead.line] = hit.lead_id
        plan.matches.append(ContactMatch(lead.line, lead.external_id, value, hit.lead_id))
        return None
