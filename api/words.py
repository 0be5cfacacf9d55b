"""Domain errors in English: the ``detail`` of the REST API's error bodies, and the CLI's ``error:`` lines.

The texts are the REST contract of the original service (e.g. "Invalid stage transition from 'new' to
'qualified'", "Lead not found", "Cannot transfer lead to sales: ..."): change them only on purpose. No
FastAPI here, so the CLI can say the same words.
"""

from __future__ import annotations

from core.domain.errors import (
    AccessDenied,
    AccessRule,
    ApiKeyNameTaken,
    ApiKeyNotFound,
    DomainError,
    DuplicateLead,
    IdempotencyKeyReused,
    InvalidInvite,
    InvalidTransition,
    InvalidValue,
    InviteProblem,
    LeadIsFinal,
    LeadMerged,
    LeadNotFound,
    MergeBlock,
    MergeRefused,
    RequestInProgress,
    Rule,
    SaleNotFound,
    SourceNotAllowed,
    StaleState,
    TransferBlock,
    TransferNotAllowed,
    UserNotFound,
    VersionNotFound,
    WebhookNotFound,
)

ACCESS: dict[AccessRule, str] = {
    AccessRule.NOT_YOUR_LEAD: "You do not have access to this lead",
    AccessRule.ADMIN_ONLY: "Only an admin can do this",
    AccessRule.TEAM_LEAD_INVITES_MANAGERS: "A team lead can invite managers only",
    AccessRule.INVITES_NEED_TEAM_LEAD: "Only an admin or a team lead can invite people",
    AccessRule.INVITES_NEED_PERSON: "Only a person can create an invite",
    AccessRule.NOT_YOURSELF: "You cannot change your own role or deactivate yourself",
    AccessRule.SALES_NEED_TEAM_LEAD: "Only team leads and admins can move a sale",
    AccessRule.ASSIGN_NEEDS_TEAM_LEAD: "Only team leads and admins can assign leads",
    AccessRule.MERGE_NEEDS_TEAM_LEAD: "Only team leads and admins can merge leads",
    AccessRule.NOT_YOUR_ACTIVITY: "Only the one who logged this activity (or a team lead) can comment on it",
    AccessRule.EXPORT_NEEDS_TEAM_LEAD: "Only team leads and admins can export leads",
}

INVITE: dict[InviteProblem, str] = {
    InviteProblem.UNKNOWN: "This invite link is not valid",
    InviteProblem.USED: "This invite link has already been used",
    InviteProblem.EXPIRED: "This invite link has expired",
}

# Rule.BAD_FORMAT: what the field's format is.
FORMATS: dict[str, str] = {
    "contact": "expected a phone number, an e-mail address or a Telegram @username",
    "name": "{minimum}..{maximum} characters: letters, digits, '_', '-', '.'",  # an API key's name
    "currency": "expected a three-letter ISO 4217 code, e.g. RUB or USD",
    "amount": "at most two decimal places",
    "period": "'to' must not be before 'from'",  # a report's range (core.domain.periods.custom_period)
}


def describe(err: DomainError) -> str:
    """One English sentence for ``err`` (without a final period, as the original service wrote them)."""
    if isinstance(err, LeadNotFound):
        return "Lead not found"
    if isinstance(err, LeadMerged):
        return f"Lead {err.lead_id} was merged into lead {err.merged_into}"
    if isinstance(err, MergeRefused):
        return merge_refused(err)
    if isinstance(err, DuplicateLead) and err.adding_to is not None:
        return (
            f"Lead #{err.lead_id} already has this {err.kind}"
            " (send allow_duplicate: true to add it anyway, or merge the two leads)"
        )
    if isinstance(err, DuplicateLead):
        return (
            f"A lead with this {err.kind} already exists: #{err.lead_id}"
            " (send allow_duplicate: true to create it anyway)"
        )
    if isinstance(err, SaleNotFound):
        return "Sale not found"
    if isinstance(err, UserNotFound):
        return "User not found"
    if isinstance(err, VersionNotFound):
        return "Model version not found"
    if isinstance(err, ApiKeyNotFound):
        return f"No API key named '{err.name}'"
    if isinstance(err, InvalidTransition):
        return f"Invalid stage transition from '{err.current}' to '{err.target}'"
    if isinstance(err, TransferNotAllowed):
        return "Cannot transfer lead to sales: " + "; ".join(transfer_blocks(err))
    if isinstance(err, LeadIsFinal):
        return f"Lead #{err.lead_id} is already '{err.stage}'; it can no longer be changed"
    if isinstance(err, InvalidValue):
        return f"{err.field}: {invalid_value(err)}"
    if isinstance(err, WebhookNotFound):
        return f"No webhook #{err.hook_id}"
    if isinstance(err, SourceNotAllowed):
        return f"This API key creates '{err.allowed}' leads only, not '{err.source}'"
    if isinstance(err, IdempotencyKeyReused):
        return "Idempotency-Key reused with a different request body"
    if isinstance(err, AccessDenied):
        return ACCESS.get(err.rule, "Access denied")
    if isinstance(err, RequestInProgress):
        return "A request with this Idempotency-Key is still being answered; retry it in a few seconds"
    if isinstance(err, StaleState):
        return "This card is out of date; it has been refreshed"
    if isinstance(err, InvalidInvite):
        return INVITE[err.problem] + "; ask an admin for a new one"
    return str(err)  # an error without words of its own (the importer's are worded in cli/reports.py)


def merge_refused(err: MergeRefused) -> str:
    match err.block:
        case MergeBlock.SAME_LEAD:
            return "merge_lead_id: a lead cannot be merged into itself"
        case MergeBlock.ALREADY_MERGED:
            return f"Lead {err.merge_lead_id} was already merged into lead {err.merged_into}"
        case MergeBlock.TRANSFERRED:
            return f"Lead {err.merge_lead_id} was transferred to sales (it has a deal) and cannot be merged away"
    return str(err)


def transfer_blocks(err: TransferNotAllowed) -> list[str]:
    parts = []
    if TransferBlock.NO_SCORE in err.blocks:
        parts.append(f"the lead has no AI score yet (analyze it; {err.threshold:.2f} or more is required)")
    if TransferBlock.LOW_SCORE in err.blocks:
        parts.append(f"ai_score {err.score or 0.0:.2f} is below the required {err.threshold:.2f}")
    if TransferBlock.NO_DOMAIN in err.blocks:
        parts.append("business_domain is not set")
    return parts


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def invalid_value(err: InvalidValue) -> str:
    """What is wrong with the value, after ``"<field>: "``."""
    minimum, maximum = _number(err.minimum), _number(err.maximum)
    in_key = f"'{err.key}': " if err.key is not None else ""
    match err.rule:
        case Rule.REQUIRED:
            return "must not be empty"
        case Rule.TOO_LONG:
            got = f" (got {err.length})" if err.length is not None else ""
            return f"{in_key}at most {maximum} characters{got}"
        case Rule.TOO_SHORT:
            return f"type at least {minimum} characters"
        case Rule.OUT_OF_RANGE:
            return f"must be between {minimum} and {maximum}"
        case Rule.NOT_ONE_OF:
            if not err.allowed:  # e.g. an outcome for a kind that has none
                return f"'{err.value}' is not allowed here"
            return f"'{err.value}' is not one of: {', '.join(err.allowed)}"
        case Rule.NOT_IN_CATALOGUE:
            return f"'{err.value}' is not in the catalogue: {', '.join(err.allowed)}"
        case Rule.NOT_A_NUMBER:
            return "expected a number"
        case Rule.BAD_FORMAT:
            return FORMATS.get(err.field, "not in the expected format").format(minimum=minimum, maximum=maximum)
        case Rule.UNKNOWN_FIELDS:
            return "cannot be changed here"
        case Rule.LOOKS_LIKE_COMMAND:
            return "looks like a command"
        case Rule.NOT_AN_OBJECT:
            return "expected an object of key -> value"
        case Rule.TOO_MANY_KEYS:
            return f"at most {maximum} keys"
        case Rule.BAD_KEY:
            return f"keys must be {minimum}..{maximum} characters"
        case Rule.NOT_A_SCALAR:
            return f"{in_key}values must be text, numbers or booleans"
        case Rule.CONTROL_CHARACTERS:
            return f"{in_key}must not contain NUL characters (U+0000)"
        case Rule.TAKEN if isinstance(err, ApiKeyNameTaken):
            state = "a revoked key keeps its name for the record" if err.revoked else "it is active"
            return f"an API key named '{err.value}' already exists ({state}); choose another name"
        case Rule.TAKEN:
            return f"'{err.value}' is already taken"
        case Rule.IN_THE_PAST:
            return "must be in the future"
        case Rule.TIMEZONE:
            return f"'{err.value}' is not an IANA time zone (e.g. Europe/Moscow, UTC)"
        case Rule.NOT_ASSIGNABLE:
            return f"user {err.value} is not an active manager or team lead"
        case Rule.NEEDS_AMOUNT:
            return "a currency needs an amount: send amount too (the deal has none)"
    return str(err.rule)  # a caller that still passes its own text as the rule
