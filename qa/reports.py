"""The registry of source reports: the seeds manifest, integrity checks, adding a report."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from qa.companies import derive_aliases, merge_aliases
from qa.errors import ManifestError, ReportChanged, UnknownReport
from qa.models import Chunk, ReportInfo

if TYPE_CHECKING:
    from qa.ingest.document import Document

log = logging.getLogger(__name__)

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


# how far back a report's tables may restate figures (a base year, a five-year series)
TABLE_YEARS_BACK = 10


def table_years(chunks: Iterable[Chunk], year: int) -> list[int]:
    """The years a report's tables give figures for: the report's own year, and every year a table column
    is for (`2021`, `FY2022`, `2019 in %`) from `year - TABLE_YEARS_BACK` to `year`; target years later
    than the report are not figures it reports."""
    from qa.compose.extract import header_years

    found = {year}
    for c in chunks:
        found.update(y for y in header_years(c.header) if year - TABLE_YEARS_BACK <= y <= year)
    return sorted(found)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class ReportRegistry:
    """Reads `seeds/reports.json`; every report's file is checked against its sha256 on load."""

    def __init__(self, manifest_path: Path, root: Path) -> None:
        self.manifest_path = manifest_path
        self.root = root
        self._reports: list[ReportInfo] = []

    def load(self, verify: bool = True) -> ReportRegistry:
        if not self.manifest_path.exists():
            raise ManifestError(f"No report manifest at {self.manifest_path}. Add a report with `esgqa add-report`.")
        try:
            raw = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            reports = [ReportInfo.model_validate(r) for r in raw["reports"]]
        except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
            raise ManifestError(f"The report manifest {self.manifest_path} is malformed: {exc}") from exc
        ids = [r.id for r in reports]
        if len(set(ids)) != len(ids):
            raise ManifestError(f"The report manifest {self.manifest_path} lists a report id twice.")
        if verify:
            for report in reports:
                self.verify(report)
        self._reports = reports
        return self

    def verify(self, report: ReportInfo) -> None:
        path = self.path_of(report)
        if not path.is_file():
            raise ManifestError(f"Report {report.id}: file {report.source} is missing.")
        actual = sha256_file(path)
        if actual != report.sha256:
            raise ReportChanged(
                f"Report {report.id}: {report.source} has changed (sha256 {actual[:12]}… but the manifest "
                f"records {report.sha256[:12]}…). Restore the original file, or add the new version with "
                "`esgqa add-report` under a new id."
            )

    @property
    def reports(self) -> list[ReportInfo]:
        return list(self._reports)

    def get(self, report_id: str) -> ReportInfo:
        for report in self._reports:
            if report.id == report_id:
                return report
        known = ", ".join(r.id for r in self._reports)
        raise UnknownReport(f"Unknown report id {report_id!r}. Known reports: {known}.")

    def resolve(self, ref: str) -> ReportInfo:
        """A report by id, file name in seeds/, or original file name."""
        for report in self._reports:
            if ref in (report.id, report.original_name, Path(report.source).name, report.source):
                return report
        return self.get(ref)

    def path_of(self, report: ReportInfo) -> Path:
        return self.root / report.source

    def add(
        self,
        file: Path,
        *,
        report_id: str,
        title: str,
        year: int,
        company: str,
        aliases: list[str] | None = None,
        years_covered: list[int] | None = None,
        derive_years: Callable[[Document, int], list[int]] | None = None,
    ) -> ReportInfo:
        """Copy `file` into the seeds folder and record it; the manifest is replaced atomically.

        The file is read (ingested) first, so an unreadable file changes nothing.
        """
        from qa.ingest import load_document  # local: ingest imports pypdf

        company = " ".join(company.split())
        if not company:
            raise ManifestError("--company must name the report's company, e.g. 'Manz AG'.")
        if not _ID.match(report_id):
            raise ManifestError(f"Report id {report_id!r} must be lower-case letters, digits, '.', '_' or '-'.")
        if any(r.id == report_id for r in self._reports):
            raise ManifestError(f"A report with id {report_id!r} is already in the manifest.")
        if not file.is_file():
            raise ManifestError(f"No such file: {file}")
        doc = load_document(file)  # raises IngestError on an unreadable file, before anything is written
        if not years_covered and derive_years is not None:
            years_covered = derive_years(doc, year)
        seeds_dir = self.manifest_path.parent
        target = seeds_dir / f"{report_id}{file.suffix.lower()}"
        if target.exists():
            raise ManifestError(f"{target} already exists; choose another id.")
        digest = sha256_file(file)
        info = ReportInfo(
            id=report_id,
            company=company,
            aliases=merge_aliases(company, [*derive_aliases(company), *(aliases or [])]),
            title=title,
            year=year,
            years_covered=sorted(set(years_covered or [year])),
            source=str(target.relative_to(self.root)) if target.is_relative_to(self.root) else str(target),
            original_name=file.name,
            sha256=digest,
        )
        shutil.copyfile(file, target)
        try:
            self._write([*self._reports, info])
        except Exception:
            target.unlink(missing_ok=True)
            raise
        self._reports.append(info)
        log.info("added report %s from %s", report_id, file)
        return info

    def _write(self, reports: list[ReportInfo]) -> None:
        payload = {"version": 1, "reports": [r.model_dump() for r in reports]}
        fd, tmp = tempfile.mkstemp(dir=self.manifest_path.parent, prefix=".reports.", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(payload, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
            os.replace(tmp, self.manifest_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
