"""`qa.feedback.FeedbackStore`: JSON lines, size cap and rotation, safe under threads and processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qa.feedback import MAX_COMMENT_CHARS, FeedbackEntry, FeedbackStore

ROOT = Path(__file__).resolve().parent.parent


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_entry_defaults_and_caps() -> None:
    e = FeedbackEntry(question="q", answer_id="a", helpful=True, comment="c" * (MAX_COMMENT_CHARS + 50))
    assert e.source == "api" and e.extra == {}
    assert len(e.comment or "") == MAX_COMMENT_CHARS
    assert e.ts.endswith("Z") and "T" in e.ts
    with pytest.raises(ValueError):
        FeedbackEntry(question="q", answer_id="a", helpful=True, source="email")  # type: ignore[arg-type]


def test_record_appends_one_json_line(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "sub" / "fb.jsonl", max_bytes=10_000, backups=2)
    store.record(FeedbackEntry(question="GHG?", answer_id="a1", helpful=False, comment="wrong", source="slack",
                               extra={"channel": "C1"}))
    store.record(FeedbackEntry(question="Water?", answer_id="a2", helpful=True))
    got = lines(tmp_path / "sub" / "fb.jsonl")
    assert [(x["answer_id"], x["helpful"], x["source"], x["extra"]) for x in got] == [
        ("a1", False, "slack", {"channel": "C1"}), ("a2", True, "api", {})]


def test_rotation_keeps_the_cap_and_the_number_of_backups(tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    store = FeedbackStore(path, max_bytes=1000, backups=2)
    for i in range(100):
        store.record(FeedbackEntry(question=f"question {i}", answer_id=f"id-{i:03d}", helpful=i % 2 == 0))
    files = store.files()
    assert files == [path, path.with_name("fb.jsonl.1"), path.with_name("fb.jsonl.2")]
    assert not path.with_name("fb.jsonl.3").exists()
    assert all(f.stat().st_size <= 1000 for f in files)
    newest = lines(path)
    assert newest[-1]["answer_id"] == "id-099"
    # backups are older, in order, and contiguous with the current file
    ids = [x["answer_id"] for f in reversed(files) for x in lines(f)]
    assert ids == sorted(ids) and ids[-1] == "id-099"
    nums = [int(str(i)[3:]) for i in ids]
    assert nums == list(range(nums[0], 100))


def test_zero_backups_just_truncates(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.jsonl", max_bytes=300, backups=0)
    for i in range(20):
        store.record(FeedbackEntry(question="q", answer_id=str(i), helpful=True))
    assert store.files() == [tmp_path / "fb.jsonl"]
    assert (tmp_path / "fb.jsonl").stat().st_size <= 300


def test_threads_never_interleave_lines(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.jsonl", max_bytes=10_000_000, backups=1)

    def write(n: int) -> None:
        for i in range(100):
            store.record(FeedbackEntry(question="x" * 500, answer_id=f"{n}-{i}", helpful=True))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = lines(tmp_path / "fb.jsonl")
    assert len(got) == 800 and len({x["answer_id"] for x in got}) == 800


def test_processes_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "fb.jsonl"
    code = (
        "import sys; from pathlib import Path; from qa.feedback import FeedbackEntry, FeedbackStore\n"
        "s = FeedbackStore(Path(sys.argv[1]), 10_000_000, 1)\n"
        "for i in range(200): s.record(FeedbackEntry(question='y' * 3000, answer_id=sys.argv[2] + str(i), helpful=True))"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), f"p{n}-"], cwd=ROOT) for n in range(3)]
    assert [p.wait(60) for p in procs] == [0, 0, 0]
    got = lines(path)  # json.loads fails on any torn line
    assert len(got) == 600 and len({x["answer_id"] for x in got}) == 600


def test_invalid_limits_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "f", max_bytes=0, backups=1)
    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "f", max_bytes=10, backups=-1)
