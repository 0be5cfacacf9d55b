"""The bot's vocabulary: the translated names of stages, sources, kinds, roles, lost reasons…, and the small
formatting pieces every screen uses (escaping, times, plain text for alerts)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from aiogram.utils.i18n import get_i18n

from bot.i18n import N_, _
from bot.render.clock import when  # noqa: F401  (re-exported: every screen's time stamps)
from core.domain.enums import (
    ActivityKind,
    ActivityOutcome,
    LostReason,
    Recommendation,
    Role,
    SaleStage,
    Source,
    Stage,
)
from core.domain.models import Lead

TG_TEXT_MAX = 4096


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


# The names are translated when asked for, one gettext per name (not one per entry of a table per call).
STAGE_NAMES: dict[Stage, str] = {
    Stage.NEW: N_("New"),
    Stage.CONTACTED: N_("Contacted"),
    Stage.QUALIFIED: N_("Qualified"),
    Stage.TRANSFERRED: N_("Transferred to sales"),
    Stage.LOST: N_("Lost"),
}
SOURCE_NAMES: dict[Source, str] = {
    Source.SCANNER: N_("Scanner"),
    Source.PARTNER: N_("Partner"),
    Source.MANUAL: N_("Manual"),
}
RECOMMENDATION_NAMES: dict[Recommendation, str] = {
    Recommendation.TRANSFER_TO_SALES: N_("Transfer to sales"),
    Recommendation.CONTINUE_QUALIFICATION: N_("Continue qualification"),
    Recommendation.DROP_LEAD: N_("Drop the lead"),
}
KIND_NAMES: dict[ActivityKind, str] = {
    ActivityKind.CALL: N_("Call"),
    ActivityKind.MESSAGE: N_("Message"),
    ActivityKind.MEETING: N_("Meeting"),
    ActivityKind.EMAIL: N_("E-mail"),
    ActivityKind.NOTE: N_("Note"),
}
OUTCOME_NAMES: dict[ActivityOutcome, str] = {
    ActivityOutcome.REACHED: N_("reached"),
    ActivityOutcome.NO_ANSWER: N_("no answer"),
    ActivityOutcome.CALL_BACK: N_("call back"),
    ActivityOutcome.HELD: N_("held"),
    ActivityOutcome.CANCELLED: N_("cancelled"),
}
ROLE_NAMES: dict[Role, str] = {Role.ADMIN: N_("Admin"), Role.TEAM_LEAD: N_("Team lead"), Role.MANAGER: N_("Manager")}
SALE_STAGE_NAMES: dict[SaleStage, str] = {
    SaleStage.NEW: N_("New deal"),
    SaleStage.KYC: N_("KYC"),
    SaleStage.AGREEMENT: N_("Agreement"),
    SaleStage.PAID: N_("Paid"),
    SaleStage.LOST: N_("Deal lost"),
}


def _translated(table: Mapping[Any, str], value: StrEnum) -> str:
    """The translated name of ``value`` from one of the N_ tables above (its raw value if it has none)."""
    name = table.get(value)
    return _(name) if name else str(value)


def stage_name(stage: Stage | str) -> str:
    return _translated(STAGE_NAMES, Stage(stage))


def source_name(source: Source | str) -> str:
    return _translated(SOURCE_NAMES, Source(source))


def recommendation_name(rec: Recommendation | str) -> str:
    return _translated(RECOMMENDATION_NAMES, Recommendation(rec))


def kind_name(kind: ActivityKind | str) -> str:
    return _translated(KIND_NAMES, ActivityKind(kind))


def outcome_name(outcome: ActivityOutcome | str) -> str:
    return _translated(OUTCOME_NAMES, ActivityOutcome(outcome))


def activity_name(kind: ActivityKind | str, outcome: ActivityOutcome | str | None) -> str:
    """ "Call · reached", or just "Message"."""
    return f"{kind_name(kind)} · {outcome_name(outcome)}" if outcome else kind_name(kind)


def actor_name(label: str, names: Mapping[str, str]) -> str:
    """Who did something, escaped: the user's name for "tg:123" when known, else the label ("api:intake")."""
    return esc(names.get(label) or label)


def role_name(role: Role | str) -> str:
    return _translated(ROLE_NAMES, Role(role))


def sale_stage_name(stage: SaleStage | str) -> str:
    return _translated(SALE_STAGE_NAMES, SaleStage(stage))


def lead_name(lead: Lead) -> str:
    """The lead's name as typed, or "Lead #4" (translated) for an unnamed lead; not escaped."""
    return lead.name or _("Lead #{id}").format(id=lead.id)


def lead_label(lead: Lead) -> str:
    """A lead in a list or on a button: "#4 Ivan Petrov", an unnamed one "Lead #4" (the number once)."""
    return f"#{lead.id} {lead.name}" if lead.name else lead_name(lead)


def lead_title(lead: Lead) -> str:
    """A lead on top of a screen, escaped: "<b>Ivan Petrov</b> · #4", an unnamed one "<b>Lead #4</b>"."""
    return f"<b>{esc(lead.name)}</b> · #{lead.id}" if lead.name else f"<b>{esc(lead_name(lead))}</b>"


# The default catalogue's business domains (core.config.DEFAULT_DOMAINS). The msgids are the English names as
# shown before (so English reads the same); a team's own domain has no entry and is shown as typed.
DOMAIN_NAMES: dict[str, str] = {
    "fintech": N_("fintech"),
    "ecommerce": N_("ecommerce"),
    "edtech": N_("edtech"),
    "healthcare": N_("healthcare"),
    "real_estate": N_("real estate"),
    "logistics": N_("logistics"),
    "saas": N_("saas"),
    "manufacturing": N_("manufacturing"),
}


def domain_name(domain: str) -> str:
    """A business domain in the reader's language: the catalogue's are translated, others shown as typed."""
    name = DOMAIN_NAMES.get(domain)
    return _(name) if name else domain.replace("_", " ")


# The preset lost reasons, in the order of the buttons. The database keeps the code; this is its name.
LOST_PRESETS: dict[LostReason, str] = {
    LostReason.NO_BUDGET: N_("No budget"),
    LostReason.NO_RESPONSE: N_("Stopped responding"),
    LostReason.COMPETITOR: N_("Chose a competitor"),
    LostReason.NOT_A_FIT: N_("Not our client"),
}


def lost_preset(code: LostReason | str) -> str | None:
    """The translated name of a preset lost reason; None for a code that is not one."""
    try:
        return _(LOST_PRESETS[LostReason(code)])
    except ValueError:  # not a LostReason (e.g. a forged button)
        return None


def lost_reason(code: LostReason | str | None, text: str | None) -> str:
    """A lost reason as shown: the preset's name, the free text (escaped), or both."""
    parts = [lost_preset(code) if code else None, esc(text) if text else None]
    return " — ".join(part for part in parts if part)


def current_locale() -> str:
    return get_i18n().current_locale


def plain(text: str) -> str:
    """HTML -> plain text for callback alerts (Telegram shows alerts without formatting, ≤ 200 chars)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text if len(text) <= 200 else text[:199] + "…"
