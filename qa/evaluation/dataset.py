"""Eval-set records and their loader.

One line of an eval file (`eval/*.jsonl`, see docs in GUIDE.md)::

    {"id": "q001", "question": "...", "answers": ["31,347.06 t", "31,347.06"],
     "report": "xiaomi-esg-2020" | "000_0d96487a71bc60db.txt" | "both" | null,
     "evidence": ["exact words from the report"], "type": "numeric", "split": "dev",
     "company": "Xiaomi Corporation"}

`answers: []` marks an unanswerable question. `report` is a report id or file name of the
manifest. `split` ("dev" / "test") and `company` (the company the question is about; default: its
report's) are optional. A malformed
line raises `EvalSetError` naming its file and line number.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qa.errors import QAError
from qa.models import Answer

logger = logging.getLogger(__name__)

QuestionType = Literal[
    "numeric", "table", "entity", "definition", "list", "yes_no", "date", "cross_report", "unanswerable"
]
Split = Literal["dev", "test"]
QUESTION_TYPES: tuple[str, ...] = QuestionType.__args__  # type: ignore[attr-defined]


class EvalSetError(QAError):
    """An eval file is missing or holds a malformed line; the message names the file and line."""

    code = "eval_set_error"
    status = 422


class EvalItem(BaseModel):
    """One question of an eval set."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answers: list[str]
    report: str | None = None
    evidence: list[str] = Field(default_factory=list)
    type: QuestionType
    split: Split | None = None
    company: str | None = None

    @field_validator("answers", "evidence")
    @classmethod
    def _no_blank_strings(cls, value: list[str]) -> list[str]:
        if any(not v.strip() for v in value):
            raise ValueError("must not contain empty strings")
        return value

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    @property
    def report_key(self) -> str:
        """The per-report breakdown key: the line's `report` as written, "both", or "none"."""
        return self.report or "none"


class Prediction(BaseModel):
    """What the service returned for one eval item (one line of `predictions.jsonl`).

    `answer` is None when the service refused the question with a `QAError` (then `error` says
    why). `retrieved` holds the texts of the top retrieved passages, best first, used for R@k;
    it is not written to `predictions.jsonl` (only `retrieved_ids` is).
    """

    id: str
    answer: Answer | None
    latency_ms: float
    error: str | None = None
    retrieved: list[str] = Field(default_factory=list)
    retrieved_ids: list[str] = Field(default_factory=list)
    retrieval_done: bool = False

    def to_json_line(self) -> str:
        """The full answer object plus `id`, `latency_ms` (and `error`, `retrieved_ids`)."""
        if self.answer is not None:
            data = self.answer.model_dump(mode="json")
        else:
            data = {"question": None, "answered": False, "answer": None, "confidence": 0.0, "quotes": []}
        data["id"] = self.id
        data["latency_ms"] = round(self.latency_ms, 3)
        if self.error is not None:
            data["error"] = self.error
        if self.retrieved_ids:
            data["retrieved_ids"] = self.retrieved_ids
        return json.dumps(data, ensure_ascii=False)


def _parse_line(path: Path, lineno: int, line: str) -> EvalItem:
    where = f"{path}:{lineno}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EvalSetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); "
                           "fix or remove the line.") from exc
    if not isinstance(data, dict):
        raise EvalSetError(f"{where}: expected a JSON object, got {type(data).__name__}.")
    try:
        item = EvalItem.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(line)'}: {err['msg']}" for err in exc.errors()
        )
        raise EvalSetError(f"{where}: malformed eval line ({problems}).") from exc
    if item.type == "unanswerable" and item.answers:
        raise EvalSetError(f"{where}: type 'unanswerable' but answers is not empty.")
    if not item.answers and item.type != "unanswerable":
        logger.warning("%s: %s has no answers but type %r; scored as unanswerable", where, item.id, item.type)
    return item


def load_eval_file(path: Path) -> list[EvalItem]:
    """All items of one JSONL eval file (blank lines skipped)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise EvalSetError(f"{path}: eval file not found.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalSetError(f"{path}: cannot read eval file ({exc}).") from exc
    items = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            items.append(_parse_line(path, lineno, line))
    return items


def load_eval_files(
    paths: Iterable[Path | str], split: Split | None = None, limit: int | None = None
) -> list[EvalItem]:
    """Items of every file, in order, optionally restricted to one split and the first `limit`.

    With `split`, items without a `split` field are left out. Ids must be unique across files.
    """
    items: list[EvalItem] = []
    seen: dict[str, Path] = {}
    for raw in paths:
        path = Path(raw)
        for item in load_eval_file(path):
            if item.id in seen:
                raise EvalSetError(f"{path}: duplicate question id {item.id!r} (first in {seen[item.id]}).")
            seen[item.id] = path
            items.append(item)
    if split is not None:
        items = [it for it in items if it.split == split]
    if limit is not None:
        if limit < 0:
            raise EvalSetError(f"limit must be >= 0, got {limit}.")
        items = items[:limit]
    return items
