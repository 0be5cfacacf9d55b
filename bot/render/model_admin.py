"""/model's admin screens: the chart's words, the transfer gate's choices and confirmation, the stored versions,
the recent changes (``model_changes``). Data from core.services.scorer_admin / training; words here."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import N_, _
from bot.model_chart import ModelChart
from bot.render.scoring import gate_lines, model_lines, ranks
from bot.render.vocabulary import esc
from core.services.ports import GateStats, ModelChange, ModelVersion
from core.services.training import ModelInfo

FEATURES = {
    "source": N_("source"),
    "business_domain": N_("business domain"),
    "stage": N_("stage"),
    "activity_count": N_("touches"),
    "touches_per_day": N_("touches a day"),
    "days_since_last_touch": N_("days since the last touch"),
    "hours_to_first_contact": N_("time to first contact"),
    "act:call": N_("calls"),
    "act:message": N_("messages"),
    "act:meeting": N_("meetings"),
    "act:email": N_("e-mails"),
    "act:note": N_("notes"),
}


def feature_label(feature: str) -> str:
    """A feature's name for a reader: the product's own translated, a team's attribute as it is called."""
    known = FEATURES.get(feature)
    if known:
        return _(known)
    return feature.removeprefix("attr:").replace("_", " ")


def chart(info: ModelInfo) -> ModelChart | None:
    """The chart of a learned version trained with the held-out figures (None: the hand rule, or an older one)."""
    bands = [b for b in info.metrics.get("bands") or [] if b.get("n")]
    factors = info.metrics.get("top_factors") or []
    if not info.is_learned or not bands:
        return None
    return ModelChart(
        bands_title=_("Predicted vs actual win rate, by score (held-out leads)"),
        band_labels=[f"{round(100 * b['lo'])}–{round(100 * b['hi'])}" for b in bands],
        predicted=[100 * float(b["predicted"]) for b in bands],
        actual=[100 * float(b["won"]) for b in bands],
        predicted_label=_("predicted"),
        actual_label=_("actually won"),
        factors_title=_("What moves the score most"),
        factor_labels=[feature_label(f["feature"]) for f in factors],
        factor_weights=[float(f["weight"]) for f in factors],
    )


def gate_value(threshold: float) -> str:
    return f"{threshold:.2f}"


def gate_screen(gate: GateStats) -> str:
    lines = [_("Transfer gate"), *gate_lines(gate)]
    lines.append(_("Choose a new gate, or type it: /model gate 0.55"))
    return model_lines(lines)


def gate_question(current: float, preview: GateStats) -> str:
    head = _("Set the transfer gate to {new} (now {old})?").format(
        new=gate_value(preview.threshold), old=gate_value(current)
    )
    lines = [head, *gate_lines(preview), _("Open leads are re-scored, and transfers are checked against the new gate.")]
    return model_lines(lines)


def gate_set(stats: GateStats) -> str:
    head = _("The transfer gate is now {gate}; open leads are being re-scored.").format(
        gate=gate_value(stats.threshold)
    )
    return model_lines([head, *gate_lines(stats)])


def version_button(v: ModelVersion) -> str:
    mark = "✅ " if v.is_active else ""
    return f"{mark}{v.trained_at:%Y-%m-%d %H:%M} · {ranks(v.auc)}/100"


def versions_screen(versions: Sequence[ModelVersion]) -> str:
    if not versions:
        return model_lines([_("No model has been trained yet: scoring is on the hand rule. Train one with /train.")])
    return model_lines(
        [
            _("Stored model versions, newest first"),
            _(
                "✅ is the active one; N/100: how often, on leads it did not learn from, it ranked a won lead "
                "above a lost one."
            ),
            _("Choose a version to switch the scorer to it."),
        ]
    )


def version_question(v: ModelVersion, active: str) -> str:
    lines = [
        _("Switch the scorer to {version}?").format(version=v.version),
        _("trained at {when} UTC on {won} won / {lost} lost leads").format(
            when=f"{v.trained_at:%Y-%m-%d %H:%M}", won=v.n_won, lost=v.n_lost
        ),
        _("on leads it did not learn from, it ranked a won lead above a lost one {n} times in 100").format(
            n=ranks(v.auc)
        ),
        _("Active now: {version}. Open leads are re-scored.").format(version=active),
    ]
    return model_lines(lines)


def version_set(v: ModelVersion) -> str:
    return model_lines([_("Model {version} is now active; open leads are being re-scored.").format(version=v.version)])


def change_line(change: ModelChange) -> str:
    when = f"{change.at:%Y-%m-%d %H:%M}"
    if change.kind == "gate":
        what = _("transfer gate {old} → {new}").format(
            old=gate_value(float(change.detail.get("from", 0))), new=gate_value(float(change.detail.get("to", 0)))
        )
    else:
        what = _("switched to {version}").format(version=change.detail.get("version", "?"))
    return f"{when} UTC, {change.actor}: {what}"


def changes_block(changes: Sequence[ModelChange]) -> str:
    if not changes:
        return ""
    lines = [esc(_("Recent changes:")), *(esc(change_line(c)) for c in changes)]
    return "\n\n" + "\n".join(lines)
