"""The seeds manifest: loading, integrity checks, adding reports (API and CLI)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.config import Settings
from qa.errors import IngestError, ManifestError, ReportChanged
from qa.reports import ReportRegistry, sha256_file

REPO = Path(__file__).resolve().parent.parent
IDS = ["xiaomi-esg-2020", "xiaomi-esg-2022"]
GOOD_TEXT = (
    "Annual ESG Report 2023\n\n1. Environmental Management\n\n1.1 Green Operations\n\n"
    "In 2023 we reduced our total energy consumption by 4% across all offices.\n"
)


def copy_seeds(tmp_path: Path) -> Settings:
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    return Settings(root=tmp_path, seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")


def env_for(s: Settings) -> dict[str, str]:
    return {"ESGQA_ROOT": str(s.root), "ESGQA_SEEDS_DIR": str(s.seeds_dir), "ESGQA_INDEX_DIR": str(s.index_dir)}


def snapshot(s: Settings) -> tuple[bytes, list[str]]:
    return s.manifest_path.read_bytes(), sorted(p.name for p in s.seeds_dir.iterdir())


def test_manifest_loads_and_verifies_the_real_reports(settings: Settings) -> None:
    reg = ReportRegistry(settings.manifest_path, settings.root).load()
    assert [r.id for r in reg.reports] == IDS
    r2020, r2022 = reg.get("xiaomi-esg-2020"), reg.get("xiaomi-esg-2022")
    assert (r2020.year, r2020.years_covered) == (2020, [2020])
    assert (r2022.year, r2022.years_covered) == (2022, [2020, 2021, 2022])
    assert r2020.original_name == "000_0d96487a71bc60db.txt"
    assert r2022.original_name == "003_5656a8e8da27fe0f.txt"
    for r in reg.reports:
        assert sha256_file(reg.path_of(r)) == r.sha256
        assert r.company and r.title and r.source.startswith("seeds/")
    assert reg.resolve("003_5656a8e8da27fe0f.txt").id == "xiaomi-esg-2022"
    assert reg.resolve("xiaomi-esg-2020.txt").id == "xiaomi-esg-2020"


def test_changed_seed_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    s = copy_seeds(tmp_path)
    with (s.seeds_dir / "xiaomi-esg-2022.txt").open("a", encoding="utf-8") as fh:
        fh.write("one more line\n")
    before = snapshot(s)
    with pytest.raises(ReportChanged) as exc:
        ReportRegistry(s.manifest_path, s.root).load()
    msg = str(exc.value)
    assert "xiaomi-esg-2022" in msg and "has changed" in msg and "esgqa add-report" in msg
    assert "xiaomi-esg-2020" not in msg
    assert snapshot(s) == before
    # without verification the manifest still reads (used by tools that only list)
    assert len(ReportRegistry(s.manifest_path, s.root).load(verify=False).reports) == 2


def test_missing_seed_file_and_malformed_manifest(tmp_path: Path) -> None:
    s = copy_seeds(tmp_path)
    (s.seeds_dir / "xiaomi-esg-2020.txt").unlink()
    with pytest.raises(ManifestError, match="xiaomi-esg-2020.*missing"):
        ReportRegistry(s.manifest_path, s.root).load()
    s.manifest_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ManifestError, match="malformed"):
        ReportRegistry(s.manifest_path, s.root).load()
    s.manifest_path.unlink()
    with pytest.raises(ManifestError, match="esgqa add-report"):
        ReportRegistry(s.manifest_path, s.root).load()


BAD_FILES: dict[str, bytes] = {
    "binary.txt": b"abc\x00\x01\x02def" * 50,
    "latin1.txt": "Umweltbericht f\u00fcr 2023".encode("latin-1"),
    "empty.txt": b"",
    "blank.txt": b"  \n\n\t \n",
    "broken.pdf": b"%PDF-1.4\n this is not really a pdf \n%%EOF",
    "report.docx": b"PK\x03\x04 not supported",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unreadable_file_is_refused_and_changes_nothing(tmp_path: Path, name: str) -> None:
    s = copy_seeds(tmp_path)
    bad = tmp_path / name
    bad.write_bytes(BAD_FILES[name])
    reg = ReportRegistry(s.manifest_path, s.root).load()
    before = snapshot(s)
    with pytest.raises(IngestError) as exc:
        reg.add(bad, report_id="xiaomi-esg-2023", title="Xiaomi ESG Report 2023", year=2023, company="Xiaomi")
    assert name in str(exc.value)
    assert snapshot(s) == before
    assert [r.id for r in reg.reports] == IDS


def test_pdf_without_text_is_refused(tmp_path: Path, make_pdf: Callable[[Path, list[list[str]]], Path]) -> None:
    s = copy_seeds(tmp_path)
    pdf = make_pdf(tmp_path / "scanned.pdf", [[], []])
    reg = ReportRegistry(s.manifest_path, s.root).load()
    before = snapshot(s)
    with pytest.raises(IngestError, match="no text layer"):
        reg.add(pdf, report_id="scanned", title="Scanned", year=2023, company="X")
    assert snapshot(s) == before


def test_add_a_text_report(tmp_path: Path) -> None:
    s = copy_seeds(tmp_path)
    src = tmp_path / "incoming" / "ESG 2023 final.txt"
    src.parent.mkdir()
    src.write_text(GOOD_TEXT, encoding="utf-8")
    reg = ReportRegistry(s.manifest_path, s.root).load()
    info = reg.add(src, report_id="xiaomi-esg-2023", title="Xiaomi ESG Report 2023", year=2023,
                   company="Xiaomi Corporation", years_covered=[2023, 2021, 2022, 2023])
    assert info.source == "seeds/xiaomi-esg-2023.txt"
    assert info.original_name == "ESG 2023 final.txt"
    assert info.years_covered == [2021, 2022, 2023]
    assert info.sha256 == sha256_file(src)
    assert (s.seeds_dir / "xiaomi-esg-2023.txt").read_bytes() == src.read_bytes()
    reloaded = ReportRegistry(s.manifest_path, s.root).load()  # verifies every sha256
    assert [r.id for r in reloaded.reports] == [*IDS, "xiaomi-esg-2023"]
    assert reloaded.get("xiaomi-esg-2023") == info
    raw = json.loads(s.manifest_path.read_text(encoding="utf-8"))
    assert raw["reports"][0]["id"] == "xiaomi-esg-2020"  # the existing entries are kept as they were
    assert not list(s.seeds_dir.glob(".reports.*"))  # no temporary manifest left behind


def test_add_a_pdf_report(tmp_path: Path, make_pdf: Callable[[Path, list[list[str]]], Path]) -> None:
    s = copy_seeds(tmp_path)
    pdf = make_pdf(tmp_path / "Report.PDF", [["Page one text about energy."], ["Page two: 12,345.6 MWh."]])
    reg = ReportRegistry(s.manifest_path, s.root).load()
    info = reg.add(pdf, report_id="pdf-2023", title="PDF Report 2023", year=2023, company="X")
    assert info.source == "seeds/pdf-2023.pdf"
    assert info.years_covered == [2023]
    assert ReportRegistry(s.manifest_path, s.root).load().get("pdf-2023").sha256 == sha256_file(pdf)


@pytest.mark.parametrize("report_id", ["xiaomi-esg-2020", "Bad Id", "x", "../escape"])
def test_duplicate_or_invalid_id_is_refused(tmp_path: Path, report_id: str) -> None:
    s = copy_seeds(tmp_path)
    src = tmp_path / "new.txt"
    src.write_text(GOOD_TEXT, encoding="utf-8")
    reg = ReportRegistry(s.manifest_path, s.root).load()
    before = snapshot(s)
    with pytest.raises(ManifestError, match="already in the manifest|must be lower-case"):
        reg.add(src, report_id=report_id, title="T", year=2023, company="X")
    assert snapshot(s) == before


def test_missing_file_is_refused(tmp_path: Path) -> None:
    s = copy_seeds(tmp_path)
    reg = ReportRegistry(s.manifest_path, s.root).load()
    before = snapshot(s)
    with pytest.raises(ManifestError, match="No such file"):
        reg.add(tmp_path / "nope.txt", report_id="nope", title="T", year=2023, company="X")
    assert snapshot(s) == before


# ---------------------------------------------------------------------- CLI
runner = CliRunner()


def test_cli_reports_lists_both(tmp_path: Path) -> None:
    s = copy_seeds(tmp_path)
    res = runner.invoke(app, ["reports"], env=env_for(s))
    assert res.exit_code == 0, res.output
    assert "xiaomi-esg-2020" in res.output and "xiaomi-esg-2022" in res.output
    assert "covers 2020, 2021, 2022" in res.output
    res = runner.invoke(app, ["reports", "--json"], env=env_for(s))
    assert res.exit_code == 0
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [r["id"] for r in rows] == IDS
    assert {"id", "company", "title", "year", "years_covered", "source", "original_name", "sha256"} <= set(rows[0])


def test_cli_reports_refuses_a_changed_file(tmp_path: Path) -> None:
    s = copy_seeds(tmp_path)
    (s.seeds_dir / "xiaomi-esg-2020.txt").write_text("tampered", encoding="utf-8")
    res = runner.invoke(app, ["reports"], env=env_for(s))
    assert res.exit_code == 2
    assert "error:" in res.stderr and "xiaomi-esg-2020" in res.stderr and "has changed" in res.stderr
    assert "Traceback" not in res.output


def test_cli_add_report_then_list(tmp_path: Path) -> None:
    s = copy_seeds(tmp_path)
    src = tmp_path / "next.txt"
    src.write_text(GOOD_TEXT, encoding="utf-8")
    res = runner.invoke(
        app,
        ["add-report", str(src), "--id", "xiaomi-esg-2023", "--title", "Xiaomi ESG Report 2023", "--year", "2023",
         "--covers", "2021,2022,2023", "--company", "Xiaomi Corporation", "--alias", "Xiaomi Group", "--alias", "MI"],
        env=env_for(s),
    )
    assert res.exit_code == 0, res.output
    assert "added xiaomi-esg-2023" in res.stdout and "esgqa index" in res.stdout
    res = runner.invoke(app, ["reports", "--json"], env=env_for(s))
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert rows[-1]["id"] == "xiaomi-esg-2023" and rows[-1]["years_covered"] == [2021, 2022, 2023]
    assert rows[-1]["company"] == "Xiaomi Corporation"
    assert rows[-1]["aliases"] == ["Xiaomi", "Xiaomi Group", "MI"]  # derived first, then --alias
    assert rows[0]["aliases"] == ["Xiaomi"]  # the bundled manifest has no aliases: derived on load
    manifest = json.loads((s.seeds_dir / "reports.json").read_text(encoding="utf-8"))
    assert manifest["reports"][-1]["aliases"] == ["Xiaomi", "Xiaomi Group", "MI"]
    res = runner.invoke(app, ["reports"], env=env_for(s))
    assert "Xiaomi Corporation (also Xiaomi, Xiaomi Group, MI): Xiaomi ESG Report 2023" in res.stdout


def test_cli_add_report_requires_the_company(tmp_path: Path) -> None:
    s = copy_seeds(tmp_path)
    src = tmp_path / "next.txt"
    src.write_text(GOOD_TEXT, encoding="utf-8")
    before = snapshot(s)
    args = ["add-report", str(src), "--id", "new-one", "--title", "T", "--year", "2023"]
    for extra, expected in (([], "Missing option '--company'"), (["--company", "  "], "--company must name")):
        res = runner.invoke(app, [*args, *extra], env=env_for(s))
        assert res.exit_code == 2, res.output
        assert expected in res.stderr and "Traceback" not in res.output
        assert snapshot(s) == before


@pytest.mark.parametrize(
    ("content", "report_id", "extra", "expected"),
    [
        (b"\x00\x01binary\x00", "new-one", [], "binary"),
        (GOOD_TEXT.encode(), "new-one", ["--covers", "twenty"], "--covers takes years"),
        (GOOD_TEXT.encode(), "xiaomi-esg-2022", [], "already in the manifest"),
    ],
)
def test_cli_add_report_errors_exit_2_and_leave_the_manifest(
    tmp_path: Path, content: bytes, report_id: str, extra: list[str], expected: str
) -> None:
    s = copy_seeds(tmp_path)
    src = tmp_path / "next.txt"
    src.write_bytes(content)
    before = snapshot(s)
    args = ["add-report", str(src), "--id", report_id, "--title", "T", "--year", "2023", "--company", "X AG", *extra]
    res = runner.invoke(app, args, env=env_for(s))
    assert res.exit_code == 2, res.output
    assert "error:" in res.stderr and expected in res.stderr
    assert "Traceback" not in res.output
    assert snapshot(s) == before


def test_cli_add_report_reads_the_covered_years_off_its_tables(tmp_path: Path) -> None:
    """Without --covers, the years come from the report's table columns (the bundled 2022 report's
    tables give 2020-2022), not just the report's own year."""
    s = copy_seeds(tmp_path)
    src = tmp_path / "again.txt"
    shutil.copyfile(REPO / "seeds" / "xiaomi-esg-2022.txt", src)
    res = runner.invoke(
        app, ["add-report", str(src), "--id", "copy-2022", "--title", "Copy", "--year", "2022", "--company", "Copy Co"],
        env=env_for(s),
    )
    assert res.exit_code == 0, res.output
    assert "covers 2020, 2021, 2022 (read off its tables" in res.stdout
    assert ReportRegistry(s.manifest_path, s.root).load().get("copy-2022").years_covered == [2020, 2021, 2022]


def test_table_years_keeps_reported_years_only() -> None:
    from qa.models import Chunk
    from qa.reports import table_years

    def chunk(header: list[str] | None) -> Chunk:
        return Chunk(id="c", report_id="r", source="s", start=0, end=1, section="s", page=1, kind="table_row",
                     text="x", header=header)

    chunks = [chunk(["FY2021", "2022 in %", "2023"]), chunk(["2030 target", "2010", "2019 (base year)"]),
              chunk(["2020-2022", "Unit"]), chunk(None)]
    assert table_years(chunks, 2023) == [2019, 2021, 2022, 2023]  # not 2030 (a target), 2010 (too old), ranges
    assert table_years([], 2023) == [2023]
