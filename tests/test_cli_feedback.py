"""`esgqa feedback export|stats`: the export round-trips, `--since` filters, and every bad input is a
one-line error with exit 2, no traceback, and nothing written."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.feedback import FeedbackEntry, FeedbackPolicy, SqliteFeedbackStore, StoredFeedback

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


class Clock:
    t = 1_780_000_000.0  # 2026-05-28T20:26:40Z

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def store_env(tmp_path: Path) -> tuple[dict[str, str], list[StoredFeedback]]:
    """A store with 5 entries, one per day from 2026-05-28 (by the store's clock)."""
    path = tmp_path / "var" / "feedback.sqlite3"
    clock = Clock()
    store = SqliteFeedbackStore(path, FeedbackPolicy(0, 0, 0, 0), clock=clock)
    stored = []
    for i in range(5):
        stored.append(store.record(FeedbackEntry(question=f"q{i} =1+1, \"quoted\"", answer_id=f"a{i}", helpful=i % 2 == 0,
                                                 comment="line one\nline two" if i == 1 else None,
                                                 source="widget" if i == 2 else "api"), client=f"ip:10.0.0.{i}"))
        clock.t += 86400
    store.close()
    return {"ESGQA_ROOT": str(tmp_path), "ESGQA_FEEDBACK_PATH": str(path)}, stored


def _files(root: Path) -> list[tuple[str, bytes]]:
    return sorted((str(p.relative_to(root)), p.read_bytes()) for p in root.rglob("*")
                  if p.is_file() and not p.name.endswith(("-wal", "-shm")))


def test_export_jsonl_round_trips_and_since_filters(store_env: tuple[dict[str, str], list[StoredFeedback]],
                                                    tmp_path: Path) -> None:
    env, stored = store_env
    res = runner.invoke(app, ["feedback", "export"], env=env)
    assert res.exit_code == 0, res.output
    assert [StoredFeedback.model_validate_json(line) for line in res.stdout.splitlines()] == stored
    res = runner.invoke(app, ["feedback", "export", "--since", "2026-05-31"], env=env)
    assert [json.loads(line)["answer_id"] for line in res.stdout.splitlines()] == ["a3", "a4"]
    res = runner.invoke(app, ["feedback", "export", "--since", "2026-05-30T00:00+02:00", "-o", str(tmp_path / "o.jsonl")],
                        env=env)
    assert res.exit_code == 0 and "exported 3 feedback entries" in res.output
    assert [StoredFeedback.model_validate_json(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()] == stored[2:]


def test_export_csv(store_env: tuple[dict[str, str], list[StoredFeedback]], tmp_path: Path) -> None:
    env, stored = store_env
    out = tmp_path / "fb.csv"
    res = runner.invoke(app, ["feedback", "export", "--format", "csv", "-o", str(out)], env=env)
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["id"], r["answer_id"], r["helpful"], r["source"], r["client"]) for r in rows] == [
        (str(e.id), e.answer_id, "true" if e.helpful else "false", e.source, e.client) for e in stored]
    assert rows[1]["comment"] == "line one\nline two" and rows[0]["question"] == stored[0].question


def test_stats(store_env: tuple[dict[str, str], list[StoredFeedback]]) -> None:
    env, _ = store_env
    res = runner.invoke(app, ["feedback", "stats", "--json"], env=env)
    assert res.exit_code == 0, res.output
    stats = json.loads(res.stdout)
    assert stats["entries"] == 5 and stats["by_source"] == {"api": [4, 2], "widget": [1, 1]}
    res = runner.invoke(app, ["feedback", "stats"], env=env)
    assert res.exit_code == 0 and "entries     5 of 1000000" in res.stdout and "widget      1 entries, 1 helpful" in res.stdout


def _fails_cleanly(args: list[str], env: dict[str, str]) -> str:
    root = Path(env["ESGQA_ROOT"])
    before = _files(root)
    res = runner.invoke(app, args, env=env)
    assert res.exit_code == 2, (args, res.exit_code, res.output)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, repr(res.exception))
    assert "Traceback" not in res.output
    assert _files(root) == before, f"{args} changed files"
    return res.output


@pytest.mark.parametrize("args", [
    ["feedback", "export", "--since", "yesterday"],
    ["feedback", "export", "--since", "2026-13-01"],
    ["feedback", "export", "--format", "xml"],
    ["feedback", "export", "-o", "{root}/no-such-dir/out.jsonl"],
    ["feedback", "export", "-o", "{root}"],
    ["feedback", "stats", "--bogus"],
    ["feedback"],
])
def test_bad_arguments_are_one_line_errors(store_env: tuple[dict[str, str], list[StoredFeedback]],
                                           args: list[str]) -> None:
    env, _ = store_env
    out = _fails_cleanly([a.replace("{root}", env["ESGQA_ROOT"]) for a in args], env)
    if args[-1] in ("yesterday", "2026-13-01") or args[-1].startswith("{root}"):
        assert len(out.strip().splitlines()) == 1 and out.startswith("error: "), out


@pytest.mark.parametrize("command", ["export", "stats"])
def test_a_missing_or_broken_store_is_one_line_error(tmp_path: Path, command: str) -> None:
    env = {"ESGQA_ROOT": str(tmp_path), "ESGQA_FEEDBACK_PATH": str(tmp_path / "none.sqlite3")}
    assert "No feedback store" in _fails_cleanly(["feedback", command], env)
    (tmp_path / "junk.sqlite3").write_bytes(b"this is not a database" * 100)
    env["ESGQA_FEEDBACK_PATH"] = str(tmp_path / "junk.sqlite3")
    out = _fails_cleanly(["feedback", command], env)
    assert len(out.strip().splitlines()) == 1 and "cannot be read" in out


def test_an_old_jsonl_file_alone_is_imported_and_exported(tmp_path: Path) -> None:
    old = tmp_path / "feedback.jsonl"
    old.write_text(json.dumps({"question": "q", "answer_id": "old-1", "helpful": True, "ts": "2026-01-02T03:04:05.000Z"})
                   + "\n")
    env = {"ESGQA_ROOT": str(tmp_path), "ESGQA_FEEDBACK_PATH": str(old)}
    res = runner.invoke(app, ["feedback", "export"], env=env)
    assert res.exit_code == 0, res.output
    [line] = res.stdout.splitlines()
    assert json.loads(line)["answer_id"] == "old-1" and json.loads(line)["client"] == "legacy"


def test_the_real_command_writes_one_line_to_stderr(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "ESGQA_FEEDBACK_PATH": str(tmp_path / "none.sqlite3")}
    proc = subprocess.run([sys.executable, "-m", "qa.cli", "feedback", "export"], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0 and "No feedback store" in proc.stderr
