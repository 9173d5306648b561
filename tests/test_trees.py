"""The numpy tree evaluator that serves the learned ranker gives LightGBM's own scores."""

from __future__ import annotations

import re
import subprocess
import sys

import lightgbm as lgb
import numpy as np
import pytest

from qa.compose.ranker import MODEL_DIR, LearnedRanker
from qa.compose.trees import TreeEnsemble, UnsupportedModel


def _shipped() -> str:
    return (MODEL_DIR / "ranker.txt").read_text(encoding="utf-8")


def _boosters(text: str) -> list[lgb.Booster]:
    """The models of a bag (model texts one after another), each as LightGBM reads it."""
    parts = re.split(r"(?m)^tree\n(?=version=)", text)
    return [lgb.Booster(model_str="tree\n" + p) for p in parts if p.strip()]


@pytest.mark.parametrize("name", ["ranker.txt", "span.txt"])
def test_the_shipped_models_score_exactly_as_lightgbm(name: str) -> None:
    text = (MODEL_DIR / name).read_text(encoding="utf-8")
    boosters = _boosters(text)
    assert len(boosters) >= 3  # a bag of seeds
    ens = TreeEnsemble.from_model_text(text)
    assert ens.n_features == boosters[0].num_feature()
    rng = np.random.default_rng(7)
    # feature-like rows: mostly in [0, 1], some negative, some large, some NaN, some exactly on thresholds
    X = rng.uniform(-1.5, 1.5, size=(500, ens.n_features))
    X[:50] = rng.integers(0, 2, size=(50, ens.n_features))
    X[50:60, 3] = np.nan
    X[60:100] = ens.threshold[0, 0]
    X[100:110] *= 1000
    mean = np.mean([b.predict(X, num_threads=1) for b in boosters], axis=0)  # the bag's score
    assert np.allclose(ens.predict(X), mean, rtol=0, atol=1e-9)
    assert not np.allclose(ens.predict(X), boosters[0].predict(X, num_threads=1), rtol=0, atol=1e-6)
    assert ens.predict(np.zeros((0, ens.n_features))).shape == (0,)


def test_a_bag_of_models_with_different_features_is_refused() -> None:
    rng = np.random.default_rng(5)
    texts = []
    for k in (4, 5):
        X = rng.normal(size=(200, k))
        ds = lgb.Dataset(X, label=(X[:, 0] > 0).astype(int), group=[20] * 10)
        texts.append(lgb.train({"objective": "lambdarank", "verbose": -1, "num_threads": 1}, ds, 3).model_to_string())
    with pytest.raises(UnsupportedModel, match="different features"):
        TreeEnsemble.from_model_text("".join(texts))


def test_a_trained_booster_with_single_leaf_trees_matches() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] + 0.5 * X[:, 2] > 0).astype(int) + (X[:, 1] > 1).astype(int)
    ds = lgb.Dataset(X, label=y, group=[30] * 10)
    booster = lgb.train({"objective": "lambdarank", "num_leaves": 7, "min_data_in_leaf": 200, "verbose": -1,
                         "num_threads": 1}, ds, num_boost_round=5)  # min_data_in_leaf 200: stumps or single leaves
    booster2 = lgb.train({"objective": "lambdarank", "num_leaves": 15, "verbose": -1, "num_threads": 1}, ds,
                         num_boost_round=30)
    for b in (booster, booster2):
        ens = TreeEnsemble.from_model_text(b.model_to_string())
        Xt = rng.normal(size=(200, 5))
        assert np.allclose(ens.predict(Xt), b.predict(Xt, num_threads=1), rtol=0, atol=1e-9)


def test_models_it_cannot_evaluate_exactly_are_refused() -> None:
    text = _shipped()
    with pytest.raises(UnsupportedModel):
        TreeEnsemble.from_model_text(text.replace("decision_type=2 ", "decision_type=9 ", 1))  # NaN-aware split
    with pytest.raises(UnsupportedModel):
        TreeEnsemble.from_model_text(text.replace("num_cat=0", "num_cat=1", 1))
    with pytest.raises(UnsupportedModel):
        TreeEnsemble.from_model_text("tree\nversion=v4\n")
    with pytest.raises(ValueError, match="features"):
        TreeEnsemble.from_model_text(text).predict(np.zeros((2, 3)))


def test_serving_the_learned_ranker_does_not_import_lightgbm_or_sklearn() -> None:
    code = ("import sys; from qa.compose.ranker import load_ranker; r = load_ranker('learned'); "
            "assert r.name == 'learned', r; print(sorted(m for m in ('lightgbm', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert isinstance(LearnedRanker.load(), LearnedRanker)
