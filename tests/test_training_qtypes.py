"""`python -m qa.training.qtypes`: the analysed type of every training question against its gold type, and the
types a change moved (to the gold type or away from it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.training.qtypes import fits, main


def test_a_figure_or_table_question_fits_a_figure_type_and_the_others_their_own() -> None:
    assert fits("count", "table") and fits("percent", "numeric") and not fits("entity", "table")
    assert fits("date", "date") and not fits("other", "date")
    assert fits("list", "cross_report") is None and fits("numeric", "unanswerable") is None


def test_saved_types_and_the_types_that_moved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "types.json"
    assert main(["--save", str(saved)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| gold \\ analysed |") and "| table |" in out
    types = json.loads(saved.read_text(encoding="utf-8"))
    assert len(types) > 2000
    # pretend an earlier rule typed one figure question as a name
    qid = next(k for k, (t, g, _q) in types.items() if g == "numeric" and t in ("numeric", "count", "percent"))
    types[qid][0] = "entity"
    saved.write_text(json.dumps(types), encoding="utf-8")
    assert main(["--against", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "1 types moved: 1 to the gold type, 0 away from it" in out and qid in out


def test_an_unreadable_earlier_save_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--against", str(tmp_path / "missing.json")]) == 2
    assert "cannot read the earlier --save" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    assert main(["--against", str(bad)]) == 2
    assert "not a --save of this command" in capsys.readouterr().err
