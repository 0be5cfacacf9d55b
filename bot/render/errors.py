"""Domain errors in the reader's language (a polite sentence, plain enough for a callback alert)."""

from __future__ import annotations

from bot.i18n import N_, _, make_i18n, pick_locale
from bot.render.vocabulary import esc, sale_stage_name, stage_name
from core.domain.enums import SaleStage, Stage
from core.domain.errors import (
    AccessDenied,
    AccessRule,
    DomainError,
    DuplicateLead,
    InvalidInvite,
    InvalidTransition,
    InvalidValue,
    InviteProblem,
    LeadIsFinal,
    LeadMerged,
    LeadNotFound,
    MergeBlock,
    MergeRefused,
    Rule,
    SaleNotFound,
    StaleState,
    TransferBlock,
    TransferNotAllowed,
    UserNotFound,
    VersionNotFound,
)
from core.services.scorer_admin import GATE_MAX, GATE_MIN


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


# What the actor may not do, by AccessDenied.rule (the rules without a sentence of their own get the
# general "You are not allowed to do this.").
ACCESS_TEXTS: dict[AccessRule, str] = {
    AccessRule.NOT_YOUR_LEAD: N_("You do not have access to this lead."),
    AccessRule.ADMIN_ONLY: N_("Only an admin can do this."),
    AccessRule.TEAM_LEAD_INVITES_MANAGERS: N_("A team lead can invite managers only."),
    AccessRule.INVITES_NEED_TEAM_LEAD: N_("Only an admin or a team lead can invite people."),
    AccessRule.NOT_YOURSELF: N_("You cannot change your own role or deactivate yourself."),
    AccessRule.SALES_NEED_TEAM_LEAD: N_("Only team leads and admins can move a sale."),
    AccessRule.ASSIGN_NEEDS_TEAM_LEAD: N_("Only team leads and admins can assign leads."),
    AccessRule.MERGE_NEEDS_TEAM_LEAD: N_("Only team leads and admins can merge leads."),
    AccessRule.NOT_YOUR_ACTIVITY: N_("Only the one who logged this activity (or a team lead) can comment on it."),
    AccessRule.EXPORT_NEEDS_TEAM_LEAD: N_("Only team leads and admins can export leads."),
}

FIELD_NAMES: dict[str, str] = {
    "name": N_("Name"),
    "contact": N_("Contact"),
    "text": N_("Text"),
    "reason": N_("Reason"),
    "query": N_("Search text"),
    "business_domain": N_("Business domain"),
    "role": N_("Role"),
}


def field_name(field: str) -> str:
    name = FIELD_NAMES.get(field)
    return _(name) if name else field


def _limit(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else str(value)


def invalid_value(err: InvalidValue) -> str:
    """The sentence for a value the rules refused, chosen by its rule (and, where the bot has a better hint
    than the rule, by its field)."""
    field = field_name(err.field)
    if err.rule == Rule.TOO_LONG:
        if err.length is not None:
            return _("{field}: too long — at most {limit} characters, you sent {got}.").format(
                field=field, limit=_limit(err.maximum), got=err.length
            )
        return _("{field}: too long — at most {limit} characters.").format(field=field, limit=_limit(err.maximum))
    if err.rule == Rule.LOOKS_LIKE_COMMAND:
        return _("That looks like a command. Send plain text, or /cancel.")
    if err.rule == Rule.CONTROL_CHARACTERS:
        return _("{field}: the text contains a NUL character (U+0000); remove it and send again.").format(field=field)
    if err.rule == Rule.REQUIRED:
        return _("{field} must not be empty.").format(field=field)
    if err.rule == Rule.IN_THE_PAST:
        return _("This time has already passed; choose a time ahead.")
    if err.rule == Rule.TIMEZONE:
        return _("“{value}” is not a time zone. Use an IANA name, e.g. Europe/Moscow or America/New_York.").format(
            value=esc(err.value or "")
        )
    if err.field == "lead_id":
        return _("Send the lead number, e.g. /lead 42.")
    if err.field == "merge_lead_id":
        return _("Send the other lead's number, e.g. #42.")
    if err.field == "contact":
        return _("Contact: send a phone number, an e-mail address or a Telegram @username.")
    if err.field == "query":
        return _("Type at least {count} characters to search.").format(count=_limit(err.minimum or 2))
    if err.field == "business_domain":
        return _("This business domain is not in the catalogue; choose one from the buttons.")
    if err.field == "transfer_gate":
        return _("Send the gate as a number between {minimum} and {maximum}, e.g. 0.55.").format(
            minimum=f"{GATE_MIN:.2f}", maximum=f"{GATE_MAX:.2f}"
        )
    if err.field == "model_version":
        return _("This model version can no longer be loaded (it was stored by an older version); train a new one.")
    if err.rule == Rule.NOT_ASSIGNABLE:
        return _("This person is not an active manager or team lead; choose another.")
    if err.field == "role":
        return _("Unknown role. Use one of: manager, team_lead, admin.")
    if err.rule == Rule.NOT_ONE_OF:
        return _("{field}: unknown value “{value}”.").format(field=field, value=esc(err.value))
    if err.rule == Rule.OUT_OF_RANGE:
        return _("{field}: must be between {minimum} and {maximum}.").format(
            field=field, minimum=_limit(err.minimum), maximum=_limit(err.maximum)
        )
    if err.rule == Rule.TOO_SHORT:
        return _("{field}: at least {count} characters, please.").format(field=field, count=_limit(err.minimum))
    return _("{field}: this value is not accepted.").format(field=field)


def error_text(err: DomainError) -> str:
    """A polite, localized sentence for a domain error (no HTML in alerts, so keep it plain)."""
    if isinstance(err, TransferNotAllowed):
        return transfer_refused(err)
    if isinstance(err, StaleState):
        return _("This card is out of date; it has been refreshed. Please look and press again.")
    if isinstance(err, LeadNotFound):
        return _("Lead #{id} not found.").format(id=err.lead_id)
    if isinstance(err, LeadMerged):
        return _("Lead #{id} was merged into #{into}.").format(id=err.lead_id, into=err.merged_into)
    if isinstance(err, MergeRefused):
        return merge_refused(err)
    if isinstance(err, DuplicateLead):
        return _("This contact is already lead #{id}'s.").format(id=err.lead_id)
    if isinstance(err, SaleNotFound):
        return _("Deal #{id} not found.").format(id=err.sale_id)
    if isinstance(err, UserNotFound):
        return _("User {id} not found.").format(id=err.user_id)
    if isinstance(err, VersionNotFound):
        return _("This model version is not stored.")
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
        text = ACCESS_TEXTS.get(err.rule)
        return _(text) if text else _("You are not allowed to do this.")
    return _("The CRM refused this action.")


def merge_refused(err: MergeRefused) -> str:
    if err.block == MergeBlock.SAME_LEAD:
        return _("A lead cannot be merged into itself; send another lead's number.")
    if err.block == MergeBlock.ALREADY_MERGED:
        return _("Lead #{id} was already merged into #{into}.").format(id=err.merge_lead_id, into=err.merged_into)
    return _("Lead #{id} was transferred to sales (it has a deal); it cannot be merged away.").format(
        id=err.merge_lead_id
    )


def _any_stage_name(value: str) -> str:
    if value in Stage._value2member_map_:
        return stage_name(value)
    if value in SaleStage._value2member_map_:
        return sale_stage_name(value)
    return esc(value)


def briefly_unavailable(language_code: str | None) -> str:
    """What a user is told, once per update, when the database is away: the update is kept and will be
    applied (not the "something went wrong" of a bug). Rendered outside an update, in the user's language."""
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(pick_locale(language_code)):
        return _("The service is briefly unavailable; your action will be applied as soon as it is back.")


def dialogs_paused() -> str:
    """The dialog store (Redis) is away: commands and buttons work, a step-by-step dialog cannot go on."""
    return _("I can't keep a dialog going right now: try again in a minute. Buttons and commands work as usual.")
