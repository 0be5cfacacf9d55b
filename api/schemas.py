"""Request and response models of the REST API.

Requests forbid unknown fields and carry the size limits of the domain, so bad input is refused
with a 422 before any service runs. Responses mirror the domain read models.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from core.domain.contacts import CONTACTS_MAX, ContactKind
from core.domain.enums import ActivityKind, ActivityOutcome, LostReason, Recommendation, Source, Stage, StepKind
from core.domain.ids import BIGINT_MAX, BIGINT_MIN
from core.domain.models import ACTIVITY_TEXT_MAX, CONTACT_MAX, NAME_MAX, REASON_MAX

DOMAIN_MAX = 100
STAGE_MAX = 50


def _storable(value: Any, path: str = "value") -> Any:
    """Refuse what PostgreSQL cannot store and JSON can carry: lone surrogates, NaN/Infinity. (NUL is refused
    by the domain's rules, ``core.domain.validation``, for the bot and the importer as well.)"""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{path}: invalid Unicode (lone surrogate)") from None
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path}: numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key, path)
            _storable(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            _storable(item, path)
    return value


Name = Annotated[str, Field(max_length=NAME_MAX), AfterValidator(_storable)]
Contact = Annotated[str, Field(max_length=CONTACT_MAX), AfterValidator(_storable)]
Domain = Annotated[str, Field(max_length=DOMAIN_MAX), AfterValidator(_storable)]
Text = Annotated[str, Field(max_length=ACTIVITY_TEXT_MAX), AfterValidator(_storable)]
Reason = Annotated[str, Field(max_length=REASON_MAX), AfterValidator(_storable)]
StageName = Annotated[str, Field(max_length=STAGE_MAX), AfterValidator(_storable)]


Attributes = Annotated[dict[str, Any], AfterValidator(lambda v: _storable(v, "attributes"))]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactIn(_Request):
    kind: ContactKind | None = Field(None, description="Omitted: told from the value (+phone, e-mail, @username)")
    value: Contact = Field(description="As typed: shown as is, compared in its normal form")


Contacts = Annotated[
    list[ContactIn],
    Field(max_length=CONTACTS_MAX, description="Every contact; the first is primary when `contact` is not sent"),
]


class LeadCreate(_Request):
    source: Source | None = Field(
        None, description="Required, unless the API key is scoped to a source (then it is that one, or omitted)"
    )
    business_domain: Domain | None = None
    name: Name | None = None
    contact: Contact | None = None
    attributes: Attributes | None = None
    owner_id: int | None = Field(
        None, description="An active manager or team lead; omitted: assigned by the team's rule (or queued)"
    )
    company: Name | None = None
    contacts: Contacts | None = None
    allow_duplicate: bool = Field(
        False, description="Create even when another lead has one of these contacts (else 409 with its id)"
    )


class LeadUpdate(_Request):
    """Only the keys sent are changed; ``null`` clears a field (``owner_id: null``: back to the queue)."""

    name: Name | None = None
    contact: Contact | None = None
    business_domain: Domain | None = None
    attributes: Attributes | None = None
    owner_id: int | None = Field(None, description="Reassign to an active manager or team lead (recorded)")
    company: Name | None = None
    contacts: Contacts | None = Field(None, description="Replaces every contact (`contact` alone: the primary one)")
    allow_duplicate: bool = Field(
        False, description="Keep a contact new to this lead even when another lead has it (else 409 with its id)"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> LeadUpdate:
        if not self.model_fields_set - {"allow_duplicate"}:
            raise ValueError(
                "send at least one of: name, contact, business_domain, attributes, owner_id, company, contacts"
            )
        return self


class StageUpdate(_Request):
    # A plain string on purpose: an unknown stage is an invalid transition (400), as in the original service.
    stage: StageName
    reason: Reason | None = None
    reason_code: LostReason | None = Field(None, description="A preset lost reason; `reason` adds free text")


class ActivityCreate(_Request):
    kind: ActivityKind
    text: Text | None = Field(None, description="The note, or a comment on the call / meeting")
    outcome: ActivityOutcome | None = Field(
        None, description="How it went: a call reached / no_answer / call_back, a meeting held / cancelled"
    )


class _Response(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class NextStepOut(_Response):
    kind: StepKind
    due_at: datetime
    note: str | None


class ContactOut(_Response):
    kind: ContactKind
    value: str = Field(description="As typed")
    normal: str = Field(description="Compared: E.164 phone, lower-cased e-mail, username without @")


class LeadOut(_Response):
    id: int
    source: Source
    stage: Stage
    business_domain: str | None
    activity_count: int
    ai_score: float | None
    ai_recommendation: Recommendation | None
    ai_reason: str | None
    created_at: datetime | None
    # Added by this service
    name: str | None
    contact: str | None
    attributes: dict[str, Any]
    activity_counts: dict[str, int]
    ai_reason_ru: str | None
    ai_scored_at: datetime | None
    scorer_version: str | None
    owner_id: int | None
    owner_name: str | None
    lost_reason: str | None = Field(description="The free text of the lost reason (null for a preset alone)")
    lost_reason_code: LostReason | None = Field(description="The preset lost reason, if one was chosen")
    updated_at: datetime | None
    first_contact_at: datetime | None
    last_activity_at: datetime | None
    version: int
    next_step: NextStepOut | None = Field(None, description="The lead's one follow-up (read-only here), or null")
    stale: bool = Field(False, description="No activity for the stage's days (and not snoozed): flagged as stalled")
    company: str | None = None
    contacts: list[ContactOut] = Field(default_factory=list, description="Every contact, `contact` among them")


class LeadPageOut(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last page")


class ActivityOut(_Response):
    id: int
    lead_id: int
    kind: ActivityKind
    text: str | None
    author: str
    created_at: datetime
    outcome: ActivityOutcome | None = None


class ActivityListOut(BaseModel):
    items: list[ActivityOut]


class StageChangeOut(_Response):
    id: int
    lead_id: int
    from_stage: Stage
    to_stage: Stage
    actor: str
    reason: str | None
    reason_code: LostReason | None
    created_at: datetime


class LeadEventOut(_Response):
    """A history entry besides stage changes: ``kind`` assigned (data: from_id, to_id, from_name, to_name,
    rule — null when by hand), next_step_set / next_step_done / next_step_cleared, stale_snoozed, sla_escalated."""

    id: int
    lead_id: int
    kind: str
    actor: str
    data: dict[str, Any]
    created_at: datetime


class StageChangeListOut(BaseModel):
    items: list[StageChangeOut]
    events: list[LeadEventOut] = Field(
        default_factory=list, description="Assignments and other lead events, newest first (added in 0.10)"
    )


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    """``status`` "ready" or "unavailable"; ``checks``: database ok|unavailable, schema ok|not_migrated|unknown,
    outbox ok|stuck|off|unknown, redis ok|unavailable|not_configured; ``outbox_wait_seconds``: how long the
    longest-waiting due notification has waited (null: none waits)."""

    status: str
    checks: dict[str, str]
    outbox_wait_seconds: float | None = None


class ErrorOut(BaseModel):
    """Every error body."""

    detail: str = Field(description="What went wrong, in one sentence")


class MergedOut(ErrorOut):
    """A 410 of every ``/leads/{id}...`` route: the lead was merged into another (open that one)."""

    merged_into: int = Field(description="The lead it was merged into")


class MergeIn(_Request):
    merge_lead_id: int = Field(
        ge=BIGINT_MIN, le=BIGINT_MAX, description="The lead merged into this one (it is closed as merged for good)"
    )
    expected_version: int | None = Field(
        None, ge=-(2**31), le=2**31 - 1, description="This lead's version as last read (else 409)"
    )
    merge_lead_version: int | None = Field(
        None, ge=-(2**31), le=2**31 - 1, description="The other lead's version as last read (else 409)"
    )


class DuplicateOut(ErrorOut):
    """A 409 of ``POST /leads`` and ``PATCH /leads/{id}``: another lead already has one of the contacts."""

    existing_lead_id: int = Field(description="The lead that has the contact; resend with allow_duplicate to create")
    kind: ContactKind
    normal: str = Field(description="The contact both share, in its normal form")


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where: e.g. ['body', 'name'] or ['query', 'limit']")
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """A 422: ``detail`` names each field and its problem; ``errors`` lists them when the request itself did
    not validate (schemas, path and query parameters), and is absent when a domain rule refused a value."""

    detail: str = Field(description="Each invalid field and what is wrong with it, '; '-separated")
    errors: list[FieldError] | None = Field(default=None, description="One entry per problem (request validation)")


def error_responses(*codes: int, not_found: str | None = None) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of a route (the bodies ``api/errors.py`` writes)."""
    words = {
        400: "A funnel rule refused the change",
        401: "API key missing, wrong or revoked",
        403: "Not allowed",
        404: not_found or "Not found",
        409: "Stale: the lead changed since it was read",
        413: "Request body too large",
        429: "Too many wrong API keys from this address (see Retry-After)",
        503: "Database unavailable, busy or not migrated",
    }
    responses: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorOut, "description": words[code]} for code in codes
    }
    responses[422] = {"model": ValidationErrorOut, "description": "Invalid input: the fields are named"}
    return responses
