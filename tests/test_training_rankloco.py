"""The ranker harness (`python -m qa.training.rankloco`) on literal candidate rows: a company's questions are ranked
by a bag fitted on the other company's questions, a dropped feature is never read, bad options build nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.compose.features import FEATURES
from qa.training.fit import RANKER_PARAMS
from qa.training.rankloco import RankData, main, top_quote_accuracy

FAST = {**RANKER_PARAMS, "n_estimators": 40}


def _data(signal: str = "word_run", per_company: int = 60) -> RankData:
    """Two companies; each answerable question has four candidates, the right one (at a random place) marked by
    `signal` = 1, everything else noise; one more question per company has no right candidate at all."""
    rng = np.random.default_rng(0)
    col, noise = FEATURES.index(signal), FEATURES.index("dense")
    company, X, rel = [], [], []
    for c in ("Acme", "Bolt"):
        for q in range(per_company + 1):
            rows = np.zeros((4, len(FEATURES)))
            rows[:, noise] = rng.random(4)
            y = np.zeros(4, dtype=np.int32)
            if q < per_company:
                right = int(rng.integers(0, 4))
                rows[right, col] = 1.0
                y[right] = 2
            company.append(c)
            X.append(rows)
            rel.append(y)
    n = len(X)
    return RankData(companies=["Acme", "Bolt"], company=company, source=["gold"] * n, answerable=[True] * n, X=X,
                    rel=rel, offers=[np.zeros((4, 3), dtype=bool)] * n,
                    kinds={c: [(0.2, 0.2, 0.2, 0.2, 0.2)] * n for c in ("Acme", "Bolt")})


def _share(result: dict[str, tuple[int, int, int]]) -> float:
    return sum(r for r, _, _ in result.values()) / sum(p for _, p, _ in result.values())


def test_each_company_is_ranked_by_a_bag_fitted_on_the_others() -> None:
    data = _data()
    result = top_quote_accuracy(data, FAST, seeds=[7])
    assert result.keys() == {"Acme", "Bolt"}
    assert all(p == 60 and n == 61 for _, p, n in result.values())  # the question with no right candidate counts
    assert _share(result) == 1.0  # the feature that marks the right candidate carries over to the other company
    assert _share(top_quote_accuracy(data, FAST, seeds=[7], drop=["word_run"])) < 0.5  # without it, noise only


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--drop", "no_such_feature"], "unknown ranker features: no_such_feature"),
        (["--params", "{num_leaves: 3"], "--params is not JSON"),
        (["--params", "[1, 2]"], "--params must be a JSON object"),
    ],
)
def test_a_bad_option_is_a_clear_error_and_builds_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          args: list[str], message: str) -> None:
    assert main(["--cache", str(tmp_path / "rows.pkl"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "rows.pkl").exists()


def test_a_cached_set_of_rows_is_ranked_without_building(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import dataclasses
    import pickle

    cache = tmp_path / "rows.pkl"
    cache.write_bytes(pickle.dumps(dataclasses.replace(_data(), bundled="Bolt")))
    assert main(["--cache", str(cache), "--seeds", "1", "--params", '{"n_estimators": 40}']) == 0
    out = capsys.readouterr().out
    assert "| Acme | 60 | 60 | 61 | 98.4 | 98.4 |" in out  # the question with no right candidate is a miss
    assert "| **mean of the companies but the bundled one** | | | | 98.36 | 98.36 |" in out
