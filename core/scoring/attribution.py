"""How much each fact about a lead moved its score away from the average lead: SHAP values on the log-odds scale.

Contributions are in log-odds of the *uncalibrated* model (calibration is monotone, so directions agree) and
add up: ``sum(contributions) = log_odds(lead) - E[log_odds]`` over the training rows, so the named factors push
the score the way it actually moved from the average lead.

* Logistic regression: exact, ``coef * (x - mean)`` over the transformed columns (one-hot columns, scaled
  numbers, missing-value indicators), summed back onto the input feature each column came from. ``mean`` is the
  training rows' mean of the transformed columns, stored with the model.
* Gradient boosting: path-dependent TreeSHAP (:mod:`core.scoring.treeshap`); its base value is the
  cover-weighted mean leaf value, which is the mean raw prediction over the training rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from core.scoring.treeshap import TreeTables


class Attribution(Protocol):
    @property
    def base(self) -> float:
        """E[log-odds] over the training rows."""
        ...

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """(rows, features) in the frame's column order; each row sums to log-odds(row) - base."""
        ...


def _dense(matrix: Any) -> np.ndarray:
    return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=float)


def _column_features(columns: Any, categorical: list[str], numeric: list[str]) -> np.ndarray:
    """For every column the ColumnTransformer outputs, the index (in categorical + numeric) of its input."""
    n_out = sum(s.stop - s.start for s in columns.output_indices_.values())
    owner = np.full(n_out, -1, dtype=np.intp)
    cat = columns.output_indices_.get("cat", slice(0, 0))
    if cat.stop > cat.start:
        encoder = columns.named_transformers_["cat"][-1]
        names = encoder.get_feature_names_out([str(i) for i in range(len(categorical))])
        owner[cat] = [int(name.split("_", 1)[0]) for name in names]
    num = columns.output_indices_.get("num", slice(0, 0))
    if num.stop > num.start:
        imputer = columns.named_transformers_["num"][0]
        indicator = imputer.indicator_.features_ if getattr(imputer, "indicator_", None) is not None else []
        owner[num] = len(categorical) + np.concatenate([np.arange(len(numeric)), np.asarray(indicator, dtype=int)])
    if (owner < 0).any():
        raise ValueError("a transformed column with no input feature")
    return owner


@dataclass
class LinearAttribution:
    coef: np.ndarray  # (columns,)
    mean: np.ndarray  # (columns,) training mean of the transformed columns
    owner: np.ndarray  # (columns,) input feature of each column
    n_features: int
    base: float
    columns: Any  # the fitted ColumnTransformer

    @classmethod
    def fit(
        cls, pipeline: Pipeline, categorical: list[str], numeric: list[str], frame: pd.DataFrame
    ) -> LinearAttribution:
        columns, logreg = pipeline[0], pipeline[-1]
        mean = _dense(columns.transform(frame)).mean(axis=0)
        coef = np.asarray(logreg.coef_, dtype=float).ravel()
        base = float(logreg.intercept_[0] + coef @ mean)
        owner = _column_features(columns, categorical, numeric)
        return cls(coef, mean, owner, len(categorical) + len(numeric), base, columns)

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        cells = (_dense(self.columns.transform(frame)) - self.mean) * self.coef
        out = np.zeros((len(frame), self.n_features))
        np.add.at(out.T, self.owner, cells.T)
        return out


@dataclass
class TreeAttribution:
    tables: TreeTables
    owner: np.ndarray  # input feature of each column the classifier takes
    columns: Any

    @property
    def base(self) -> float:
        return self.tables.base

    @classmethod
    def fit(cls, pipeline: Pipeline, categorical: list[str], numeric: list[str]) -> TreeAttribution:
        columns, clf = pipeline[0], pipeline[-1]
        owner = np.zeros(int(clf.n_features_in_), dtype=np.intp)
        for name, offset, count in (("cat", 0, len(categorical)), ("num", len(categorical), len(numeric))):
            part = columns.output_indices_.get(name, slice(0, 0))
            owner[part] = offset + np.arange(count)[: part.stop - part.start]
        return cls(TreeTables.from_classifier(clf), owner, columns)

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        values = self.tables.shap_values(_dense(self.columns.transform(frame)))
        out = np.zeros((len(frame), len(frame.columns)))
        np.add.at(out.T, self.owner, values.T)
        return out


def make_attribution(
    name: str, pipeline: Pipeline, categorical: list[str], numeric: list[str], background: pd.DataFrame
) -> Attribution:
    """The attribution of a fitted candidate; ``background`` is its training frame (the linear model's mean)."""
    if name == "hgb":
        return TreeAttribution.fit(pipeline, categorical, numeric)
    if name == "logreg":
        return LinearAttribution.fit(pipeline, categorical, numeric, background)
    raise ValueError(f"no attribution for {name!r}")
