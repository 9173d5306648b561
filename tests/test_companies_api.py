"""A corpus of two companies over the real FastAPI app, served by uvicorn and called over HTTP.

The reports are written here (two small text reports, both with Scope 1 figures for 2023), indexed
with the hashing embedder; retrieval, composition and the service are the real ones.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import qa.cli
from qa.api.app import create_app
from qa.chunking.chunker import Chunker
from qa.config import Settings
from qa.embedding import HashingEmbedder
from qa.reports import ReportRegistry
from qa.store import IndexBuilder
from tests.api_fakes import running_server
from tests.test_api import assert_error, make_settings

KESTREL = """1. Environment

1.1 Emissions

Kestrel's Scope 1 emissions were 1,200 t CO2e in 2023, down from 1,450 t CO2e in 2022.

1.2 Water

Water withdrawal at our plants was 52,000 cubic metres in 2023. Rainwater harvesting covered 8% of it.

2. People

2.1 Workforce

Women held 31% of management positions at the end of 2023.
"""

ORBIS = """1. Climate

1.1 Greenhouse gases

Orbis reported Scope 1 emissions of 3,400 t CO2e in 2023 and 3,900 t CO2e in 2022.

1.2 Wind power

Our wind turbines generated 610 GWh of electricity in 2023, enough for 170,000 households.

2. Governance

2.1 Board

The Supervisory Board met seven times in 2023.
"""

COMPANIES = {"kestrel-2023": "Kestrel AG", "orbis-2023": "Orbis Holding SE"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    tmp = tmp_path_factory.mktemp("two-companies")
    seeds = tmp / "seeds"
    seeds.mkdir()
    (seeds / "reports.json").write_text('{"version": 1, "reports": []}\n', encoding="utf-8")
    settings = make_settings(tmp, root=tmp, seeds_dir=seeds, index_dir=tmp / "index")
    reg = ReportRegistry(settings.manifest_path, settings.root).load()
    for rid, text in (("kestrel-2023", KESTREL), ("orbis-2023", ORBIS)):
        src = tmp / f"{rid}.txt"
        src.write_text(text, encoding="utf-8")
        reg.add(src, report_id=rid, title=f"{COMPANIES[rid]} Sustainability Report 2023", year=2023,
                company=COMPANIES[rid], years_covered=[2022, 2023])
    chunker = Chunker(lambda t: len(t.split()), max_tokens=settings.chunk_max_tokens, target_tokens=40)
    IndexBuilder(settings, HashingEmbedder(), chunker).build(reg)
    return settings


@pytest.fixture(scope="module")
def base(corpus: Settings) -> Iterator[str]:
    def load(settings: Settings) -> Any:
        from qa.service import QAService

        return QAService.load(settings, embedder=HashingEmbedder())

    app = create_app(corpus, service_loader=load, handle_sighup=False)
    with running_server(app) as url:
        with httpx.Client(base_url=url, timeout=60) as client:
            for _ in range(600):
                if client.get("/readyz").status_code == 200:
                    break
                import time

                time.sleep(0.05)
        yield url


def _post(base: str, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(base + path, json=body, timeout=60)


def _ask(base: str, question: str, **extra: Any) -> dict[str, Any]:
    r = _post(base, "/v1/ask", {"question": question, **extra})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _companies(answer: dict[str, Any]) -> set[str]:
    return {q["citation"]["company"] for q in answer["quotes"]}


def _reports(answer: dict[str, Any]) -> set[str]:
    return {q["citation"]["report_id"] for q in answer["quotes"]}


def test_reports_list_companies_and_aliases(base: str) -> None:
    rows = httpx.get(base + "/v1/reports").json()
    assert [(r["id"], r["company"], r["aliases"]) for r in rows] == [
        ("kestrel-2023", "Kestrel AG", ["Kestrel"]),
        ("orbis-2023", "Orbis Holding SE", ["Orbis"]),
    ]


@pytest.mark.parametrize(
    ("question", "company", "figure"),
    [
        ("What were Orbis's Scope 1 emissions in 2023?", "Orbis Holding SE", "3,400"),
        ("What were Kestrel's Scope 1 emissions in 2023?", "Kestrel AG", "1,200"),
        ("What were the Scope 1 emissions of kestrel ag in 2023?", "Kestrel AG", "1,200"),
    ],
)
def test_a_question_naming_a_company_is_answered_from_its_reports_only(
    base: str, question: str, company: str, figure: str
) -> None:
    answer = _ask(base, question, top_k=5)
    assert answer["answered"], answer
    assert _companies(answer) == {company}, answer["quotes"]
    assert figure in answer["quotes"][0]["text"]
    assert not any("Answered from" in n for n in answer["notes"])


def test_filters_companies_by_name_or_alias(base: str) -> None:
    for name in ("orbis", "Orbis Holding SE", "ORBIS HOLDING SE"):
        answer = _ask(base, "What were Scope 1 emissions in 2023?", filters={"companies": [name]}, top_k=5)
        assert answer["quotes"] and _reports(answer) == {"orbis-2023"}, (name, answer)
        assert answer["notes"] == [] or not any("Answered from" in n for n in answer["notes"])
    hits = _post(base, "/v1/search", {"query": "Scope 1 emissions", "filters": {"companies": ["Kestrel"]}}).json()["hits"]
    assert hits and {h["citation"]["company"] for h in hits} == {"Kestrel AG"}
    # filters that leave no report: nothing is searched, rather than everything
    answer = _ask(base, "What were Scope 1 emissions?", filters={"companies": ["Orbis"], "report_ids": ["kestrel-2023"]})
    assert not answer["answered"] and answer["quotes"] == [] and "No report matches" in answer["notes"][0]
    # the filter and the question disagree: nothing of the other company is quoted
    answer = _ask(base, "What were Kestrel's Scope 1 emissions?", filters={"companies": ["Orbis"]})
    assert not answer["answered"] and answer["quotes"] == []
    assert "Kestrel AG" in answer["notes"][0] and "Orbis Holding SE" in answer["notes"][0]


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/search"])
def test_an_unknown_company_is_a_404(base: str, path: str) -> None:
    key = "question" if path == "/v1/ask" else "query"
    r = _post(base, path, {key: "Scope 1 emissions", "filters": {"companies": ["Kestrel", "Tesla"]}})
    error = assert_error(r, 404, "unknown_company")
    assert "'Tesla'" in error["message"] and "Kestrel AG and Orbis Holding SE" in error["message"]


def test_a_question_naming_no_company_is_answered_from_the_best_matching_one(base: str) -> None:
    answer = _ask(base, "How much electricity did the wind turbines generate in 2023?", top_k=5)
    assert answer["answered"] and "610 GWh" in answer["quotes"][0]["text"]
    assert _companies(answer) == {"Orbis Holding SE"}, answer["quotes"]
    assert answer["notes"][0] == (
        "Answered from Orbis Holding SE's reports; the corpus also holds the reports of Kestrel AG."
    )
    answer = _ask(base, "How much water was withdrawn in 2023?", top_k=5)
    assert _companies(answer) == {"Kestrel AG"}, answer["quotes"]
    assert answer["notes"][0].startswith("Answered from Kestrel AG's reports")
    # both reports give Scope 1 figures: still one company's quotes, never a mix
    answer = _ask(base, "What were Scope 1 emissions in 2023?", top_k=10)
    assert len(_companies(answer)) == 1 and answer["notes"][0].startswith("Answered from ")
    # a question naming both: one company's quotes, and the note says so
    answer = _ask(base, "Compare Kestrel's and Orbis's Scope 1 emissions in 2023", top_k=10)
    assert len(_companies(answer)) == 1
    assert answer["notes"][0].startswith("The question names Kestrel AG and Orbis Holding SE; answered from ")


def test_a_question_naming_a_company_not_in_the_corpus_is_not_answered(base: str) -> None:
    answer = _ask(base, "What were Tesla's Scope 1 emissions in 2023?")
    assert answer["answered"] is False and answer["answer"] is None and answer["quotes"] == []
    note = answer["notes"][0]
    assert "Tesla" in note and "not in the corpus" in note and "Kestrel AG and Orbis Holding SE" in note


def test_a_follow_up_keeps_the_company(base: str) -> None:
    first = "What were Orbis's Scope 1 emissions in 2023?"
    answer = _ask(base, "and in 2022?", history=[{"question": first}])
    assert _companies(answer) == {"Orbis Holding SE"} and "3,900" in json.dumps(answer["quotes"])
    answer = _ask(base, "what about Kestrel?", history=[{"question": first}])
    assert _companies(answer) == {"Kestrel AG"}


def test_aliases_set_in_the_manifest_apply_without_a_rebuild(corpus: Settings, tmp_path: Path) -> None:
    from qa.service import QAService

    shutil.copytree(corpus.root, tmp_path / "copy")
    settings = make_settings(tmp_path, root=tmp_path / "copy", seeds_dir=tmp_path / "copy" / "seeds",
                             index_dir=tmp_path / "copy" / "index")
    manifest = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    assert [r["aliases"] for r in manifest["reports"]] == [["Kestrel"], ["Orbis"]]
    manifest["reports"][0]["aliases"].append("KST")
    settings.manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    service = QAService.load(settings, embedder=HashingEmbedder())
    answer = service.ask("What were KST's Scope 1 emissions in 2023?")
    assert {q.citation.company for q in answer.quotes} == {"Kestrel AG"}, answer
    assert not any("Answered from" in n for n in answer.notes), answer.notes


def test_cli_company_option_and_reports(corpus: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.service import QAService

    service = QAService.load(corpus, embedder=HashingEmbedder())
    monkeypatch.setattr(qa.cli, "_load_service", lambda: service)
    runner = CliRunner()
    res = runner.invoke(qa.cli.app, ["ask", "What were Scope 1 emissions in 2023?", "--company", "orbis", "--json"])
    assert res.exit_code == 0, res.output
    answer = json.loads(res.stdout)
    assert answer["quotes"] and _companies(answer) == {"Orbis Holding SE"}
    res = runner.invoke(qa.cli.app, ["ask", "What were Kestrel's Scope 1 emissions in 2023?"])
    assert res.exit_code == 0 and "Kestrel AG: Kestrel AG Sustainability Report 2023 (2023)" in res.stdout
    res = runner.invoke(qa.cli.app, ["search", "Scope 1 emissions", "--company", "Kestrel", "--json"])
    hits = json.loads(res.stdout)["hits"]
    assert hits and {h["company"] for h in hits} == {"Kestrel AG"}
    for args in (["ask", "Scope 1?", "--company", "Tesla"], ["search", "Scope 1", "--company", "Tesla"]):
        res = runner.invoke(qa.cli.app, args)
        assert res.exit_code == 2 and "Unknown company 'Tesla'" in res.stderr and "Traceback" not in res.output
    env = {"ESGQA_ROOT": str(corpus.root), "ESGQA_SEEDS_DIR": str(corpus.seeds_dir),
           "ESGQA_INDEX_DIR": str(corpus.index_dir)}
    res = runner.invoke(qa.cli.app, ["reports"], env=env)
    assert "orbis-2023" in res.stdout and "Orbis Holding SE (also Orbis): Orbis Holding SE Sustainability" in res.stdout
