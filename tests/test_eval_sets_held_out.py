"""The held-out eval sets: the multi-company set (eval/corpus/), its table facts, and the three fresh
locked Xiaomi test sets (evidence verbatim in the seed reports). Schema, mix and locks are checked here;
evidence against the PDFs only where the shared corpus is present (it never is in CI)."""

from __future__ import annotations

import functools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from qa.evaluation.metrics import contains_answer
from qa.text import collapse_ws

ROOT = Path(__file__).resolve().parent.parent
TYPES = {"numeric", "table", "entity", "definition", "list", "yes_no", "date", "cross_report", "unanswerable"}
LOCKED_TEST_REPORTS = ("atoss-2023", "manz-2023")  # ATOSS and Manz: eval/corpus/README.md
# the shared corpus's PDFs (`../shared/corpus`, or the development machine's copy); None where absent
SHARED_CORPUS = next((p for p in (ROOT.parent / "shared" / "corpus", Path("/work/shared/corpus")) if p.is_dir()), None)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _check_schema(items: list[dict[str, Any]]) -> None:
    ids = [q["id"] for q in items]
    assert len(ids) == len(set(ids))
    for q in items:
        assert q["type"] in TYPES and q["question"].strip() and q["split"] in ("dev", "test"), q["id"]
        if q["type"] == "unanswerable":
            assert q["answers"] == [] and q["evidence"] == [] and q["report"] is None, q["id"]
        else:
            assert q["answers"] and q["evidence"], q["id"]
            if q["type"] not in ("list", "yes_no", "definition"):
                assert any(contains_answer(" ".join(q["evidence"]), a) for a in q["answers"]), q["id"]


def test_multi_company_set_mix_and_lock() -> None:
    items = _lines(ROOT / "eval" / "corpus" / "questions.jsonl")
    manifest = json.loads((ROOT / "eval" / "corpus" / "reports.json").read_text(encoding="utf-8"))
    companies = {r["company"] for r in manifest["reports"]}
    _check_schema(items)
    types = Counter(q["type"] for q in items)
    assert len(items) >= 200
    assert types["table"] / len(items) >= 0.30 and types["unanswerable"] / len(items) >= 0.15
    reports = {q["report"] for q in items if q["report"]}
    assert len(reports) >= 6 and reports <= {r["id"] for r in manifest["reports"]}
    for q in items:
        assert q["company"], q["id"]
        # every question names its company (an alias or the first word of its name)
        short = q["company"].split()[0].rstrip(",")
        assert short.lower() in q["question"].lower() or q["company"] not in companies, q["id"]
        # the locked test split is exactly the questions written for the two test companies' reports
        assert (q["split"] == "test") == q["id"].startswith(LOCKED_TEST_REPORTS), q["id"]
    assert any(q["company"] not in companies for q in items)  # companies that are not in the corpus


def test_second_locked_split() -> None:
    items = _lines(ROOT / "eval" / "corpus" / "questions-test2.jsonl")
    first = {q["question"].lower() for q in _lines(ROOT / "eval" / "corpus" / "questions.jsonl")}
    _check_schema(items)
    assert len(items) >= 40 and all(q["split"] == "test" and q["id"].startswith(LOCKED_TEST_REPORTS) for q in items)
    assert not any(q["question"].lower() in first for q in items)


# later locked splits: each file and the files written before it (none may repeat their questions)
LATER_SPLITS = {
    "questions-test3.jsonl": ("questions.jsonl", "questions-test2.jsonl"),
    "questions-test4.jsonl": ("questions.jsonl", "questions-test2.jsonl", "questions-test3.jsonl"),
    "questions-test5.jsonl": ("questions.jsonl", "questions-test2.jsonl", "questions-test3.jsonl", "questions-test4.jsonl"),
}
# the fewest questions each later split holds per locked test report
PER_REPORT = {"questions-test3.jsonl": 30, "questions-test4.jsonl": 30, "questions-test5.jsonl": 20}


@pytest.mark.parametrize("name", sorted(LATER_SPLITS))
def test_later_locked_split(name: str) -> None:
    items = _lines(ROOT / "eval" / "corpus" / name)
    earlier = {q["question"].lower() for prev in LATER_SPLITS[name] for q in _lines(ROOT / "eval" / "corpus" / prev)}
    _check_schema(items)
    assert len(items) >= 2 * PER_REPORT[name] and not any(q["question"].lower() in earlier for q in items)
    for q in items:
        assert q["split"] == "test" and q["id"].startswith(LOCKED_TEST_REPORTS), q["id"]
        # every question names its company; the page is given exactly when the report is
        assert q["company"] and q["company"].split()[0].lower() in q["question"].lower(), q["id"]
        assert q["report"] in (None, *LOCKED_TEST_REPORTS), q["id"]
        assert (q["page"] is None) == (q["report"] is None), q["id"]
    for rid in LOCKED_TEST_REPORTS:
        assert sum(q["id"].startswith(rid) for q in items) >= PER_REPORT[name], rid


def test_fourth_locked_split_mix() -> None:
    items = _lines(ROOT / "eval" / "corpus" / "questions-test4.jsonl")
    want = {"table": 12, "numeric": 5, "entity": 3, "date": 2, "list": 1, "definition": 1, "yes_no": 1, "unanswerable": 5}
    for rid in LOCKED_TEST_REPORTS:
        assert Counter(q["type"] for q in items if q["id"].startswith(f"{rid}-t4-")) == want, rid
    # no id repeats an earlier split's id
    earlier = {q["id"] for prev in LATER_SPLITS["questions-test4.jsonl"] for q in _lines(ROOT / "eval" / "corpus" / prev)}
    assert not earlier & {q["id"] for q in items}


def test_fifth_locked_split_mix() -> None:
    items = _lines(ROOT / "eval" / "corpus" / "questions-test5.jsonl")
    want = {"table": 7, "numeric": 4, "entity": 2, "date": 1, "list": 1, "yes_no": 1, "unanswerable": 4}
    for rid in LOCKED_TEST_REPORTS:
        assert Counter(q["type"] for q in items if q["id"].startswith(f"{rid}-t5-")) == want, rid
    assert all(q["id"].startswith(tuple(f"{rid}-t5-" for rid in LOCKED_TEST_REPORTS)) for q in items)
    # no id repeats an earlier split's id
    earlier = {q["id"] for prev in LATER_SPLITS["questions-test5.jsonl"] for q in _lines(ROOT / "eval" / "corpus" / prev)}
    assert not earlier & {q["id"] for q in items}


def test_table_facts() -> None:
    facts = _lines(ROOT / "eval" / "corpus" / "table_facts.jsonl")
    assert len(facts) >= 60 and len({f["report"] for f in facts}) >= 6
    for f in facts:
        assert f["row"].strip() and f["value"].strip() and f["year"].isdigit() and f["page"] >= 1


def test_fresh_xiaomi_set_is_a_locked_test_set_over_the_seeds() -> None:
    items = _lines(ROOT / "eval" / "xiaomi-fresh.jsonl")
    _check_schema(items)
    assert len(items) >= 80 and all(q["split"] == "test" for q in items)
    texts = {p.stem: collapse_ws(p.read_text(encoding="utf-8")) for p in (ROOT / "seeds").glob("xiaomi-esg-*.txt")}
    for q in items:
        for ev in q["evidence"]:
            holders = [rid for rid, t in texts.items() if collapse_ws(ev) in t]
            assert holders, (q["id"], ev)
            if q["report"] in texts:
                assert q["report"] in holders, q["id"]


def _seed_texts() -> dict[str, str]:
    """The two seed reports' texts, whitespace collapsed, by report id."""
    seeds = sorted((ROOT / "seeds").glob("xiaomi-esg-*.txt"))
    return {p.stem: collapse_ws(p.read_text(encoding="utf-8")) for p in seeds}


def _check_fresh_xiaomi_items(
    items: list[dict[str, Any]], prefix: str, earlier_files: tuple[str, ...]
) -> None:
    """A later fresh Xiaomi set: schema, ids, locked test split, no question of the earlier files, evidence
    verbatim in the seed reports (in its own report where one is named), cross-report evidence per report."""
    _check_schema(items)
    assert all(q["split"] == "test" and q["id"].startswith(prefix) for q in items)
    earlier = {q["question"].lower() for name in earlier_files for q in _lines(ROOT / "eval" / name)}
    assert not any(q["question"].lower() in earlier for q in items)
    texts = _seed_texts()
    for q in items:
        assert q["company"] == "Xiaomi Corporation" and q["report"] in (None, "both", *texts), q["id"]
        for ev in q["evidence"]:
            holders = [rid for rid, t in texts.items() if collapse_ws(ev) in t]
            assert holders, (q["id"], ev)
            if q["report"] in texts:
                assert q["report"] in holders, q["id"]
        if q["type"] == "cross_report":  # one evidence per report, the 2020 report first
            assert q["report"] == "both" and len(q["evidence"]) == 2, q["id"]
            assert collapse_ws(q["evidence"][0]) in texts["xiaomi-esg-2020"], q["id"]
            assert collapse_ws(q["evidence"][1]) in texts["xiaomi-esg-2022"], q["id"]


def test_second_fresh_xiaomi_set_is_a_locked_test_set_over_the_seeds() -> None:
    items = _lines(ROOT / "eval" / "xiaomi-fresh2.jsonl")
    assert len(items) >= 70
    _check_fresh_xiaomi_items(items, "xf2-", ("questions.jsonl", "xiaomi-fresh.jsonl"))
    types = Counter(q["type"] for q in items)
    assert types["table"] >= 16 and types["unanswerable"] >= 8 and types["cross_report"] >= 3


def test_third_fresh_xiaomi_set_is_a_locked_test_set_over_the_seeds() -> None:
    items = _lines(ROOT / "eval" / "xiaomi-fresh3.jsonl")
    assert len(items) >= 60
    _check_fresh_xiaomi_items(items, "xf3-", ("questions.jsonl", "xiaomi-fresh.jsonl", "xiaomi-fresh2.jsonl"))
    assert not {q["id"] for q in items} & {q["id"] for q in _lines(ROOT / "eval" / "xiaomi-fresh2.jsonl")}
    want = {"table": 14, "numeric": 14, "entity": 7, "date": 5, "list": 4, "definition": 3, "yes_no": 3}
    want |= {"cross_report": 2, "unanswerable": 8}
    assert Counter(q["type"] for q in items) == want
    # every gold answer (list, yes_no and definition included) is held by its evidence
    for q in items:
        assert all(contains_answer(" ".join(q["evidence"]), a) for a in q["answers"]), q["id"]


@pytest.mark.skipif(not (ROOT.parent / "shared" / "corpus").is_dir(), reason="the shared corpus is not here")
def test_table_fact_values_are_printed_in_their_report() -> None:
    from qa.ingest import read_source_text

    manifest = json.loads((ROOT / "eval" / "corpus" / "reports.json").read_text(encoding="utf-8"))
    text = {r["id"]: read_source_text(ROOT.parent / "shared" / "corpus" / r["source"]) for r in manifest["reports"]}
    missing = [f for f in _lines(ROOT / "eval" / "corpus" / "table_facts.jsonl") if f["value"] not in text[f["report"]]]
    assert len(missing) <= 3, missing


@functools.cache
def corpus_report_text(report_id: str) -> str:
    """The service's text of one report of the shared corpus, whitespace collapsed (read once per session)."""
    from qa.ingest import read_source_text

    assert SHARED_CORPUS is not None
    manifest = json.loads((ROOT / "eval" / "corpus" / "reports.json").read_text(encoding="utf-8"))
    source = next(r["source"] for r in manifest["reports"] if r["id"] == report_id)
    return collapse_ws(read_source_text(SHARED_CORPUS / source))


@pytest.mark.skipif(not (ROOT.parent / "shared" / "corpus").is_dir(), reason="the shared corpus is not here")
@pytest.mark.parametrize("name", sorted(LATER_SPLITS))
def test_later_locked_split_evidence_is_verbatim_in_its_report(name: str) -> None:
    items = _lines(ROOT / "eval" / "corpus" / name)
    missing = [(q["id"], e) for q in items for e in q["evidence"] if collapse_ws(e) not in corpus_report_text(q["report"])]
    assert not missing, missing
