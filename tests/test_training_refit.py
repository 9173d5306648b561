"""`python -m qa.training.refit`: the confidence refitted leave-one-company-out on a training dump's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.training.refit import main, outcomes, refit


def _rows() -> list[dict[str, object]]:
    """Three companies whose right answers have full coverage and whose unanswerable questions have none."""
    rows: list[dict[str, object]] = []
    for company in ("A AG", "B SE", "C plc"):
        for i in range(30):
            answerable = i % 5 != 0
            rows.append({"id": f"{company[0].lower()}-q{i:03d}", "company": company, "type": "numeric",
                         "answers": ["1"] if answerable else [], "correct": answerable, "span_ok": answerable,
                         "features": {"coverage": 1.0 if answerable else 0.0, "dense": 0.6 if answerable else 0.2}})
    return rows


def test_a_cue_that_separates_the_answers_refuses_every_unanswerable_question() -> None:
    result = refit(outcomes(_rows()))
    assert set(result) == {"A AG", "B SE", "C plc"}
    for false_abst, refused, _ece in result.values():
        assert false_abst == 0.0 and refused == 100.0


def test_without_the_cue_nothing_is_refused() -> None:
    """Every answer gets the same confidence: the threshold that refuses at most 4% of the answerable questions
    refuses none, so no unanswerable question is refused either."""
    rows = _rows()
    for r in rows:
        r["features"] = {"dense": 0.5}
    for false_abst, refused, _ece in refit(outcomes(rows)).values():
        assert false_abst == 0.0 and refused == 0.0


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in _rows()) + "\n", encoding="utf-8")
    assert main([str(dump), "--apart", "C plc"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "| company | false_abst | abstain | ECE |"
    assert lines[2].startswith("| A AG | 0.0 | 100.0 |") and lines[-1].startswith("| **mean of 2** | 0.0 | 100.0 |")
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps(_rows()[0]) + "\n", encoding="utf-8")
    assert main([str(one)]) == 1
    assert main([str(tmp_path / "absent.jsonl")]) == 2
    assert "cannot read the dump" in capsys.readouterr().err
