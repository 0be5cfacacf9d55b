"""The scoring model's reports (/model, /train), worded from the data the training service returns, in the words
of a team lead rather than a data scientist: ROC AUC is how often a won lead is ranked above a lost one, the
Brier score is how far, typically, a probability is from what happened (its square root, in points)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.i18n import N_, _
from bot.render.vocabulary import esc
from core.services.ports import GateStats

if TYPE_CHECKING:  # the training stack (numpy, sklearn) is not loaded by importing bot.render (the API's board does)
    from core.services.training import ModelInfo, TrainReport


def model_lines(lines: Sequence[str]) -> str:
    """Report lines as one message: the first line bold, every line escaped."""
    if not lines:
        return ""
    return "\n".join([f"<b>{esc(lines[0])}</b>", *(esc(line) for line in lines[1:])])


ALGORITHMS = {
    "logreg": N_("a weighted checklist (logistic regression)"),
    "hgb": N_("a set of decision trees (gradient boosting)"),
}


def algorithm_name(name: str | None) -> str:
    if not name:
        return _("hand rule of the original service")
    known = ALGORITHMS.get(name)
    return _(known) if known else name  # model_lines escapes every line


def ranks(auc: float | None) -> int:
    """ROC AUC as "a won lead ranks above a lost one N times in 100"."""
    return round((auc or 0.0) * 100)


def miss_points(brier: float | None) -> int:
    """The Brier score as the typical distance, in percentage points, between a probability and the outcome."""
    return round(math.sqrt(max(brier or 0.0, 0.0)) * 100)


def retrained_notification(payload: Mapping[str, Any]) -> str:
    """To each admin, when the scorer retrained itself and a better version took over (``model_retrained``)."""
    why = _("nightly") if payload.get("reason") == "nightly" else _("enough leads closed since the last training")
    other = payload.get("compared_with")
    return _(
        "🔁 The scorer retrained itself ({why}): model {version} is now active. On recent leads it did not learn "
        "from, it ranks a won lead above a lost one {n} times in 100 ({other}: {other_n}). Open leads are re-scored "
        "with it; /model shows it and switches back."
    ).format(
        why=why,
        version=esc(str(payload.get("version"))),
        n=ranks(payload.get("auc")),
        other=esc(str(other)) if other else _("the previous scorer"),
        other_n=ranks(payload.get("compared_auc")),
    )


def _candidates(candidates: Mapping[str, Mapping[str, float]]) -> list[str]:
    return [
        _("tried {name}: ranks a won lead above a lost one {n} times in 100").format(
            name=algorithm_name(name), n=ranks(m["cv_auc"])
        )
        for name, m in candidates.items()
    ]


def _train_head(r: TrainReport) -> str:
    from core.services.training import TrainStatus  # only when a training report is shown (the bot has it loaded)

    if r.status == TrainStatus.NOT_ENOUGH_DATA:
        return _(
            "Not enough history to train: {total} closed leads ({won} won, {lost} lost); need at least "
            "{min_closed} with {min_per_class} of each outcome. Scoring stays on {scorer}."
        ).format(
            total=r.n_closed,
            won=r.n_won,
            lost=r.n_lost,
            min_closed=r.min_closed,
            min_per_class=r.min_per_class,
            scorer=r.scorer,
        )
    figures: dict[str, Any] = {
        "version": r.version,
        "auc": r.auc,
        "other_auc": r.compared_auc,
        "other": r.compared_with,
    }
    figures["n"], figures["other_n"] = ranks(r.auc), ranks(r.compared_auc)
    if r.status == TrainStatus.ACTIVATED:
        return _(
            "Model {version} is now active: on recent leads it did not learn from, it ranks a won lead above a "
            "lost one {n} times in 100 ({other}: {other_n})."
        ).format(**figures)
    return _(
        "Model {version} was kept but not switched on: on recent leads it did not learn from, it ranks a won lead "
        "above a lost one {n} times in 100, no better than {other} ({other_n}), which stays active."
    ).format(**figures)


def train_report(r: TrainReport) -> str:
    from core.services.training import TrainStatus

    lines = [_train_head(r), _("closed leads: {won} won, {lost} lost").format(won=r.n_won, lost=r.n_lost)]
    lines += _candidates(r.candidates)
    if r.version:
        held_out = _("{version}: its probabilities are typically {points} points from what happened")
        lines.append(held_out.format(version=r.version, points=miss_points(r.brier)))
        lines.append(held_out.format(version=r.compared_with, points=miss_points(r.compared_brier)))
    if r.status != TrainStatus.NOT_ENOUGH_DATA:
        lines.append(_("took {seconds:.1f} s").format(seconds=r.seconds))
    return model_lines(lines)


def gate_lines(gate: GateStats) -> list[str]:
    """ "At 0.60, 14 % of open leads pass; of past leads at or above it, 71 % were won (35 of 49)." """
    threshold = f"{gate.threshold:.2f}"
    if gate.open_scored:
        share = f"{round(100 * gate.open_passing / gate.open_scored)}%"  # the sign outside the text: not a %-format
        open_line = _("The transfer gate is {gate}: {share} of the scored open leads pass it ({n} of {total}).").format(
            gate=threshold, share=share, n=gate.open_passing, total=gate.open_scored
        )
    else:
        open_line = _("The transfer gate is {gate}: no open lead has a score yet.").format(gate=threshold)
    if gate.closed_above:
        won = f"{round(100 * gate.won_above / gate.closed_above)}%"
        past = _("Of the closed leads scored at or above it, {share} were won ({n} of {total}).").format(
            share=won, n=gate.won_above, total=gate.closed_above
        )
    else:
        past = _("No closed lead was scored at or above it yet.")
    return [open_line, past]


def model_info(info: ModelInfo) -> str:
    algorithm = algorithm_name(info.algorithm)
    lines = [_("active scorer: {version} ({algorithm})").format(version=info.version, algorithm=algorithm)]
    if info.gate is not None:
        lines += gate_lines(info.gate)
    if info.is_learned:
        lines += [
            _("trained at {when} UTC on {won} won / {lost} lost leads").format(
                when=f"{info.trained_at:%Y-%m-%d %H:%M}", won=info.n_won, lost=info.n_lost
            ),
            _(
                "on recent leads it did not learn from, it ranks a won lead above a lost one {n} times in 100 "
                "({other}: {other_n}); its probabilities are typically {points} points from what happened"
            ).format(
                n=ranks(info.auc),
                points=miss_points(info.brier),
                other=info.metrics.get("compared_with", "?"),
                other_n=ranks(float(info.metrics.get("compared_auc", 0.0))),
            ),
            _("facts about a lead it weighs: {count}").format(count=len(info.features)),
            *_candidates(info.metrics.get("candidates") or {}),
        ]
    return model_lines(lines)
