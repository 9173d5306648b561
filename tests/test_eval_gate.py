"""The regression gate of `make test`: the dev split must not fall below the committed baseline.

`eval/baseline.json` holds the dev-split metrics of a known-good run. Updating it is a deliberate
commit (`esgqa eval eval/questions.jsonl --split dev --json > eval/baseline.json`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from qa.evaluation import check_gate, load_eval_files, run_eval

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_dev_split_does_not_regress_against_the_baseline(real_service: Any, tmp_path: Path) -> None:
    baseline = json.loads((ROOT / "eval" / "baseline.json").read_text())
    items = load_eval_files([ROOT / "eval" / "questions.jsonl"], split="dev")
    run = run_eval(real_service, items, mode="hybrid", root=ROOT, out_dir=tmp_path, progress=False)
    metrics = json.loads((run.run_dir / "metrics.json").read_text())
    problems = check_gate(metrics, baseline)
    assert not problems, problems
    assert metrics["overall"]["verbatim"] == 100.0
