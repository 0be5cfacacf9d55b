"""Domain errors: which rule refused what, as data (which field, which rule, which values).

There is no wording here. The interfaces say them: ``api/words.py`` in English for the REST API and the
CLI, ``bot/render/errors.py`` in the reader's language. ``str(err)`` is a short summary for developers and
logs, e.g. ``InvalidTransition(current='new', target='qualified')`` or ``name: too_long (maximum=200, length=250)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class DomainError(Exception):
    """Base class: a rule of the CRM refused the operation. Subclasses keep their facts as attributes."""

    code = "domain_error"

    def __str__(self) -> str:
        if self.args:  # a subclass (or a caller) that passed its own text
            return str(self.args[0])
        facts = ", ".join(f"{name}={value!r}" for name, value in vars(self).items() if not name.startswith("_"))
        return f"{type(self).__name__}({facts})"

    @property
    def message(self) -> str:
        """``str(err)``: the developer's summary, not a text for users (see the module docstring)."""
        return str(self)


class NotFound(DomainError):
    code = "not_found"


class LeadNotFound(NotFound):
    def __init__(self, lead_id: int) -> None:
        super().__init__()
        self.lead_id = lead_id


class SaleNotFound(NotFound):
    def __init__(self, sale_id: int) -> None:
        super().__init__()
        self.sale_id = sale_id


class UserNotFound(NotFound):
    def __init__(self, user_id: int) -> None:
        super().__init__()
        self.user_id = user_id


class VersionNotFound(NotFound):
    def __init__(self, version_id: int) -> None:
        super().__init__()
        self.version_id = version_id


class ApiKeyNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class InvalidTransition(DomainError):
    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        super().__init__()
        self.current = current
        self.target = target


class TransferBlock(StrEnum):
    NO_SCORE = "no_score"
    LOW_SCORE = "low_score"
    NO_DOMAIN = "no_domain"


class TransferNotAllowed(DomainError):
    """Transfer to sales needs ai_score >= threshold and a known business domain; ``blocks`` says which
    of the two is missing (both can be)."""

    code = "transfer_not_allowed"

    def __init__(self, blocks: list[TransferBlock], score: float | None, threshold: float) -> None:
        super().__init__()
        self.blocks = blocks
        self.score = score
        self.threshold = threshold


class LeadIsFinal(DomainError):
    code = "lead_is_final"

    def __init__(self, lead_id: int, stage: str) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.stage = stage


class Rule(StrEnum):
    """Which input rule a value broke (``InvalidValue.rule``), and which of its values say more."""

    REQUIRED = "required"  # empty
    TOO_LONG = "too_long"  # maximum (characters), length (given, when known), key (inside attributes)
    TOO_SHORT = "too_short"  # minimum (characters)
    OUT_OF_RANGE = "out_of_range"  # minimum, maximum
    NOT_ONE_OF = "not_one_of"  # value, allowed
    NOT_IN_CATALOGUE = "not_in_catalogue"  # value, allowed (the configured business domains)
    NOT_A_NUMBER = "not_a_number"
    BAD_FORMAT = "bad_format"  # the field's own format: a contact, an API key name (minimum, maximum)
    UNKNOWN_FIELDS = "unknown_fields"  # ``field`` names the fields this operation does not change
    LOOKS_LIKE_COMMAND = "looks_like_command"  # the bot asked for text and got "/something"
    NOT_AN_OBJECT = "not_an_object"  # attributes: not key -> value
    TOO_MANY_KEYS = "too_many_keys"  # maximum
    BAD_KEY = "bad_key"  # minimum, maximum (characters of an attribute key)
    NOT_A_SCALAR = "not_a_scalar"  # key: an attribute value that is not text, a number or a boolean
    TAKEN = "taken"  # value: a name that must be unique
    CONTROL_CHARACTERS = "control_characters"  # NUL (U+0000), which PostgreSQL cannot store; key (attributes)
    IN_THE_PAST = "in_the_past"  # a due time that has already passed
    TIMEZONE = "timezone"  # value: not an IANA time zone name
    NOT_ASSIGNABLE = "not_assignable"  # value: a user id that is not an active manager or team lead
    NEEDS_AMOUNT = "needs_amount"  # a deal's currency sent without an amount (none sent, none set)


class InvalidValue(DomainError):
    code = "invalid_value"

    def __init__(
        self,
        field: str,
        rule: Rule,
        *,
        value: Any = None,
        allowed: Sequence[str] = (),
        minimum: float | None = None,
        maximum: float | None = None,
        length: int | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__()
        self.field = field
        self.rule = rule
        self.value = value
        self.allowed = tuple(allowed)
        self.minimum = minimum
        self.maximum = maximum
        self.length = length
        self.key = key

    def __str__(self) -> str:
        details = {
            "key": self.key,
            "value": self.value,
            "allowed": self.allowed or None,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "length": self.length,
        }
        facts = ", ".join(f"{name}={value!r}" for name, value in details.items() if value is not None)
        return f"{self.field}: {self.rule}" + (f" ({facts})" if facts else "")


class ApiKeyNameTaken(InvalidValue):
    """An API key with this name exists (``revoked``: a revoked key keeps its name for the record)."""

    def __init__(self, name: str, *, revoked: bool) -> None:
        super().__init__("name", Rule.TAKEN, value=name)
        self.revoked = revoked


class AccessRule(StrEnum):
    """Which permission the actor lacks (``AccessDenied.rule``)."""

    NOT_YOUR_LEAD = "not_your_lead"
    ADMIN_ONLY = "admin_only"
    TEAM_LEAD_INVITES_MANAGERS = "team_lead_invites_managers"
    INVITES_NEED_TEAM_LEAD = "invites_need_team_lead"  # an admin or a team lead invites
    INVITES_NEED_PERSON = "invites_need_person"  # an API key or the system cannot invite
    NOT_YOURSELF = "not_yourself"  # one's own role or deactivation
    SALES_NEED_TEAM_LEAD = "sales_need_team_lead"  # team leads and admins move sales
    ASSIGN_NEEDS_TEAM_LEAD = "assign_needs_team_lead"  # team leads and admins (and API keys) assign leads
    MERGE_NEEDS_TEAM_LEAD = "merge_needs_team_lead"  # team leads and admins (and API keys) merge leads
    NOT_YOUR_ACTIVITY = "not_your_activity"  # a comment goes on one's own activity (team leads: any)
    EXPORT_NEEDS_TEAM_LEAD = "export_needs_team_lead"  # team leads and admins (and API keys) export leads


class AccessDenied(DomainError):
    code = "access_denied"

    def __init__(self, rule: AccessRule = AccessRule.NOT_YOUR_LEAD) -> None:
        super().__init__()
        self.rule = rule


class StaleState(DomainError):
    """The caller acted on an outdated view (an old card, a double press)."""

    code = "stale"


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class InvalidInvite(DomainError):
    """An invite code that does not exist, was already used, or has expired."""

    code = "invalid_invite"

    def __init__(self, problem: InviteProblem) -> None:
        super().__init__()
        self.problem = problem


class DuplicateLead(DomainError):
    """A new lead's contact (``kind``, ``normal``) is already a contact of lead ``lead_id``; the caller may
    create it anyway (``allow_duplicate``). ``adding_to``: the lead the contact was being added to (None:
    a new lead)."""

    code = "duplicate_lead"

    def __init__(self, lead_id: int, kind: str, normal: str, *, adding_to: int | None = None) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.kind = kind
        self.normal = normal
        self.adding_to = adding_to


class LeadMerged(DomainError):
    """Lead ``lead_id`` was merged into lead ``merged_into`` (a tombstone): open that one instead."""

    code = "lead_merged"

    def __init__(self, lead_id: int, merged_into: int) -> None:
        super().__init__()
        self.lead_id = lead_id
        self.merged_into = merged_into


class MergeBlock(StrEnum):
    """Why a merge was refused (``MergeRefused.block``)."""

    SAME_LEAD = "same_lead"  # a lead cannot be merged into itself
    ALREADY_MERGED = "already_merged"  # the lead to merge away was merged already (``merged_into``)
    TRANSFERRED = "transferred"  # the lead to merge away was transferred: it has a deal


class MergeRefused(DomainError):
    """Lead ``merge_lead_id`` cannot be merged into lead ``lead_id``, for the reason ``block``."""

    code = "merge_refused"

    def __init__(self, block: MergeBlock, lead_id: int, merge_lead_id: int, *, merged_into: int | None = None) -> None:
        super().__init__()
        self.block = block
        self.lead_id = lead_id
        self.merge_lead_id = merge_lead_id
        self.merged_into = merged_into


class RequestInProgress(StaleState):
    """A request with the same Idempotency-Key was taken but its answer is not stored yet (still running, or
    its process stopped between creating and answering): nothing was created twice; retry later."""

    code = "request_in_progress"


class WebhookNotFound(NotFound):
    def __init__(self, hook_id: int) -> None:
        super().__init__()
        self.hook_id = hook_id


class SourceNotAllowed(AccessDenied):
    """An API key scoped to ``allowed`` was used to create a lead of another ``source``."""

    code = "source_not_allowed"

    def __init__(self, allowed: str, source: str) -> None:
        super().__init__(AccessRule.ADMIN_ONLY)
        self.allowed = allowed
        self.source = source


class IdempotencyKeyReused(DomainError):
    """An Idempotency-Key sent again with a body other than the first request's (nothing is replayed)."""

    code = "idempotency_key_reused"
