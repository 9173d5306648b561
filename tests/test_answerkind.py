"""The answer-kind model: option kinds, gold labels, the fit on a tiny literal problem, the model file, the
picker's features from it, and the fill-in of training rows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.compose.answerkind import (
    KINDS,
    NONE,
    QUESTION_TYPES,
    AnswerKindModel,
    figure_like,
    kind_inputs,
    option_kind,
)
from qa.compose.candidate import Candidate
from qa.compose.question import analyse
from qa.compose.spanfeatures import SPAN_FEATURES, option_features
from qa.compose.spanoptions import options
from qa.compose.spanpick import MODEL_DIR, SPAN_ASKED_BELOW, SpanPicker
from qa.evaluation.dataset import EvalItem
from qa.models import Chunk, Unit
from qa.training.answerkind import fit_answer_kinds, gold_kind
from qa.training.spans import SpanRows


def _cand(text: str) -> Candidate:
    chunk = Chunk(id="c1", report_id="acme-2023", source="acme.txt", start=0, end=len(text), section="S", page=1,
                  kind="text", text=text)
    unit = Unit(chunk_index=0, start=0, end=len(text), text=text, kind="text")
    return Candidate(unit_index=0, unit=unit, chunk=chunk, hit_rank=0, hit_score=1.0, dense=0.5, coverage=0.5,
                     quote_text=text)


def _item(answers: list[str], qtype: str) -> EvalItem:
    return EvalItem(id="x1", question="q?", answers=answers, type=qtype)  # type: ignore[arg-type]


def test_option_kinds() -> None:
    number, date, name = (KINDS.index(k) for k in ("number", "date", "name"))
    assert option_kind("number", "7,122.60") == number and option_kind("range", "200 to 270") == number
    assert option_kind("date", "April 27, 2020") == date
    assert option_kind("name", "Boston Consulting Group") == name and option_kind("grade", "B-") == name
    assert option_kind("cell", "26%") == number and option_kind("cell", "Germany") == name
    # common words make a phrase, not a name: a cell (`Major drafting member`), a name the finder took, a phrase
    phrase = KINDS.index("phrase")
    assert option_kind("cell", "Major drafting member") == phrase and option_kind("word", "bdtronic") == phrase
    assert option_kind("phrase", "local management") == phrase
    assert option_kind("name", "Beisen Research Institute of Talent Management") == name  # `of` joins names
    assert option_kind("none", None) == NONE
    assert option_kind("freq", "quarterly") == date  # how often is a time, never a name
    assert figure_like("No.81") and figure_like("7,122.60 t") and not figure_like("ISO 14001 certified sites")


def test_gold_kinds_of_questions() -> None:
    assert gold_kind(_item(["7,122.60 tCO2e", "7,122.60"], "table")) == KINDS.index("number")
    assert gold_kind(_item(["In 2021"], "date")) == KINDS.index("date")
    assert gold_kind(_item(["Boston Consulting Group"], "entity")) == KINDS.index("name")
    assert gold_kind(_item(["solar, wind"], "list")) == NONE
    assert gold_kind(_item(["Yes"], "yes_no")) == NONE
    assert gold_kind(_item([], "unanswerable")) is None
    assert gold_kind(_item(["at least once a year"], "numeric")) == KINDS.index("date")  # how often
    assert gold_kind(_item(["Fighting Pandemic Daily"], "entity")) == KINDS.index("name")  # a name holding "daily"
    assert gold_kind(_item(["the local management"], "entity")) == KINDS.index("phrase")
    assert gold_kind(_item(["IT remarketing provider", "an IT remarketing provider"], "entity")) == KINDS.index("phrase")
    assert gold_kind(_item(["six outsourcing service providers", "six"], "numeric")) == KINDS.index("number")


def test_the_fit_separates_two_literal_kinds_and_survives_its_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    a, b = np.eye(8)[0], np.eye(8)[1]
    X = np.vstack([a + 0.1 * rng.standard_normal((40, 8)), b + 0.1 * rng.standard_normal((40, 8))])
    y = np.array([KINDS.index("number")] * 40 + [KINDS.index("name")] * 40)
    model = fit_answer_kinds(X, y)
    pa, pb = model.probs(a), model.probs(b)
    assert abs(sum(pa) - 1.0) < 1e-9 and len(pa) == len(KINDS)
    assert pa[KINDS.index("number")] > 0.8 and pb[KINDS.index("name")] > 0.8
    path = tmp_path / "answerkind.json"
    path.write_text(json.dumps(model.to_json(model="test")), encoding="utf-8")
    again = AnswerKindModel.load(path)
    assert again is not None and np.allclose(again.probs(a), pa, atol=1e-5)
    path.write_text(json.dumps({"kinds": ["number", "name"], "weights": [[0.0]], "bias": [0.0]}), encoding="utf-8")
    assert AnswerKindModel.load(path) is None  # other kinds
    path.write_text("{", encoding="utf-8")
    assert AnswerKindModel.load(path) is None and AnswerKindModel.load(tmp_path / "absent.json") is None


def test_the_model_reads_the_analysed_question_type_beside_the_embedding() -> None:
    # the same embedding, two question types: only the type tells a date question from a name question
    qvec = np.zeros(8)
    when, who = analyse("When was the policy adopted?"), analyse("Which firm audited the report?")
    assert when.qtype == "date" and who.qtype == "entity"
    xa, xb = kind_inputs(qvec, when), kind_inputs(qvec, who)
    assert xa.shape == (8 + len(QUESTION_TYPES) + 1,) and not np.array_equal(xa, xb)
    X = np.vstack([xa] * 30 + [xb] * 30)
    y = np.array([KINDS.index("date")] * 30 + [KINDS.index("name")] * 30)
    model = fit_answer_kinds(X, y)
    assert KINDS[int(np.argmax(model.probs(xa)))] == "date" and KINDS[int(np.argmax(model.probs(xb)))] == "name"
    # a model fitted on the embedding alone (an older file) reads the embedding part of the inputs
    old = fit_answer_kinds(np.vstack([np.eye(8)[0]] * 20 + [np.eye(8)[1]] * 20), y[10:50])
    assert old.probs(kind_inputs(np.eye(8)[0], when)) == old.probs(np.eye(8)[0])


def test_the_picker_reads_the_probability_of_each_options_kind() -> None:
    c = _cand("In 2020 the Boston Consulting Group ranked Acme 24th among 50 innovators.")
    info = analyse("Which organisation ranked Acme among the top innovators?")
    kinds = (0.1, 0.05, 0.7, 0.1, 0.05)
    opts = options(c, info.words)
    got = {o.span.text if o.span else None: option_features(info, c, o, len(opts), kinds) for o in opts}
    col = SPAN_FEATURES.index
    assert got["Boston Consulting Group"][col("kind_p")] == 0.7 and got["50"][col("kind_p")] == 0.1
    assert got[None][col("kind_p")] == 0.05 and got["50"][col("k_name")] == 0.7 and got["50"][col("k_phrase")] == 0.1
    assert option_features(info, c, opts[1])[col("kind_p")] == 0.0  # no kinds known: the features stay 0


def test_training_rows_get_the_kind_features_filled_in() -> None:
    X = np.zeros((3, len(SPAN_FEATURES)))
    rows = SpanRows(X, np.array([0, 1, 0]), [3], [1.0], np.array([NONE, 0, 2]))
    filled = rows.with_kinds((0.6, 0.1, 0.15, 0.05, 0.1))
    col = SPAN_FEATURES.index
    assert list(filled.X[:, col("kind_p")]) == [0.1, 0.6, 0.15]
    assert (filled.X[:, col("k_number")] == 0.6).all() and (rows.X == 0).all()  # a copy
    assert SpanRows.concat([filled, SpanRows.empty()]).kind_of.tolist() == [NONE, 0, 2]


def test_a_span_model_without_its_answer_kind_model_is_not_served(tmp_path: Path) -> None:
    if not (MODEL_DIR / "answerkind.json").exists():
        pytest.skip("no trained models in the package yet")
    for name in ("span.json", "span.txt"):
        shutil.copy(MODEL_DIR / name, tmp_path / name)
    assert SpanPicker.load(tmp_path) is None
    shutil.copy(MODEL_DIR / "answerkind.json", tmp_path / "answerkind.json")
    assert SpanPicker.load(tmp_path) is not None


def test_the_ranker_reads_whether_a_quote_offers_the_kind_asked_for() -> None:
    from qa.compose.features import kind_columns, quote_kinds

    assert quote_kinds(_cand("In 2020 the Boston Consulting Group ranked Acme 24th.")) == (True, True, True)
    assert quote_kinds(_cand("our partners recycle old devices")) == (False, False, False)
    name_asked = (0.1, 0.0, 0.6, 0.25, 0.05)  # a phrase asked counts as a name asked
    avail, lack = kind_columns(name_asked, (True, False, False))  # a figure offered, a name asked
    assert abs(avail - 0.15) < 1e-9 and abs(lack - 0.85) < 1e-9
    avail, lack = kind_columns(name_asked, (True, True, True))
    assert abs(avail - 1.0) < 1e-9 and lack == 0.0


def test_the_shipped_model_reads_obvious_kinds_off_real_embeddings(real_service: object) -> None:
    model = AnswerKindModel.load(MODEL_DIR / "answerkind.json")
    if model is None:
        pytest.skip("no trained models in the package yet")
    def inputs(question: str) -> np.ndarray:
        return kind_inputs(real_service.retriever.embed_query(question), analyse(question))  # type: ignore[attr-defined]

    expect = {
        "How many tons of waste did the company recycle in 2022?": "number",
        "Which organisation audited the sustainability report?": "name",
        "When was the anti-corruption policy first adopted?": "date",
    }
    for question, kind in expect.items():
        probs = model.probs(inputs(question))
        assert KINDS[int(np.argmax(probs))] == kind, (question, probs)
    # a list question is not read as asking for one span: no highlight is forced on its quote
    probs = model.probs(inputs("What are the main channels for communicating with suppliers?"))
    assert probs[KINDS.index("none")] >= SPAN_ASKED_BELOW, probs
