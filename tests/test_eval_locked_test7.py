"""The seventh locked test split (eval/corpus/questions-test7.jsonl): 20 new questions on each locked test report
(ATOSS, Manz), written blind. Schema, mix, ids, no repeats of the earlier files; evidence against the PDFs only
where the shared corpus is present (it never is in CI)."""

from __future__ import annotations

from collections import Counter

import pytest

from qa.evaluation.metrics import contains_answer
from qa.text import collapse_ws
from tests.test_eval_sets_held_out import (
    LOCKED_TEST_REPORTS,
    ROOT,
    _check_schema,
    _lines,
    _locked_report_texts,
)

CORPUS = ROOT / "eval" / "corpus"
NAME = "questions-test7.jsonl"
EARLIER = ("questions.jsonl", "questions-test2.jsonl", "questions-test3.jsonl", "questions-test4.jsonl",
           "questions-test5.jsonl", "questions-test6.jsonl")
MIX = {"table": 7, "numeric": 4, "entity": 2, "date": 1, "list": 1, "yes_no": 1, "unanswerable": 4}
COMPANIES = {"atoss-2023": "ATOSS Software AG", "manz-2023": "Manz AG"}


def _items() -> list[dict]:
    return _lines(CORPUS / NAME)


def test_seventh_locked_split_schema_and_mix() -> None:
    items = _items()
    _check_schema(items)
    for rid in LOCKED_TEST_REPORTS:
        mine = [q for q in items if q["id"].startswith(f"{rid}-t7-")]
        assert len(mine) == sum(MIX.values()), rid
        assert Counter(q["type"] for q in mine) == MIX, rid
    assert all(q["id"].startswith(tuple(f"{rid}-t7-" for rid in LOCKED_TEST_REPORTS)) for q in items)
    # every gold answer (list and yes_no included) is held by its evidence
    for q in items:
        assert all(contains_answer(" ".join(q["evidence"]), a) for a in q["answers"]), q["id"]


def test_seventh_locked_split_fields() -> None:
    for q in _items():
        rid = q["id"].split("-t7-")[0]
        assert q["split"] == "test" and q["company"] == COMPANIES[rid], q["id"]
        # every question names its company; unanswerable questions are about the company itself
        assert q["company"].split()[0].lower() in q["question"].lower(), q["id"]
        assert q["report"] in (None, rid), q["id"]
        assert (q["report"] is None) == (q["type"] == "unanswerable"), q["id"]
        # the page is given exactly when the report is
        assert (q["page"] is None) == (q["report"] is None), q["id"]
        assert q["page"] is None or (isinstance(q["page"], int) and q["page"] >= 1), q["id"]


def test_seventh_locked_split_repeats_no_earlier_question_or_id() -> None:
    items = _items()
    earlier = [q for name in EARLIER for q in _lines(CORPUS / name)]
    texts = [q["question"].lower() for q in items]
    assert len(texts) == len(set(texts))
    assert not set(texts) & {q["question"].lower() for q in earlier}
    assert not {q["id"] for q in items} & {q["id"] for q in earlier}


@pytest.mark.skipif(not (ROOT.parent / "shared" / "corpus").is_dir(), reason="the shared corpus is not here")
def test_seventh_locked_split_evidence_is_verbatim_in_its_report() -> None:
    text = _locked_report_texts()
    items = _items()
    missing = [(q["id"], e) for q in items for e in q["evidence"] if collapse_ws(e) not in text[q["report"]]]
    assert not missing, missing
