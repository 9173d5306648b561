"""The feedback store (`qa.feedback`): append-only SQLite, per-client quotas, a size cap that refuses
new entries and never deletes old ones, durable under concurrent processes and `kill -9`, the
one-time import of the old JSON-lines files, and the export formats."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qa.feedback import (
    FeedbackEntry,
    FeedbackPolicy,
    FeedbackQuotaExceeded,
    FeedbackStoreFull,
    FeedbackUnavailable,
    SqliteFeedbackStore,
    StoredFeedback,
    store_paths,
)
from qa.feedback.export import parse_since, write_csv, write_jsonl
from qa.feedback.models import MAX_COMMENT_CHARS

ROOT = Path(__file__).resolve().parent.parent
OPEN = FeedbackPolicy(per_client_hour=0, per_client_day=0, max_entries=0, max_bytes=0)  # no limits


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def entry(i: int | str, **kw: object) -> FeedbackEntry:
    values: dict[str, object] = {"question": f"question {i}", "answer_id": f"id-{i}", "helpful": True}
    values.update(kw)
    return FeedbackEntry(**values)  # type: ignore[arg-type]


def test_entry_is_cleaned_by_the_input_policy_and_capped() -> None:
    e = FeedbackEntry(question=" q\x00\ud800 ", answer_id="a", helpful=True, comment="c" * (MAX_COMMENT_CHARS + 50),
                      extra={"k": "v\x07"})
    assert e.question == "q \ufffd" and e.extra == {"k": "v"}
    assert len(e.comment or "") == MAX_COMMENT_CHARS and e.source == "api"
    assert e.ts.endswith("Z") and "T" in e.ts
    assert FeedbackEntry(question="q", answer_id="a", helpful=True, comment=" \x00\t ").comment is None
    for field in ("question", "answer_id"):
        for blank in ("", "   ", "\x00", "\x00 \t\x01"):
            with pytest.raises(ValueError):
                FeedbackEntry(**{"question": "q", "answer_id": "a", "helpful": True, field: blank})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        FeedbackEntry(question="q", answer_id="a", helpful=True, source="email")  # type: ignore[arg-type]


def test_record_then_export_round_trip(tmp_path: Path) -> None:
    store = SqliteFeedbackStore(tmp_path / "sub" / "fb.sqlite3", OPEN)
    a = store.record(entry(1, helpful=False, comment="wrong, \"quoted\"\nnewline", source="slack",
                           extra={"channel": "C1"}), client="slack:T1:U1")
    b = store.record(entry(2, question="=HYPERLINK(\"x\") émissions ✓"), client="ip:127.0.0.1")
    assert (a.id, b.id) == (1, 2)
    exported = list(store.export())
    assert exported == [a, b]
    assert store.count() == 2 and store.count(client="ip:127.0.0.1") == 1
    # JSON lines: exact
    out = io.StringIO()
    assert write_jsonl(store.export(), out) == 2
    assert [StoredFeedback.model_validate_json(line) for line in out.getvalue().splitlines()] == exported
    # CSV: every field back, formulas defused with a leading '
    out = io.StringIO()
    assert write_csv(store.export(), out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["comment"] == "wrong, \"quoted\"\nnewline" and json.loads(rows[0]["extra"]) == {"channel": "C1"}
    assert rows[0]["helpful"] == "false" and rows[0]["source"] == "slack" and rows[0]["client"] == "slack:T1:U1"
    assert rows[1]["question"] == "'=HYPERLINK(\"x\") émissions ✓"
    # a second store on the same file (another worker) sees the same entries
    assert list(SqliteFeedbackStore(tmp_path / "sub" / "fb.sqlite3").export()) == exported
    assert os.stat(tmp_path / "sub" / "fb.sqlite3").st_mode & 0o007 == 0  # not world-readable


def test_entries_cannot_be_changed_or_deleted(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    SqliteFeedbackStore(path).record(entry(1), client="c")
    conn = sqlite3.connect(path)
    for sql in ("UPDATE feedback SET question = 'x'", "DELETE FROM feedback"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    conn.close()
    assert [e.question for e in SqliteFeedbackStore(path).export()] == ["question 1"]


def test_per_client_quotas_per_hour_and_day(tmp_path: Path) -> None:
    clock = Clock()
    store = SqliteFeedbackStore(tmp_path / "fb.sqlite3", FeedbackPolicy(per_client_hour=3, per_client_day=5),
                                clock=clock)
    for i in range(3):
        store.record(entry(i), client="a")
        clock.t += 60
    with pytest.raises(FeedbackQuotaExceeded) as refused:
        store.record(entry("x"), client="a")
    assert refused.value.status == 429 and refused.value.retry_after == 3600 - 180 + 1
    store.record(entry("b"), client="b")  # another client is not affected
    clock.t += 3600  # the hour has passed: 2 more fit in the day
    store.record(entry(3), client="a")
    store.record(entry(4), client="a")
    with pytest.raises(FeedbackQuotaExceeded, match="last day"):
        store.record(entry(5), client="a")
    clock.t += 86400
    store.record(entry(6), client="a")
    assert [e.answer_id for e in store.export()] == ["id-0", "id-1", "id-2", "id-b", "id-3", "id-4", "id-6"]


def test_the_cap_refuses_new_entries_and_keeps_every_old_one(tmp_path: Path) -> None:
    seen: list[tuple[str, float | None]] = []
    store = SqliteFeedbackStore(tmp_path / "fb.sqlite3", FeedbackPolicy(0, 0, max_entries=10),
                                observer=lambda r, used: seen.append((r, used)))
    for i in range(10):
        store.record(entry(i), client="a")
    for i in range(3):
        with pytest.raises(FeedbackStoreFull) as refused:
            store.record(entry(f"late-{i}"), client=f"c{i}")
        assert refused.value.status == 507
    assert [e.answer_id for e in store.export()] == [f"id-{i}" for i in range(10)]
    assert seen[9] == ("recorded", 1.0) and seen[10:] == [("full", None)] * 3
    by_bytes = SqliteFeedbackStore(tmp_path / "b.sqlite3", FeedbackPolicy(0, 0, max_entries=0, max_bytes=1000))
    stored = 0
    with pytest.raises(FeedbackStoreFull):
        for i in range(100):
            by_bytes.record(entry(i, comment="x" * 200), client="a")
            stored += 1
    assert 0 < stored < 10 and by_bytes.count() == stored and by_bytes.stats().bytes <= 1000


def test_a_full_disk_is_507_and_an_unwritable_store_503_then_it_recovers(tmp_path: Path) -> None:
    store = SqliteFeedbackStore(tmp_path / "fb.sqlite3", OPEN)
    store.record(entry(0), client="a")
    assert store._conn is not None
    page_count = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {page_count}")  # as if the disk were full
    with pytest.raises(FeedbackStoreFull):
        for i in range(200):
            store.record(entry(i, comment="y" * 1500), client="a")
    assert store.count() >= 1 and [e.answer_id for e in store.export()][0] == "id-0"

    blocked = tmp_path / "not-a-db.sqlite3"
    blocked.mkdir()  # a directory where the database should be
    broken = SqliteFeedbackStore(blocked)
    with pytest.raises(FeedbackUnavailable) as refused:
        broken.record(entry(1), client="a")
    assert refused.value.status == 503 and str(tmp_path) not in str(refused.value)
    blocked.rmdir()
    assert broken.record(entry(1), client="a").id == 1  # opened again on the next call


def test_threads_lose_nothing(tmp_path: Path) -> None:
    store = SqliteFeedbackStore(tmp_path / "fb.sqlite3", OPEN)

    def write(n: int) -> None:
        for i in range(50):
            store.record(entry(f"{n}-{i}", question="x" * 500), client=f"t{n}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({e.answer_id for e in store.export()}) == store.count() == 300


WRITER = """
import sys
from pathlib import Path
from qa.feedback import FeedbackEntry, FeedbackPolicy, FeedbackRefused, SqliteFeedbackStore
path, prefix, n, hour = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = SqliteFeedbackStore(path, FeedbackPolicy(per_client_hour=hour, per_client_day=0, max_entries=0, max_bytes=0))
for i in range(n):
    body = f"{prefix}-{i}:" * 300
    try:
        stored = store.record(FeedbackEntry(question=body[:2000], comment=body[::-1][:2000], answer_id=f"{prefix}-{i}",
                                            helpful=i % 2 == 0), client=sys.argv[5] if len(sys.argv) > 5 else prefix)
    except FeedbackRefused:
        print("refused", flush=True)
        continue
    print(stored.answer_id, flush=True)
"""


def _writer(path: Path, prefix: str, n: int, hour: int = 0, client: str | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", WRITER, str(path), prefix, str(n), str(hour)] + ([client] if client else [])
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)


def _intact(e: StoredFeedback) -> bool:
    body = f"{e.answer_id}:" * 300
    return e.question == body[:2000] and e.comment == body[::-1][:2000] and e.helpful == (int(e.answer_id.split("-")[-1]) % 2 == 0)


def test_two_processes_write_concurrently_with_no_lost_or_torn_rows(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    procs = [_writer(path, f"p{n}", 300) for n in range(2)]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    got = list(SqliteFeedbackStore(path).export())
    assert sorted(e.answer_id for e in got) == sorted(outs[0] + outs[1]) and len(got) == 600
    assert all(_intact(e) for e in got)
    assert [e.id for e in got] == list(range(1, 601))


def test_a_quota_holds_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    procs = [_writer(path, f"p{n}", 60, hour=50, client="same-client") for n in range(2)]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    accepted = [x for out in outs for x in out if x != "refused"]
    assert len(accepted) == 50 and sum(out.count("refused") for out in outs) == 70
    assert sorted(e.answer_id for e in SqliteFeedbackStore(path).export()) == sorted(accepted)


def test_kill_9_during_writes_loses_no_committed_entry(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    proc = _writer(path, "k", 100_000)
    assert proc.stdout is not None
    committed: list[str] = []
    deadline = time.monotonic() + 60
    while len(committed) < 150 and time.monotonic() < deadline:
        committed.append(proc.stdout.readline().strip())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    committed += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]  # printed before the kill
    got = list(SqliteFeedbackStore(path).export())
    assert len(committed) >= 150
    assert set(committed) <= {e.answer_id for e in got}  # each printed id was returned by record: committed
    assert all(_intact(e) for e in got) and [e.id for e in got] == list(range(1, len(got) + 1))
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def _legacy_line(i: int) -> str:
    return json.dumps({"question": f"old {i}", "answer_id": f"old-{i}", "helpful": i % 2 == 0,
                       "comment": None, "source": "api", "ts": f"2026-01-0{i % 9 + 1}T10:00:00.000Z", "extra": {}})


def test_old_jsonl_feedback_is_imported_once(tmp_path: Path) -> None:
    old = tmp_path / "feedback.jsonl"
    db, legacy_path = store_paths(old)  # an ESGQA_FEEDBACK_PATH of the old kind
    assert (db, legacy_path) == (tmp_path / "feedback.sqlite3", old)
    assert store_paths(db) == (db, old)
    old.with_name("feedback.jsonl.1").write_text("\n".join(_legacy_line(i) for i in range(3)) + "\n")
    old.write_text("\n".join(_legacy_line(i) for i in range(3, 5)) + '\n{"question": "torn li')
    store = SqliteFeedbackStore(db, legacy_path=legacy_path)
    store.record(entry("new"), client="a")
    assert [e.answer_id for e in store.export()] == ["old-0", "old-1", "old-2", "old-3", "old-4", "id-new"]
    assert {e.client for e in store.export()} == {"legacy", "a"}
    store.close()
    # opened again (a restart, another worker): nothing imported twice; a rotated-away copy adds nothing
    old.rename(old.with_name("feedback.jsonl.2"))
    assert SqliteFeedbackStore(db, legacy_path=legacy_path).count() == 6
    old.write_text(_legacy_line(7) + "\n")
    again = SqliteFeedbackStore(db, legacy_path=legacy_path)
    assert [e.answer_id for e in again.export()][-1] == "old-7" and again.count() == 7
    assert old.exists()  # the old files are left in place


def test_parse_since() -> None:
    assert parse_since("2026-01-31").isoformat() == "2026-01-31T00:00:00+00:00"
    assert parse_since("2026-01-31T12:00Z").timestamp() == parse_since("2026-01-31T14:00+02:00").timestamp()
    for bad in ("yesterday", "2026-13-01", ""):
        with pytest.raises(ValueError):
            parse_since(bad)


def test_an_old_file_that_cannot_be_read_does_not_block_new_feedback(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.feedback import legacy

    old = tmp_path / "feedback.jsonl"
    old.write_text(_legacy_line(1) + "\n")

    def unreadable(path: Path) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(legacy, "read_legacy", unreadable)
    store = SqliteFeedbackStore(tmp_path / "feedback.sqlite3", legacy_path=old)
    assert store.record(entry("new"), client="a").id == 1
    store.close()
    monkeypatch.undo()  # readable again: imported at the next open
    assert [e.answer_id for e in SqliteFeedbackStore(tmp_path / "feedback.sqlite3", legacy_path=old).export()] == [
        "id-new", "old-1"]
