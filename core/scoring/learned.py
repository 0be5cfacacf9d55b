"""The learned scorer: candidates, cross-validated choice, calibration, explanation.

Pure scikit-learn + pandas; no database here. ``core.services.training`` loads the examples and stores
the result; ``bench/scoring.py`` calls :func:`fit_candidates` directly inside its outer CV.

* Candidates: an L2-regularised logistic regression (one-hot categories, scaled numbers) and a
  HistGradientBoostingClassifier (native categorical support).
* Choice: the candidate with the best cross-validated ROC AUC (stratified, shuffled folds).
* Calibration: the same out-of-fold predictions that give the AUC also fit the calibrator
  (Platt sigmoid on the log-odds), then the base model is refit on all rows.
  This is what ``CalibratedClassifierCV(ensemble=False)`` does, minus a second round of fits.
* Explanation: SHAP values against the average lead, additive on the log-odds scale
  (:mod:`core.scoring.attribution`); the largest, in plain words (:mod:`core.scoring.reasons`), become the
  reason, plus the largest thing a manager can change when it is among the top five (:func:`pick_factors`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from core.domain.enums import Recommendation
from core.domain.funnel import DEFAULT_TRANSFER_THRESHOLD
from core.scoring.attribution import Attribution, LinearAttribution, TreeAttribution, make_attribution
from core.scoring.base import DEFAULT_DROP_MIN_AGE, ScoreResult, ScoringInput
from core.scoring.features import ACT_PREFIX, Value, features
from core.scoring.reasons import Factor, reason_text

CANDIDATES = ("logreg", "hgb")
ALGORITHMS = {
    "logreg": "LogisticRegression(L2, C=0.5) + calibration",
    "hgb": "HistGradientBoostingClassifier + calibration",
}
MIN_LOGIT_EFFECT = 0.05  # smaller contributions are not worth naming
DROP_WON_LOSS = 0.10  # "drop" only below a score that, out of fold, at most this share of the won leads had
EPS = 1e-6


# ---------------------------------------------------------------- feature spec


@dataclass
class FeatureSpec:
    """Which features a model uses, their kind, and the 'typical lead' used for explanations."""

    numeric: list[str]
    categorical: list[str]
    baseline: dict[str, Value] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [*self.categorical, *self.numeric]

    @classmethod
    def infer(cls, rows: Sequence[dict[str, Value]]) -> FeatureSpec:
        """Numeric when every known value is a number; dropped when never known, never varying or id-like (a
        text column of mostly distinct values: ``_id_like``)."""
        keys = sorted({k for r in rows for k in r})
        numeric: list[str] = []
        categorical: list[str] = []
        baseline: dict[str, Value] = {}
        for key in keys:
            values = [r.get(key) for r in rows]
            known = [v for v in values if v is not None]
            if not known or len({*values}) < 2:
                continue
            if all(isinstance(v, float | int) for v in known):
                numeric.append(key)
                baseline[key] = (
                    float(np.median(np.asarray(known, dtype=float))) if len(known) * 2 >= len(values) else None
                )
            elif _id_like(known):
                continue  # a landing-page hash, an e-mail, a row id: it names a lead, it says nothing about one
            else:
                categorical.append(key)
                baseline[key] = Counter(None if v is None else str(v) for v in values).most_common(1)[0][0]
        return cls(numeric=numeric, categorical=categorical, baseline=baseline)

    def frame(self, rows: Sequence[dict[str, Value]]) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for key in self.categorical:
            data[key] = pd.Series([_cat(r.get(key)) for r in rows], dtype=object)
        for key in self.numeric:
            data[key] = pd.Series([_num(r.get(key)) for r in rows], dtype=float)
        return pd.DataFrame(data, columns=self.names)


ID_LIKE_MIN_DISTINCT = 50  # fewer distinct values than this is a category, however many rows
ID_LIKE_SHARE = 0.5  # a text column whose known values are this unique is an identifier


def _id_like(known: Sequence[Value]) -> bool:
    distinct = len({str(v) for v in known})
    return distinct >= ID_LIKE_MIN_DISTINCT and distinct >= ID_LIKE_SHARE * len(known)


def _cat(value: Value) -> Any:
    return np.nan if value is None else str(value)


def _num(value: Value) -> float:
    if value is None or isinstance(value, str):
        return np.nan
    return float(value)


# ---------------------------------------------------------------- estimators


def make_estimator(name: str, spec: FeatureSpec, seed: int = 42) -> Pipeline:
    if name == "logreg":
        columns = ColumnTransformer(
            [
                (
                    "cat",
                    make_pipeline(
                        SimpleImputer(strategy="constant", fill_value="(missing)", keep_empty_features=True),
                        OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5),
                    ),
                    spec.categorical,
                ),
                (
                    "num",
                    make_pipeline(
                        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                        StandardScaler(),
                    ),
                    spec.numeric,
                ),
            ]
        )
        return make_pipeline(columns, LogisticRegression(C=0.5, max_iter=3000))
    if name == "hgb":
        columns = ColumnTransformer(
            [
                (
                    "cat",
                    OrdinalEncoder(
                        handle_unknown="use_encoded_value",
                        unknown_value=np.nan,
                        encoded_missing_value=np.nan,
                        max_categories=250,
                    ),
                    spec.categorical,
                ),
                ("num", "passthrough", spec.numeric),
            ]
        )
        mask = [True] * len(spec.categorical) + [False] * len(spec.numeric)
        return make_pipeline(
            columns,
            HistGradientBoostingClassifier(
                learning_rate=0.05,
                max_iter=200,
                max_leaf_nodes=10,
                l2_regularization=1.0,
                categorical_features=mask,
                early_stopping=False,
                random_state=seed,
            ),
        )
    raise ValueError(f"unknown candidate {name!r}; expected one of {', '.join(CANDIDATES)}")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.asarray(np.log(p / (1 - p)), dtype=float).reshape(-1, 1)


class CalibratedModel:
    """A fitted base pipeline plus a calibrator fitted on its out-of-fold predictions, and how to attribute its
    log-odds to the features (None in versions stored before attributions; :meth:`LearnedModel.attribution`)."""

    def __init__(self, base: Pipeline, calibrator: Any, method: str, attribution: Attribution | None = None) -> None:
        self.base = base
        self.calibrator = calibrator
        self.method = method
        self.attribution = attribution

    def raw(self, frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.base.predict_proba(frame)[:, 1], dtype=float)

    def log_odds(self, frame: pd.DataFrame) -> np.ndarray:
        """Uncalibrated log-odds (not clipped, unlike a logit of a probability that rounds to 1)."""
        return np.asarray(self.base.decision_function(frame), dtype=float).ravel()

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return calibrate(self.calibrator, self.method, self.raw(frame))


def fit_calibrator(oof: np.ndarray, y: np.ndarray) -> tuple[Any, str]:
    """Platt scaling on the log-odds. (Isotonic was tried on X Education: its ties gave a lower pooled
    ROC AUC, .875 vs .877, and its Brier score was worse too, .1344 vs .1337.)"""
    return LogisticRegression(C=1e4).fit(_logit(oof), y), "sigmoid"


def calibrate(calibrator: Any, method: str, raw: np.ndarray) -> np.ndarray:
    if method == "isotonic":  # versions stored before calibration settled on Platt scaling
        return np.asarray(np.clip(calibrator.predict(raw), 0.0, 1.0), dtype=float)
    return np.asarray(calibrator.predict_proba(_logit(raw))[:, 1], dtype=float)


# ---------------------------------------------------------------- training


@dataclass
class CandidateFit:
    name: str
    cv_auc: float
    cv_brier: float  # of the calibrated out-of-fold predictions (slightly optimistic)
    model: CalibratedModel
    drop_below: float | None = None  # learned "drop" cut-off (``drop_cutoff``)
    base_rate: float | None = None  # share of won leads in the training rows


@dataclass
class TrainOutcome:
    spec: FeatureSpec
    candidates: dict[str, CandidateFit]
    chosen: str
    folds: int

    @property
    def best(self) -> CandidateFit:
        return self.candidates[self.chosen]

    def learned_model(self) -> LearnedModel:
        best = self.best
        return LearnedModel(
            spec=self.spec,
            model=best.model,
            algorithm=self.chosen,
            drop_below=best.drop_below,
            base_rate=best.base_rate,
        )


def drop_cutoff(calibrated_oof: np.ndarray, target: np.ndarray, loss: float = DROP_WON_LOSS) -> float | None:
    """The score below which a lead may be told "drop": at most ``loss`` of the won leads scored below it out of
    fold (held out from the model that scored them). None without won leads. With a base rate of ~11 % and the
    old fixed 0.3, half the later-won leads of one public dataset (all of another's) were told "drop"."""
    won = np.sort(calibrated_oof[target == 1])
    if not len(won):
        return None
    return float(won[int(np.floor(loss * len(won)))])  # strictly below it: at most floor(loss * n) won leads


def fit_candidates(
    rows: Sequence[dict[str, Value]],
    y: Sequence[int] | np.ndarray,
    *,
    seed: int = 42,
    folds: int = 5,
    candidates: Sequence[str] = CANDIDATES,
    only: str | None = None,
) -> TrainOutcome:
    """Cross-validate every candidate, calibrate each, choose the best by CV ROC AUC.

    ``only`` skips the choice and fits one named candidate (used to refit the chosen algorithm)."""
    target = np.asarray(y, dtype=int)
    minority = int(min(target.sum(), len(target) - target.sum()))
    if minority < 2:
        raise ValueError("need at least two examples of each outcome")
    k = max(2, min(folds, minority))
    spec = FeatureSpec.infer(rows)
    frame = spec.frame(rows)
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    fits: dict[str, CandidateFit] = {}
    for name in [only] if only else candidates:
        estimator = make_estimator(name, spec, seed)
        oof = cross_val_predict(estimator, frame, target, cv=cv, method="predict_proba")[:, 1]
        calibrator, method = fit_calibrator(oof, target)
        base = make_estimator(name, spec, seed).fit(frame, target)
        calibrated_oof = calibrate(calibrator, method, oof)
        attribution = make_attribution(name, base, spec.categorical, spec.numeric, frame)
        fits[name] = CandidateFit(
            name=name,
            cv_auc=float(roc_auc_score(target, oof)),
            cv_brier=float(brier_score_loss(target, calibrated_oof)),
            model=CalibratedModel(base, calibrator, method, attribution),
            drop_below=drop_cutoff(calibrated_oof, target),
            base_rate=float(target.mean()),
        )
    chosen = max(fits.values(), key=lambda f: (f.cv_auc, -f.cv_brier)).name
    return TrainOutcome(spec=spec, candidates=fits, chosen=chosen, folds=k)


# ---------------------------------------------------------------- the stored model and the scorer


ACTIONABLE = frozenset({"activity_count", "touches_per_day", "days_since_last_touch", "hours_to_first_contact"})
TOP_FACTORS = 3  # named in every reason
ADVICE_WITHIN = 5  # ... plus the next ones, up to this many, when they are needed to tell the way the score went,
# and the largest one a manager can change when it is among this many


def actionable(feature: str) -> bool:
    """A fact the manager changes by working the lead: touches of each kind, their rate, the days since the last."""
    return feature in ACTIONABLE or feature.startswith(ACT_PREFIX)


def pick_factors(names: Sequence[str], row: dict[str, Value], contributions: np.ndarray) -> list[Factor]:
    """The factors a reason names, all among the ``ADVICE_WITHIN`` largest by |contribution|: the
    ``TOP_FACTORS`` largest; then, while what they add up to points the other way from the score's move against
    the average lead (the sum of all contributions), the next ones pushing the score's way; and, when none named
    is something the manager can change but one of the top ``ADVICE_WITHIN`` is, that one too (advice)."""
    order = np.argsort(-np.abs(contributions), kind="stable")
    ranked = [
        Factor(names[j], row.get(names[j]), float(contributions[j]))
        for j in order[:ADVICE_WITHIN]
        if abs(contributions[j]) >= MIN_LOGIT_EFFECT
    ]
    shown = ranked[:TOP_FACTORS]
    way = np.sign(float(np.sum(contributions)))
    for extra in ranked[TOP_FACTORS:]:
        if np.sign(sum(f.delta for f in shown)) == way:
            break
        if np.sign(extra.delta) == way:
            shown.append(extra)
    if not any(actionable(f.feature) for f in shown):
        shown += [f for f in ranked if actionable(f.feature) and f not in shown][:1]
    return shown


@dataclass
class LearnedModel:
    """What goes into ``model_versions.model_blob`` (joblib)."""

    spec: FeatureSpec
    model: CalibratedModel
    algorithm: str
    drop_below: float | None = None  # models stored before the learned cut-off never say "drop"
    base_rate: float | None = None  # the training rows' share of won leads (None: stored before the field)

    def predict_rows(self, rows: Sequence[dict[str, Value]]) -> np.ndarray:
        return self.model.predict(self.spec.frame(rows))

    def predict(self, inputs: Sequence[ScoringInput]) -> np.ndarray:
        return self.predict_rows([features(i) for i in inputs])

    def attribution(self) -> Attribution:
        """The stored attribution; for a version stored before there was one, trees are attributed exactly from
        the model itself, a linear model against its typical lead (training median / most frequent value)."""
        stored: Attribution | None = getattr(self.model, "attribution", None)
        if stored is not None:
            return stored
        spec = self.spec
        found: Attribution
        if self.algorithm == "hgb":
            found = TreeAttribution.fit(self.model.base, spec.categorical, spec.numeric)
        else:
            background = spec.frame([spec.baseline])
            found = LinearAttribution.fit(self.model.base, spec.categorical, spec.numeric, background)
        self.model.attribution = found
        return found

    def contributions_rows(self, rows: Sequence[dict[str, Value]]) -> np.ndarray:
        """(rows, features in ``spec.names`` order): log-odds contributions against the average lead."""
        return self.attribution().contributions(self.spec.frame(rows))

    def explain_rows(self, rows: Sequence[dict[str, Value]]) -> tuple[np.ndarray, list[list[Factor]]]:
        """Probabilities and, per row, the factors its reason names (:func:`pick_factors`)."""
        frame = self.spec.frame(rows)
        probs = self.model.predict(frame)
        contributions = self.attribution().contributions(frame)
        names = self.spec.names
        return probs, [pick_factors(names, row, c) for row, c in zip(rows, contributions, strict=True)]


def recommend_learned(
    score: float, data: ScoringInput, *, transfer_threshold: float, drop_below: float | None, drop_min_age: timedelta
) -> Recommendation:
    """A learned model's advice follows the team's own history, not fixed numbers: "transfer" exactly when the
    transfer gate would pass (score ≥ the gate, domain known); "drop" only below the learned cut-off, and
    never for a lead younger than ``drop_min_age`` or with no activity yet (nobody has tried it)."""
    if score >= transfer_threshold and data.business_domain:
        return Recommendation.TRANSFER_TO_SALES
    young = data.created_at is None or data.now is None or data.now - data.created_at < drop_min_age
    if drop_below is not None and score < drop_below and data.activity_count > 0 and not young:
        return Recommendation.DROP_LEAD
    return Recommendation.CONTINUE_QUALIFICATION


class LearnedScorer:
    """A Scorer backed by a stored model version; ``transfer_threshold`` is the gate's (TRANSFER_THRESHOLD)."""

    def __init__(
        self,
        model: LearnedModel,
        version: str,
        *,
        transfer_threshold: float = DEFAULT_TRANSFER_THRESHOLD,
        drop_min_age: timedelta = DEFAULT_DROP_MIN_AGE,
    ) -> None:
        self.model = model
        self.version = version
        self.transfer_threshold = transfer_threshold
        self.drop_min_age = drop_min_age

    def score(self, data: ScoringInput) -> ScoreResult:
        return self.score_many([data])[0]

    def score_many(self, inputs: Sequence[ScoringInput]) -> list[ScoreResult]:
        rows = [features(i) for i in inputs]
        probs, factors = self.model.explain_rows(rows)
        results = []
        for data, p, fs in zip(inputs, probs, factors, strict=True):
            score = round(float(min(max(p, 0.0), 1.0)), 4)
            rec = recommend_learned(
                score,
                data,
                transfer_threshold=self.transfer_threshold,
                drop_below=getattr(self.model, "drop_below", None),  # a model pickled before the field
                drop_min_age=self.drop_min_age,
            )
            en, ru = reason_text(score, rec.value, fs, base_rate=getattr(self.model, "base_rate", None))
            results.append(ScoreResult(score=score, recommendation=rec, reason=en, reason_ru=ru, version=self.version))
        return results
