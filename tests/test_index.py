"""The persistent index: atomic builds, verified loading, incremental embedding (hashing embedder, tiny corpus)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import qa.store
from qa.chunking.chunker import Chunker
from qa.config import Settings
from qa.embedding import HashingEmbedder
from qa.errors import CorruptIndex, IndexNotFound, StaleIndex
from qa.models import Filters
from qa.reports import ReportRegistry
from qa.retrieval import Retriever
from qa.store import IndexBuilder, load_index

REPORT_A = """1. Environmental Management

1.1 Green Operations

Our Beijing campus obtained the ISO14001 certification in 2021. Solar panels produced 1,234.5 MWh of power.

Total GHG Emissions3

31,347.06 t

Direct Energy Consumption

3,192.70 MWh

1.2 Green Packaging

All packaging is recyclable. Plastic use fell by 40% compared with the previous year.

2. People First

2.1 Employee Rights

We forbid child labour and forced labour in all operations.
"""

REPORT_B = """Key Environmental Indicators

\t2023\t2022\t2021
Hazardous Waste (Metric Tons)\t1.10\t1.43\t2.50
Fresh Water Consumption (Metric Tons)\t400,000.00\t391,953.85\t329,572.00

Community Investment

Volunteers gave 52,000 hours to rural schools during the year. Donations reached RMB 30 million.
"""


def _settings(tmp: Path) -> Settings:
    seeds = tmp / "seeds"
    seeds.mkdir(exist_ok=True)
    if not (seeds / "reports.json").exists():
        (seeds / "reports.json").write_text('{"version": 1, "reports": []}\n', encoding="utf-8")
    return Settings(root=tmp, seeds_dir=seeds, index_dir=tmp / "index")


def _add(s: Settings, rid: str, text: str, year: int, covers: list[int]) -> ReportRegistry:
    src = s.root / f"incoming-{rid}.txt"
    src.write_text(text, encoding="utf-8")
    reg = ReportRegistry(s.manifest_path, s.root).load()
    reg.add(src, report_id=rid, title=f"Report {rid}", year=year, company="X", years_covered=covers)
    return ReportRegistry(s.manifest_path, s.root).load()


def _builder(s: Settings, embedder: HashingEmbedder | None = None) -> IndexBuilder:
    chunker = Chunker(lambda t: len(t.split()), max_tokens=s.chunk_max_tokens, target_tokens=40)
    return IndexBuilder(s, embedder or HashingEmbedder(), chunker)


@pytest.fixture()
def one_report(tmp_path: Path) -> tuple[Settings, ReportRegistry]:
    s = _settings(tmp_path)
    return s, _add(s, "alpha-2021", REPORT_A, 2021, [2021])


def test_build_writes_a_build_dir_and_current(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    summary = _builder(s).build(reg)
    build = s.index_dir / "builds" / summary.build_id
    assert summary.path == build and build.is_dir()
    assert (s.index_dir / "CURRENT").read_text().strip() == summary.build_id
    for name in ("chunks.faiss", "chunks.jsonl", "units.jsonl", "manifest.json", "chunk_vectors.npy",
                 "unit_vectors.npy", "embed_keys.json"):
        assert (build / name).is_file(), name
    assert any((build / "bm25").iterdir())
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["model_name"] == "hashing-fake" and manifest["model_fingerprint"] == "hashing-384"
    assert manifest["dim"] == 384 and manifest["chunker_version"] == qa.store.CHUNKER_VERSION
    assert manifest["reports"][0]["id"] == "alpha-2021"
    assert manifest["reports"][0]["sha256"] == reg.get("alpha-2021").sha256
    assert manifest["chunk_count"] == summary.chunks > 0 and manifest["unit_count"] == summary.units
    assert manifest["created"] and manifest["build_id"] == summary.build_id
    assert not list((s.index_dir / "builds").glob(".build-*"))
    assert summary.embedded == summary.chunks + summary.units and summary.reused == 0


def test_load_index_and_search(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    emb = HashingEmbedder()
    summary = _builder(s, emb).build(reg)
    idx = load_index(s, reg.reports, emb.fingerprint)
    assert idx.build_id == summary.build_id and len(idx.chunks) == summary.chunks
    assert len(idx.units) == summary.units and idx.faiss_index.ntotal == summary.chunks
    assert [r.id for r in idx.reports] == ["alpha-2021"]
    for u in idx.units:  # unit text is restored from its chunk
        c = idx.chunks[u.chunk_index]
        assert u.text == c.text[u.start - c.start : u.end - c.start]
    r = Retriever(idx, emb, s)
    for mode in ("bm25", "dense", "hybrid"):
        hits = r.search("ISO14001 certification", k=3, mode=mode)  # type: ignore[arg-type]
        assert "ISO14001" in hits[0].chunk.text, mode
    hits = r.search("Total GHG Emissions 31,347.06", k=1, mode="bm25")
    assert "31,347.06 t" in hits[0].chunk.text and hits[0].chunk.kind == "kpi"
    assert r.search("anything", filters=Filters(section_prefix="9. Nowhere")) == []


def test_stale_model_fingerprint(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    _builder(s).build(reg)
    with pytest.raises(StaleIndex) as exc:
        load_index(s, reg.reports, HashingEmbedder(dim=128).fingerprint)
    assert "model" in str(exc.value) and "esgqa index" in str(exc.value)


def test_stale_chunker_version(one_report: tuple[Settings, ReportRegistry], monkeypatch: pytest.MonkeyPatch) -> None:
    s, reg = one_report
    _builder(s).build(reg)
    monkeypatch.setattr(qa.store, "CHUNKER_VERSION", "999")
    with pytest.raises(StaleIndex, match=r"chunker version .*999.*esgqa index"):
        load_index(s, reg.reports, "hashing-384")


def test_stale_chunk_settings(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    _builder(s).build(reg)
    other = s.model_copy(update={"chunk_max_tokens": 200})
    with pytest.raises(StaleIndex, match="chunk size settings changed"):
        load_index(other, reg.reports, "hashing-384")


def test_stale_report_sha_and_new_report(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    _builder(s).build(reg)
    changed = [r.model_copy(update={"sha256": "0" * 64}) for r in reg.reports]
    with pytest.raises(StaleIndex, match=r"report alpha-2021 changed.*esgqa index"):
        load_index(s, changed, "hashing-384")
    reg2 = _add(s, "beta-2023", REPORT_B, 2023, [2021, 2022, 2023])
    with pytest.raises(StaleIndex, match="report beta-2023 is not indexed"):
        load_index(s, reg2.reports, "hashing-384")
    with pytest.raises(StaleIndex, match="removed from the manifest"):
        load_index(s, [], "hashing-384")
    # reports=None skips the check (tools that only read the index)
    assert load_index(s, None, None).chunks


def test_truncated_faiss_file_is_corrupt(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    summary = _builder(s).build(reg)
    faiss_file = summary.path / "chunks.faiss"
    data = faiss_file.read_bytes()
    faiss_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptIndex, match=r"chunks.faiss.*corrupt.*esgqa index"):
        load_index(s, reg.reports, "hashing-384")
    # even with a matching checksum, an unreadable FAISS file is refused cleanly
    manifest = json.loads((summary.path / "manifest.json").read_text())
    manifest["files"]["chunks.faiss"] = qa.store._sha256(faiss_file)
    (summary.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptIndex, match="esgqa index"):
        load_index(s, reg.reports, "hashing-384")


def test_missing_file_or_bad_manifest_is_corrupt(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    summary = _builder(s).build(reg)
    (summary.path / "units.jsonl").unlink()
    with pytest.raises(CorruptIndex, match="units.jsonl is missing"):
        load_index(s, reg.reports, "hashing-384")
    (summary.path / "manifest.json").write_text("{")
    with pytest.raises(CorruptIndex, match="unreadable"):
        load_index(s, reg.reports, "hashing-384")


def test_missing_index_dir(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    with pytest.raises(IndexNotFound, match="esgqa index"):
        load_index(s, [], None)
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "CURRENT").write_text("20990101T000000Z-gone\n")
    with pytest.raises(IndexNotFound, match="missing"):
        load_index(s, [], None)


def test_interrupted_build_leaves_the_previous_index(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    first = _builder(s).build(reg)
    current = (s.index_dir / "CURRENT").read_bytes()

    def crash() -> None:
        raise RuntimeError("power cut")

    reg2 = _add(s, "beta-2023", REPORT_B, 2023, [2021, 2022, 2023])
    with pytest.raises(RuntimeError, match="power cut"):
        _builder(s).build(reg2, fail_after_write=crash)
    assert (s.index_dir / "CURRENT").read_bytes() == current
    assert [d.name for d in (s.index_dir / "builds").iterdir()] == [first.build_id]
    idx = load_index(s, reg.reports, "hashing-384")  # the previous build is still usable
    assert idx.build_id == first.build_id


def test_adding_a_report_embeds_only_its_chunks(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    emb = HashingEmbedder()
    first = _builder(s, emb).build(reg)
    assert emb.calls == first.chunks + first.units
    reg2 = _add(s, "beta-2023", REPORT_B, 2023, [2021, 2022, 2023])
    before = emb.calls
    second = _builder(s, emb).build(reg2)
    new = second.per_report["beta-2023"]
    assert new["chunks"] > 0 and new["units"] > 0
    assert emb.calls - before == new["chunks"] + new["units"]
    assert second.embedded == new["chunks"] + new["units"]
    assert second.reused == first.chunks + first.units
    # the reused vectors are the same as freshly computed ones
    idx = load_index(s, reg2.reports, emb.fingerprint)
    fresh = HashingEmbedder().encode([qa.store.chunk_embed_text(idx.chunks[0], idx.reports[0])])
    assert (abs(idx.chunk_vectors[0] - fresh[0]) < 1e-6).all()
    # a rebuild with nothing new embeds nothing; another model re-embeds everything
    before = emb.calls
    third = _builder(s, emb).build(reg2)
    assert emb.calls == before and third.embedded == 0
    other = HashingEmbedder(dim=128)
    fourth = _builder(s, other).build(reg2)
    assert other.calls == fourth.chunks + fourth.units == fourth.embedded
    # old builds are pruned (ids made in the same second sort randomly, so allow one extra), the live one stays
    builds = sorted(d.name for d in (s.index_dir / "builds").iterdir())
    assert len(builds) <= 4 and fourth.build_id in builds
    assert load_index(s, reg2.reports, other.fingerprint).build_id == fourth.build_id


@pytest.mark.slow
def test_cli_index_if_stale_is_up_to_date_on_the_second_run(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    _add(s, "alpha-2021", REPORT_A, 2021, [2021])
    env = {"ESGQA_ROOT": str(s.root), "ESGQA_SEEDS_DIR": str(s.seeds_dir), "ESGQA_INDEX_DIR": str(s.index_dir)}
    from qa.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["index", "--if-stale", "--quiet"], env=env)
    assert res.exit_code == 0, res.output
    assert "building the index" in res.stdout and "No index found" in res.stdout
    assert "built index" in res.stdout and "1 reports" in res.stdout
    res = runner.invoke(app, ["index", "--if-stale", "--quiet"], env=env)
    assert res.exit_code == 0, res.output
    assert "is up to date" in res.stdout and "built index" not in res.stdout
    # a changed report makes the stale check fail with a clear message, not a traceback
    (s.seeds_dir / "alpha-2021.txt").write_text(REPORT_A + "\nMore.\n", encoding="utf-8")
    res = runner.invoke(app, ["index", "--if-stale", "--quiet"], env=env)
    assert res.exit_code == 2 and "has changed" in res.stderr and "Traceback" not in res.output


# ---------------------------------------------------------------- bad files on disk (issue 15, finding 7)


def _truncate(f: Path, keep: float = 0.5) -> None:
    data = f.read_bytes()
    f.write_bytes(data[: int(len(data) * keep)])


def test_truncated_vectors_are_corrupt_before_anything_is_mapped(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    summary = _builder(s).build(reg)
    manifest = json.loads((summary.path / "manifest.json").read_text())
    assert manifest["sizes"]["unit_vectors.npy"] == (summary.path / "unit_vectors.npy").stat().st_size
    _truncate(summary.path / "unit_vectors.npy")
    with pytest.raises(CorruptIndex, match=r"unit_vectors.npy.*corrupt \(size mismatch\).*esgqa index"):
        load_index(s, reg.reports, "hashing-384")
    # same size, other bytes: the checksum catches it
    f = summary.path / "chunk_vectors.npy"
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF
    f.write_bytes(bytes(data))
    manifest["sizes"].pop("unit_vectors.npy")
    manifest["files"]["unit_vectors.npy"] = qa.store._sha256(summary.path / "unit_vectors.npy")
    (summary.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptIndex, match=r"chunk_vectors.npy.*checksum mismatch"):
        load_index(s, reg.reports, "hashing-384")
    # a manifest that leaves out a file the loader reads is refused too (it would go unverified)
    manifest["files"].pop("chunk_vectors.npy")
    (summary.path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CorruptIndex, match="malformed"):
        load_index(s, reg.reports, "hashing-384")


def test_reload_refuses_a_corrupt_build_and_the_previous_keeps_answering(
    one_report: tuple[Settings, ReportRegistry],
) -> None:
    from qa.api.holder import ReloadFailed, ServiceHolder

    s, reg = one_report
    emb = HashingEmbedder()
    first = _builder(s, emb).build(reg)
    holder = ServiceHolder(s, lambda st: load_index(st, reg.reports, emb.fingerprint))
    assert holder.load().build_id == first.build_id
    second = _builder(s, emb).build(reg)
    assert second.build_id != first.build_id
    _truncate(second.path / "unit_vectors.npy", keep=0.3)
    with pytest.raises(ReloadFailed) as exc:
        holder.load()
    assert "CorruptIndex" in exc.value.reason and "unit_vectors.npy" in exc.value.reason
    assert exc.value.still_serving == first.build_id and holder.build_id == first.build_id
    assert holder.state == "ready" and holder.last_reload_error
    served = holder.get()
    assert isinstance(served, qa.store.LoadedIndex)
    hits = Retriever(served, emb, s).search("ISO14001 certification", k=1, mode="hybrid")
    assert "ISO14001" in hits[0].chunk.text


def test_start_up_falls_back_to_the_newest_intact_build(
    one_report: tuple[Settings, ReportRegistry], caplog: pytest.LogCaptureFixture
) -> None:
    import os

    from qa.api.holder import ServiceHolder

    s, reg = one_report
    emb = HashingEmbedder()
    oldest = _builder(s, emb).build(reg)
    middle = _builder(s, emb).build(reg)
    live = _builder(s, emb).build(reg)
    for i, b in enumerate((oldest, middle, live)):  # distinct ages, whatever the clock's resolution
        os.utime(b.path, (1_000_000 + i, 1_000_000 + i))
    _truncate(live.path / "chunks.faiss")
    # plain loading (and a reload while serving) refuses; the start-up load falls back, and says so
    with pytest.raises(CorruptIndex):
        load_index(s, reg.reports, emb.fingerprint)
    fallback = s.model_copy(update={"index_fallback": True})
    with caplog.at_level("WARNING", logger="qa.store"):
        assert load_index(fallback, reg.reports, emb.fingerprint).build_id == middle.build_id
    assert live.build_id in caplog.text and middle.build_id in caplog.text
    _truncate(middle.path / "units.jsonl")
    assert load_index(fallback, reg.reports, emb.fingerprint).build_id == oldest.build_id
    # the server's first load uses the fallback; CURRENT is left as it is
    holder = ServiceHolder(s, lambda st: load_index(st, reg.reports, emb.fingerprint))
    assert holder.load().build_id == oldest.build_id and holder.state == "ready"
    assert (s.index_dir / "CURRENT").read_text().strip() == live.build_id
    # a stale build is no fallback; with no usable build left the start-up refuses cleanly
    reg2 = _add(s, "beta-2023", REPORT_B, 2023, [2021, 2022, 2023])
    with pytest.raises(CorruptIndex):
        load_index(fallback, reg2.reports, emb.fingerprint)


def test_rebuild_after_a_corrupt_live_build_reuses_embeddings_from_intact_builds(
    one_report: tuple[Settings, ReportRegistry],
) -> None:
    s, reg = one_report
    emb = HashingEmbedder()
    first = _builder(s, emb).build(reg)
    live = _builder(s, emb).build(reg)
    assert live.reused == live.chunks + live.units
    _truncate(live.path / "unit_vectors.npy")
    before = emb.calls
    rebuilt = _builder(s, emb).build(reg)
    assert rebuilt.reused > 0 and rebuilt.reused == first.chunks + first.units
    assert rebuilt.embedded == 0 and emb.calls == before
    assert load_index(s, reg.reports, emb.fingerprint).build_id == rebuilt.build_id


def test_a_corrupt_build_lends_no_embeddings(one_report: tuple[Settings, ReportRegistry]) -> None:
    s, reg = one_report
    emb = HashingEmbedder()
    only = _builder(s, emb).build(reg)
    f = only.path / "chunk_vectors.npy"
    data = bytearray(f.read_bytes())
    data[-4:] = b"\x00\x00\xc0\x7f"  # a NaN in the last vector, same size
    f.write_bytes(bytes(data))
    rebuilt = _builder(s, emb).build(reg)
    assert rebuilt.reused == 0 and rebuilt.embedded == only.chunks + only.units


def test_pruning_keeps_the_newest_intact_builds_and_drops_corrupt_ones(
    one_report: tuple[Settings, ReportRegistry],
) -> None:
    import os

    s, reg = one_report
    emb = HashingEmbedder()

    def builds() -> set[str]:
        return {d.name for d in (s.index_dir / "builds").iterdir()}

    old, mid, new = (_builder(s, emb).build(reg) for _ in range(3))
    for i, b in enumerate((old, mid, new)):
        os.utime(b.path, (1_000_000 + i, 1_000_000 + i))
    _truncate(new.path / "chunk_vectors.npy")
    fourth = _builder(s, emb).build(reg)
    assert builds() == {old.build_id, mid.build_id, fourth.build_id}  # the corrupt one went, not the oldest
    # only old intact builds left besides corrupt newer ones: the newest intact one survives
    _truncate(fourth.path / "units.jsonl")
    _truncate(mid.path / "unit_vectors.npy")
    for i, name in enumerate((mid.build_id, fourth.build_id)):
        os.utime(s.index_dir / "builds" / name, (2_000_000 + i, 2_000_000 + i))
    fifth = _builder(s, emb).build(reg)
    assert builds() == {old.build_id, fourth.build_id, fifth.build_id}
    assert fifth.reused == fifth.chunks + fifth.units  # embeddings came from the intact old build


def test_public_index_errors_name_no_paths(
    one_report: tuple[Settings, ReportRegistry], caplog: pytest.LogCaptureFixture
) -> None:
    s, reg = one_report
    secret = str(s.root)  # an absolute path: in the log, never in a message a client sees
    messages: list[str] = []

    def refused(exc_type: type[Exception], settings: Settings = s, reports: list | None = None) -> None:  # type: ignore[type-arg]
        with pytest.raises(exc_type) as exc:
            load_index(settings, reg.reports if reports is None else reports, "hashing-384")
        messages.append(str(exc.value))

    with caplog.at_level("ERROR", logger="qa.store"):
        refused(IndexNotFound)
        summary = _builder(s).build(reg)
        refused(StaleIndex, reports=[])
        current = (s.index_dir / "CURRENT").read_text()
        (s.index_dir / "CURRENT").write_text("gone\n")
        refused(IndexNotFound)
        (s.index_dir / "CURRENT").write_text(current)
        manifest_text = (summary.path / "manifest.json").read_text()
        _truncate(summary.path / "chunks.faiss")
        refused(CorruptIndex)
        manifest = json.loads(manifest_text)  # checksums that match a truncated FAISS file: unreadable
        manifest["files"]["chunks.faiss"] = qa.store._sha256(summary.path / "chunks.faiss")
        manifest["sizes"].pop("chunks.faiss")
        (summary.path / "manifest.json").write_text(json.dumps(manifest))
        refused(CorruptIndex)
        (summary.path / "manifest.json").write_text("{")
        refused(CorruptIndex)
        (summary.path / "units.jsonl").unlink()
        (summary.path / "manifest.json").write_text(manifest_text)
        refused(CorruptIndex)
    assert len(messages) == 7 and all("esgqa index" in m for m in messages)
    for m in messages:
        assert secret not in m and "/builds" not in m, m
    assert secret in caplog.text  # the operator's log keeps the paths

    # as served: /readyz and /v1/ask while the only build is corrupt
    from fastapi.testclient import TestClient

    from qa.api.app import create_app

    app = create_app(s.model_copy(update={"feedback_path": s.root / "fb.jsonl"}),
                     lambda st: load_index(st, reg.reports, "hashing-384"), handle_sighup=False)
    with TestClient(app, raise_server_exceptions=False) as http:
        for _ in range(200):
            ready = http.get("/readyz")
            if ready.json()["error"].get("state") != "loading":
                break
            import time

            time.sleep(0.02)
        assert ready.status_code == 503 and "CorruptIndex" in ready.text
        ask = http.post("/v1/ask", json={"question": "What is the GHG total?"})
        assert ask.status_code == 503 and "corrupt" in ask.text.lower()
        for r in (ready, ask):
            assert secret not in r.text and "/builds" not in r.text and "Traceback" not in r.text, r.text


def test_files_truncated_under_a_loaded_index_do_not_crash_it(one_report: tuple[Settings, ReportRegistry]) -> None:
    """By default a small index is not memory-mapped: truncating the live build's files while it serves
    (what killed the server with SIGBUS) leaves the loaded index answering."""
    s, reg = one_report
    assert Settings().mmap_index == "auto" and Settings().mmap_min_mb >= 64
    emb = HashingEmbedder()
    summary = _builder(s, emb).build(reg)
    idx = load_index(s, reg.reports, emb.fingerprint)
    for name in ("chunk_vectors.npy", "unit_vectors.npy", "chunks.faiss"):
        (summary.path / name).write_bytes(b"")
    assert float(abs(idx.unit_vectors).sum()) > 0 and float(abs(idx.chunk_vectors).sum()) > 0
    hits = Retriever(idx, emb, s).search("ISO14001 certification", k=1, mode="dense")
    assert "ISO14001" in hits[0].chunk.text
    with pytest.raises(CorruptIndex):  # and the next load refuses the build
        load_index(s, reg.reports, emb.fingerprint)


@pytest.mark.parametrize(("mode", "min_mb", "mapped"), [("auto", 256, False), ("auto", 0, True), (True, 256, True),
                                                       (False, 0, False)])
def test_mmap_auto_maps_only_a_large_index(one_report: tuple[Settings, ReportRegistry], mode: object, min_mb: int,
                                           mapped: bool) -> None:
    s, reg = one_report
    emb = HashingEmbedder()
    _builder(s, emb).build(reg)
    s2 = s.model_copy(update={"mmap_index": mode, "mmap_min_mb": min_mb})
    idx = load_index(s2, reg.reports, emb.fingerprint)
    assert isinstance(idx.unit_vectors, np.memmap) is mapped
    assert isinstance(idx.chunk_vectors, np.memmap) is mapped


def test_the_build_keeps_each_reports_text_and_quotes_are_read_from_it(
    one_report: tuple[Settings, ReportRegistry],
) -> None:
    """The text citations point into is kept in the build (checked like its other files): quotes are joined
    from it without reading the report again; a build without it reads the report file, as before."""
    from qa.ingest import read_source_text
    from qa.service import _source_reader

    s, reg = one_report
    summary = _builder(s).build(reg)
    idx = load_index(s, reg.reports, "hashing-384")
    report = reg.get("alpha-2021")
    text = read_source_text(reg.path_of(report))
    assert idx.stored_text(report.source) == text and idx.stored_text("elsewhere.txt") is None
    src = reg.path_of(report)
    src.rename(src.with_suffix(".moved"))  # the report file is gone: the kept text still answers
    assert _source_reader(s.root, idx)(report.source) == text
    assert _source_reader(s.root)(report.source) is None  # without the index: nothing to read
    src.with_suffix(".moved").rename(src)
    older = {k: v for k, v in idx.manifest.items() if k != "source_texts"}  # a build made before texts were kept
    assert _source_reader(s.root, replace(idx, manifest=older))(report.source) == text
    kept = summary.path / idx.manifest["source_texts"][report.source]
    kept.write_text(text.replace("2021", "2012"), encoding="utf-8")
    with pytest.raises(CorruptIndex):
        load_index(s, reg.reports, "hashing-384")
