"""Evaluating against another folder of reports (`esgqa eval --corpus DIR --manifest FILE`): a
two-company corpus of two text reports written here, its own index in its own directory, metrics
per company, and the bundled index left alone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.config import Settings
from qa.embedding import HashingEmbedder
from qa.evaluation import evaluate_service, load_eval_files
from qa.evaluation.corpus import CorpusError, ensure_index, load_corpus_service, open_corpus

ALPHA = """Alpha Widgets AG Sustainability Report 2023

1. Environment

1.1 Emissions

In 2023, Alpha Widgets emitted 1,234.5 t CO2e of Scope 1 emissions from its three plants.

Energy consumption of Alpha Widgets fell to 52,300 MWh in 2023.

2. People

The share of women in the workforce of Alpha Widgets was 41% at the end of 2023.
"""

BETA = """Beta Logistics SE Non-financial Report 2023

1. Climate

Beta Logistics emitted 9,876.5 t CO2e of Scope 1 emissions in 2023, mostly from its truck fleet.

2. Employees

The share of women in the workforce of Beta Logistics was 28% at the end of 2023.
"""

QUESTIONS = [
    {"id": "a1", "question": "How much Scope 1 emissions did Alpha Widgets emit in 2023?",
     "answers": ["1,234.5 t CO2e", "1,234.5 t", "1,234.5"], "report": "alpha-2023", "type": "numeric",
     "company": "Alpha Widgets AG", "split": "dev"},
    {"id": "b1", "question": "What was the share of women in the workforce of Beta Logistics in 2023?",
     "answers": ["28%"], "report": "beta-2023", "type": "numeric", "split": "test"},
    {"id": "b2", "question": "How much Scope 1 emissions did Beta Logistics emit in 2023?",
     "answers": ["9,876.5 t CO2e", "9,876.5 t", "9,876.5"], "report": "beta-2023", "type": "numeric",
     "split": "test"},
    {"id": "u1", "question": "How many rockets did Beta Logistics launch to the Moon in 2023?",
     "answers": [], "report": None, "type": "unanswerable", "company": "Beta Logistics", "split": "test"},
]


def _report(dir_: Path, id_: str, company: str, name: str, text: str) -> dict[str, object]:
    (dir_ / name).write_text(text, encoding="utf-8")
    return {"id": id_, "company": company, "title": f"{company} report 2023", "year": 2023,
            "years_covered": [2023], "source": name, "original_name": name,
            "sha256": hashlib.sha256(text.encode()).hexdigest()}


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(folder of two reports, its manifest kept outside the folder, an eval file)."""
    folder = tmp_path / "reports"
    folder.mkdir()
    reports = [_report(folder, "alpha-2023", "Alpha Widgets AG", "alpha.txt", ALPHA),
               _report(folder, "beta-2023", "Beta Logistics SE", "beta.txt", BETA)]
    manifest = tmp_path / "manifest" / "reports.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"version": 1, "reports": reports}), encoding="utf-8")
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return folder, manifest, questions


def _tree(path: Path) -> dict[str, tuple[int, int]]:
    """Every file under `path` with its size and mtime (empty when `path` does not exist)."""
    if not path.exists():
        return {}
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")}


def test_open_corpus_resolves_the_manifest_and_a_separate_index(corpus: tuple[Path, Path, Path],
                                                                tmp_path: Path) -> None:
    folder, manifest, _ = corpus
    base = Settings()
    c = open_corpus(base, folder, manifest, tmp_path / "idx")
    assert c.settings.root == folder.resolve() and c.manifest == manifest.resolve()
    assert c.home.parent == (tmp_path / "idx").resolve() and c.home.name.startswith("reports-")
    assert c.settings.index_dir == c.home / "index" and c.settings.manifest_path == c.home / "seeds" / "reports.json"
    assert base.index_dir != c.settings.index_dir and base.root != c.settings.root  # the base is not changed
    assert open_corpus(base, folder, manifest, tmp_path / "idx").home == c.home  # same corpus, same index
    assert open_corpus(Settings(root=tmp_path), folder, manifest).home.is_relative_to(tmp_path / "var" / "corpus-index")

    with pytest.raises(CorpusError, match="holds no reports.json"):
        open_corpus(base, folder)
    (folder / "reports.json").write_bytes(manifest.read_bytes())  # the folder's own manifest, by default
    assert open_corpus(base, folder).manifest == (folder / "reports.json").resolve()
    with pytest.raises(CorpusError, match="no such folder"):
        open_corpus(base, tmp_path / "nope", manifest)
    with pytest.raises(CorpusError, match="manifest not found"):
        open_corpus(base, folder, tmp_path / "nope.json")


def test_corpus_index_is_built_once_and_evaluated_in_process(corpus: tuple[Path, Path, Path],
                                                             tmp_path: Path) -> None:
    folder, manifest, questions = corpus
    before = _tree(folder)
    c = open_corpus(Settings(), folder, manifest, tmp_path / "idx")
    embedder = HashingEmbedder()
    assert ensure_index(c, embedder) is True
    assert (c.settings.index_dir / "CURRENT").is_file() and c.settings.manifest_path.is_file()
    assert ensure_index(c, embedder) is False  # up to date: not rebuilt

    service = load_corpus_service(c, embedder=embedder)
    result = evaluate_service(service, load_eval_files([questions]))  # root and reports: the service's
    m = result.metrics
    assert set(m.by_company) == {"Alpha Widgets AG", "Beta Logistics SE"}
    assert m.by_company["Alpha Widgets AG"].n == 1 and m.by_company["Beta Logistics SE"].n == 3
    assert m.overall.verbatim == 100.0 and m.overall.n_quotes > 0  # sources read from the corpus folder
    assert m.overall.wrong_company == sum(r.wrong_company for r in result.results)
    assert _tree(folder) == before  # the folder of reports is only read

    # a changed report makes the index stale: the manifest no longer fits the folder
    (folder / "beta.txt").write_text(BETA.replace("28%", "29%"), encoding="utf-8")
    with pytest.raises(CorpusError, match="has changed"):
        ensure_index(c, embedder)


@pytest.mark.slow
def test_cli_evaluates_a_corpus_folder_without_touching_the_bundled_index(
    corpus: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    from qa.cli import app

    folder, manifest, questions = corpus
    bundled = _tree(Settings().index_dir)
    reports_before = _tree(folder)
    out, idx = tmp_path / "results", tmp_path / "corpus-index"
    runner = CliRunner()
    res = runner.invoke(app, ["eval", str(questions), "--corpus", str(folder), "--manifest", str(manifest),
                              "--corpus-index", str(idx), "--out-dir", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert "| company |" in res.stdout and "Alpha Widgets AG" in res.stdout
    assert "quotes[0] from the wrong company:" in res.stdout

    run_dir = next(out.iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["corpus"] == str(folder.resolve()) and metrics["overall"]["n"] == 4
    assert set(metrics["by_company"]) == {"Alpha Widgets AG", "Beta Logistics SE"}
    for row in metrics["by_company"].values():
        assert {"n", "A@1", "A@3", "span@1", "table_A@1", "false_abst", "abstain", "ECE", "wrong_company"} <= set(row)
    assert metrics["overall"]["verbatim"] == 100.0
    assert metrics["overall"]["A@3"] >= 66.0  # the real model finds the figures of two tiny reports
    assert metrics["overall"]["wrong_company"] == 0
    assert "## By company" in (run_dir / "report.md").read_text()
    assert next(idx.iterdir()).joinpath("index", "CURRENT").is_file()
    assert _tree(Settings().index_dir) == bundled  # the bundled index is untouched
    assert _tree(folder) == reports_before

    res = runner.invoke(app, ["eval", str(questions), "--corpus", str(folder), "--manifest", str(manifest),
                              "--corpus-index", str(idx), "--out-dir", str(out), "--no-progress",
                              "--split", "test", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["overall"]["n"] == 3


def test_cli_corpus_errors_are_one_line(corpus: tuple[Path, Path, Path], tmp_path: Path) -> None:
    from qa.cli import app

    folder, manifest, questions = corpus
    runner = CliRunner()
    cases = [
        (["eval", str(questions), "--corpus", str(tmp_path / "nope"), "--manifest", str(manifest)], "no such folder"),
        (["eval", str(questions), "--corpus", str(folder)], "holds no reports.json"),
        (["eval", str(questions), "--manifest", str(manifest)], "--manifest goes with --corpus"),
        (["eval", "--corpus", str(folder), "--manifest", str(manifest)], "needs the eval file"),
    ]
    for args, message in cases:
        res = runner.invoke(app, [*args, "--corpus-index", str(tmp_path / "idx"), "--no-progress"])
        assert res.exit_code == 2, (args, res.output)
        assert message in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "idx").exists()  # nothing was built
