"""Domain errors. Every message is safe to show to a user or an API client."""

from __future__ import annotations

from enum import StrEnum


class DomainError(Exception):
    """Base class: a rule of the CRM refused the operation."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class LeadNotFound(NotFound):
    def __init__(self, lead_id: int) -> None:
        super().__init__("Lead not found")
        self.lead_id = lead_id


class SaleNotFound(NotFound):
    def __init__(self, sale_id: int) -> None:
        super().__init__("Sale not found")
        self.sale_id = sale_id


class InvalidTransition(DomainError):
    code = "invalid_transition"

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"Invalid stage transition from '{current}' to '{target}'")
        self.current = current
        self.target = target


class TransferBlock(StrEnum):
    NO_SCORE = "no_score"
    LOW_SCORE = "low_score"
    NO_DOMAIN = "no_domain"


class TransferNotAllowed(DomainError):
    """Transfer to sales needs ai_score >= threshold and a known business domain."""

    code = "transfer_not_allowed"

    def __init__(self, blocks: list[TransferBlock], score: float | None, threshold: float) -> None:
        parts = []
        if TransferBlock.NO_SCORE in blocks:
            parts.append(f"the lead has no AI score yet (analyze it; {threshold:.2f} or more is required)")
        if TransferBlock.LOW_SCORE in blocks:
            parts.append(f"ai_score {score:.2f} is below the required {threshold:.2f}")
        if TransferBlock.NO_DOMAIN in blocks:
            parts.append("business_domain is not set")
        super().__init__("Cannot transfer lead to sales: " + "; ".join(parts))
        self.blocks = blocks
        self.score = score
        self.threshold = threshold


class LeadIsFinal(DomainError):
    code = "lead_is_final"

    def __init__(self, lead_id: int, stage: str) -> None:
        super().__init__(f"Lead #{lead_id} is already '{stage}'; it can no longer be changed")
        self.lead_id = lead_id
        self.stage = stage


class InvalidValue(DomainError):
    code = "invalid_value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class AccessDenied(DomainError):
    code = "access_denied"

    def __init__(self, message: str = "You do not have access to this lead") -> None:
        super().__init__(message)


class StaleState(DomainError):
    """The caller acted on an outdated view (an old card, a double press)."""

    code = "stale"

    def __init__(self, message: str = "This card is out of date; it has been refreshed") -> None:
        super().__init__(message)


class UserNotFound(NotFound):
    def __init__(self, user_id: int) -> None:
        super().__init__("User not found")
        self.user_id = user_id


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class InvalidInvite(DomainError):
    """An invite code that does not exist, was already used, or has expired."""

    code = "invalid_invite"

    def __init__(self, problem: InviteProblem) -> None:
        text = {
            InviteProblem.UNKNOWN: "This invite link is not valid",
            InviteProblem.USED: "This invite link has already been used",
            InviteProblem.EXPIRED: "This invite link has expired",
        }[problem]
        super().__init__(text + "; ask an admin for a new one")
        self.problem = problem
