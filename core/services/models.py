"""Train, store, activate and use the learned scorer; re-score open leads.

* :func:`train_model` — trains on closed leads (won = sale paid; lost = lead or sale lost), chooses
  the best candidate by cross-validated ROC AUC, checks it on a stratified held-out 20 % against
  the active scorer (``rules-v1`` or the active learned version) and activates it only if its
  held-out ROC AUC is higher. Every trained version is stored; only a winner becomes active.
* :class:`LearnedOrRules` — the ScorerProvider the product uses: the active version (the model cached
  by id; which id is active re-read at most every ``ttl_seconds``, at once after an in-process
  activation), else ``rules-v1``.
* :func:`rescore_open_leads` — batch re-score, one transaction per batch.
"""

from __future__ import annotations

import asyncio
import io
import logging
import pickle
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import joblib
import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from core.config import Settings
from core.domain.enums import Outcome
from core.domain.outcome import lead_outcome
from core.scoring.base import Scorer, ScoreResult, ScoringInput
from core.scoring.features import features
from core.scoring.learned import ALGORITHMS, LearnedModel, LearnedScorer, fit_candidates
from core.scoring.rules_v1 import RulesV1Scorer
from core.services.context import Services
from core.services.leads import scoring_input
from core.services.ports import ModelVersion, ScoreColumns, UnitOfWork

log = logging.getLogger(__name__)

RULES_VERSION = RulesV1Scorer.version
HOLDOUT_SHARE = 0.2
MIN_PER_CLASS_FLOOR = 10  # below this the held-out part cannot hold both outcomes, whatever the settings
SEED = 42


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


def rules_view(data: ScoringInput) -> ScoringInput:
    """rules-v1 on a closed lead without its final stage (its stage bonus would be the outcome itself)."""
    return replace(data, stage="new")


def rules_probabilities(inputs: list[ScoringInput]) -> np.ndarray:
    scorer = RulesV1Scorer()
    return np.asarray([scorer.score(rules_view(i)).score for i in inputs])


@dataclass(frozen=True)
class TrainReport:
    status: str  # "activated" | "not_activated" | "not_enough_data"
    message: str
    message_ru: str
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

    @property
    def activated(self) -> bool:
        return self.status == "activated"

    def lines(self, lang: str = "en") -> list[str]:
        ru = lang == "ru"
        out = [self.message_ru if ru else self.message]
        out.append(
            f"закрытых лидов: выиграно {self.n_won}, проиграно {self.n_lost}"
            if ru
            else f"closed leads: {self.n_won} won, {self.n_lost} lost"
        )
        for name, m in self.candidates.items():
            label = "кандидат" if ru else "candidate"
            out.append(f"{label} {name}: CV ROC AUC {m['cv_auc']:.3f}, CV Brier {m['cv_brier']:.3f}")
        if self.version:
            label = "отложенная выборка" if ru else "held-out"
            out.append(f"{label}: {self.version} ROC AUC {self.auc:.3f}, Brier {self.brier:.3f}")
            out.append(
                f"{label}: {self.compared_with} ROC AUC {self.compared_auc:.3f}, Brier {self.compared_brier:.3f}"
            )
        if self.status != "not_enough_data":
            out.append(f"заняло {self.seconds:.1f} с" if ru else f"took {self.seconds:.1f} s")
        return out


def _not_enough(n_won: int, n_lost: int, min_closed: int, min_per_class: int) -> TrainReport | None:
    min_per_class = max(min_per_class, MIN_PER_CLASS_FLOOR)
    total = n_won + n_lost
    if total >= min_closed and min(n_won, n_lost) >= min_per_class:
        return None
    en = (
        f"Not enough history to train: {total} closed leads ({n_won} won, {n_lost} lost); "
        f"need at least {min_closed} with {min_per_class} of each outcome. Scoring stays on {RULES_VERSION}."
    )
    ru = (
        f"Мало истории для обучения: закрытых лидов {total} (выиграно {n_won}, проиграно {n_lost}); "
        f"нужно не меньше {min_closed}, из них не меньше {min_per_class} каждого исхода. "
        f"Оценка остаётся на {RULES_VERSION}."
    )
    return TrainReport(status="not_enough_data", message=en, message_ru=ru, n_won=n_won, n_lost=n_lost)


def _dump(model: LearnedModel) -> bytes:
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return buf.getvalue()


def _load(blob: bytes) -> LearnedModel:
    return joblib.load(io.BytesIO(blob))


def _evaluate(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    return float(roc_auc_score(y, p)), float(brier_score_loss(y, p))


async def train_model(
    uow: UnitOfWork,
    *,
    min_closed: int = 200,
    min_per_class: int = 20,
    seed: int = SEED,
) -> TrainReport:
    started = time.perf_counter()
    data = await load_training_set(uow)
    refused = _not_enough(data.n_won, data.n_lost, min_closed, min_per_class)
    if refused:
        return refused
    async with uow:
        active_row = await uow.ml.active()
        active = (active_row.version, _safe_load(active_row)) if active_row else None

    def fit() -> dict[str, Any]:
        rows = [features(i) for i in data.inputs]
        idx = np.arange(len(rows))
        tr, ho = train_test_split(idx, test_size=HOLDOUT_SHARE, stratify=data.y, random_state=seed)
        outcome = fit_candidates([rows[i] for i in tr], data.y[tr], seed=seed)
        candidate = outcome.learned_model()
        auc, brier = _evaluate(data.y[ho], candidate.predict_rows([rows[i] for i in ho]))
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
        }

    r = await asyncio.to_thread(fit)
    activate = r["auc"] > r["other_auc"]
    now = datetime.now(UTC)
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
        },
        model_blob=_dump(model),
    )
    async with uow:
        await uow.ml.add(stored, activate=activate)
        await uow.commit()
    if activate:
        LearnedOrRules.activations_changed()

    figures = f"held-out ROC AUC {r['auc']:.3f} vs {r['other_auc']:.3f} of {r['other']}"
    if activate:
        en = f"Model {version} is now active: {figures}."
        ru = f"Модель {version} включена: ROC AUC на отложенной выборке {r['auc']:.3f} против {r['other_auc']:.3f} у {r['other']}."
    else:
        en = f"Model {version} was stored but not activated: {figures}; {r['other']} stays active."
        ru = (
            f"Модель {version} сохранена, но не включена: ROC AUC на отложенной выборке {r['auc']:.3f} "
            f"против {r['other_auc']:.3f} у {r['other']}; остаётся {r['other']}."
        )
    return TrainReport(
        status="activated" if activate else "not_activated",
        message=en,
        message_ru=ru,
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


def _safe_load(row: ModelVersion) -> LearnedModel | None:
    """A blob that no longer loads (e.g. after a scikit-learn upgrade) must not break scoring."""
    try:
        return _load(row.model_blob)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        log.exception("model version %s cannot be loaded; falling back to %s", row.version, RULES_VERSION)
        return None


@dataclass(frozen=True)
class ModelInfo:
    version: str
    algorithm: str
    is_learned: bool
    trained_at: datetime | None = None
    n_won: int | None = None
    n_lost: int | None = None
    auc: float | None = None
    brier: float | None = None
    features: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    def lines(self, lang: str = "en") -> list[str]:
        ru = lang == "ru"
        head = f"{'активная модель' if ru else 'active scorer'}: {self.version} ({self.algorithm})"
        if not self.is_learned:
            return [head]
        other = self.metrics.get("compared_with", "?")
        other_auc = float(self.metrics.get("compared_auc", float("nan")))
        if ru:
            return [
                head,
                f"обучена {self.trained_at:%Y-%m-%d %H:%M} UTC на {self.n_won} выигранных / {self.n_lost} проигранных лидах",
                f"отложенная выборка: ROC AUC {self.auc:.3f}, Brier {self.brier:.3f} (у {other}: ROC AUC {other_auc:.3f})",
                f"признаков: {len(self.features)}",
                *self._candidate_lines("кандидат"),
            ]
        return [
            head,
            f"trained at {self.trained_at:%Y-%m-%d %H:%M} UTC on {self.n_won} won / {self.n_lost} lost leads",
            f"held-out ROC AUC {self.auc:.3f}, Brier {self.brier:.3f} (vs {other}: ROC AUC {other_auc:.3f})",
            f"features: {len(self.features)}",
            *self._candidate_lines("candidate"),
        ]

    def _candidate_lines(self, label: str) -> list[str]:
        candidates = self.metrics.get("candidates") or {}
        return [
            f"{label} {name}: CV ROC AUC {m['cv_auc']:.3f}, CV Brier {m['cv_brier']:.3f}"
            for name, m in candidates.items()
        ]


async def active_model_info(uow: UnitOfWork) -> ModelInfo:
    async with uow:
        row = await uow.ml.active()
        if row is None:
            return ModelInfo(version=RULES_VERSION, algorithm="hand rule of the original service", is_learned=False)
        return _info(row)


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


class LearnedOrRules:
    """ScorerProvider: the active learned version, else rules-v1. Loads a blob once per version id.

    Which version is active is remembered for ``ttl_seconds`` (0: asked on every call), so a press of
    Analyze does not query model_versions each time. An activation in this process (:func:`train_model`)
    is seen at once (:meth:`activations_changed`); one in another process (``leadcrm train`` beside the
    running bot) within ``ttl_seconds``."""

    # Bumped by every in-process activation; each provider compares it with the value it cached under.
    _activations: int = 0

    def __init__(self, *, ttl_seconds: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._rules = RulesV1Scorer()
        self._cached: tuple[int, Scorer] | None = None
        self._ttl = ttl_seconds
        self._clock = clock
        self._current: Scorer | None = None  # the answer of the last check ...
        self._checked: tuple[float, int] = (float("-inf"), -1)  # ... when, and under which activation count

    @classmethod
    def activations_changed(cls) -> None:
        """Forget every provider's remembered active version (called after an activation commits)."""
        cls._activations += 1

    async def current(self, uow: UnitOfWork) -> Scorer:
        now = self._clock()
        checked_at, activations = self._checked
        if (
            self._current is not None
            and self._ttl > 0
            and activations == LearnedOrRules._activations
            and now - checked_at < self._ttl
        ):
            return self._current
        activations = LearnedOrRules._activations
        scorer = await self._lookup(uow)
        self._current, self._checked = scorer, (now, activations)
        return scorer

    async def _lookup(self, uow: UnitOfWork) -> Scorer:
        async with uow:
            repo = uow.ml
            active = await repo.active_id()
            if active is None:
                return self._rules
            version_id, version = active
            if self._cached is not None and self._cached[0] == version_id:
                return self._cached[1]
            row = await repo.get(version_id)
            model = _safe_load(row) if row is not None else None
        scorer: Scorer = LearnedScorer(model, version) if model is not None else self._rules
        self._cached = (version_id, scorer)
        return scorer


def score_many(scorer: Scorer, inputs: list[ScoringInput]) -> list[ScoreResult]:
    batch = getattr(scorer, "score_many", None)
    return batch(inputs) if batch else [scorer.score(i) for i in inputs]


@dataclass(frozen=True)
class RescoreReport:
    leads: int
    batches: int
    version: str
    seconds: float

    def summary(self) -> str:
        return f"re-scored {self.leads} open leads with {self.version} in {self.batches} batches, {self.seconds:.1f} s"


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
            now = datetime.now(UTC)
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


def settings_thresholds(settings: Settings) -> dict[str, int]:
    return {"min_closed": settings.train_min_closed, "min_per_class": settings.train_min_per_class}
