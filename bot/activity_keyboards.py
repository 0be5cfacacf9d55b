"""How did it go? The one extra tap after "📞 Call" / "🤝 Meeting" (and "✉️ Message" on a new lead): each
button logs the activity with its outcome; on a lead still ``new`` the outcomes that mean contact was made
also come as "→ Contacted", which moves the lead in the same tap (bot/routers/activity.py)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.callbacks import LeadAction, pack_lead
from bot.i18n import _
from bot.keyboards import Keyboard
from bot.render.vocabulary import activity_name, stage_name
from core.domain.enums import ActivityKind, ActivityOutcome, Stage
from core.domain.funnel import outcomes_of
from core.domain.models import Lead

KIND_ICONS = {ActivityKind.CALL: "📞", ActivityKind.MESSAGE: "✉️", ActivityKind.MEETING: "🤝"}
OUTCOME_ICONS = {
    ActivityOutcome.REACHED: "✅",
    ActivityOutcome.NO_ANSWER: "📵",
    ActivityOutcome.CALL_BACK: "🔁",
    ActivityOutcome.HELD: "✅",
    ActivityOutcome.CANCELLED: "❌",
}
CONTACT_MADE = frozenset({ActivityOutcome.REACHED, ActivityOutcome.CALL_BACK, ActivityOutcome.HELD})
TO_CONTACTED = "c"


def pack_outcome(kind: ActivityKind, outcome: ActivityOutcome | None, *, to_contacted: bool) -> str:
    value = f"{kind.value}.{outcome.value if outcome else ''}"
    return value + f".{TO_CONTACTED}" if to_contacted else value


def unpack_outcome(x: str) -> tuple[str, str | None, bool]:
    """``kind``, ``outcome`` (None for none) and whether to move the lead to contacted; the service checks
    that they fit (forged data is refused there)."""
    kind, _sep, rest = x.partition(".")
    outcome, _sep, flag = rest.partition(".")
    return kind, outcome or None, flag == TO_CONTACTED


def needs_outcome_menu(lead: Lead, kind: ActivityKind) -> bool:
    """The card's button for ``kind`` asks how it went first: a call or a meeting, or any first contact."""
    return bool(outcomes_of(kind)) or lead.stage == Stage.NEW


def _button_text(kind: ActivityKind, outcome: ActivityOutcome | None, to_contacted: bool) -> str:
    icon = OUTCOME_ICONS[outcome] if outcome else KIND_ICONS.get(kind, "")
    text = f"{icon} {activity_name(kind, outcome)}"
    return f"{text} → {stage_name(Stage.CONTACTED)}" if to_contacted else text


def _log(lead: Lead, kind: ActivityKind, outcome: ActivityOutcome | None, *, to_contacted: bool) -> str:
    return pack_lead(
        LeadAction.LOG_OUTCOME, lead.id, lead.version, pack_outcome(kind, outcome, to_contacted=to_contacted)
    )


def outcome_menu(lead: Lead, kind: ActivityKind) -> InlineKeyboardMarkup:
    kb = Keyboard()
    sizes: list[int] = []
    outcomes: list[ActivityOutcome | None] = list(outcomes_of(kind)) or [None]
    first = lead.stage == Stage.NEW
    if first:
        made = [o for o in outcomes if o is None or o in CONTACT_MADE]
        for outcome in made:
            data = pack_lead(
                LeadAction.LOG_OUTCOME, lead.id, lead.version, pack_outcome(kind, outcome, to_contacted=True)
            )
            kb.button(text=_button_text(kind, outcome, True), callback_data=data)
            sizes.append(1)
    plain = 0
    for outcome in outcomes:
        kb.button(text=_button_text(kind, outcome, False), callback_data=_log(lead, kind, outcome, to_contacted=False))
        plain += 1
    sizes.append(plain)
    kb.button(text=_("⬅️ Back to the card"), callback_data=pack_lead(LeadAction.OPEN, lead.id, lead.version))
    sizes.append(1)
    kb.adjust(*sizes)
    return kb.as_markup()
