"""Feedback out of the store: JSON lines (exact) or CSV (for spreadsheets), and `--since` parsing.

CSV cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
carriage return) get a leading `'`, as OWASP advises; the JSON-lines export is byte-exact.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

from .models import StoredFeedback

CSV_COLUMNS = ("id", "ts", "client", "source", "helpful", "answer_id", "question", "comment", "extra")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parse_since(text: str) -> datetime:
    """An ISO 8601 date or date-time (`2026-01-31`, `2026-01-31T12:00`, `...Z`, `...+02:00`);
    without a zone it is UTC. ValueError otherwise."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def write_jsonl(entries: Iterable[StoredFeedback], out: TextIO) -> int:
    n = 0
    for entry in entries:
        out.write(entry.model_dump_json() + "\n")
        n += 1
    return n


def write_csv(entries: Iterable[StoredFeedback], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for e in entries:
        writer.writerow([
            e.id, e.ts, safe_cell(e.client), e.source, "true" if e.helpful else "false", safe_cell(e.answer_id),
            safe_cell(e.question), safe_cell(e.comment or ""),
            json.dumps(e.extra, ensure_ascii=False, sort_keys=True) if e.extra else "",
        ])
        n += 1
    return n


WRITERS = {"jsonl": write_jsonl, "csv": write_csv}
