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
from qa.compose.trees import TreeEnsemble

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
    """A LightGBM LambdaRank model over generic features, evaluated with numpy (`trees.TreeEnsemble`, no
    LightGBM at serving time); the model text and its manifest live in `qa/compose/model/`."""

    name = "learned"

    def __init__(self, model: TreeEnsemble, manifest: dict[str, Any]) -> None:
        self._model = model
        self.manifest = manifest
        features = tuple(manifest.get("features", ()))
        if features != FEATURES or model.n_features != len(FEATURES):
            raise ValueError("the ranker model was trained on other features; run `make train`")

    @classmethod
    def load(cls, model_dir: Path = MODEL_DIR) -> LearnedRanker:
        manifest = json.loads((model_dir / "ranker.json").read_text(encoding="utf-8"))
        if tuple(manifest.get("features", ())) != FEATURES:  # before parsing a model that cannot be used
            raise ValueError("the ranker model was trained on other features; run `make train`")
        return cls(TreeEnsemble.from_model_text((model_dir / "ranker.txt").read_text(encoding="utf-8")), manifest)

    @classmethod
    def from_booster(cls, booster: Any) -> LearnedRanker:
        """A freshly trained `lightgbm.Booster` (training and leave-one-company-out), scored exactly as served."""
        return cls(TreeEnsemble.from_model_text(booster.model_to_string()), {"features": list(FEATURES)})

    def score(self, info: QuestionInfo, cands: Sequence[Candidate]) -> np.ndarray:
        if not cands:
            return np.empty(0)
        return self._model.predict(feature_matrix(info, cands))


def load_ranker(kind: str = "learned", model_dir: Path = MODEL_DIR) -> Ranker:
    """The configured ranker; the rule ranker when the learned model is missing or unreadable."""
    if kind == "rules":
        return RuleRanker()
    try:
        return LearnedRanker.load(model_dir)
    except Exception as exc:  # noqa: BLE001 - any unreadable model file: serve with the baseline, loudly
        log.warning("learned ranker unavailable (%s); using the rule ranker", exc)
        return RuleRanker()
