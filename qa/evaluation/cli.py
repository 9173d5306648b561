"""The `esgqa eval` command. `qa/cli.py` calls `register(app, get_service)`.

`--corpus DIR [--manifest FILE]` evaluates against a folder of reports with its own manifest and
index (see `qa.evaluation.corpus`) instead of the bundled service; its runs go to
`eval/results/corpus/`.

Exit codes: 0 done; 1 `--gate` and the regression gate failed; 2 bad eval file, baseline, option,
corpus folder or manifest; 3 the service could not be loaded or failed (a `QAError`, e.g. no index).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from qa.errors import QAError
from qa.evaluation.dataset import EvalSetError

logger = logging.getLogger(__name__)

# Named service-keyword variants that `--ablation` runs (in hybrid mode) besides the three search
# modes; a variant whose keywords `QAService.ask` does not accept is skipped with a warning.
ABLATION_VARIANTS: dict[str, dict[str, Any]] = {
    "hybrid-no-year-awareness": {"year_awareness": False},
}


class Mode(StrEnum):
    hybrid = "hybrid"
    dense = "dense"
    bm25 = "bm25"


class SplitChoice(StrEnum):
    dev = "dev"
    test = "test"


def _echo_err(message: str) -> None:
    typer.echo(message, err=True)


def _default_root(service: Any | None) -> Path:
    settings = getattr(service, "settings", None)
    root = getattr(settings, "root", None)
    if root is not None:
        return Path(root)
    from qa.config import REPO_ROOT

    return REPO_ROOT


def _corpus_service(corpus_dir: Path, manifest: Path | None, index_home: Path | None,
                    progress: bool) -> tuple[Any, Path, dict[str, str]]:
    """The corpus's service, the repository root (where results go) and what to record of the corpus."""
    from qa.config import Settings
    from qa.evaluation.corpus import load_corpus_service, open_corpus

    base = Settings()
    corpus = open_corpus(base, corpus_dir, manifest, index_home)
    return load_corpus_service(corpus, progress=progress), base.root, corpus.describe()


def _print_summary(run: Any) -> None:
    from qa.evaluation.report import COMPANY_COLUMNS, SUMMARY_COLUMNS, metrics_table

    m = run.metrics
    typer.echo(metrics_table([("all", m.overall)], SUMMARY_COLUMNS, "set"))
    if m.by_company:
        typer.echo("")
        typer.echo(metrics_table(list(m.by_company.items()), COMPANY_COLUMNS, "company"))
    typer.echo(f"\nquotes[0] from the wrong company: {m.overall.wrong_company}")
    typer.echo(f"report: {run.run_dir / 'report.md'}")
    if run.baseline_source:
        typer.echo(f"compared with: {run.baseline_source}")
    for r in run.regressions:
        typer.echo(f"REGRESSION {r}")
    for p in run.gate_problems:
        typer.echo(f"gate: {p}")


def register(app: typer.Typer, get_service: Callable[[], Any]) -> None:
    """Add the `eval` command to `app`; `get_service()` returns a loaded QAService."""

    @app.command("eval")
    def eval_command(
        files: list[Path] = typer.Argument(  # noqa: B008
            None, help="Eval files (JSONL, GUIDE schema). Default: eval/questions.jsonl."
        ),
        mode: Mode = typer.Option(Mode.hybrid, "--mode", help="Retrieval mode."),  # noqa: B008
        predictions_out: Path | None = typer.Option(  # noqa: B008
            None, "--predictions-out", help="Also write predictions (one JSON line per question) here."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print only the metrics object."),
        limit: int | None = typer.Option(None, "--limit", min=0, help="Only the first N questions."),
        split: SplitChoice | None = typer.Option(None, "--split", help="Only questions of this split."),  # noqa: B008
        baseline: Path | None = typer.Option(  # noqa: B008
            None, "--baseline", help="metrics.json (or run dir) to compare with; default: the previous run."
        ),
        ablation: bool = typer.Option(False, "--ablation", help="Compare dense, bm25, hybrid (+ variants)."),
        out_dir: Path | None = typer.Option(  # noqa: B008
            None, "--out-dir", help="Where run directories go. Default: eval/results."
        ),
        gate: bool = typer.Option(False, "--gate", help="Exit 1 when the regression gate fails."),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar on stderr."),
        corpus: Path | None = typer.Option(  # noqa: B008
            None, "--corpus", help="Evaluate against this folder of reports (own manifest and index), "
            "not the bundled one."),
        manifest: Path | None = typer.Option(  # noqa: B008
            None, "--manifest", help="The --corpus manifest (sources relative to the folder). "
            "Default: DIR/reports.json."),
        corpus_index: Path | None = typer.Option(  # noqa: B008
            None, "--corpus-index", help="Where corpus indexes are kept. Default: var/corpus-index."),
    ) -> None:
        """Run an eval set through the service and report A@k, span@1, abstention, verbatim, R@k,
        latency, and every metric per company."""
        from qa.config import REPO_ROOT
        from qa.evaluation.dataset import load_eval_files
        from qa.evaluation.runner import default_ablation_configs, run_ablation, run_eval, service_reports

        if manifest is not None and corpus is None:
            _echo_err("error: --manifest goes with --corpus DIR.")
            raise typer.Exit(2)
        if corpus is not None and not files:
            _echo_err("error: --corpus needs the eval file(s) of that corpus, e.g. eval/corpus/questions.jsonl.")
            raise typer.Exit(2)
        paths = list(files) if files else [REPO_ROOT / "eval" / "questions.jsonl"]
        try:
            items = load_eval_files(paths, split=split.value if split else None, limit=limit)
            if not items:
                raise EvalSetError(f"no questions in {', '.join(map(str, paths))} "
                                   f"(split={split.value if split else None}, limit={limit}).")
        except EvalSetError as exc:
            _echo_err(f"error: {exc}")
            raise typer.Exit(2) from exc

        try:
            extra: dict[str, str] = {}
            if corpus is not None:
                service, repo_root, extra = _corpus_service(corpus, manifest, corpus_index, progress)
                root = _default_root(service)  # the corpus folder: citation sources are read there
                results_dir = out_dir or repo_root / "eval" / "results" / "corpus"
            else:
                service = get_service()
                root = _default_root(service)
                results_dir = out_dir or root / "eval" / "results"
            reports = service_reports(service)
            if ablation:
                configs = default_ablation_configs(service, variants=ABLATION_VARIANTS)
                result = run_ablation(configs, items, root=root, out_dir=results_dir, progress=progress,
                                      reports=reports)
                if as_json:
                    typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
                else:
                    typer.echo(result.table)
                    if result.out_path is not None:
                        typer.echo(f"\nwritten to {result.out_path}")
                return
            run = run_eval(service, items, mode=mode.value, root=root, out_dir=results_dir,
                           baseline_path=baseline, predictions_out=predictions_out, progress=progress,
                           reports=reports, extra=extra)
        except EvalSetError as exc:
            _echo_err(f"error: {exc}")
            raise typer.Exit(2) from exc
        except QAError as exc:
            _echo_err(f"error: {exc}")
            raise typer.Exit(3) from exc

        if as_json:
            typer.echo(json.dumps(run.metrics_dict(), indent=2, ensure_ascii=False))
        else:
            _print_summary(run)
        if gate and run.gate_problems:
            raise typer.Exit(1)
