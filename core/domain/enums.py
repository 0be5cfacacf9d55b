"""Closed vocabularies of the CRM. Values are the wire/database spelling."""

from enum import StrEnum


class Source(StrEnum):
    SCANNER = "scanner"
    PARTNER = "partner"
    MANUAL = "manual"


class Stage(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    TRANSFERRED = "transferred"
    LOST = "lost"


class Recommendation(StrEnum):
    TRANSFER_TO_SALES = "transfer_to_sales"
    CONTINUE_QUALIFICATION = "continue_qualification"
    DROP_LEAD = "drop_lead"


class ActivityKind(StrEnum):
    CALL = "call"
    MESSAGE = "message"
    MEETING = "meeting"
    EMAIL = "email"
    NOTE = "note"


class ActivityOutcome(StrEnum):
    """How a call or a meeting went (the other kinds have none)."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    CALL_BACK = "call_back"
    HELD = "held"
    CANCELLED = "cancelled"


class SaleStage(StrEnum):
    NEW = "new"
    KYC = "kyc"
    AGREEMENT = "agreement"
    PAID = "paid"
    LOST = "lost"


class Role(StrEnum):
    ADMIN = "admin"
    TEAM_LEAD = "team_lead"
    MANAGER = "manager"


class LostReason(StrEnum):
    """The preset reasons a lead or a deal is lost (a free text may come with one, or stand alone)."""

    NO_BUDGET = "no_budget"
    NO_RESPONSE = "no_response"
    COMPETITOR = "competitor"
    NOT_A_FIT = "not_a_fit"


class Outcome(StrEnum):
    WON = "won"
    LOST = "lost"
    OPEN = "open"


class StepKind(StrEnum):
    """What a lead's next step is."""

    CALL = "call"
    MESSAGE = "message"
    MEETING = "meeting"
    EMAIL = "email"
    TASK = "task"


class AssignmentRule(StrEnum):
    """How a lead created without an owner gets one (among active managers)."""

    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    MANUAL = "manual"  # left in the queue for a team lead to assign


class LeadEventKind(StrEnum):
    """History entries of a lead besides activities and stage changes (``lead_events.kind``)."""

    ASSIGNED = "assigned"  # data: from_id, to_id, rule ("round_robin"/"least_loaded" or None when by hand)
    NEXT_STEP_SET = "next_step_set"  # data: kind, due_at (ISO), note
    NEXT_STEP_DONE = "next_step_done"  # data: kind, due_at
    NEXT_STEP_CLEARED = "next_step_cleared"  # data: kind, due_at
    NEXT_STEP_SNOOZED = "next_step_snoozed"  # data: kind, due_at (the new time), note
    STALE_SNOOZED = "stale_snoozed"  # data: until (ISO), reason
    SLA_ESCALATED = "sla_escalated"  # data: minutes
    DEAL_EDITED = "deal_edited"  # data: sale_id, changes {field: [before, after]} (JSON values), currency, owner names
    # on the survivor: by_name (who merged, a bot user's name), merged_id, merged_name, activities,
    # stage_changes, events, contacts (how many moved), dropped_next_step (the merged lead's step when the
    # survivor kept its own: kind, due_at, note; else None)
    MERGED = "merged"


class SnoozeReason(StrEnum):
    """The preset reasons a stalled lead is snoozed (a free text may stand alone)."""

    WAITING_REPLY = "waiting_reply"  # the client is to answer
    CALL_LATER = "call_later"  # the client asked to come back later
    LONG_DECISION = "long_decision"  # a long decision cycle
