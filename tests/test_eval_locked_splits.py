"""The sixth and seventh locked test splits (eval/corpus/questions-test{6,7}.jsonl): 20 new questions on each locked
test report (ATOSS, Manz) per split, each written blind after the split before it was scored. Schema, mix, ids, no
repeats of the earlier files; evidence against the PDFs only where the shared corpus is present (it never is in CI)."""

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
    corpus_report_text,
)

CORPUS = ROOT / "eval" / "corpus"
FILES = ("questions.jsonl", "questions-test2.jsonl", "questions-test3.jsonl", "questions-test4.jsonl",
         "questions-test5.jsonl", "questions-test6.jsonl", "questions-test7.jsonl")
MIX = {"table": 7, "numeric": 4, "entity": 2, "date": 1, "list": 1, "yes_no": 1, "unanswerable": 4}
COMPANIES = {"atoss-2023": "ATOSS Software AG", "manz-2023": "Manz AG"}
SPLITS = pytest.mark.parametrize("n", [6, 7])


def _items(n: int) -> list[dict]:
    return _lines(CORPUS / f"questions-test{n}.jsonl")


@SPLITS
def test_locked_split_schema_and_mix(n: int) -> None:
    items = _items(n)
    _check_schema(items)
    for rid in LOCKED_TEST_REPORTS:
        mine = [q for q in items if q["id"].startswith(f"{rid}-t{n}-")]
        assert len(mine) == sum(MIX.values()), rid
        assert Counter(q["type"] for q in mine) == MIX, rid
    assert all(q["id"].startswith(tuple(f"{rid}-t{n}-" for rid in LOCKED_TEST_REPORTS)) for q in items)
    # every gold answer (list and yes_no included) is held by its evidence
    for q in items:
        assert all(contains_answer(" ".join(q["evidence"]), a) for a in q["answers"]), q["id"]


@SPLITS
def test_locked_split_fields(n: int) -> None:
    for q in _items(n):
        rid = q["id"].split(f"-t{n}-")[0]
        assert q["split"] == "test" and q["company"] == COMPANIES[rid], q["id"]
        # every question names its company; unanswerable questions are about the company itself
        assert q["company"].split()[0].lower() in q["question"].lower(), q["id"]
        assert q["report"] in (None, rid), q["id"]
        assert (q["report"] is None) == (q["type"] == "unanswerable"), q["id"]
        # the page is given exactly when the report is
        assert (q["page"] is None) == (q["report"] is None), q["id"]
        assert q["page"] is None or (isinstance(q["page"], int) and q["page"] >= 1), q["id"]


@SPLITS
def test_locked_split_repeats_no_earlier_question_or_id(n: int) -> None:
    items = _items(n)
    earlier = [q for name in FILES[: FILES.index(f"questions-test{n}.jsonl")] for q in _lines(CORPUS / name)]
    texts = [q["question"].lower() for q in items]
    assert len(texts) == len(set(texts))
    assert not set(texts) & {q["question"].lower() for q in earlier}
    assert not {q["id"] for q in items} & {q["id"] for q in earlier}


@pytest.mark.skipif(not (ROOT.parent / "shared" / "corpus").is_dir(), reason="the shared corpus is not here")
@SPLITS
def test_locked_split_evidence_is_verbatim_in_its_report(n: int) -> None:
    missing = [(q["id"], e) for q in _items(n) for e in q["evidence"] if collapse_ws(e) not in corpus_report_text(q["report"])]
    assert not missing, missing
