"""`python -m qa.training.dumpscore`: the per-company scoring of a training dump's rows by question id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.training.dumpscore import main, score_rows


def _row(qid: str, company: str, qtype: str, *, answers: bool = True, correct: bool = True, span_ok: bool = True,
         confidence: float = 0.9) -> dict[str, object]:
    return {"id": qid, "company": company, "type": qtype, "answers": ["1"] if answers else [], "correct": correct,
            "span_ok": span_ok, "confidence": confidence, "threshold": 0.5}


ROWS = [
    _row("a-t10-q001", "A AG", "table"),
    _row("a-t10-q002", "A AG", "table", correct=False, span_ok=False),
    _row("a-t10-q003", "A AG", "numeric", confidence=0.2),  # right, but refused: no span credit, a false abstention
    _row("a-t10-q004", "A AG", "unanswerable", answers=False, correct=False, span_ok=False, confidence=0.1),
    _row("b-t10-q001", "B SE", "list"),
    _row("b-t10-q002", "B SE", "unanswerable", answers=False, correct=False, span_ok=False),
    _row("b-t9-q001", "B SE", "table", correct=False),  # another file's question: not scored
]


def test_scores_follow_the_metric_definitions() -> None:
    a = score_rows(ROWS[:4])
    assert a == {"n": "4", "A@1": "66.7", "span@1": "33.3", "table A@1": "50.0", "false_abst": "33.3",
                 "unanswerable refused": "1 of 1"}
    b = score_rows(ROWS[4:6])
    assert b["A@1"] == "100.0" and b["span@1"] == "–" and b["table A@1"] == "–" and b["unanswerable refused"] == "0 of 1"


def test_the_command_scores_the_marked_rows_per_company(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    assert main([str(dump), "-t10-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("| company | n | A@1 | span@1")
    assert lines[2].startswith("| A AG | 4 | 66.7 |") and lines[3].startswith("| B SE | 2 | 100.0 |")
    assert lines[4].startswith("| **all** | 6 | 75.0 |")  # 3 of the 4 answerable questions of the file
    assert main([str(dump), "-t11-"]) == 1
    assert main([str(tmp_path / "absent.jsonl"), "-t10-"]) == 2 and main([]) == 2
    assert "cannot read the dump" in capsys.readouterr().err
