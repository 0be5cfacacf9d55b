"""What /model draws about a trained version, computed once at training on the held-out leads (stored in
``model_versions.metrics``): predicted vs actual win rate by score band, and the facts that move scores most."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from core.scoring.features import Value
from core.scoring.learned import LearnedModel

BAND_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
TOP_OVERALL = 8


def score_bands(y: np.ndarray, p: np.ndarray) -> list[dict[str, Any]]:
    """Per band of predicted probability: how many leads, their mean prediction, the share that was won."""
    bands = []
    for lo, hi in itertools.pairwise(BAND_EDGES):
        inside = (p >= lo) & ((p < hi) if hi < 1.0 else (p <= hi))
        n = int(inside.sum())
        bands.append(
            {
                "lo": lo,
                "hi": hi,
                "n": n,
                "predicted": round(float(p[inside].mean()), 4) if n else None,
                "won": round(float(y[inside].mean()), 4) if n else None,
            }
        )
    return bands


def top_factors(model: LearnedModel, rows: Sequence[dict[str, Value]], k: int = TOP_OVERALL) -> list[dict[str, Any]]:
    """The features with the largest mean |contribution| (log-odds) over ``rows``, largest first."""
    if not rows:
        return []
    weight = np.abs(model.contributions_rows(rows)).mean(axis=0)
    order = np.argsort(-weight, kind="stable")[:k]
    names = model.spec.names
    return [{"feature": names[j], "weight": round(float(weight[j]), 4)} for j in order if weight[j] > 0]
