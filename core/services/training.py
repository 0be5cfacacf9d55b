"""Train, store and activate the learned scorer; describe the active one; re-score open leads.

* :func:`train_model` — trains on closed leads (won = sale paid; lost = lead or sale lost), chooses
  the best candidate by cross-validated ROC AUC, checks it on the most recently closed 20 % (a time split:
  :func:`recent_split`) against
  the active scorer (``rules-v1`` or the active learned version) and activates it only if its
  held-out ROC AUC is higher. Every trained version is stored; only a winner becomes active.
* :func:`active_model_info` — what is active, with its figures.
* :func:`rescore_open_leads` — batch re-score, one transaction per batch.

The reports are data (status codes, counts, figures, versions); the bot (gettext) and the CLI word them.
The scorer the running product uses is :class:`core.scoring.provider.LearnedOrRules`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from core.config import Settings
from core.domain.clock import utcnow
from core.domain.enums import Outcome
from core.domain.outcome import lead_outcome
from core.scoring.base import ScoringInput
from core.scoring.features import features
from core.scoring.inputs import scoring_input
from core.scoring.learned import ALGORITHMS, LearnedModel, fit_candidates
from core.scoring.provider import (
    RULES_VERSION,
    LearnedOrRules,
    dump_model,
    load_model,
    score_many,
)
from core.scoring.report import score_bands, top_factors
from core.scoring.rules_v1 import RulesV1Scorer
from core.services.context import Policy, Services
from core.services.ports import GateStats, ModelChange, ModelVersion, ScoreColumns, UnitOfWork
from core.services.scorer_admin import transfer_gate

HOLDOUT_SHARE = 0.2
MIN_PER_CLASS_FLOOR = 10  # below this the held-out part cannot hold both outcomes, whatever the settings
SEED = 42
TRAINING_ACTOR = "training"  # who activated a version training found better (model_changes.actor)


@dataclass(frozen=True)
class TrainingSet:
    inputs: list[ScoringInput]
    y: np.ndarray

    @property
    def n_won(self) -> int:
        return int(self.y.sum())

    @property
    def n_lost(self) -> int:
        return int(len(self.y) - self.y.sum())


async def load_training_set(uow: UnitOfWork) -> TrainingSet:
    """Closed leads as they were just before the outcome (``now`` = the close time)."""
    inputs, labels = [], []
    async with uow:
        for r in await uow.ml.closed_leads():
            outcome = lead_outcome(r.lead.stage, r.sale_stage)
            if outcome == Outcome.OPEN:
                continue
            inputs.append(scoring_input(r.lead, now=r.closed_at))
            labels.append(1 if outcome == Outcome.WON else 0)
    return TrainingSet(inputs, np.asarray(labels, dtype=int))


def recent_split(data: TrainingSet, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(train, held out) indices: the most recently closed ``HOLDOUT_SHARE`` held out, as the model will meet
    leads after the ones it learned from. When that part lacks an outcome, or the close times do not tell
    recent from old (unknown, or all one time: a history imported without dates), a stratified random split."""
    idx = np.arange(len(data.y))
    closed = [i.now for i in data.inputs]
    n_held = max(1, round(HOLDOUT_SHARE * len(idx)))
    if all(c is not None for c in closed) and len(set(closed)) > 1:
        order = sorted(idx, key=lambda i: (closed[i], i))
        tr, ho = np.asarray(sorted(order[:-n_held])), np.asarray(sorted(order[-n_held:]))
        if len(set(data.y[ho])) == 2 and len(set(data.y[tr])) == 2:
            return tr, ho
    tr, ho = train_test_split(idx, test_size=HOLDOUT_SHARE, stratify=data.y, random_state=seed)
    return np.asarray(tr), np.asarray(ho)


def rules_view(data: ScoringInput) -> ScoringInput:
    """rules-v1 on a closed lead without its final stage (its stage bonus would be the outcome itself)."""
    return replace(data, stage="new")


def rules_probabilities(inputs: list[ScoringInput]) -> np.ndarray:
    scorer = RulesV1Scorer()
    return np.asarray([scorer.score(rules_view(i)).score for i in inputs])


class TrainStatus(StrEnum):
    ACTIVATED = "activated"
    NOT_ACTIVATED = "not_activated"  # stored, but it did not beat the active scorer
    NOT_ENOUGH_DATA = "not_enough_data"  # nothing trained: see min_closed / min_per_class


@dataclass(frozen=True)
class TrainReport:
    status: TrainStatus
    n_won: int
    n_lost: int
    version: str | None = None
    algorithm: str | None = None
    auc: float | None = None  # held-out, of the new version
    brier: float | None = None
    compared_with: str | None = None
    compared_auc: float | None = None
    compared_brier: float | None = None
    candidates: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0
    min_closed: int | None = None  # the thresholds that applied (NOT_ENOUGH_DATA)
    min_per_class: int | None = None
    scorer: str = RULES_VERSION  # what scoring stays on when nothing was activated for lack of data

    @property
    def activated(self) -> bool:
        return self.status == TrainStatus.ACTIVATED

    @property
    def n_closed(self) -> int:
        return self.n_won + self.n_lost


def _not_enough(n_won: int, n_lost: int, min_closed: int, min_per_class: int) -> TrainReport | None:
    min_per_class = max(min_per_class, MIN_PER_CLASS_FLOOR)
    if n_won + n_lost >= min_closed and min(n_won, n_lost) >= min_per_class:
        return None
    return TrainReport(
        status=TrainStatus.NOT_ENOUGH_DATA,
        n_won=n_won,
        n_lost=n_lost,
        min_closed=min_closed,
        min_per_class=min_per_class,
    )


def _evaluate(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    return float(roc_auc_score(y, p)), float(brier_score_loss(y, p))


async def train_model(
    uow: UnitOfWork,
    *,
    min_closed: int = 200,
    min_per_class: int = 20,
    seed: int = SEED,
    on_activate: Callable[[UnitOfWork, ModelVersion], Awaitable[None]] | None = None,
) -> TrainReport:
    """Fit, store the version, activate it when it beats the active scorer on the recent hold-out; ``on_activate``
    runs in the activating transaction (the retrainer tells the admins there)."""
    started = time.perf_counter()
    data = await load_training_set(uow)
    refused = _not_enough(data.n_won, data.n_lost, min_closed, min_per_class)
    if refused:
        return refused
    async with uow:
        active_row = await uow.ml.active()
        active = (active_row.version, load_model(active_row)) if active_row else None

    def fit() -> dict[str, Any]:
        rows = [features(i) for i in data.inputs]
        tr, ho = recent_split(data, seed)
        outcome = fit_candidates([rows[i] for i in tr], data.y[tr], seed=seed)
        candidate = outcome.learned_model()
        held_out = [rows[i] for i in ho]
        held_out_p = candidate.predict_rows(held_out)
        auc, brier = _evaluate(data.y[ho], held_out_p)
        if active is not None and active[1] is not None:
            other_name = active[0]
            other_p = active[1].predict_rows([rows[i] for i in ho])
        else:
            other_name = RULES_VERSION
            other_p = rules_probabilities([data.inputs[i] for i in ho])
        other_auc, other_brier = _evaluate(data.y[ho], other_p)
        # The winner is refit on every closed lead; the held-out figures describe the 80 % fit.
        final = fit_candidates(rows, data.y, seed=seed, only=outcome.chosen).learned_model()
        return {
            "model": final,
            "chosen": outcome.chosen,
            "candidates": {
                n: {"cv_auc": round(c.cv_auc, 4), "cv_brier": round(c.cv_brier, 4)}
                for n, c in outcome.candidates.items()
            },
            "auc": auc,
            "brier": brier,
            "other": other_name,
            "other_auc": other_auc,
            "other_brier": other_brier,
            "n_holdout": len(ho),
            "folds": outcome.folds,
            "bands": score_bands(data.y[ho], held_out_p),
            "top_factors": top_factors(candidate, held_out),
        }

    r = await asyncio.to_thread(fit)
    activate = r["auc"] > r["other_auc"]
    now = utcnow()
    version = f"{r['chosen']}-{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:4]}"
    model: LearnedModel = r["model"]
    stored = ModelVersion(
        version=version,
        algorithm=ALGORITHMS[r["chosen"]],
        features=model.spec.names,
        trained_at=now,
        n_won=data.n_won,
        n_lost=data.n_lost,
        auc=r["auc"],
        brier=r["brier"],
        metrics={
            "holdout_rows": r["n_holdout"],
            "cv_folds": r["folds"],
            "candidates": r["candidates"],
            "chosen": r["chosen"],
            "compared_with": r["other"],
            "compared_auc": r["other_auc"],
            "compared_brier": r["other_brier"],
            "calibration": model.model.method,
            "bands": r["bands"],  # held out: predicted vs actual win rate by score band (/model's chart)
            "top_factors": r["top_factors"],  # held out: mean |contribution| per feature
        },
        model_blob=dump_model(model),
    )
    async with uow:
        await uow.ml.add(stored, activate=activate)
        if activate:
            detail = {"version": version, "from": active[0] if active else None}
            await uow.ml.record_change(ModelChange(now, TRAINING_ACTOR, "activate", detail))
            if on_activate is not None:
                await on_activate(uow, stored)
        await uow.commit()
    if activate:
        LearnedOrRules.activations_changed()

    return TrainReport(
        status=TrainStatus.ACTIVATED if activate else TrainStatus.NOT_ACTIVATED,
        n_won=data.n_won,
        n_lost=data.n_lost,
        version=version,
        algorithm=ALGORITHMS[r["chosen"]],
        auc=r["auc"],
        brier=r["brier"],
        compared_with=r["other"],
        compared_auc=r["other_auc"],
        compared_brier=r["other_brier"],
        candidates=r["candidates"],
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class ModelInfo:
    version: str
    algorithm: str | None  # None: the hand rule (rules-v1)
    is_learned: bool
    trained_at: datetime | None = None
    n_won: int | None = None
    n_lost: int | None = None
    auc: float | None = None
    brier: float | None = None
    features: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    gate: GateStats | None = None  # what the transfer gate means on this team's data


async def active_model_info(
    uow: UnitOfWork, *, transfer_threshold: float | None = None, policy: Policy | None = None
) -> ModelInfo:
    """The active scorer's figures; with ``transfer_threshold``, also what that gate means on the team's data;
    with ``policy``, the same for the gate in force (an admin's, else the policy's)."""
    async with uow:
        if policy is not None:
            transfer_threshold = await transfer_gate(uow, policy)
        row = await uow.ml.active()
        gate = await uow.ml.gate_stats(transfer_threshold) if transfer_threshold is not None else None
        if row is None:
            return ModelInfo(version=RULES_VERSION, algorithm=None, is_learned=False, gate=gate)
        return replace(_info(row), gate=gate)


def _info(row: ModelVersion) -> ModelInfo:
    return ModelInfo(
        version=row.version,
        algorithm=row.algorithm,
        is_learned=True,
        trained_at=row.trained_at,
        n_won=row.n_won,
        n_lost=row.n_lost,
        auc=row.auc,
        brier=row.brier,
        features=list(row.features or []),
        metrics=dict(row.metrics or {}),
    )


@dataclass(frozen=True)
class RescoreReport:
    leads: int
    batches: int
    version: str
    seconds: float


async def rescore_open_leads(uow: UnitOfWork, svc: Services, *, batch_size: int = 500) -> RescoreReport:
    """Score every open lead with the current scorer; one transaction per batch. The lead's version and
    updated_at are left alone: a fresh score is not an edit, and open cards stay valid."""
    started = time.perf_counter()
    after, total, batches = 0, 0, 0
    async with uow:
        version = (await svc.scorers.current(uow)).version
    while True:
        async with uow:
            rows = await uow.ml.open_leads_after(after, batch_size)
            if not rows:
                break
            scorer = await svc.scorers.current(uow)
            version = scorer.version
            now = utcnow()
            results = score_many(scorer, [scoring_input(r, now) for r in rows])
            await uow.ml.store_scores(
                [
                    ScoreColumns(
                        row.id,
                        {
                            "ai_score": res.score,
                            "ai_recommendation": res.recommendation,
                            "ai_reason": res.reason,
                            "ai_reason_ru": res.reason_ru,
                            "scorer_version": res.version,
                            "ai_scored_at": now,
                        },
                    )
                    for row, res in zip(rows, results, strict=True)
                ]
            )
            await uow.commit()
        after = rows[-1].id
        total += len(rows)
        batches += 1
    return RescoreReport(total, batches, version, time.perf_counter() - started)


class Thresholds(TypedDict):
    min_closed: int
    min_per_class: int


def settings_thresholds(settings: Settings) -> Thresholds:
    return {"min_closed": settings.train_min_closed, "min_per_class": settings.train_min_per_class}
