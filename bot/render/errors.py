"""Domain errors in the reader's language (a polite sentence, plain enough for a callback alert)."""

from __future__ import annotations

import re

from bot.i18n import N_, _
from bot.render.vocabulary import esc, sale_stage_name, stage_name
from core.domain.enums import SaleStage, Stage
from core.domain.errors import (
    AccessDenied,
    DomainError,
    InvalidInvite,
    InvalidTransition,
    InvalidValue,
    InviteProblem,
    LeadIsFinal,
    LeadNotFound,
    SaleNotFound,
    StaleState,
    TransferBlock,
    TransferNotAllowed,
    UserNotFound,
)


def transfer_refused(err: TransferNotAllowed) -> str:
    parts = []
    for block in err.blocks:
        if block == TransferBlock.NO_SCORE:
            parts.append(_("the lead has no AI score yet — press Analyze"))
        elif block == TransferBlock.LOW_SCORE:
            parts.append(
                _("the score {score:.2f} is below the required {threshold:.2f}").format(
                    score=err.score or 0.0, threshold=err.threshold
                )
            )
        elif block == TransferBlock.NO_DOMAIN:
            parts.append(_("the business domain is not set"))
    return _("Cannot transfer to sales: {reasons}.").format(reasons="; ".join(parts))


# Fixed English messages of domain errors, translated through the catalogue by their text.
_KNOWN_MESSAGES = (
    N_("You do not have access to this lead"),
    N_("Only an admin can do this"),
    N_("A team lead can invite managers only"),
    N_("Only an admin or a team lead can invite people"),
    N_("You cannot change your own role or deactivate yourself"),
    N_("Only team leads and admins can move a sale"),
)

_TOO_LONG = re.compile(r"at most (\d+) characters(?: \(got (\d+)\))?")


def field_name(field: str) -> str:
    names = {
        "name": _("Name"),
        "contact": _("Contact"),
        "text": _("Text"),
        "reason": _("Reason"),
        "query": _("Search text"),
        "business_domain": _("Business domain"),
        "role": _("Role"),
    }
    return names.get(field, field)


def invalid_value(err: InvalidValue) -> str:
    message = err.message.split(": ", 1)[1] if ": " in err.message else err.message
    match = _TOO_LONG.search(message)
    if match:
        limit, got = match.group(1), match.group(2)
        if got:
            return _("{field}: too long — at most {limit} characters, you sent {got}.").format(
                field=field_name(err.field), limit=limit, got=got
            )
        return _("{field}: too long — at most {limit} characters.").format(field=field_name(err.field), limit=limit)
    if message == "looks like a command":
        return _("That looks like a command. Send plain text, or /cancel.")
    if message == "must not be empty":
        return _("{field} must not be empty.").format(field=field_name(err.field))
    if err.field == "lead_id":
        return _("Send the lead number, e.g. /lead 42.")
    if err.field == "contact":
        return _("Contact: send a phone number, an e-mail address or a Telegram @username.")
    if err.field == "query":
        return _("Type at least 2 characters to search.")
    if err.field == "business_domain":
        return _("This business domain is not in the catalogue; choose one from the buttons.")
    if err.field == "role":
        return _("Unknown role. Use one of: manager, team_lead, admin.")
    return _("{field}: {message}").format(field=field_name(err.field), message=esc(message))


def error_text(err: DomainError) -> str:
    """A polite, localized sentence for a domain error (no HTML in alerts, so keep it plain)."""
    if isinstance(err, TransferNotAllowed):
        return transfer_refused(err)
    if isinstance(err, StaleState):
        return _("This card is out of date; it has been refreshed. Please look and press again.")
    if isinstance(err, LeadNotFound):
        return _("Lead #{id} not found.").format(id=err.lead_id)
    if isinstance(err, SaleNotFound):
        return _("Deal #{id} not found.").format(id=err.sale_id)
    if isinstance(err, UserNotFound):
        return _("User {id} not found.").format(id=err.user_id)
    if isinstance(err, LeadIsFinal):
        return _("The lead is already “{stage}”; it can no longer be changed.").format(stage=stage_name(err.stage))
    if isinstance(err, InvalidTransition):
        return _("This stage change is not allowed: {current} → {target}.").format(
            current=_any_stage_name(err.current), target=_any_stage_name(err.target)
        )
    if isinstance(err, InvalidValue):
        return invalid_value(err)
    if isinstance(err, InvalidInvite):
        return {
            InviteProblem.UNKNOWN: _("This invite link is not valid. Ask an admin for a new one."),
            InviteProblem.USED: _("This invite link has already been used. Ask an admin for a new one."),
            InviteProblem.EXPIRED: _("This invite link has expired. Ask an admin for a new one."),
        }[err.problem]
    if isinstance(err, AccessDenied):
        return _(err.message) if err.message in _KNOWN_MESSAGES else _("You are not allowed to do this.")
    return esc(err.message)


def _any_stage_name(value: str) -> str:
    if value in Stage._value2member_map_:
        return stage_name(value)
    if value in SaleStage._value2member_map_:
        return sale_stage_name(value)
    return esc(value)
