"""Answer rankers: score each candidate quote of a question. `LearnedRanker` (a LightGBM LambdaRank
model over `features.FEATURES`, trained by `make train`) is the default; `RuleRanker` keeps the
hand-set weighted sum as a baseline."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qa.compose.candidate import Candidate
from qa.compose.features import FEATURES, feature_matrix, rule_score
from qa.compose.question import QuestionInfo

log = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).with_name("model")


class Ranker(Protocol):
    name: str

    def score(self, info: QuestionInfo, cands: Sequence[Candidate]) -> np.ndarray: ...


@dataclass
class RuleRanker:
    """The hand-set weighted sum of the first composer (kept as a baseline; also a feature of the learned one)."""

    name: str = "rules"

    def score(self, info: QuestionInfo, cands: Sequence[Candidate]) -> np.ndarray:
        return np.array([rule_score(c) for c in cands], dtype=np.float64)


class LearnedRanker:
    """A LightGBM model over generic features; the model file and its manifest live in `qa/compose/model/`."""

    name = "learned"

    def __init__(self, booster: Any, manifest: dict[str, Any]) -> None:
        self._booster = booster
        self.manifest = manifest
        features = tuple(manifest.get("features", ()))
        if features != FEATURES:
            raise ValueError("the ranker model was trained on other features; run `make train`")

    @classmethod
    def load(cls, model_dir: Path = MODEL_DIR) -> LearnedRanker:
        import lightgbm as lgb

        manifest = json.loads((model_dir / "ranker.json").read_text(encoding="utf-8"))
        if tuple(manifest.get("features", ())) != FEATURES:
            raise ValueError("the ranker model was trained on other features; run `make train`")
        booster = lgb.Booster(model_str=(model_dir / "ranker.txt").read_text(encoding="utf-8"))
        return cls(booster, manifest)

    @classmethod
    def from_booster(cls, booster: Any) -> LearnedRanker:
        return cls(booster, {"features": list(FEATURES)})

    def score(self, info: QuestionInfo, cands: Sequence[Candidate]) -> np.ndarray:
        if not cands:
            return np.empty(0)
        X = feature_matrix(info, cands)
        return np.asarray(self._booster.predict(X, num_threads=1), dtype=np.float64)


def load_ranker(kind: str = "learned", model_dir: Path = MODEL_DIR) -> Ranker:
    """The configured ranker; the rule ranker when the learned model is missing or unreadable."""
    if kind == "rules":
        return RuleRanker()
    try:
        return LearnedRanker.load(model_dir)
    except Exception as exc:  # noqa: BLE001 - any unreadable model file: serve with the baseline, loudly
        log.warning("learned ranker unavailable (%s); using the rule ranker", exc)
        return RuleRanker()
