"""The checks every blind corpus question file of the same shape shares (the eighth, tenth, eleventh and twelfth):
schema and mix per report, ids, fields, answers held by their evidence, no repeat of an earlier file, the lock,
and evidence verbatim in the report's text. `tests/test_eval_corpus_files.py` names each file, its reports, mix
and lock."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from qa.evaluation.metrics import contains_answer
from qa.text import collapse_ws
from tests.test_eval_sets_held_out import ROOT, _check_schema, _lines, corpus_report_text

CORPUS = ROOT / "eval" / "corpus"


@dataclass(frozen=True)
class CorpusFile:
    name: str  # questions-testN.jsonl
    tag: str  # tN: ids are `<report>-tN-qNNN`
    reports: dict[str, str]  # report id -> company
    mix: dict[str, int]  # question types per report
    mix_of: dict[str, dict[str, int]] = field(default_factory=dict)  # a report with another mix
    lock: str = ""  # "locked": listed under corpus_locked; "training": scored, now listed for training; "": not checked

    def items(self) -> list[dict]:
        return _lines(CORPUS / self.name)

    def earlier(self) -> list[dict]:
        return [q for path in sorted(CORPUS.glob("questions*.jsonl")) if path.name != self.name for q in _lines(path)]

    def check_schema_and_mix_per_report(self) -> None:
        items = self.items()
        _check_schema(items)
        assert len(items) == len(self.reports) * sum(self.mix.values())
        for rid in self.reports:
            mine = [q for q in items if q["id"].startswith(f"{rid}-{self.tag}-q")]
            assert Counter(q["type"] for q in mine) == self.mix_of.get(rid, self.mix), rid
            assert [q["id"] for q in mine] == [f"{rid}-{self.tag}-q{i:03d}" for i in range(1, len(mine) + 1)], rid

    def check_fields(self) -> None:
        for q in self.items():
            rid = q["id"].split(f"-{self.tag}-")[0]
            assert rid in self.reports and q["split"] == "test" and q["company"] == self.reports[rid], q["id"]
            # every question names its company by the first word of its name
            assert q["company"].split()[0].lower() in q["question"].lower(), q["id"]
            assert q["report"] in (None, rid) and (q["report"] is None) == (q["type"] == "unanswerable"), q["id"]
            assert (q["page"] is None) == (q["report"] is None), q["id"]
            assert q["page"] is None or (isinstance(q["page"], int) and q["page"] >= 1), q["id"]

    def check_answers_are_held_by_their_evidence(self) -> None:
        # every gold answer (list, yes_no and definition included) occurs in its evidence under the metric's
        # normalisation
        for q in self.items():
            assert all(contains_answer(" ".join(q["evidence"]), a) for a in q["answers"]), q["id"]

    def check_no_id_or_question_of_an_earlier_file(self) -> None:
        items, earlier = self.items(), self.earlier()
        texts = [q["question"].lower() for q in items]
        assert len(texts) == len(set(texts)) and len({q["id"] for q in items}) == len(items)
        assert not set(texts) & {q["question"].lower() for q in earlier}
        assert not {q["id"] for q in items} & {q["id"] for q in earlier}

    def check_locked(self) -> None:
        sets = json.loads((ROOT / "eval" / "training-sets.json").read_text(encoding="utf-8"))
        assert f"corpus/{self.name}" in sets["corpus_locked"]
        assert f"corpus/{self.name}" not in sets["corpus"]

    def check_scored_and_now_training_data(self) -> None:
        sets = json.loads((ROOT / "eval" / "training-sets.json").read_text(encoding="utf-8"))
        assert f"corpus/{self.name}" in sets["corpus"]
        assert f"corpus/{self.name}" not in sets["corpus_locked"]

    def check_lock(self) -> None:
        {"locked": self.check_locked, "training": self.check_scored_and_now_training_data}[self.lock]()

    def check_evidence_is_verbatim(self) -> None:
        missing = [(q["id"], e) for q in self.items() for e in q["evidence"]
                   if collapse_ws(e) not in corpus_report_text(q["report"])]
        assert not missing, missing
