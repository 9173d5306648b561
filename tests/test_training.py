"""Training stages on a tiny literal report with the hashing embedder: generated questions, span-picker
rows and a fitted picker that is served exactly as trained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.compose.spanfeatures import SPAN_FEATURES
from qa.compose.spanpick import SpanPicker
from qa.service import QAService
from qa.training.dataset import collect
from qa.training.spans import SpanRows, candidate_span_rows, fit_span_picker, record_span_rows, span_rows
from qa.training.synth import synth_questions
from tests.test_compose_stages import SPACES, TABS, _service

PROSE = """Suppliers

In 2023, we selected 146 suppliers for audit and completed 140 audits; 112 of them were follow-up audits.
Our purchasing team of 385 buyers trained 1,250 supplier managers in 2023.
"""


@pytest.fixture()
def svc(tmp_path: Path) -> QAService:
    return _service(tmp_path, [("acme-2023", "Acme Industries AG", TABS + SPACES + PROSE, 2023)])


def test_generated_table_questions_ask_a_cell_under_a_year(svc: QAService) -> None:
    items = synth_questions(svc.index.chunks, svc.index.units, svc.index.reports, per_report=40)
    tables = [it for it, company in items if it.type == "table"]
    assert tables and all(company == "Acme Industries AG" for _, company in items)
    for it in tables:
        assert any(y in it.question for y in ("2021", "2022", "2023")) and it.answers[0] in TABS + SPACES


def test_generated_multi_figure_queries_name_one_figure_of_a_sentence(svc: QAService) -> None:
    items = synth_questions(svc.index.chunks, svc.index.units, svc.index.reports, per_report=40, several=True)
    assert items and all(it.type == "numeric" for it, _ in items)
    answers = {it.answers[0] for it, _ in items}
    assert answers <= {"146", "140", "112", "385", "1,250"} and len(answers) >= 3
    single = synth_questions(svc.index.chunks, svc.index.units, svc.index.reports, per_report=40)
    assert not {it.answers[0] for it, _ in single} & answers  # sentences with several figures are only for spans


NAMES = """Partners

Our report was reviewed by the external auditors Kessler Partner GmbH during 2024.
Returned devices are collected by the recycling specialist Zorvant from every branch office.
In 2023 we launched a new product line called FAIR LINE made from recycled bottles.
We apply the following Standards in every plant.
"""


def test_generated_entity_questions_ask_for_a_name_by_its_descriptor(tmp_path: Path) -> None:
    svc = _service(tmp_path, [("acme-2023", "Acme Industries AG", PROSE + NAMES, 2023)])
    items = synth_questions(svc.index.chunks, svc.index.units, svc.index.reports, per_report=40, entities=True)
    got = {it.answers[0]: it.question for it, _ in items}
    assert all(it.type == "entity" for it, _ in items)
    assert set(got) == {"Kessler Partner GmbH", "Zorvant", "FAIR LINE"}, got  # not "Standards": a vague descriptor
    assert "external auditors" in got["Kessler Partner GmbH"] and "recycling specialist" in got["Zorvant"]
    assert not any(answer in question for answer, question in got.items())  # the question never names its answer


def test_span_rows_have_a_right_option_per_quote_and_fit_a_servable_picker(svc: QAService) -> None:
    items = synth_questions(svc.index.chunks, svc.index.units, svc.index.reports, per_report=40)
    items += synth_questions(svc.index.chunks, svc.index.units, svc.index.reports, per_report=40, several=True)
    records = collect(svc, items, "gen")
    rows = span_rows(svc, records)
    assert rows.X.shape == (len(rows.y), len(SPAN_FEATURES)) and sum(rows.groups) == len(rows.y)
    start = 0
    for g in rows.groups:  # every quote kept has a right option and a wrong one
        assert 0 < rows.y[start : start + g].sum() < g
        start += g
    picker = SpanPicker.from_booster(fit_span_picker(rows))
    assert np.isfinite(picker._model.predict(rows.X)).all()


def test_span_rows_from_the_candidates_collect_built_are_those_of_candidates_built_anew(svc: QAService) -> None:
    """`make train` takes each record's span rows from the candidates its ranker rows came from instead of
    generating them again: the same rows (nothing in collect changes a candidate)."""
    items = synth_questions(svc.index.chunks, svc.index.units, svc.index.reports, per_report=40)
    items += synth_questions(svc.index.chunks, svc.index.units, svc.index.reports, per_report=40, several=True)
    kept: list[SpanRows] = []
    records = collect(svc, items, "gen", lambda rec, cands: kept.append(candidate_span_rows(rec, cands)))
    assert len(kept) == len(records) and sum(len(k.y) for k in kept) > 0
    for rec, got in zip(records, kept, strict=True):
        again = record_span_rows(svc, rec)
        assert np.array_equal(got.X, again.X) and np.array_equal(got.y, again.y) and got.groups == again.groups


def test_training_reads_the_listed_bundled_sets_and_refuses_a_locked_one(tmp_path: Path) -> None:
    import json

    from qa.training.run import BUNDLED_SET, TRAINING_SETS, bundled_training_sets

    listed = bundled_training_sets()
    data = json.loads(TRAINING_SETS.read_text(encoding="utf-8"))
    assert BUNDLED_SET in listed and all(p.is_file() for p in listed)
    assert not {p.name for p in listed} & set(data["locked"])  # no locked set is read for training
    assert bundled_training_sets(tmp_path / "absent.json") == [BUNDLED_SET]
    bad = tmp_path / "sets.json"
    bad.write_text(json.dumps({"bundled": ["questions.jsonl", "x.jsonl"], "locked": ["x.jsonl"]}), encoding="utf-8")
    with pytest.raises(SystemExit, match="locked"):
        bundled_training_sets(bad)


def test_training_reads_the_listed_corpus_sets_and_refuses_a_locked_one(tmp_path: Path) -> None:
    import json

    from qa.training.run import CORPUS_SET, corpus_training_sets

    listed = corpus_training_sets()
    assert CORPUS_SET in listed and all(p.is_file() for p in listed) and len(set(listed)) == len(listed)
    assert corpus_training_sets(tmp_path / "absent.json") == [CORPUS_SET]
    bad = tmp_path / "sets.json"
    bad.write_text(json.dumps({"bundled": ["questions.jsonl"], "corpus": ["corpus/a.jsonl", "corpus/b.jsonl"],
                               "corpus_locked": ["corpus/b.jsonl"]}), encoding="utf-8")
    with pytest.raises(SystemExit, match="locked"):
        corpus_training_sets(bad)


def test_the_in_company_check_holds_out_training_sets_only(tmp_path: Path) -> None:
    import json

    from qa.training.run import bundled_training_sets, in_company_sets

    checked = in_company_sets()
    assert checked and set(checked) <= set(bundled_training_sets())  # never a locked set
    assert in_company_sets(tmp_path / "absent.json") == []
    sets = tmp_path / "sets.json"
    sets.write_text(json.dumps({"bundled": ["a.jsonl"], "locked": ["b.jsonl"], "in_company_check": ["a.jsonl", "b.jsonl"]}),
                    encoding="utf-8")
    assert in_company_sets(sets) == [tmp_path / "a.jsonl"]


def test_confidence_threshold_weighs_every_company_alike() -> None:
    from qa.training.fit import Outcome, fit_confidence

    def outcome(company: str, dense: float, answerable: bool = True) -> Outcome:
        return Outcome(features={"dense": dense}, answerable=answerable, correct=answerable, correct3=answerable,
                       span_ok=False, span_type=False, qtype="numeric", company=company, wrong_company=False)

    # a big company whose answers all score high, a small one whose answers score low: by question, the
    # small company's answers fall under the 4% a threshold may refuse; by company, most of them may not
    big = [outcome("Big", 0.9 + 0.001 * i) for i in range(200)] + [outcome("Big", 0.1, False) for _ in range(20)]
    small = [outcome("Small", 0.3 + 0.01 * i) for i in range(10)] + [outcome("Small", 0.1, False) for _ in range(2)]
    model = fit_confidence(big + small)
    refused = [o for o in small if o.answerable and model.confidence(o.features) < model.threshold]
    assert len(refused) <= 1  # 4% of the weight: at most 8% of one of two companies


def test_confidence_separates_unanswerable_questions_and_is_calibrated_on_right_answers() -> None:
    import numpy as np

    from qa.training.fit import Outcome, fit_confidence

    rng = np.random.default_rng(0)

    def outcome(answerable: bool, correct: bool) -> Outcome:
        # `coverage` tells answerable questions from unanswerable ones; `dense` right top quotes from wrong ones
        f = {"coverage": float(answerable) + rng.normal(0, 0.3), "dense": float(correct) + rng.normal(0, 0.6)}
        return Outcome(features=f, answerable=answerable, correct=correct, correct3=correct, span_ok=False,
                       span_type=False, qtype="numeric", company="Acme", wrong_company=False)

    outcomes = ([outcome(True, True) for _ in range(300)] + [outcome(True, False) for _ in range(150)]
                + [outcome(False, False) for _ in range(100)])
    soft, hard = fit_confidence(outcomes), fit_confidence(outcomes, wrong_answerable=0.0)
    for model in (soft, hard):  # Platt-scaled: the mean confidence is the share of right top quotes
        conf = np.array([model.confidence(o.features) for o in outcomes])
        assert abs(conf.mean() - 300 / 550) < 0.03 and model.platt != (1.0, 0.0)

    def refused_unanswerable(model: object) -> int:
        return sum(1 for o in outcomes if not o.answerable and model.confidence(o.features) < model.threshold)  # type: ignore[attr-defined]

    # at the same 4% false abstention, counting a wrong answer to an answerable question mostly right refuses
    # more of the unanswerable questions
    assert refused_unanswerable(soft) > refused_unanswerable(hard) + 10


def test_the_report_means_the_other_companies_each_weighing_the_same() -> None:
    from qa.training.loco import CompanyScore
    from qa.training.run import _mean_row

    def cs(name: str, n: int, a1: float, table: float | None) -> CompanyScore:
        return CompanyScore(company=name, n=n, n_answerable=n, a1=a1, a3=a1, span1=a1, table_a1=table,
                            false_abst=0.0, abstain=None, ece=0.1, wrong_company=0)

    rows = [("Big", cs("Big", 100, 50.0, 40.0), cs("Big", 100, 60.0, 50.0)),
            ("Small", cs("Small", 10, 90.0, None), cs("Small", 10, 80.0, None)),
            ("Bundled", cs("Bundled", 900, 10.0, 10.0), cs("Bundled", 900, 10.0, 10.0))]
    ((label, old, new),) = _mean_row(rows, "Bundled")
    assert "2 other companies" in label
    assert (old.a1, new.a1, new.n) == (70.0, 70.0, 110)  # not weighted by questions, the bundled one left out
    assert new.table_a1 == 50.0 and new.abstain is None  # a company without the figure does not count
    assert _mean_row(rows[:1], "Bundled") == []
