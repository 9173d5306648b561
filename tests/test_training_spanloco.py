"""The span-picker harness (`python -m qa.training.spanloco`) on literal span rows: a company's questions are answered
by a picker fitted on the other company's rows, a dropped or unmodelled feature is never read."""

from __future__ import annotations

import numpy as np

from qa.compose.spanfeatures import SPAN_FEATURES
from qa.training.spanloco import SpanData, first_quote_accuracy, main
from qa.training.spans import SPAN_PARAMS, SpanRows

FAST = {**SPAN_PARAMS, "n_estimators": 40}


def _data(signal: str, per_company: int = 60) -> SpanData:
    """Two companies; each question has "none" and two options, the right one (at a random place) marked by
    `signal` = 1, everything else noise."""
    rng = np.random.default_rng(0)
    col = SPAN_FEATURES.index(signal)
    noise = SPAN_FEATURES.index("position")
    parts, company = [], []
    for c in ("Acme", "Bolt"):
        for _ in range(per_company):
            X = np.zeros((3, len(SPAN_FEATURES)))
            X[:, noise] = rng.random(3)
            right = int(rng.integers(1, 3))
            X[right, col] = 1.0
            y = np.zeros(3, dtype=np.int32)
            y[right] = 1
            parts.append(SpanRows(X, y, [3], [1.0], np.zeros(3, dtype=np.int32)))
            company.append(c)
    n = len(parts)
    return SpanData(companies=["Acme", "Bolt"], company=company, scored=[True] * n, parts=parts,
                    kinds={c: [(0.2, 0.2, 0.2, 0.2, 0.2)] * n for c in ("Acme", "Bolt")})


def _share(result: dict[str, tuple[int, int]]) -> float:
    return sum(r for r, _ in result.values()) / sum(n for _, n in result.values())


def test_each_company_is_answered_by_a_picker_fitted_on_the_others() -> None:
    data = _data("near_terms")
    result = first_quote_accuracy(data, FAST, seeds=[11])
    assert set(result) == {"Acme", "Bolt"} and all(n == 60 for _, n in result.values())
    assert _share(result) == 1.0  # the feature that marks the right option carries over to the other company
    dropped = first_quote_accuracy(data, FAST, seeds=[11], drop=["near_terms"])
    assert _share(dropped) < 0.75  # without it, the noise is all there is


def test_an_unmodelled_feature_is_never_read() -> None:
    assert _share(first_quote_accuracy(_data("clause_match"), FAST, seeds=[11])) < 0.75


def test_an_unknown_feature_is_a_clear_error(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--cache", str(tmp_path / "rows.pkl"), "--drop", "no_such_feature"]) == 2
    assert "unknown span features: no_such_feature" in capsys.readouterr().err
    assert not (tmp_path / "rows.pkl").exists()  # nothing built
