"""Chunking reports in spawned worker processes gives the serial path's chunks, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.chunking.chunker import Chunker
from qa.chunking.parallel import ChunkedReport, ChunkerSpec, chunk_reports, worker_count
from qa.config import Settings
from qa.errors import IngestError
from qa.models import ReportInfo
from qa.reports import ReportRegistry


def _dump(results: list[ChunkedReport]) -> list[list[str]]:
    return [[c.model_dump_json() for c in chunks] + [u.model_dump_json() for u in units] + [text]
            for chunks, units, text in results]


def test_parallel_chunks_are_the_serial_chunks(settings: Settings) -> None:
    reg = ReportRegistry(settings.manifest_path, settings.root).load()
    jobs = [(r, reg.path_of(r)) for r in reg.reports]
    assert len(jobs) >= 2
    spec = ChunkerSpec.from_settings(settings)
    serial = _dump(list(chunk_reports(jobs, spec, workers=1)))
    parallel = _dump(list(chunk_reports(jobs, spec, workers=2)))
    reversed_jobs = _dump(list(chunk_reports(jobs[::-1], spec, workers=2)))
    assert all(len(r) > 100 for r in serial)
    assert parallel == serial
    assert reversed_jobs == serial[::-1]  # results follow the jobs' order, not the finishing order


def test_a_worker_error_reaches_the_caller(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.4 not really")
    reg = ReportRegistry(settings.manifest_path, settings.root).load()
    good = reg.reports[0]
    info = ReportInfo.model_validate({**good.model_dump(), "id": "broken-2023", "source": str(bad)})
    with pytest.raises(IngestError):
        list(chunk_reports([(good, reg.path_of(good)), (info, bad)], ChunkerSpec.from_settings(settings), workers=2))


def test_worker_count() -> None:
    assert worker_count(0, 1) == 1 and worker_count(3, 2) == 2 and worker_count(1, 8) == 1
    assert 1 <= worker_count(0, 100) <= 100


def test_a_chunker_object_runs_in_process(settings: Settings) -> None:
    reg = ReportRegistry(settings.manifest_path, settings.root).load()
    jobs = [(r, reg.path_of(r)) for r in reg.reports]
    lam = Chunker(lambda t: len(t.split()), max_tokens=200, target_tokens=40)  # not picklable: no workers
    assert len(list(chunk_reports(jobs, lam, workers=2))) == len(jobs)
