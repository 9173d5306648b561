"""The JSON-lines feedback files of earlier versions (`feedback.jsonl` and its rotated backups
`feedback.jsonl.1` ... `.N`), read for a one-time import into the store.

The import is idempotent: every line is keyed by the SHA-256 of its bytes, and the store keeps
that key unique, so re-reading a file (again, or after a rotation renamed it) adds nothing twice.
The old files are left in place; remove or archive them once `esgqa feedback stats` shows the
import.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from .models import FeedbackEntry

logger = logging.getLogger(__name__)

MAX_BACKUPS = 99


def legacy_files(path: Path) -> list[Path]:
    """`path` and its rotated backups that exist, oldest first (`.N` ... `.1`, then `path`)."""
    backups = [path.with_name(f"{path.name}.{i}") for i in range(MAX_BACKUPS, 0, -1)]
    return [p for p in [*backups, path] if p.is_file()]


def fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def epoch_of(ts: str, default: float) -> float:
    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return default


def read_legacy(path: Path) -> Iterator[tuple[str, FeedbackEntry]]:
    """(key, entry) for every readable line of one file; unreadable (e.g. torn) lines are skipped
    and counted in the log."""
    skipped = 0
    with path.open("rb") as fh:
        for raw in fh:
            line = raw.strip()
            if not line:
                continue
            try:
                entry = FeedbackEntry.model_validate_json(line)
            except (ValidationError, ValueError):
                skipped += 1
                continue
            yield hashlib.sha256(line).hexdigest(), entry
    if skipped:
        logger.warning("feedback import: %d unreadable line(s) skipped in %s", skipped, path)
