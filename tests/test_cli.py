"""`esgqa chunks` and `esgqa search` through typer's CliRunner (real reports, real service)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qa.cli
from qa.cli import app
from qa.text import collapse_ws

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
CHUNK_FIELDS = {"id", "report_id", "source", "start", "end", "section", "page", "page_label", "kind", "text", "context",
                "tokens", "tokens_cl100k"}
HIT_FIELDS = {"rank", "score", "report_id", "section", "page", "start", "end", "kind", "text"}


def test_chunks_json_prints_one_chunk_per_line() -> None:
    res = runner.invoke(app, ["chunks", "--report", "xiaomi-esg-2020", "--json"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert len(lines) > 100
    source = (REPO / "seeds" / "xiaomi-esg-2020.txt").read_text(encoding="utf-8")
    kinds = set()
    pages = set()
    for line in lines:
        row = json.loads(line)
        assert set(row) == CHUNK_FIELDS
        assert row["report_id"] == "xiaomi-esg-2020" and row["source"] == "seeds/xiaomi-esg-2020.txt"
        assert collapse_ws(source[row["start"] : row["end"]]) == collapse_ws(row["text"])
        assert 0 < row["tokens"] <= 240 and row["tokens_cl100k"] > 0
        kinds.add(row["kind"])
        pages.add(row["page"])
    assert {"text", "kpi", "index", "navigation"} <= kinds
    assert {None, 125, 126, 165, 166} >= pages and 125 in pages


def test_chunks_unknown_report_is_a_clear_error() -> None:
    res = runner.invoke(app, ["chunks", "--report", "xiaomi-esg-1999"])
    assert res.exit_code == 2
    assert "Unknown report id 'xiaomi-esg-1999'" in res.stderr and "Traceback" not in res.output


@pytest.mark.slow
def test_search_json_with_the_real_service() -> None:
    res = runner.invoke(app, ["search", "Scope 1 emissions 2021", "--json", "--k", "3"])
    assert res.exit_code == 0, res.output
    [line] = res.stdout.splitlines()
    out = json.loads(line)
    assert out["query"] == "Scope 1 emissions 2021"
    assert len(out["hits"]) == 3 and [h["rank"] for h in out["hits"]] == [1, 2, 3]
    for h in out["hits"]:
        assert set(h) == HIT_FIELDS
        assert h["report_id"] in ("xiaomi-esg-2020", "xiaomi-esg-2022")
    assert any("9,096.95" in h["text"] or "9,096,95" in h["text"] for h in out["hits"])


@pytest.fixture()
def cli_service(real_service: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI's loader returns the session's real service (one model load for all CLI tests)."""
    monkeypatch.setattr(qa.cli, "_load_service", lambda: real_service)
    return real_service


@pytest.mark.slow
def test_search_queries_file_prints_one_line_per_query(cli_service: Any, tmp_path: Path) -> None:
    queries = ["Hazardous Waste (Metric Tons) 2021", "", "ISO14001 certification", "fresh water consumption in 2021"]
    f = tmp_path / "q.txt"
    f.write_text("\n".join(queries) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["search", "--queries", str(f), "--json", "--k", "4", "--mode", "bm25"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["query"] for r in rows] == [q for q in queries if q]
    assert all(len(r["hits"]) == 4 for r in rows)
    assert any("2.50" in h["text"] for h in rows[0]["hits"])


@pytest.mark.slow
def test_search_text_output_and_filters(cli_service: Any) -> None:
    res = runner.invoke(app, ["search", "energy consumption", "--k", "2", "--report", "xiaomi-esg-2020"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# energy consumption")
    assert " 1. " in res.stdout and " 2. " in res.stdout and "xiaomi-esg-2022" not in res.stdout
    res = runner.invoke(app, ["search", "energy", "--json", "--year", "2021", "--k", "5"])
    assert {h["report_id"] for h in json.loads(res.stdout)["hits"]} == {"xiaomi-esg-2022"}
    res = runner.invoke(app, ["search", "energy", "--report", "xiaomi-esg-1999"])
    assert res.exit_code == 2 and "Unknown report id" in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "energy", "--mode", "fuzzy"], "--mode must be hybrid, dense or bm25"),
        (["search"], "give a query or --queries FILE"),
    ],
)
def test_search_usage_errors_exit_non_zero_without_a_traceback(args: list[str], message: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert f"error: {message}" in res.stderr
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


@pytest.mark.slow
def test_search_unreadable_queries_file(cli_service: Any, tmp_path: Path) -> None:
    res = runner.invoke(app, ["search", "--queries", str(tmp_path / "missing.txt"), "--json"])
    assert res.exit_code == 2 and "cannot read" in res.stderr and "Traceback" not in res.output
