"""TreeSHAP (core.scoring.treeshap) against brute-force exact Shapley values on small models."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from core.scoring.treeshap import TreeTables


def _goes_left(node, x: np.ndarray, predictor, known, f_idx_map) -> bool:  # x: re-encoded columns
    """One split, written out the way scikit-learn's _predictor.pyx routes raw data."""
    v = x[node["feature_idx"]]
    if np.isnan(v):
        return bool(node["missing_go_to_left"])
    if node["is_categorical"]:
        code = int(v)
        if v < 0:
            return bool(node["missing_go_to_left"])
        if (predictor.raw_left_cat_bitsets[node["bitset_idx"]][code >> 5] >> (code & 31)) & 1:
            return True
        if (known[f_idx_map[node["feature_idx"]]][code >> 5] >> (code & 31)) & 1:
            return False
        return bool(node["missing_go_to_left"])
    return bool(v <= node["num_threshold"])


def _expected(clf, x: np.ndarray, subset: frozenset[int]) -> float:
    """E[f(x) | x_S] by Algorithm 1 of Lundberg et al.: follow x on features in S, cover-weighted otherwise."""
    known, f_idx_map = clf._bin_mapper.make_known_categories_bitsets()
    total = float(np.ravel(clf._baseline_prediction)[0])
    for (predictor,) in clf._predictors:
        nodes = predictor.nodes

        def walk(i: int, nodes=nodes, predictor=predictor) -> float:
            node = nodes[i]
            if node["is_leaf"]:
                return float(node["value"])
            left, right = int(node["left"]), int(node["right"])
            if int(node["feature_idx"]) in subset:
                return walk(left if _goes_left(node, x, predictor, known, f_idx_map) else right)
            c = float(node["count"])
            return (nodes[left]["count"] * walk(left) + nodes[right]["count"] * walk(right)) / c

        total += walk(0)
    return total


def _brute_force(clf, row: np.ndarray) -> np.ndarray:
    """Exact Shapley values of E[f | x_S] over every subset S, in the classifier's input columns."""
    x = clf._preprocess_X(row[None, :], reset=False)[0]  # the columns its trees number (categories first)
    m = len(x)
    phi = np.zeros(m)
    for i in range(m):
        others = [j for j in range(m) if j != i]
        for size in range(m):
            w = math.factorial(size) * math.factorial(m - size - 1) / math.factorial(m)
            for s in itertools.combinations(others, size):
                base = frozenset(s)
                phi[i] += w * (_expected(clf, x, base | {i}) - _expected(clf, x, base))
    if clf.is_categorical_ is None:
        return phi
    is_cat = np.asarray(clf.is_categorical_, dtype=bool)
    out = np.empty(m)
    out[np.concatenate([np.flatnonzero(is_cat), np.flatnonzero(~is_cat)])] = phi
    return out


def _data(seed: int, categorical: bool, n: int = 400) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5))
    mask = [False] * 5
    if categorical:
        x[:, 1] = rng.integers(0, 6, size=n) * 10.0  # raw categories, re-encoded by the classifier
        x[:, 3] = rng.integers(0, 3, size=n)
        mask[1] = mask[3] = True
    logit = x[:, 1] - 0.7 * x[:, 2] + (x[:, 1] % 20 / 10 if categorical else x[:, 0]) + 0.5 * x[:, 1] * x[:, 4]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    x[rng.random((n, 5)) < 0.1] = np.nan  # missing values everywhere
    return x, y, mask


def _fit(x: np.ndarray, y: np.ndarray, mask: list[bool]) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=8, max_leaf_nodes=7, learning_rate=0.3, categorical_features=mask, random_state=0
    ).fit(x, y)


@pytest.mark.parametrize("categorical", [False, True], ids=["numeric", "with-categories"])
def test_tree_shap_equals_brute_force_shapley_values(categorical: bool) -> None:
    x, y, mask = _data(1, categorical)
    clf = _fit(x, y, mask)
    tables = TreeTables.from_classifier(clf)
    probe = x[:12].copy()
    if categorical:
        probe[0, 1] = 95.0  # a category never seen in training: routed as missing
        probe[1, 3] = np.nan
    got = tables.shap_values(probe)
    for row, phi in zip(probe, got, strict=True):
        np.testing.assert_allclose(phi, _brute_force(clf, row), atol=1e-6)


@pytest.mark.parametrize("categorical", [False, True], ids=["numeric", "with-categories"])
def test_contributions_add_up_to_the_raw_prediction_minus_the_training_mean(categorical: bool) -> None:
    x, y, mask = _data(2, categorical)
    clf = _fit(x, y, mask)
    tables = TreeTables.from_classifier(clf)
    raw = clf.decision_function(x)
    np.testing.assert_allclose(tables.shap_values(x).sum(axis=1) + tables.base, raw, atol=1e-9)
    assert tables.base == pytest.approx(raw.mean(), abs=1e-9)  # the base value is the training mean


def test_a_feature_the_trees_never_split_on_gets_nothing() -> None:
    x, y, mask = _data(3, False)
    x[:, 4] = 0.0  # constant: no tree can split on it
    clf = _fit(x, y, mask)
    assert np.all(TreeTables.from_classifier(clf).shap_values(x[:50])[:, 4] == 0.0)


def test_many_leads_are_computed_in_blocks_with_the_same_result(monkeypatch) -> None:
    x, y, mask = _data(4, True)
    tables = TreeTables.from_classifier(_fit(x, y, mask))
    whole = tables.shap_values(x[:40])
    monkeypatch.setattr("core.scoring.treeshap.CHUNK_CELLS", 1)
    np.testing.assert_allclose(tables.shap_values(x[:40]), whole, atol=1e-12)
