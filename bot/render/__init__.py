"""Texts the bot shows, as pure functions of domain objects -> HTML strings (parse_mode HTML). Everything a
user typed is escaped. They translate with the current i18n locale (set per update by
bot.i18n.LocaleMiddleware).

One module per thing a reader looks for; handlers import this package and use ``render.lead_card`` etc.:

- :mod:`bot.render.clock`         times in the viewer's zone (``when``, ``due``, ``span``)
- :mod:`bot.render.steps`         next steps, stalled leads, /today, /settings
- :mod:`bot.render.vocabulary`    names of stages, sources, kinds, roles, lost reasons; escaping, times
- :mod:`bot.render.leads`         the lead card, lists, search results, history; the deal card
- :mod:`bot.render.people`        greeting, help, the refusal for strangers, users, invites
- :mod:`bot.render.scoring`       the scoring model's reports (/model, /train)
- :mod:`bot.render.imports`       the CSV import's report (counts, rows matched by contact, conflicts)
- :mod:`bot.render.errors`        domain errors as a polite sentence
- :mod:`bot.render.notifications` the team leads' group messages (outbox)
"""

from bot.render.clock import due, span, use_viewer, viewer
from bot.render.errors import (
    briefly_unavailable,
    dialogs_paused,
    error_text,
    field_name,
    invalid_value,
    transfer_refused,
)
from bot.render.imports import import_report
from bot.render.leads import (
    BAR_CELLS,
    found_leads,
    history,
    lead_button_text,
    lead_card,
    lead_line,
    lead_reason,
    leads_page,
    sale_card,
    score_bar,
    score_line,
)
from bot.render.notifications import delivery_failed, lead_link, outbox_message, sale_link
from bot.render.people import (
    disabled,
    disabled_alert,
    greeting,
    help_text,
    invite_link,
    refused,
    refused_alert,
    user_card,
    user_line,
    users_list,
)
from bot.render.scoring import model_info, model_lines, train_report
from bot.render.vocabulary import (
    KIND_NAMES,
    LOST_PRESETS,
    OUTCOME_NAMES,
    RECOMMENDATION_NAMES,
    ROLE_NAMES,
    SALE_STAGE_NAMES,
    SOURCE_NAMES,
    STAGE_NAMES,
    TG_TEXT_MAX,
    activity_name,
    actor_name,
    current_locale,
    domain_name,
    esc,
    kind_name,
    lead_label,
    lead_name,
    lead_title,
    lost_preset,
    lost_reason,
    outcome_name,
    plain,
    recommendation_name,
    role_name,
    sale_stage_name,
    source_name,
    stage_name,
    when,
)

__all__ = [
    "BAR_CELLS",
    "KIND_NAMES",
    "LOST_PRESETS",
    "OUTCOME_NAMES",
    "RECOMMENDATION_NAMES",
    "ROLE_NAMES",
    "SALE_STAGE_NAMES",
    "SOURCE_NAMES",
    "STAGE_NAMES",
    "TG_TEXT_MAX",
    "activity_name",
    "actor_name",
    "briefly_unavailable",
    "current_locale",
    "delivery_failed",
    "dialogs_paused",
    "disabled",
    "disabled_alert",
    "domain_name",
    "due",
    "error_text",
    "esc",
    "field_name",
    "found_leads",
    "greeting",
    "help_text",
    "history",
    "import_report",
    "invalid_value",
    "invite_link",
    "kind_name",
    "lead_button_text",
    "lead_card",
    "lead_label",
    "lead_line",
    "lead_link",
    "lead_name",
    "lead_reason",
    "lead_title",
    "leads_page",
    "lost_preset",
    "lost_reason",
    "model_info",
    "model_lines",
    "outbox_message",
    "outcome_name",
    "plain",
    "recommendation_name",
    "refused",
    "refused_alert",
    "role_name",
    "sale_card",
    "sale_link",
    "sale_stage_name",
    "score_bar",
    "score_line",
    "source_name",
    "span",
    "stage_name",
    "train_report",
    "transfer_refused",
    "use_viewer",
    "user_card",
    "user_line",
    "users_list",
    "viewer",
    "when",
]
