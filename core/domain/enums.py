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
