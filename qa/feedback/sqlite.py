"""The SQLite feedback store: one row per entry, append-only, safe for several writing processes.

- Durable: an entry is committed (WAL, `synchronous=FULL`) before `record` returns; a process
  killed at any moment loses no committed entry and leaves no torn row.
- Process-safe: every write is one `BEGIN IMMEDIATE` transaction (quota check, cap check, insert),
  so uvicorn workers sharing the file see each other's entries and quotas hold across them.
- Append-only: triggers refuse UPDATE and DELETE on entries; the size policy refuses new entries
  (`FeedbackStoreFull`), it never removes old ones.
- Old JSONL feedback next to the database (or at a `.jsonl` ESGQA_FEEDBACK_PATH) is imported once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from . import legacy
from .errors import FeedbackQuotaExceeded, FeedbackRefused, FeedbackStoreFull, FeedbackUnavailable
from .models import MAX_CLIENT_CHARS, FeedbackEntry, FeedbackPolicy, FeedbackStats, StoredFeedback

logger = logging.getLogger(__name__)

HOUR = 3600.0
DAY = 86400.0
BUSY_TIMEOUT_S = 5.0
LOG_EVERY_S = 60.0
LEGACY_CLIENT = "legacy"

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,            -- the store's clock, epoch seconds (quotas, --since)
    ts TEXT NOT NULL,                 -- the entry's own UTC ISO time
    client TEXT NOT NULL,
    source TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    answer_id TEXT NOT NULL,
    question TEXT NOT NULL,
    comment TEXT,
    extra TEXT NOT NULL,              -- JSON object
    bytes INTEGER NOT NULL,
    legacy_key TEXT UNIQUE            -- SHA-256 of an imported JSONL line; NULL otherwise
);
CREATE INDEX IF NOT EXISTS feedback_client_created ON feedback (client, created);
CREATE INDEX IF NOT EXISTS feedback_created ON feedback (created);
CREATE TABLE IF NOT EXISTS totals (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    entries INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals (one, entries, bytes) VALUES (1, 0, 0);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS feedback_count AFTER INSERT ON feedback BEGIN
    UPDATE totals SET entries = entries + 1, bytes = bytes + NEW.bytes WHERE one = 1;
END;
CREATE TRIGGER IF NOT EXISTS feedback_no_update BEFORE UPDATE ON feedback BEGIN
    SELECT RAISE(ABORT, 'feedback is append-only');
END;
CREATE TRIGGER IF NOT EXISTS feedback_no_delete BEFORE DELETE ON feedback BEGIN
    SELECT RAISE(ABORT, 'feedback is append-only');
END;
"""

COLUMNS = "id, ts, client, source, helpful, answer_id, question, comment, extra"
INSERT = ("INSERT OR IGNORE INTO feedback (created, ts, client, source, helpful, answer_id, question, comment,"
          " extra, bytes, legacy_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def store_paths(path: Path) -> tuple[Path, Path]:
    """(database, legacy JSONL) for ESGQA_FEEDBACK_PATH: `x.jsonl` (an earlier version's setting)
    means the database `x.sqlite3` and the old file `x.jsonl`; anything else is the database,
    with the old file of the same name ending in `.jsonl` beside it."""
    path = Path(path)
    if path.suffix == ".jsonl":
        return path.with_suffix(".sqlite3"), path
    return path, path.with_suffix(".jsonl")


def _row(entry: FeedbackEntry, client: str, created: float, key: str | None) -> tuple[Any, ...]:
    extra = json.dumps(entry.extra, ensure_ascii=False, sort_keys=True)
    size = sum(len(s.encode("utf-8")) for s in (entry.question, entry.answer_id, entry.comment or "", extra, client))
    return (created, entry.ts, client, entry.source, int(entry.helpful), entry.answer_id, entry.question,
            entry.comment, extra, size, key)


def _stored(row: sqlite3.Row | tuple[Any, ...]) -> StoredFeedback:
    id_, ts, client, source, helpful, answer_id, question, comment, extra = row
    return StoredFeedback(id=id_, ts=ts, client=client, source=source, helpful=bool(helpful), answer_id=answer_id,
                          question=question, comment=comment, extra=json.loads(extra))


class _Throttled:
    """A log line at most once per `every` seconds per key, with the number of suppressed ones."""

    def __init__(self, every: float = LOG_EVERY_S, max_keys: int = 1000) -> None:
        self.every = every
        self.max_keys = max_keys
        self._last: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def log(self, level: int, key: str, message: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            last, suppressed = self._last.get(key, (float("-inf"), 0))
            if now - last < self.every:
                self._last[key] = (last, suppressed + 1)
                return
            self._last[key] = (now, 0)
            if len(self._last) > self.max_keys:  # keys are per client: keep the memory bounded
                self._last = {k: v for k, v in self._last.items() if now - v[0] < self.every}
        suffix = f" ({suppressed} more since the last report)" if suppressed else ""
        logger.log(level, message + suffix, *args)


class SqliteFeedbackStore:
    """`FeedbackStore` on one SQLite file. Opened lazily (and again after an error), so a store
    that cannot be opened makes feedback fail with 503 without stopping the service."""

    def __init__(
        self,
        path: Path,
        policy: FeedbackPolicy | None = None,
        *,
        legacy_path: Path | None = None,
        observer: Callable[[str, float | None], None] | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> None:
        """`observer(result, used)` is called after every `record` with result "recorded", "quota",
        "full" or "unavailable" and the fill level (0..1) when known (for metrics)."""
        self.path = Path(path)
        self.policy = policy or FeedbackPolicy()
        self.legacy_path = legacy_path
        self.observer = observer
        self.clock = clock
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._log = _Throttled()
        self._warned_fill = False

    # ---- opening --------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file()

    def _connect(self, *, create: bool) -> sqlite3.Connection:
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():  # entries hold user text and client addresses: not world-readable
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o640))
        uri = f"{self.path.resolve().as_uri()}?mode={'rwc' if create else 'rw'}"
        conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout_s, isolation_level=None,
                               check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            self._wal(conn)
            conn.execute("PRAGMA synchronous = FULL")
            with _transaction(conn):
                _schema(conn)
            if self.legacy_path is not None:
                self._import_legacy(conn, self.legacy_path)
        except BaseException:
            conn.close()
            raise
        return conn

    def _wal(self, conn: sqlite3.Connection) -> None:
        """Switches to WAL. Two processes opening a new store at once may both try; the loser's
        SQLITE_BUSY here is not always retried by the busy handler, so it is retried until the timeout."""
        deadline = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _connection(self) -> sqlite3.Connection:
        """The open connection (opening it if needed); the caller holds `_lock`."""
        if self._conn is None:
            try:
                self._conn = self._connect(create=True)
            except (sqlite3.Error, OSError) as exc:
                raise self._refusal(exc, "open") from exc
            logger.info("feedback store open: %s (%d entries)", self.path, self._totals(self._conn)[0])
        return self._conn

    def open_existing(self) -> SqliteFeedbackStore:
        """Opens a store that must already exist (or have old JSONL feedback to import): for
        commands that read. Raises FeedbackUnavailable when there is neither."""
        with self._lock:
            if self._conn is None:
                has_legacy = self.legacy_path is not None and bool(legacy.legacy_files(self.legacy_path))
                if not self.exists() and not has_legacy:
                    raise FeedbackUnavailable(f"No feedback store at {self.path}: nothing has been recorded yet.")
                try:
                    self._conn = self._connect(create=has_legacy)
                except (sqlite3.Error, OSError) as exc:
                    raise FeedbackUnavailable(f"The feedback store {self.path} cannot be read: {exc}.") from exc
        return self

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ---- writing --------------------------------------------------------------------------

    def record(self, entry: FeedbackEntry, client: str) -> StoredFeedback:
        client = (client or "unknown")[:MAX_CLIENT_CHARS]
        try:
            with self._lock:
                conn = self._connection()
                now = self.clock()
                row = _row(entry, client, now, None)
                try:
                    with _transaction(conn):
                        self._check_quota(conn, client, now)
                        entries, size = self._totals(conn)
                        self._check_capacity(entries, size, row[9])
                        new_id = conn.execute(INSERT, row).lastrowid
                except (sqlite3.Error, OSError) as exc:
                    self._drop_connection()
                    raise self._refusal(exc, "write") from exc
        except FeedbackRefused as exc:
            self._observe({429: "quota", 507: "full"}.get(exc.status, "unavailable"), None)
            raise
        used = self._used(entries + 1, size + row[9])
        self._observe("recorded", used)
        logger.info("feedback recorded id=%s answer_id=%s helpful=%s source=%s", new_id, entry.answer_id[:64],
                    entry.helpful, entry.source)
        assert new_id is not None
        return StoredFeedback(id=new_id, client=client, **entry.model_dump())

    def _check_quota(self, conn: sqlite3.Connection, client: str, now: float) -> None:
        for limit, window, name in ((self.policy.per_client_hour, HOUR, "hour"),
                                    (self.policy.per_client_day, DAY, "day")):
            if limit <= 0:
                continue
            n, oldest = conn.execute(
                "SELECT COUNT(*), MIN(created) FROM feedback WHERE client = ? AND created > ?",
                (client, now - window)).fetchone()
            if n >= limit:
                retry = max(1, int((oldest or now) + window - now) + 1)
                self._log.log(logging.WARNING, f"quota:{client}",
                              "feedback refused: client %s sent %d entries in the last %s (limit %d)",
                              client, n, name, limit)
                raise FeedbackQuotaExceeded(
                    f"Too much feedback from this client: {n} entries in the last {name}, the limit is {limit}. "
                    f"Retry in {retry} s.", retry_after=retry)

    def _check_capacity(self, entries: int, size: int, new: int) -> None:
        p = self.policy
        if (p.max_entries > 0 and entries + 1 > p.max_entries) or (p.max_bytes > 0 and size + new > p.max_bytes):
            self._log.log(logging.ERROR, "full",
                          "FEEDBACK STORE FULL: %d entries, %d bytes (caps %d entries, %d bytes) in %s; new feedback "
                          "is refused (507) until ESGQA_FEEDBACK_MAX_ENTRIES/ESGQA_FEEDBACK_MAX_BYTES is raised or the "
                          "store is exported and moved aside", entries, size, p.max_entries, p.max_bytes, self.path)
            raise FeedbackStoreFull("The feedback store is full; nothing was recorded. The operator has been alerted.")

    def _refusal(self, exc: BaseException, doing: str) -> FeedbackRefused:
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or (isinstance(exc, OSError) and exc.errno == 28):  # ENOSPC
            self._log.log(logging.ERROR, "disk", "FEEDBACK STORE: disk full on %s of %s: %s", doing, self.path, exc)
            return FeedbackStoreFull("The feedback store is out of disk space; nothing was recorded.")
        self._log.log(logging.ERROR, f"error:{doing}", "feedback store %s failed on %s: %s", doing, self.path, exc)
        return FeedbackUnavailable("Feedback cannot be stored right now; nothing was recorded. Retry later.",
                                   retry_after=5)

    def _drop_connection(self) -> None:
        """After an error: reopen next time (the file may have been replaced or repaired)."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def _used(self, entries: int, size: int) -> float:
        used = FeedbackStats(entries, size, self.policy.max_entries, self.policy.max_bytes, None, None).used
        if used >= 0.9 and not self._warned_fill:
            self._warned_fill = True
            logger.warning("feedback store %s is %.0f%% full (%d entries, %d bytes); at 100%% new feedback is refused",
                           self.path, used * 100, entries, size)
        return used

    def _observe(self, result: str, used: float | None) -> None:
        if self.observer is not None:
            try:
                self.observer(result, used)
            except Exception:  # a metrics hiccup must not turn a stored entry into an error
                logger.exception("feedback observer failed")

    def _import_legacy(self, conn: sqlite3.Connection, path: Path) -> None:
        """Imports each old file not imported in its current state; a file that cannot be read is
        logged and skipped (tried again at the next open), never a reason to refuse new feedback."""
        for file in legacy.legacy_files(path):
            try:
                self._import_file(conn, file)
            except (OSError, sqlite3.Error) as exc:
                logger.error("feedback import of %s failed, skipped (retried at the next start): %s", file, exc)

    def _import_file(self, conn: sqlite3.Connection, file: Path) -> None:
        key = f"legacy:{file.name}"
        mark = legacy.fingerprint(file)
        seen = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if seen is not None and seen[0] == mark:
            return
        fallback = file.stat().st_mtime
        with _transaction(conn):
            before = self._totals(conn)[0]
            for line_key, entry in legacy.read_legacy(file):
                conn.execute(INSERT, _row(entry, LEGACY_CLIENT, legacy.epoch_of(entry.ts, fallback), line_key))
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, mark))
            added = self._totals(conn)[0] - before
        logger.warning("feedback import: %d entr%s from %s into %s (the old file is left in place)", added,
                       "y" if added == 1 else "ies", file, self.path)

    # ---- reading --------------------------------------------------------------------------

    @staticmethod
    def _totals(conn: sqlite3.Connection) -> tuple[int, int]:
        entries, size = conn.execute("SELECT entries, bytes FROM totals WHERE one = 1").fetchone()
        return int(entries), int(size)

    def _read(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self._lock:
            conn = self._connection()
            try:
                return fn(conn)
            except sqlite3.Error as exc:
                self._drop_connection()
                raise self._refusal(exc, "read") from exc

    def count(self, since: datetime | None = None, client: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM feedback WHERE created >= ?"
        args: list[object] = [since.timestamp() if since else float("-inf")]
        if client is not None:
            sql, args = sql + " AND client = ?", [*args, client]
        return int(self._read(lambda c: c.execute(sql, args).fetchone()[0]))

    def export(self, since: datetime | None = None, batch: int = 1000) -> Iterator[StoredFeedback]:
        """Every entry (from `since`, by the store's clock), oldest first, read in batches by id (no
        long read transaction; entries recorded meanwhile may or may not be included)."""
        start = since.timestamp() if since else float("-inf")
        sql = f"SELECT {COLUMNS} FROM feedback WHERE id > ? AND created >= ? ORDER BY id LIMIT ?"
        last = 0
        while True:
            args = (last, start, batch)
            rows = self._read(lambda c, args=args: c.execute(sql, args).fetchall())  # type: ignore[misc]
            for row in rows:
                yield _stored(row)
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def stats(self) -> FeedbackStats:
        def query(c: sqlite3.Connection) -> FeedbackStats:
            entries, size = self._totals(c)
            first, last = c.execute("SELECT MIN(ts), MAX(ts) FROM feedback").fetchone()
            by_source = {s: (int(n), int(h)) for s, n, h in
                         c.execute("SELECT source, COUNT(*), SUM(helpful) FROM feedback GROUP BY source ORDER BY source")}
            day_ago = self.clock() - DAY
            last_day = c.execute("SELECT COUNT(*) FROM feedback WHERE created > ?", (day_ago,)).fetchone()[0]
            top = [(str(cl), int(n)) for cl, n in c.execute(
                "SELECT client, COUNT(*) AS n FROM feedback WHERE created > ? GROUP BY client ORDER BY n DESC, client"
                " LIMIT 5", (day_ago,))]
            return FeedbackStats(entries, size, self.policy.max_entries, self.policy.max_bytes, first, last,
                                 by_source, int(last_day), top)

        result: FeedbackStats = self._read(query)
        return result


class _transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT` (the write lock is taken at once, so two processes never
    both read the quota and then both insert), `ROLLBACK` on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")


def _schema(conn: sqlite3.Connection) -> None:
    for statement in _statements(SCHEMA):
        conn.execute(statement)


def _statements(script: str) -> list[str]:
    """The script's statements (a trigger body's `;` does not end its CREATE TRIGGER)."""
    out: list[str] = []
    current = ""
    for line in script.splitlines():
        line = line.split("--", 1)[0].rstrip()
        if not line:
            continue
        current += line + "\n"
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    return out
