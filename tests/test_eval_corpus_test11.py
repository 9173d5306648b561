"""The eleventh corpus file (eval/corpus/questions-test11.jsonl), a locked held-out set: 90 new questions, 30 on each of
three reports drawn at random (Vonovia, MAX Automation, 1&1), written blind from the report text. Schema, mix, ids, no
repeats of the earlier corpus files, company named in every question, locked (never listed for training); evidence
against the PDFs only where the shared corpus is present."""

from __future__ import annotations

import pytest

from tests.corpus_file_checks import CorpusFile
from tests.test_eval_sets_held_out import SHARED_CORPUS

MIX = {"table": 12, "numeric": 6, "entity": 3, "date": 2, "list": 1, "definition": 1, "yes_no": 1, "unanswerable": 4}
# MAX Automation prints its only tables as images: its 12 table questions are running-text ones, as in questions-test9
MIX_MAX = {"numeric": 14, "entity": 5, "date": 3, "list": 2, "definition": 1, "yes_no": 1, "unanswerable": 4}
FILE = CorpusFile("questions-test11.jsonl", "t11",
                  {"vonovia-2020": "Vonovia SE", "max-automation-2023": "MAX Automation SE", "1und1-2023": "1&1 AG"},
                  MIX, {"max-automation-2023": MIX_MAX})


def test_schema_and_mix_per_report() -> None:
    assert sum(MIX.values()) == sum(MIX_MAX.values()) == 30
    FILE.check_schema_and_mix_per_report()


def test_fields() -> None:
    FILE.check_fields()


def test_answers_are_held_by_their_evidence() -> None:
    FILE.check_answers_are_held_by_their_evidence()


def test_no_id_or_question_of_an_earlier_file() -> None:
    FILE.check_no_id_or_question_of_an_earlier_file()


def test_the_file_is_locked_and_never_a_training_set() -> None:
    FILE.check_locked()


@pytest.mark.skipif(SHARED_CORPUS is None, reason="the shared corpus is not here")
def test_evidence_is_verbatim_in_its_report() -> None:
    FILE.check_evidence_is_verbatim()
