"""The learned scorer's reports in English, for ``leadcrm train | rescore | model`` (the bot words the same
data in the reader's language: bot/render/scoring.py)."""

from __future__ import annotations

from collections.abc import Mapping

from core.services.training import ModelInfo, RescoreReport, TrainReport, TrainStatus


def _candidates(candidates: Mapping[str, Mapping[str, float]]) -> list[str]:
    return [
        f"candidate {name}: CV ROC AUC {m['cv_auc']:.3f}, CV Brier {m['cv_brier']:.3f}"
        for name, m in candidates.items()
    ]


def train_head(r: TrainReport) -> str:
    if r.status == TrainStatus.NOT_ENOUGH_DATA:
        return (
            f"Not enough history to train: {r.n_closed} closed leads ({r.n_won} won, {r.n_lost} lost); "
            f"need at least {r.min_closed} with {r.min_per_class} of each outcome. Scoring stays on {r.scorer}."
        )
    figures = f"held-out ROC AUC {r.auc:.3f} vs {r.compared_auc:.3f} of {r.compared_with}"
    if r.status == TrainStatus.ACTIVATED:
        return f"Model {r.version} is now active: {figures}."
    return f"Model {r.version} was stored but not activated: {figures}; {r.compared_with} stays active."


def train_lines(r: TrainReport) -> list[str]:
    lines = [train_head(r), f"closed leads: {r.n_won} won, {r.n_lost} lost", *_candidates(r.candidates)]
    if r.version:
        lines.append(f"held-out: {r.version} ROC AUC {r.auc:.3f}, Brier {r.brier:.3f}")
        lines.append(f"held-out: {r.compared_with} ROC AUC {r.compared_auc:.3f}, Brier {r.compared_brier:.3f}")
    if r.status != TrainStatus.NOT_ENOUGH_DATA:
        lines.append(f"took {r.seconds:.1f} s")
    return lines


def model_lines(info: ModelInfo) -> list[str]:
    head = f"active scorer: {info.version} ({info.algorithm or 'hand rule of the original service'})"
    if not info.is_learned:
        return [head]
    other = info.metrics.get("compared_with", "?")
    other_auc = float(info.metrics.get("compared_auc", float("nan")))
    return [
        head,
        f"trained at {info.trained_at:%Y-%m-%d %H:%M} UTC on {info.n_won} won / {info.n_lost} lost leads",
        f"held-out ROC AUC {info.auc:.3f}, Brier {info.brier:.3f} (vs {other}: ROC AUC {other_auc:.3f})",
        f"features: {len(info.features)}",
        *_candidates(info.metrics.get("candidates") or {}),
    ]


def rescore_summary(r: RescoreReport) -> str:
    return f"re-scored {r.leads} open leads with {r.version} in {r.batches} batches, {r.seconds:.1f} s"
