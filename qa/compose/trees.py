"""A LightGBM tree ensemble evaluated with numpy, from LightGBM's own model text.

Serving scores a few dozen candidates per question: importing LightGBM for that costs ~95 MB per
worker (it imports scikit-learn) and a fixed overhead per call. The model text (`ranker.txt`, written
by `Booster.model_to_string`) holds every tree's splits; this evaluates all trees for all rows at once,
one tree level per step. Supported: numerical splits with LightGBM's default missing-value handling
(`decision_type` 0 or 2: a NaN feature counts as 0.0, `value <= threshold` goes left), which is what
`qa.training.fit` trains. Anything else (categorical splits, linear trees, NaN-aware splits) is refused
when the model is read, so a model this cannot evaluate exactly is never served.

A text may hold several models one after another (a bag of boosters trained with different seeds, as
`qa.training.bag` writes it): their scores are averaged, which is the same as one ensemble of all their
trees with every leaf value divided by the number of models.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np


class UnsupportedModel(ValueError):
    """The model text uses a LightGBM feature this evaluator does not implement."""


@dataclass(frozen=True)
class TreeEnsemble:
    feature: np.ndarray  # (trees, internal nodes) split feature
    threshold: np.ndarray  # (trees, internal nodes)
    left: np.ndarray  # (trees, internal nodes) child: >= 0 an internal node, < 0 leaf ~child
    right: np.ndarray
    leaf_value: np.ndarray  # (trees, leaves)
    n_features: int
    depth: int  # the longest root-to-leaf path, in splits

    @classmethod
    def from_model_text(cls, text: str) -> TreeEnsemble:
        models = [m for m in _MODEL_START.split(text) if m.strip()]
        if not models:
            raise UnsupportedModel("the model text holds no trees")
        parts = [_parse_model(m) for m in models]
        n_features = parts[0][0]
        if any(n != n_features for n, _ in parts):
            raise UnsupportedModel("the bagged models have different features")
        scale = 1.0 / len(parts)
        trees = [
            _Tree(t.split_feature, t.threshold, t.left_child, t.right_child, [v * scale for v in t.leaf_value], t.depth)
            if scale != 1.0 else t
            for _, ts in parts for t in ts
        ]
        nodes = max(max(len(t.split_feature) for t in trees), 1)
        leaves = max(len(t.leaf_value) for t in trees)
        n = len(trees)
        feature = np.zeros((n, nodes), dtype=np.intp)
        threshold = np.zeros((n, nodes), dtype=np.float64)
        left = np.full((n, nodes), -1, dtype=np.intp)  # a single-leaf tree's padded root leads to leaf 0
        right = np.full((n, nodes), -1, dtype=np.intp)
        leaf_value = np.zeros((n, leaves), dtype=np.float64)
        for i, t in enumerate(trees):
            k = len(t.split_feature)
            feature[i, :k] = t.split_feature
            threshold[i, :k] = t.threshold
            left[i, :k] = t.left_child
            right[i, :k] = t.right_child
            leaf_value[i, : len(t.leaf_value)] = t.leaf_value
        if int(feature.max(initial=0)) >= n_features:
            raise UnsupportedModel("a split names a feature the model does not have")
        depth = max(1, max(t.depth for t in trees))
        return cls(feature, threshold, left, right, leaf_value, n_features, depth)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Raw scores (the sum of the trees' leaf values), one per row of `X` (rows x features)."""
        X = np.asarray(X, dtype=np.float64)
        if not np.isfinite(X).all():  # LightGBM counts a missing value as 0.0 (no NaN-aware splits here)
            X = np.nan_to_num(X, nan=0.0)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got shape {X.shape}")
        rows = X.shape[0]
        if rows == 0:
            return np.zeros(0)
        flat = self._flat
        trees = flat.roots.size
        xs = X.ravel()
        # one (row, tree) slot each, all walked one level per step; a leaf leads to itself
        node = np.tile(flat.roots, rows)
        row_base = np.repeat(np.arange(rows, dtype=np.intp) * self.n_features, trees)
        for _ in range(self.depth):
            go_right = xs[row_base + flat.feature[node]] > flat.threshold[node]
            node = flat.children[2 * node + go_right]
        return np.asarray(flat.leaf_value[node].reshape(rows, trees).sum(axis=1), dtype=np.float64)

    @cached_property
    def _flat(self) -> _Flat:
        trees, nodes = self.feature.shape
        leaves = self.leaf_value.shape[1]
        first_leaf = trees * nodes
        total = first_leaf + trees * leaves
        node_off = (np.arange(trees, dtype=np.intp) * nodes)[:, None]
        leaf_off = first_leaf + (np.arange(trees, dtype=np.intp) * leaves)[:, None]

        def child(c: np.ndarray) -> np.ndarray:
            return np.where(c >= 0, c + node_off, ~c + leaf_off).ravel()

        feature = np.zeros(total, dtype=np.intp)
        threshold = np.full(total, np.inf)  # a leaf: never "go right"
        children = np.empty((total, 2), dtype=np.intp)
        feature[:first_leaf] = self.feature.ravel()
        threshold[:first_leaf] = self.threshold.ravel()
        children[:first_leaf, 0] = child(self.left)
        children[:first_leaf, 1] = child(self.right)
        children[first_leaf:, 0] = children[first_leaf:, 1] = np.arange(first_leaf, total)
        leaf_value = np.concatenate([np.zeros(first_leaf), self.leaf_value.ravel()])
        return _Flat(node_off.ravel().copy(), feature, threshold, children.ravel(), leaf_value)


@dataclass(frozen=True)
class _Flat:
    """Every tree's nodes and then every tree's leaves in one numbering: node `t * nodes + i`, leaf
    `trees * nodes + t * leaves + j`; `children[2k]` / `children[2k + 1]` are node k's left / right
    (a leaf's are itself), so a walk is a fixed number of vectorised steps."""

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    children: np.ndarray
    leaf_value: np.ndarray


# where a model begins: LightGBM's model text opens with a `tree` line, then `version=`
_MODEL_START = re.compile(r"(?m)^tree\n(?=version=)")


def _parse_model(text: str) -> tuple[int, list[_Tree]]:
    header, _, body = text.partition("\nTree=")
    n_features = _n_features(header)
    parsed = [_tree(block) for block in ("Tree=" + body).split("\nTree=") if block.strip()]
    trees = [t for t in parsed if t is not None]
    if not trees:
        raise UnsupportedModel("the model text holds no trees")
    return n_features, trees


def _n_features(header: str) -> int:
    for line in header.splitlines():
        if line.startswith("max_feature_idx="):
            return int(line.split("=", 1)[1]) + 1
    raise UnsupportedModel("the model text has no max_feature_idx")


@dataclass(frozen=True)
class _Tree:
    split_feature: list[int]
    threshold: list[float]
    left_child: list[int]
    right_child: list[int]
    leaf_value: list[float]
    depth: int


def _tree(block: str) -> _Tree | None:
    fields: dict[str, str] = {}
    for line in block.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    if "leaf_value" not in fields:
        return None  # the trailer after the last tree (feature importances, parameters)
    if fields.get("num_cat", "0") != "0" or fields.get("is_linear", "0") != "0":
        raise UnsupportedModel("categorical or linear trees are not supported")
    leaf_value = [float(v) for v in fields["leaf_value"].split()]
    if int(fields.get("num_leaves", "1")) <= 1:
        return _Tree([], [], [], [], leaf_value, 0)
    decision = [int(v) for v in fields["decision_type"].split()]
    if any(d & 1 or (d >> 2) & 3 for d in decision):  # categorical, or a NaN/zero-aware missing type
        raise UnsupportedModel(f"decision types {sorted(set(decision))} are not supported")
    left = [int(v) for v in fields["left_child"].split()]
    right = [int(v) for v in fields["right_child"].split()]
    return _Tree(
        split_feature=[int(v) for v in fields["split_feature"].split()],
        threshold=[float(v) for v in fields["threshold"].split()],
        left_child=left,
        right_child=right,
        leaf_value=leaf_value,
        depth=_depth(left, right),
    )


def _depth(left: list[int], right: list[int]) -> int:
    best, stack = 0, [(0, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        for child in (left[node], right[node]):
            if child >= 0:
                stack.append((child, d + 1))
    return best
