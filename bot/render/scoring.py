"""The scoring model's reports (/model, /train), worded from the data the training service returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.i18n import _
from bot.render.vocabulary import esc
from core.services.training import ModelInfo, TrainReport, TrainStatus


def model_lines(lines: Sequence[str]) -> str:
    """Report lines as one message: the first line bold, every line escaped."""
    if not lines:
        return ""
    return "\n".join([f"<b>{esc(lines[0])}</b>", *(esc(line) for line in lines[1:])])


def _candidates(candidates: Mapping[str, Mapping[str, float]]) -> list[str]:
    return [
        _("candidate {name}: CV ROC AUC {auc:.3f}, CV Brier {brier:.3f}").format(
            name=name, auc=m["cv_auc"], brier=m["cv_brier"]
        )
        for name, m in candidates.items()
    ]


def _train_head(r: TrainReport) -> str:
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
    if r.status == TrainStatus.ACTIVATED:
        return _("Model {version} is now active: held-out ROC AUC {auc:.3f} vs {other_auc:.3f} of {other}.").format(
            **figures
        )
    return _(
        "Model {version} was stored but not activated: held-out ROC AUC {auc:.3f} vs {other_auc:.3f} of "
        "{other}; {other} stays active."
    ).format(**figures)


def train_report(r: TrainReport) -> str:
    lines = [_train_head(r), _("closed leads: {won} won, {lost} lost").format(won=r.n_won, lost=r.n_lost)]
    lines += _candidates(r.candidates)
    if r.version:
        held_out = _("held-out: {version} ROC AUC {auc:.3f}, Brier {brier:.3f}")
        lines.append(held_out.format(version=r.version, auc=r.auc, brier=r.brier))
        lines.append(held_out.format(version=r.compared_with, auc=r.compared_auc, brier=r.compared_brier))
    if r.status != TrainStatus.NOT_ENOUGH_DATA:
        lines.append(_("took {seconds:.1f} s").format(seconds=r.seconds))
    return model_lines(lines)


def model_info(info: ModelInfo) -> str:
    algorithm = info.algorithm or _("hand rule of the original service")
    lines = [_("active scorer: {version} ({algorithm})").format(version=info.version, algorithm=algorithm)]
    if info.is_learned:
        lines += [
            _("trained at {when} UTC on {won} won / {lost} lost leads").format(
                when=f"{info.trained_at:%Y-%m-%d %H:%M}", won=info.n_won, lost=info.n_lost
            ),
            _("held-out ROC AUC {auc:.3f}, Brier {brier:.3f} (vs {other}: ROC AUC {other_auc:.3f})").format(
                auc=info.auc,
                brier=info.brier,
                other=info.metrics.get("compared_with", "?"),
                other_auc=float(info.metrics.get("compared_auc", float("nan"))),
            ),
            _("features: {count}").format(count=len(info.features)),
            *_candidates(info.metrics.get("candidates") or {}),
        ]
    return model_lines(lines)
