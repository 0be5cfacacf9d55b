"""Path-dependent TreeSHAP for scikit-learn's HistGradientBoostingClassifier, in numpy.

The values are those of Algorithm 2 of Lundberg, Erion & Lee, "Consistent individualized feature attribution
for tree ensembles" (2018): the exact Shapley values of the game ``v(S) = E[f(x) | x_S]``, where the
expectation is the one of their Algorithm 1 — follow ``x`` at a split on a feature in ``S``, otherwise take
both branches weighted by the training samples that went each way ("cover"). They add up to
``f(x) - E[f]``, with ``E[f]`` the cover-weighted mean leaf value (for a tree fitted without sample weights:
the mean raw prediction over its training rows).

The computation is reorganised per root-to-leaf path, as GPUTreeShap (Mitchell et al., 2022) does, so that it
vectorises over leads and leaves instead of recursing per lead in Python: for one leaf, Algorithm 1 gives
``v_leaf(S) = value * prod_{j in S} o_j * prod_{j not in S} z_j`` over the features ``j`` split on along its
path (``o_j`` = 1 when ``x`` satisfies every split on ``j`` along the path, ``z_j`` = the product of the
cover ratios of those splits; a feature split twice is one player, as in Algorithm 2's UNWIND). The Shapley
value of player ``i`` in such a product game is ``(o_i - z_i) * sum_k k!(d-1-k)!/d! * q_k`` with ``q`` the
coefficients of ``prod_{j != i} (z_j + o_j t)`` — Algorithm 2's EXTEND builds that polynomial, its UNWIND
divides one factor out. Paths are padded to one length with null players (``z = o = 1``), which change no
other player's value. ``tests/unit/test_treeshap.py`` checks the result against brute-force Shapley values.

scikit-learn internals read (checked against scikit-learn 1.9.1; pinned in pyproject):

* ``clf._predictors``: per boosting iteration a list (one per class; one for binary) of ``TreePredictor``;
  ``predictor.nodes`` is a structured array of ``PREDICTOR_RECORD_DTYPE`` with fields ``value``, ``count``,
  ``feature_idx``, ``num_threshold``, ``missing_go_to_left``, ``left``, ``right``, ``is_leaf``,
  ``is_categorical``, ``bitset_idx``; ``predictor.raw_left_cat_bitsets`` is ``(n_cat_splits, 8)`` uint32.
* ``clf._preprocessor``: with categorical features, a ColumnTransformer that re-encodes the categories
  (OrdinalEncoder, unknown -> NaN) and puts the categorical columns first; ``feature_idx`` numbers the columns
  it outputs, so contributions are mapped back through ``clf.is_categorical_`` (None without categories).
* ``clf._baseline_prediction``: the raw prediction before the first tree, shape ``(1, 1)`` for binary.
* ``clf._bin_mapper.make_known_categories_bitsets()`` -> ``(known_cat_bitsets, f_idx_map)``.
* The routing rule of ``_predictor.pyx::_predict_one_from_raw_data``: NaN follows ``missing_go_to_left``;
  numbers go left when ``x <= num_threshold``; a categorical value goes left when it is in the split's bitset,
  right when it is a known category, and the missing way otherwise (negative or unknown).

Any change there breaks the unit test (the sum of contributions must equal the model's raw prediction
minus the base value), not silently the reasons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

CHUNK_CELLS = 2_000_000  # leads x leaves x path slots per block: bounds the memory of one pass


@dataclass
class TreeTables:
    """The fitted ensemble as flat arrays: every internal node, and every leaf's path through them."""

    n_features: int
    base: float  # E[f]: baseline + every tree's cover-weighted mean leaf value
    # internal nodes (all trees)
    feature: np.ndarray  # (N,) int
    threshold: np.ndarray  # (N,) float
    missing_left: np.ndarray  # (N,) bool
    categorical: np.ndarray  # (N,) bool
    left_bits: np.ndarray  # (N, 8) uint32: the split's left-category bitset (zeros for numeric splits)
    known_bits: np.ndarray  # (N, 8) uint32: the feature's known categories
    # leaves
    value: np.ndarray  # (P,)
    slot_feature: np.ndarray  # (P, D) int; n_features = padding (a null player)
    zero: np.ndarray  # (P, D) z_j, 1.0 for padding
    step_node: np.ndarray  # (P, L) index into the node arrays, 0 for padding
    step_left: np.ndarray  # (P, L) bool: the path goes left there
    step_slot: np.ndarray  # (P, L) int: which slot the step's feature is, -1 for padding
    preprocessor: Any = None  # the classifier's own category re-encoding (clf._preprocessor)
    original: np.ndarray | None = None  # (n_features,) the input column of each re-encoded column

    @classmethod
    def from_classifier(cls, clf: Any) -> TreeTables:
        if getattr(clf, "n_trees_per_iteration_", 1) != 1:
            raise ValueError("TreeSHAP here covers binary classification (one tree per iteration)")
        known_cat, f_idx_map = clf._bin_mapper.make_known_categories_bitsets()
        n_features = int(clf.n_features_in_)
        feats: list[int] = []
        thresholds: list[float] = []
        miss: list[bool] = []
        cats: list[bool] = []
        left_bits: list[np.ndarray] = []
        known_bits: list[np.ndarray] = []
        leaves: list[tuple[float, list[tuple[int, bool, int]]]] = []  # value, [(global node, left, feature)]
        counts: list[tuple[float, tuple[float, float]]] = []  # per internal node: its cover, its children's
        zero8 = np.zeros(8, dtype=np.uint32)
        expected = float(np.ravel(clf._baseline_prediction)[0])
        for iteration in clf._predictors:
            predictor = iteration[0]
            nodes = predictor.nodes
            internal = {}
            for i, node in enumerate(nodes):
                if node["is_leaf"]:
                    continue
                internal[i] = len(feats)
                f = int(node["feature_idx"])
                is_cat = bool(node["is_categorical"])
                feats.append(f)
                thresholds.append(float(node["num_threshold"]))
                miss.append(bool(node["missing_go_to_left"]))
                cats.append(is_cat)
                left_bits.append(predictor.raw_left_cat_bitsets[node["bitset_idx"]] if is_cat else zero8)
                known_bits.append(known_cat[f_idx_map[f]] if is_cat else zero8)
                left_n, right_n = float(nodes[node["left"]]["count"]), float(nodes[node["right"]]["count"])
                counts.append((float(node["count"]), (left_n, right_n)))
            root_count = float(nodes[0]["count"])
            stack: list[tuple[int, list[tuple[int, bool, int]]]] = [(0, [])]
            while stack:
                i, path = stack.pop()
                node = nodes[i]
                if node["is_leaf"]:
                    leaves.append((float(node["value"]), path))
                    expected += float(node["value"]) * float(node["count"]) / root_count
                    continue
                g, f = internal[i], int(node["feature_idx"])
                stack.append((int(node["left"]), [*path, (g, True, f)]))
                stack.append((int(node["right"]), [*path, (g, False, f)]))
        tables = cls._pack(n_features, expected, feats, thresholds, miss, cats, left_bits, known_bits, leaves, counts)
        tables.preprocessor = getattr(clf, "_preprocessor", None)
        if tables.preprocessor is not None:
            mask = np.asarray(clf.is_categorical_, dtype=bool)
            tables.original = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
        return tables

    @classmethod
    def _pack(
        cls,
        n_features: int,
        expected: float,
        feats: list[int],
        thresholds: list[float],
        miss: list[bool],
        cats: list[bool],
        left_bits: list[np.ndarray],
        known_bits: list[np.ndarray],
        leaves: list[tuple[float, list[tuple[int, bool, int]]]],
        counts: list[tuple[float, tuple[float, float]]],
    ) -> TreeTables:
        n_leaves = len(leaves)
        depth = max((len(p) for _, p in leaves), default=0)
        width = max((len({f for _, _, f in p}) for _, p in leaves), default=0)
        value = np.zeros(n_leaves)
        slot_feature = np.full((n_leaves, max(width, 1)), n_features, dtype=np.intp)
        zero = np.ones((n_leaves, max(width, 1)))
        step_node = np.zeros((n_leaves, max(depth, 1)), dtype=np.intp)
        step_left = np.zeros((n_leaves, max(depth, 1)), dtype=bool)
        step_slot = np.full((n_leaves, max(depth, 1)), -1, dtype=np.intp)
        for p, (v, path) in enumerate(leaves):
            value[p] = v
            slots: dict[int, int] = {}
            for s, (g, go_left, f) in enumerate(path):
                slot = slots.setdefault(f, len(slots))
                slot_feature[p, slot] = f
                parent, child = counts[g]
                zero[p, slot] *= (child[0] if go_left else child[1]) / parent
                step_node[p, s], step_left[p, s], step_slot[p, s] = g, go_left, slot
        return cls(
            n_features=n_features,
            base=expected,
            feature=np.asarray(feats, dtype=np.intp),
            threshold=np.asarray(thresholds, dtype=float),
            missing_left=np.asarray(miss, dtype=bool),
            categorical=np.asarray(cats, dtype=bool),
            left_bits=np.asarray(left_bits, dtype=np.uint32).reshape(-1, 8),
            known_bits=np.asarray(known_bits, dtype=np.uint32).reshape(-1, 8),
            value=value,
            slot_feature=slot_feature,
            zero=zero,
            step_node=step_node,
            step_left=step_left,
            step_slot=step_slot,
        )

    # ------------------------------------------------------------ evaluation

    def goes_left(self, x: np.ndarray) -> np.ndarray:
        """(n, N) bool: where each lead goes at each internal node (scikit-learn's raw-data routing)."""
        val = x[:, self.feature]
        nan = np.isnan(val)
        with np.errstate(invalid="ignore"):
            numeric_left = val <= self.threshold
        code = np.where(nan | (val < 0) | (val > 255), -1, np.nan_to_num(val, nan=-1.0)).astype(np.intp)
        valid = code >= 0
        word, bit = np.clip(code, 0, 255) >> 5, (np.clip(code, 0, 255) & 31).astype(np.uint32)
        rows = np.arange(len(self.feature))
        in_left = ((self.left_bits[rows, word] >> bit) & 1).astype(bool) & valid
        in_known = ((self.known_bits[rows, word] >> bit) & 1).astype(bool) & valid
        categorical_left = np.where(in_left, True, np.where(in_known, False, self.missing_left))
        return np.where(nan, self.missing_left, np.where(self.categorical, categorical_left, numeric_left))

    def shap_values(self, x: np.ndarray) -> np.ndarray:
        """(n, n_features) contributions to the raw (log-odds) prediction; each row sums to f(x) - base.
        ``x`` is what the classifier's ``predict`` takes; the columns of the result are its columns."""
        x = np.asarray(x, dtype=float)
        if self.preprocessor is not None:
            x = np.asarray(self.preprocessor.transform(x), dtype=float)
        values = self._shap(x)
        if self.original is None:
            return values
        out = np.empty_like(values)
        out[:, self.original] = values
        return out

    def _shap(self, x: np.ndarray) -> np.ndarray:
        n = len(x)
        out = np.zeros((n, self.n_features + 1))
        if not len(self.value) or not len(self.feature):
            return out[:, :-1]
        for group in self._groups():
            cells = len(group.value) * (group.zero.shape[1] + 1) * max(group.step_node.shape[1], 1)
            chunk = max(1, CHUNK_CELLS // max(cells, 1))
            for start in range(0, n, chunk):
                part = x[start : start + chunk]
                out[start : start + chunk] += group.shap(part, self.goes_left(part))
        return out[:, :-1]

    def _groups(self) -> list[_Leaves]:
        """The leaves grouped by how many features their path splits on, each padded only to its own width
        (most paths are shorter than the longest: this saves most of the work)."""
        cached: list[_Leaves] | None = self.__dict__.get("_leaf_groups")
        if cached is not None:
            return cached
        widths = (self.slot_feature != self.n_features).sum(axis=1)
        depths = (self.step_slot >= 0).sum(axis=1)
        groups = []
        for w in np.unique(widths):
            rows = np.flatnonzero(widths == w)
            width, depth = max(int(w), 1), max(int(depths[rows].max()), 1)
            owner = np.zeros((len(rows) * width, self.n_features + 1))
            owner[np.arange(len(rows) * width), self.slot_feature[rows, :width].ravel()] = 1.0
            groups.append(
                _Leaves(
                    value=self.value[rows],
                    zero=self.zero[rows, :width],
                    step_node=self.step_node[rows, :depth],
                    step_left=self.step_left[rows, :depth],
                    step_slot=self.step_slot[rows, :depth],
                    owner=owner,
                )
            )
        self.__dict__["_leaf_groups"] = groups
        return groups


@dataclass
class _Leaves:
    """Leaves whose paths split on the same number of features (``zero.shape[1]``)."""

    value: np.ndarray  # (P,)
    zero: np.ndarray  # (P, w)
    step_node: np.ndarray  # (P, L)
    step_left: np.ndarray  # (P, L)
    step_slot: np.ndarray  # (P, L)
    owner: np.ndarray  # (P * w, n_features + 1): one-hot, the feature of each (leaf, slot)

    def shap(self, x: np.ndarray, left: np.ndarray) -> np.ndarray:
        """(n, n_features + 1) contributions of these leaves; ``left`` = ``TreeTables.goes_left(x)``."""
        n = len(x)
        n_leaves, width = self.zero.shape
        satisfied = left[:, self.step_node] == self.step_left  # (n, P, L)
        one = np.empty((n, n_leaves, width))
        for d in range(width):
            one[:, :, d] = np.all(satisfied | (self.step_slot != d), axis=-1)
        z = np.broadcast_to(self.zero, one.shape)
        # EXTEND: the coefficients of prod_j (z_j + o_j t), per lead and leaf
        poly = np.zeros((n, n_leaves, width + 1))
        poly[..., 0] = 1.0
        for d in range(width):
            shifted = np.concatenate([np.zeros((n, n_leaves, 1)), poly[..., :-1]], axis=-1)
            poly = poly * z[..., d : d + 1] + shifted * one[..., d : d + 1]
        weights = [math.factorial(k) * math.factorial(width - 1 - k) / math.factorial(width) for k in range(width)]
        weighted = poly[..., :width] @ np.asarray(weights)  # sum_k w_k poly_k: the o_i = 0 case, times z_i
        phi = np.empty((n, n_leaves, width))
        for i in range(width):
            zi, oi = z[..., i], one[..., i]
            # UNWIND: divide (z_i + o_i t) out and weigh the quotient's coefficients. o_i = 1: synthetic
            # division from the top; o_i = 0: the quotient is poly / z_i.
            carry = poly[..., width]
            total = np.zeros((n, n_leaves))
            for k in range(width - 1, -1, -1):
                total += weights[k] * carry
                carry = poly[..., k] - zi * carry
            quotient = np.where(oi > 0, total, weighted / zi)
            phi[..., i] = (oi - zi) * quotient
        phi *= self.value[None, :, None]
        return np.asarray(phi.reshape(n, -1) @ self.owner)
