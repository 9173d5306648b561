"""Validation of the curated evaluation set ``eval/questions.jsonl``.

Fast and model-free: the checks read the eval file and the seed reports only.
The answer matching re-implements the metric's definition (NFKC, lower-case,
commas between digits removed, whitespace collapsed, whole-token-sequence match)
so that every gold answer is known to be findable in its own evidence.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EVAL_FILE = REPO_ROOT / "eval" / "questions.jsonl"
MANIFEST = REPO_ROOT / "seeds" / "reports.json"

TYPES = {
    "numeric",
    "table",
    "entity",
    "definition",
    "list",
    "yes_no",
    "date",
    "cross_report",
    "unanswerable",
}
VALUE_TYPES = {"numeric", "table", "cross_report"}
REQUIRED_KEYS = {"id", "question", "answers", "report", "evidence", "type", "split"}
MIN_TOTAL = 150
MIN_UNANSWERABLE = 20
# (types counted together) -> minimum number of questions
MIN_MIX: dict[tuple[str, ...], int] = {
    ("numeric", "table"): 60,
    ("cross_report",): 8,
    ("yes_no",): 8,
    ("list",): 8,
    ("date",): 6,
    ("entity", "definition"): 15,
}

_WS = re.compile(r"\s+")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
# numbers (with decimals) | runs of letters | any other single non-space char
_TOKEN = re.compile(r"\d+(?:\.\d+)*|[^\W\d_]+|[^\w\s]|_")


def collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGIT_COMMA.sub("", text)
    return collapse(text)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalize(text))


def holds(quote: str, answer: str) -> bool:
    """True when ``answer`` occurs in ``quote`` as a whole token sequence."""
    q, a = tokens(quote), tokens(answer)
    if not a:
        return False
    n = len(a)
    return any(q[i : i + n] == a for i in range(len(q) - n + 1))


@lru_cache(maxsize=1)
def manifest() -> list[dict[str, Any]]:
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    reports: list[dict[str, Any]] = sorted(data["reports"], key=lambda r: r["year"])
    return reports


@lru_cache(maxsize=1)
def report_texts() -> dict[str, str]:
    """original seed file name -> whitespace-collapsed report text."""
    return {
        r["original_name"]: collapse((REPO_ROOT / r["source"]).read_text(encoding="utf-8"))
        for r in manifest()
    }


@lru_cache(maxsize=1)
def questions() -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(EVAL_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:  # pragma: no cover - message only
                raise AssertionError(f"line {n} is not valid JSON: {exc}") from exc
    return rows


def answerable() -> list[dict[str, Any]]:
    return [q for q in questions() if q["type"] != "unanswerable"]


def reports_holding(evidence: str) -> list[str]:
    span = collapse(evidence)
    return [name for name, text in report_texts().items() if span in text]


# --------------------------------------------------------------------------- metric helpers


@pytest.mark.parametrize(
    ("quote", "answer", "expected"),
    [
        ("Total GHG Emissions3 31,347.06 t", "31,347.06 t", True),
        ("Total GHG Emissions3 31,347.06 t", "31347.06", True),
        ("invested RMB9.3 billion in R&D", "9.3 billion", True),
        ("Under 30 12,823 (39.40%) 14 605 (43.69%)", "14 605", True),
        ("Ｆｕｌｌ-width ３５,９７７", "35,977", True),
        ("reduced by 12.5%", "12", False),
        ("Total Workforce 35,977", "5,977", False),
        ("2021 9,096,95 73,723.21", "9,096.95", False),
        ("anything", "", False),
    ],
)
def test_holds_matches_whole_token_sequences(quote: str, answer: str, expected: bool) -> None:
    assert holds(quote, answer) is expected


def test_normalize() -> None:
    assert normalize("  CO₂e\n\n 1,406,874  kWh ") == "co2e 1406874 kwh"
    assert normalize("14 605") == "14 605"


# --------------------------------------------------------------------------- the eval set


def test_manifest_resolves_both_seed_reports() -> None:
    texts = report_texts()
    assert len(texts) == 2
    assert all(len(t) > 100_000 for t in texts.values())


def test_schema() -> None:
    names = set(report_texts())
    problems = []
    for q in questions():
        qid = q.get("id", "?")
        if set(q) != REQUIRED_KEYS:
            problems.append(f"{qid}: keys {sorted(q)}")
            continue
        if not re.fullmatch(r"q\d{3,}", q["id"]):
            problems.append(f"{qid}: bad id")
        if not isinstance(q["question"], str) or len(q["question"].strip()) < 8:
            problems.append(f"{qid}: question too short")
        if q["type"] not in TYPES:
            problems.append(f"{qid}: type {q['type']!r}")
        if q["split"] not in {"dev", "test"}:
            problems.append(f"{qid}: split {q['split']!r}")
        if q["report"] not in names | {"both", None}:
            problems.append(f"{qid}: report {q['report']!r}")
        for key in ("answers", "evidence"):
            value = q[key]
            if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
                problems.append(f"{qid}: {key} must be a list of non-empty strings")
    assert not problems, "\n".join(problems)


def test_ids_and_questions_unique() -> None:
    ids = Counter(q["id"] for q in questions())
    texts = Counter(normalize(q["question"]) for q in questions())
    assert [i for i, c in ids.items() if c > 1] == []
    assert [t for t, c in texts.items() if c > 1] == []


def test_size_and_mix() -> None:
    qs = questions()
    assert len(qs) >= MIN_TOTAL
    by_type = Counter(q["type"] for q in qs)
    for group, minimum in MIN_MIX.items():
        assert sum(by_type[t] for t in group) >= minimum, (group, dict(by_type))


def test_unanswerable_questions() -> None:
    unans = [q for q in questions() if q["type"] == "unanswerable"]
    assert len(unans) >= MIN_UNANSWERABLE
    bad = [q["id"] for q in unans if q["answers"] != [] or q["report"] is not None]
    assert bad == []
    # and nothing else is marked unanswerable by an empty answer list
    assert [
        q["id"] for q in answerable() if not q["answers"] or not q["evidence"] or q["report"] is None
    ] == []


def test_splits_cover_every_type() -> None:
    seen = Counter((q["type"], q["split"]) for q in questions())
    for t in {q["type"] for q in questions()}:
        assert seen[(t, "dev")] > 0 and seen[(t, "test")] > 0, t
    dev = sum(1 for q in questions() if q["split"] == "dev")
    assert 0.4 <= dev / len(questions()) <= 0.6


def test_evidence_is_verbatim_in_the_named_report() -> None:
    problems = []
    for q in answerable():
        for ev in q["evidence"]:
            found = reports_holding(ev)
            if q["report"] == "both":
                if not found:
                    problems.append(f"{q['id']}: not in either report: {ev[:80]!r}")
            elif q["report"] not in found:
                problems.append(f"{q['id']}: not in {q['report']}: {ev[:80]!r}")
    assert not problems, "\n".join(problems)


def test_both_report_questions_cite_each_report_in_order() -> None:
    older, newer = (r["original_name"] for r in manifest())
    problems = []
    for q in answerable():
        if q["report"] != "both":
            continue
        ev = q["evidence"]
        if older not in reports_holding(ev[0]):
            problems.append(f"{q['id']}: first evidence is not from {older}")
        if not any(newer in reports_holding(e) for e in ev[1:]):
            problems.append(f"{q['id']}: no later evidence from {newer}")
    assert not problems, "\n".join(problems)


def test_value_answers_occur_in_evidence() -> None:
    problems = []
    for q in answerable():
        if q["type"] in VALUE_TYPES:
            missing = [a for a in q["answers"] if not any(holds(ev, a) for ev in q["evidence"])]
            if missing:
                problems.append(f"{q['id']}: {missing}")
        elif not any(holds(ev, a) for ev in q["evidence"] for a in q["answers"]):
            problems.append(f"{q['id']}: no answer occurs in any evidence")
    assert not problems, "\n".join(problems)


def test_cross_report_questions_hold_a_value_from_each_report() -> None:
    problems = []
    for q in answerable():
        if q["type"] != "cross_report":
            continue
        if q["report"] != "both" or len(q["answers"]) < 2:
            problems.append(f"{q['id']}: needs report 'both' and >= 2 answers")
            continue
        for name in report_texts():
            own = [ev for ev in q["evidence"] if name in reports_holding(ev)]
            if not any(holds(ev, a) for ev in own for a in q["answers"]):
                problems.append(f"{q['id']}: no gold answer in the evidence from {name}")
    assert not problems, "\n".join(problems)
