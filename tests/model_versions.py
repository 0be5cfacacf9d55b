"""Stored model versions for tests: a small learned model fitted once, saved as the trainer would."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from functools import cache

import numpy as np

from core.scoring.base import ScoringInput
from core.scoring.features import features
from core.scoring.learned import ALGORITHMS, fit_candidates
from core.scoring.provider import dump_model
from core.services.ports import ModelVersion

BANDS = [
    {"lo": 0.0, "hi": 0.2, "n": 40, "predicted": 0.12, "won": 0.1},
    {"lo": 0.2, "hi": 0.4, "n": 30, "predicted": 0.31, "won": 0.33},
    {"lo": 0.4, "hi": 0.6, "n": 0, "predicted": None, "won": None},
    {"lo": 0.6, "hi": 0.8, "n": 20, "predicted": 0.7, "won": 0.65},
    {"lo": 0.8, "hi": 1.0, "n": 10, "predicted": 0.9, "won": 0.9},
]
TOP = [
    {"feature": "act:meeting", "weight": 0.9},
    {"feature": "source", "weight": 0.5},
    {"feature": "attr:city", "weight": 0.1},
]


@cache
def blob() -> bytes:
    """Partner leads with meetings win (a model fitted on 200 generated leads)."""
    rng = random.Random(5)
    rows, y = [], []
    for _ in range(200):
        source = rng.choice(["partner", "scanner"])
        meetings = rng.randint(0, 5)
        won = rng.random() < 1 / (1 + np.exp(-(-2 + 1.5 * (source == "partner") + 0.6 * meetings)))
        data = ScoringInput(
            source, "lost", meetings, "fintech", {"city": rng.choice(["Kazan", "Omsk"])}, {"meeting": meetings}
        )
        rows.append(features(data))
        y.append(int(won))
    return dump_model(fit_candidates(rows, y, only="logreg").learned_model())


def version(name: str, *, auc: float, day: int, chart: bool = True) -> ModelVersion:
    metrics = {"compared_with": "rules-v1", "compared_auc": 0.6, "candidates": {}}
    if chart:
        metrics |= {"bands": BANDS, "top_factors": TOP}
    return ModelVersion(
        version=name,
        algorithm=ALGORITHMS["logreg"],
        features=["source", "act:meeting"],
        trained_at=datetime(2026, 11, day, 9, 0, tzinfo=UTC),
        n_won=80,
        n_lost=120,
        auc=auc,
        brier=0.2,
        metrics=metrics,
        model_blob=blob(),
    )
