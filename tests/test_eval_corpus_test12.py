"""The twelfth corpus file (eval/corpus/questions-test12.jsonl), a locked held-out set: 90 new questions, 30 on each of
the three reports in neither of the last two files (INDUS, Merck, Manz), written blind from the report text. Schema,
mix, ids, no repeats of the earlier corpus files, company named in every question, locked (never listed for training);
evidence against the PDFs only where the shared corpus is present."""

from __future__ import annotations

import pytest

from tests.corpus_file_checks import CorpusFile
from tests.test_eval_sets_held_out import SHARED_CORPUS

MIX = {"table": 12, "numeric": 6, "entity": 3, "date": 2, "list": 1, "definition": 1, "yes_no": 1, "unanswerable": 4}
# Manz's table rows were used up by the seven earlier Manz splits: only 4 table questions take rows no earlier
# question asked a cell of; the other 8 slots are running-text ones, as MAX Automation's are in questions-test11
MIX_MANZ = {"table": 4, "numeric": 11, "entity": 5, "date": 3, "list": 1, "definition": 1, "yes_no": 1,
            "unanswerable": 4}
FILE = CorpusFile("questions-test12.jsonl", "t12",
                  {"indus-2023": "INDUS Holding AG", "merck-2023": "Merck KGaA", "manz-2023": "Manz AG"},
                  MIX, {"manz-2023": MIX_MANZ})


def test_schema_and_mix_per_report() -> None:
    assert sum(MIX.values()) == sum(MIX_MANZ.values()) == 30
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
