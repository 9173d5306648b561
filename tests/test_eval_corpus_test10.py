"""The tenth corpus file (eval/corpus/questions-test10.jsonl): 90 questions, 30 on each of three reports drawn at random
(ATOSS, Addiko, 1&1), written blind from the report text, scored once as a locked set in the fourteenth session and
training data since. Schema, mix, ids, no repeats of the earlier corpus files, company named in every question, listed
for training; evidence against the PDFs only where the shared corpus is present."""

from __future__ import annotations

import pytest

from tests.corpus_file_checks import CorpusFile
from tests.test_eval_sets_held_out import SHARED_CORPUS

MIX = {"table": 12, "numeric": 6, "entity": 3, "date": 2, "list": 1, "definition": 1, "yes_no": 1, "unanswerable": 4}
FILE = CorpusFile("questions-test10.jsonl", "t10",
                  {"atoss-2023": "ATOSS Software AG", "addiko-2023": "Addiko Bank AG", "1und1-2023": "1&1 AG"}, MIX)


def test_schema_and_mix_per_report() -> None:
    FILE.check_schema_and_mix_per_report()


def test_fields() -> None:
    FILE.check_fields()


def test_answers_are_held_by_their_evidence() -> None:
    FILE.check_answers_are_held_by_their_evidence()


def test_no_id_or_question_of_an_earlier_file() -> None:
    FILE.check_no_id_or_question_of_an_earlier_file()


def test_the_file_was_scored_and_is_now_training_data() -> None:
    FILE.check_scored_and_now_training_data()


@pytest.mark.skipif(SHARED_CORPUS is None, reason="the shared corpus is not here")
def test_evidence_is_verbatim_in_its_report() -> None:
    FILE.check_evidence_is_verbatim()
