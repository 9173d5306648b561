"""The ninth corpus file (eval/corpus/questions-test9.jsonl): 30 new questions on each of three dev reports
(MAX Automation, Merck, Vonovia), written blind from the report text. Schema, mix per report, ids, no repeats of
the earlier files, every question names its company; evidence against the PDFs only where the shared corpus is
present (it never is in CI)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from qa.evaluation.metrics import contains_answer
from qa.text import collapse_ws
from tests.test_eval_sets_held_out import ROOT, SHARED_CORPUS, _check_schema, _lines, corpus_report_text

CORPUS = ROOT / "eval" / "corpus"
NAME = "questions-test9.jsonl"
COMPANIES = {"max-automation-2023": "MAX Automation SE", "merck-2023": "Merck KGaA", "vonovia-2020": "Vonovia SE"}
MIX = {"table": 12, "numeric": 6, "entity": 3, "date": 2, "list": 1, "definition": 1, "yes_no": 1, "unanswerable": 4}
# MAX Automation prints its only tables as images: its 12 table questions are replaced by running-text ones
MIX_MAX = {"numeric": 14, "entity": 5, "date": 3, "list": 2, "definition": 1, "yes_no": 1, "unanswerable": 4}


def _items() -> list[dict]:
    return _lines(CORPUS / NAME)


def _earlier_files() -> list[Path]:
    """questions.jsonl and every questions-testN.jsonl written before this one (N < 9)."""
    found = [CORPUS / "questions.jsonl"]
    for p in sorted(CORPUS.glob("questions-test*.jsonl")):
        m = re.fullmatch(r"questions-test(\d+)\.jsonl", p.name)
        if m and int(m.group(1)) < 9:
            found.append(p)
    return found


def _rid(q: dict) -> str:
    return q["id"].split("-t9-")[0]


def test_schema_and_mix_per_report() -> None:
    items = _items()
    _check_schema(items)
    assert len(items) == 90
    for rid in COMPANIES:
        mine = [q for q in items if q["id"].startswith(f"{rid}-t9-")]
        want = MIX_MAX if rid == "max-automation-2023" else MIX
        assert len(mine) == 30 and Counter(q["type"] for q in mine) == want, rid
        assert [q["id"] for q in mine] == [f"{rid}-t9-q{n:03d}" for n in range(1, 31)], rid
    assert all(q["id"].startswith(tuple(f"{rid}-t9-" for rid in COMPANIES)) for q in items)
    # every gold answer (list, yes_no and definition included) is held by its evidence
    for q in items:
        assert all(contains_answer(" ".join(q["evidence"]), a) for a in q["answers"]), q["id"]


def test_fields_and_company_named() -> None:
    for q in _items():
        rid = _rid(q)
        assert q["split"] == "test" and q["company"] == COMPANIES[rid], q["id"]
        # every question names its company (the first word of its name)
        assert q["company"].split()[0].lower() in q["question"].lower(), q["id"]
        assert (q["report"] is None) == (q["type"] == "unanswerable"), q["id"]
        assert q["report"] in (None, rid), q["id"]
        # the page is given exactly when the report is
        assert (q["page"] is None) == (q["report"] is None), q["id"]
        assert q["page"] is None or (isinstance(q["page"], int) and q["page"] >= 1), q["id"]


def test_repeats_no_earlier_question_or_id() -> None:
    items = _items()
    earlier = [q for p in _earlier_files() for q in _lines(p)]
    assert len(earlier) >= 388
    texts = [q["question"].lower() for q in items]
    assert len(texts) == len(set(texts))
    assert not set(texts) & {q["question"].lower() for q in earlier}
    assert not {q["id"] for q in items} & {q["id"] for q in earlier}


def test_no_earlier_evidence_of_the_same_report_is_reused() -> None:
    """A new question takes no evidence string an earlier question of its report already used."""
    earlier: dict[str, set[str]] = {}
    for q in (q for p in _earlier_files() for q in _lines(p)):
        for e in q["evidence"]:
            earlier.setdefault(q["id"].split("-q")[0], set()).add(collapse_ws(e))
    for q in _items():
        used = earlier.get(_rid(q), set())
        assert not any(collapse_ws(e) in used for e in q["evidence"]), q["id"]


@pytest.mark.skipif(SHARED_CORPUS is None, reason="the shared corpus is not here")
def test_evidence_is_verbatim_in_its_report() -> None:
    missing = [(q["id"], e) for q in _items() for e in q["evidence"] if collapse_ws(e) not in corpus_report_text(q["report"])]
    assert not missing, missing
