"""The blind corpus question files of one shape (eval/corpus/questions-test8, -test10 to -test37.jsonl): 90
questions each, 30 on each of three reports, written blind from the report text. Schema, mix, ids, no repeats of the
earlier corpus files, company named in every question, the lock (test10 to test36: scored in the fourteenth to
thirty-ninth sessions, training data since; test37: locked, never listed for training); evidence
against the PDFs only where the shared corpus is present. (The ninth file has its own shape: tests/test_eval_corpus_test9.py.)"""

from __future__ import annotations

import pytest

from tests.corpus_file_checks import CorpusFile
from tests.test_eval_sets_held_out import SHARED_CORPUS

MIX = {"table": 12, "numeric": 6, "entity": 3, "date": 2, "list": 1, "definition": 1, "yes_no": 1, "unanswerable": 4}
# MAX Automation prints its only tables as images: its 12 table questions are running-text ones, as in questions-test9
MIX_MAX = {"numeric": 14, "entity": 5, "date": 3, "list": 2, "definition": 1, "yes_no": 1, "unanswerable": 4}
# Manz's table rows were used up by the seven earlier Manz splits: only 4 table questions take rows no earlier
# question asked a cell of (in questions-test36 cells no earlier question asked, three in rows asked before); the
# other 8 slots are running-text ones, as MAX Automation's are in questions-test11
MIX_MANZ = {"table": 4, "numeric": 11, "entity": 5, "date": 3, "list": 1, "definition": 1, "yes_no": 1,
            "unanswerable": 4}
# ATOSS's metric tables were used up by the eight earlier ATOSS splits: only 9 table questions take rows no earlier
# question asked a cell of (GRI/SASB mapping, EU taxonomy templates, the locations list); the other 3 slots are
# running-text ones
MIX_ATOSS = {"table": 9, "numeric": 8, "entity": 4, "date": 2, "list": 1, "definition": 1, "yes_no": 1,
             "unanswerable": 4}
# MAX Automation's running text was mined by seven earlier splits (questions.jsonl, test9, 11, 14, 17, 20): its
# numbers, regulation/section numbers and German Sustainability Code index references are used up (one new figure
# left), so questions-test23 asks one numeric question and puts the other 13 numeric slots on entity, date, list and
# definition questions from sentences no earlier question quoted
MIX_MAX2 = {"numeric": 1, "entity": 13, "date": 4, "list": 4, "definition": 3, "yes_no": 1, "unanswerable": 4}
FILES = [
    CorpusFile("questions-test8.jsonl", "t8",
               {"addiko-2023": "Addiko Bank AG", "1und1-2023": "1&1 AG", "indus-2023": "INDUS Holding AG"}, MIX),
    CorpusFile("questions-test10.jsonl", "t10",
               {"atoss-2023": "ATOSS Software AG", "addiko-2023": "Addiko Bank AG", "1und1-2023": "1&1 AG"}, MIX,
               lock="training"),
    CorpusFile("questions-test11.jsonl", "t11",
               {"vonovia-2020": "Vonovia SE", "max-automation-2023": "MAX Automation SE", "1und1-2023": "1&1 AG"},
               MIX, {"max-automation-2023": MIX_MAX}, lock="training"),
    CorpusFile("questions-test12.jsonl", "t12",
               {"indus-2023": "INDUS Holding AG", "merck-2023": "Merck KGaA", "manz-2023": "Manz AG"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test13.jsonl", "t13",
               {"atoss-2023": "ATOSS Software AG", "vonovia-2020": "Vonovia SE", "addiko-2023": "Addiko Bank AG"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="training"),
    CorpusFile("questions-test14.jsonl", "t14",
               {"indus-2023": "INDUS Holding AG", "merck-2023": "Merck KGaA", "max-automation-2023": "MAX Automation SE"},
               MIX, {"max-automation-2023": MIX_MAX}, lock="training"),
    CorpusFile("questions-test15.jsonl", "t15",
               {"1und1-2023": "1&1 AG", "addiko-2023": "Addiko Bank AG", "manz-2023": "Manz AG"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test16.jsonl", "t16",
               {"atoss-2023": "ATOSS Software AG", "vonovia-2020": "Vonovia SE", "merck-2023": "Merck KGaA"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="training"),
    CorpusFile("questions-test17.jsonl", "t17",
               {"indus-2023": "INDUS Holding AG", "max-automation-2023": "MAX Automation SE", "addiko-2023": "Addiko Bank AG"},
               MIX, {"max-automation-2023": MIX_MAX}, lock="training"),
    CorpusFile("questions-test18.jsonl", "t18",
               {"1und1-2023": "1&1 AG", "manz-2023": "Manz AG", "merck-2023": "Merck KGaA"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test19.jsonl", "t19",
               {"atoss-2023": "ATOSS Software AG", "vonovia-2020": "Vonovia SE", "addiko-2023": "Addiko Bank AG"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="training"),
    CorpusFile("questions-test20.jsonl", "t20",
               {"indus-2023": "INDUS Holding AG", "max-automation-2023": "MAX Automation SE", "merck-2023": "Merck KGaA"},
               MIX, {"max-automation-2023": MIX_MAX}, lock="training"),
    CorpusFile("questions-test21.jsonl", "t21",
               {"1und1-2023": "1&1 AG", "manz-2023": "Manz AG", "vonovia-2020": "Vonovia SE"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test22.jsonl", "t22",
               {"atoss-2023": "ATOSS Software AG", "addiko-2023": "Addiko Bank AG", "indus-2023": "INDUS Holding AG"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="training"),
    CorpusFile("questions-test23.jsonl", "t23",
               {"max-automation-2023": "MAX Automation SE", "merck-2023": "Merck KGaA", "1und1-2023": "1&1 AG"},
               MIX, {"max-automation-2023": MIX_MAX2}, lock="training"),
    CorpusFile("questions-test24.jsonl", "t24",
               {"manz-2023": "Manz AG", "vonovia-2020": "Vonovia SE", "indus-2023": "INDUS Holding AG"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test25.jsonl", "t25",
               {"atoss-2023": "ATOSS Software AG", "addiko-2023": "Addiko Bank AG", "merck-2023": "Merck KGaA"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="training"),
    CorpusFile("questions-test26.jsonl", "t26",
               {"max-automation-2023": "MAX Automation SE", "1und1-2023": "1&1 AG", "vonovia-2020": "Vonovia SE"},
               MIX, {"max-automation-2023": MIX_MAX2}, lock="training"),
    CorpusFile("questions-test27.jsonl", "t27",
               {"manz-2023": "Manz AG", "indus-2023": "INDUS Holding AG", "merck-2023": "Merck KGaA"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test28.jsonl", "t28",
               {"atoss-2023": "ATOSS Software AG", "addiko-2023": "Addiko Bank AG", "1und1-2023": "1&1 AG"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="training"),
    CorpusFile("questions-test29.jsonl", "t29",
               {"max-automation-2023": "MAX Automation SE", "vonovia-2020": "Vonovia SE", "merck-2023": "Merck KGaA"},
               MIX, {"max-automation-2023": MIX_MAX2}, lock="training"),
    CorpusFile("questions-test30.jsonl", "t30",
               {"manz-2023": "Manz AG", "indus-2023": "INDUS Holding AG", "1und1-2023": "1&1 AG"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test31.jsonl", "t31",
               {"atoss-2023": "ATOSS Software AG", "addiko-2023": "Addiko Bank AG", "vonovia-2020": "Vonovia SE"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="training"),
    CorpusFile("questions-test32.jsonl", "t32",
               {"max-automation-2023": "MAX Automation SE", "merck-2023": "Merck KGaA", "indus-2023": "INDUS Holding AG"},
               MIX, {"max-automation-2023": MIX_MAX2}, lock="training"),
    CorpusFile("questions-test33.jsonl", "t33",
               {"manz-2023": "Manz AG", "addiko-2023": "Addiko Bank AG", "vonovia-2020": "Vonovia SE"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test34.jsonl", "t34",
               {"atoss-2023": "ATOSS Software AG", "1und1-2023": "1&1 AG", "merck-2023": "Merck KGaA"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="training"),
    CorpusFile("questions-test35.jsonl", "t35",
               {"max-automation-2023": "MAX Automation SE", "indus-2023": "INDUS Holding AG", "vonovia-2020": "Vonovia SE"},
               MIX, {"max-automation-2023": MIX_MAX2}, lock="training"),
    CorpusFile("questions-test36.jsonl", "t36",
               {"manz-2023": "Manz AG", "addiko-2023": "Addiko Bank AG", "1und1-2023": "1&1 AG"},
               MIX, {"manz-2023": MIX_MANZ}, lock="training"),
    CorpusFile("questions-test37.jsonl", "t37",
               {"atoss-2023": "ATOSS Software AG", "merck-2023": "Merck KGaA", "indus-2023": "INDUS Holding AG"},
               MIX, {"atoss-2023": MIX_ATOSS}, lock="locked"),
]
each_file = pytest.mark.parametrize("file", FILES, ids=[f.tag for f in FILES])


@each_file
def test_schema_and_mix_per_report(file: CorpusFile) -> None:
    for other in file.mix_of.values():
        assert sum(file.mix.values()) == sum(other.values()) == 30
    file.check_schema_and_mix_per_report()


@each_file
def test_fields(file: CorpusFile) -> None:
    file.check_fields()


@each_file
def test_answers_are_held_by_their_evidence(file: CorpusFile) -> None:
    file.check_answers_are_held_by_their_evidence()


@each_file
def test_no_id_or_question_of_an_earlier_file(file: CorpusFile) -> None:
    file.check_no_id_or_question_of_an_earlier_file()


@pytest.mark.parametrize("file", [f for f in FILES if f.lock], ids=[f.tag for f in FILES if f.lock])
def test_the_lock_of_the_file(file: CorpusFile) -> None:
    file.check_lock()


@pytest.mark.skipif(SHARED_CORPUS is None, reason="the shared corpus is not here")
@each_file
def test_evidence_is_verbatim_in_its_report(file: CorpusFile) -> None:
    file.check_evidence_is_verbatim()
