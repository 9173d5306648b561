"""Every `esgqa` command given bad input: a non-zero exit, a one-line message, never a traceback, and
nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pdf_samples import encrypt, report_pdf, textless_pdf
from typer.testing import CliRunner

from qa.cli import app

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    good = report_pdf(d / "good.pdf")
    truncated = d / "truncated.pdf"
    truncated.write_bytes(good.read_bytes()[:2000])
    html = d / "download.pdf"
    html.write_text("<!DOCTYPE html><html><body>Please log in</body></html>")
    return {
        "password": encrypt(good, d / "password.pdf", user_password="secret"),
        "textless": textless_pdf(d / "scan.pdf"),
        "truncated": truncated,
        "html": html,
        "missing": d / "nowhere.pdf",
    }


@pytest.fixture()
def home(tmp_path: Path) -> dict[str, str]:
    """A copy of the seeds and an empty index folder, as environment variables."""
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    return {"ESGQA_ROOT": str(tmp_path), "ESGQA_SEEDS_DIR": str(tmp_path / "seeds"),
            "ESGQA_INDEX_DIR": str(tmp_path / "index")}


@pytest.fixture()
def broken_home(tmp_path: Path) -> dict[str, str]:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "reports.json").write_text("{ not json")
    return {"ESGQA_ROOT": str(tmp_path), "ESGQA_SEEDS_DIR": str(seeds), "ESGQA_INDEX_DIR": str(tmp_path / "index")}


def _state(env: dict[str, str]) -> list[tuple[str, bytes]]:
    root = Path(env["ESGQA_ROOT"])
    return sorted((str(p.relative_to(root)), p.read_bytes()) for p in root.rglob("*") if p.is_file())


def _fails_cleanly(args: list[str], env: dict[str, str], code: int | None = 2) -> str:
    before = _state(env)
    res = runner.invoke(app, args, env=env)
    out = res.output  # stdout and stderr together
    assert res.exit_code != 0, (args, out)
    if code is not None:
        assert res.exit_code == code, (args, res.exit_code, out)
    assert res.exception is None or isinstance(res.exception, SystemExit), (args, repr(res.exception))
    assert "Traceback" not in out, out
    assert _state(env) == before, f"{args} changed files"
    return out


@pytest.mark.parametrize(("kind", "message"), [
    ("password", "password"), ("textless", "no text layer"), ("truncated", "damaged or incomplete"),
    ("html", "web page"), ("missing", "No such file"),
])
def test_add_report_refuses_an_unreadable_pdf(pdfs: dict[str, Path], home: dict[str, str], kind: str,
                                              message: str) -> None:
    out = _fails_cleanly(["add-report", str(pdfs[kind]), "--id", "acme-2023", "--title", "ACME 2023",
                          "--year", "2023", "--company", "ACME"], home)
    assert message in out
    assert len([ln for ln in out.strip().splitlines() if ln.strip()]) == 1, out


@pytest.mark.parametrize("args", [
    ["reports"],
    ["reports", "--json"],
    ["chunks"],
    ["index"],
    ["add-report", "x.txt", "--id", "x-1", "--title", "X", "--year", "2023", "--company", "X AG"],
])
def test_a_malformed_manifest_is_a_clear_error(broken_home: dict[str, str], args: list[str]) -> None:
    assert "malformed" in _fails_cleanly(args, broken_home)


@pytest.mark.parametrize("args", [
    ["chunks", "--report", "no-such-report"],
    ["add-report", "seeds/xiaomi-esg-2020.txt", "--id", "Bad Id!", "--title", "X", "--year", "2023", "--company", "X AG"],
    ["add-report", "seeds/xiaomi-esg-2020.txt", "--id", "x-2", "--title", "X", "--year", "2023", "--covers", "20x1", "--company", "X AG"],
    ["add-report", "seeds/xiaomi-esg-2020.txt", "--id", "x-3", "--title", "X", "--year", "2023"],  # no --company
    ["search", "energy", "--mode", "magic"],
    ["search"],
    ["eval", "no-such-questions.jsonl"],
])
def test_bad_arguments_are_clear_errors(home: dict[str, str], args: list[str]) -> None:
    args = [str(REPO / a) if a.startswith("seeds/") else a for a in args]
    _fails_cleanly(args, home)


@pytest.mark.parametrize("args", [
    ["ask"],
    ["ask", "energy?", "--top-k", "many"],
    ["search", "energy", "--k", "lots"],
    ["serve", "--port", "eighty"],
    ["setup-cache", "--bogus"],
    ["index", "--bogus"],
    ["eval", "--limit", "-3"],
    ["no-such-command"],
])
def test_usage_errors_exit_2_without_a_traceback(home: dict[str, str], args: list[str]) -> None:
    _fails_cleanly(args, home)


@pytest.mark.slow
def test_ask_and_search_without_an_index(home: dict[str, str]) -> None:
    """The real model loads, then the missing index is reported in one line."""
    for args in (["ask", "What were Scope 1 emissions in 2021?"], ["search", "Scope 1 emissions"]):
        out = _fails_cleanly(args, home)
        assert "esgqa index" in out


def test_the_real_command_prints_one_line_for_a_password_protected_pdf(pdfs: dict[str, Path],
                                                                     home: dict[str, str]) -> None:
    env = {**os.environ, **home, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "add-report", str(pdfs["password"]), "--id", "acme-2023",
         "--title", "ACME 2023", "--year", "2023", "--company", "ACME"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "password.pdf" in proc.stderr
