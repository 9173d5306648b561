"""The eleventh corpus file (eval/corpus/questions-test11.jsonl), a locked held-out set: 90 new questions, 30 on each of
three reports drawn at random (Vonovia, MAX Automation, 1&1), written blind from the report text. Schema, mix, ids, no
repeats of the earlier corpus files, company named in every question, locked (never listed for training); evidence
against the PDFs only where the shared corpus is present."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from qa.evaluation.metrics import contains_answer
from qa.text import collapse_ws
from tests.test_eval_sets_held_out import ROOT, SHARED_CORPUS, _check_schema, _lines, corpus_report_text

CORPUS = ROOT / "eval" / "corpus"
NAME = "questions-test11.jsonl"
REPORTS = {"vonovia-2020": "Vonovia SE", "max-automation-2023": "MAX Automation SE", "1und1-2023": "1&1 AG"}
MIX = {"table": 12, "numeric": 6, "entity": 3, "date": 2, "list": 1, "definition": 1, "yes_no": 1, "unanswerable": 4}
# MAX Automation prints its only tables as images: its 12 table questions are running-text ones, as in questions-test9
MIX_MAX = {"numeric": 14, "entity": 5, "date": 3, "list": 2, "definition": 1, "yes_no": 1, "unanswerable": 4}


def _mix(rid: str) -> dict[str, int]:
    return MIX_MAX if rid == "max-automation-2023" else MIX


def _items() -> list[dict]:
    return _lines(CORPUS / NAME)


def _earlier() -> list[dict]:
    return [q for path in sorted(CORPUS.glob("questions*.jsonl")) if path.name != NAME for q in _lines(path)]


def test_schema_and_mix_per_report() -> None:
    items = _items()
    _check_schema(items)
    assert sum(MIX.values()) == sum(MIX_MAX.values()) == 30
    assert len(items) == len(REPORTS) * sum(MIX.values())
    for rid in REPORTS:
        mine = [q for q in items if q["id"].startswith(f"{rid}-t11-q")]
        assert Counter(q["type"] for q in mine) == _mix(rid), rid
        assert [q["id"] for q in mine] == [f"{rid}-t11-q{i:03d}" for i in range(1, len(mine) + 1)], rid


def test_fields() -> None:
    for q in _items():
        rid = q["id"].split("-t11-")[0]
        assert rid in REPORTS and q["split"] == "test" and q["company"] == REPORTS[rid], q["id"]
        # every question names its company by the first word of its name
        assert q["company"].split()[0].lower() in q["question"].lower(), q["id"]
        assert q["report"] in (None, rid) and (q["report"] is None) == (q["type"] == "unanswerable"), q["id"]
        assert (q["page"] is None) == (q["report"] is None), q["id"]
        assert q["page"] is None or (isinstance(q["page"], int) and q["page"] >= 1), q["id"]


def test_answers_are_held_by_their_evidence() -> None:
    # every gold answer (list, yes_no and definition included) occurs in its evidence under the metric's normalisation
    for q in _items():
        assert all(contains_answer(" ".join(q["evidence"]), a) for a in q["answers"]), q["id"]


def test_no_id_or_question_of_an_earlier_file() -> None:
    items, earlier = _items(), _earlier()
    texts = [q["question"].lower() for q in items]
    assert len(texts) == len(set(texts)) and len({q["id"] for q in items}) == len(items)
    assert not set(texts) & {q["question"].lower() for q in earlier}
    assert not {q["id"] for q in items} & {q["id"] for q in earlier}


def test_the_file_is_locked_and_never_a_training_set() -> None:
    sets = json.loads((ROOT / "eval" / "training-sets.json").read_text(encoding="utf-8"))
    assert f"corpus/{NAME}" in sets["corpus_locked"]
    assert f"corpus/{NAME}" not in sets["corpus"]


@pytest.mark.skipif(SHARED_CORPUS is None, reason="the shared corpus is not here")
def test_evidence_is_verbatim_in_its_report() -> None:
    missing = [(q["id"], e) for q in _items() for e in q["evidence"] if collapse_ws(e) not in corpus_report_text(q["report"])]
    assert not missing, missing
