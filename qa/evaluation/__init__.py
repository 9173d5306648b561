"""The eval harness: load an eval set, run it through the service, score it, write a report.

Public surface (used by `esgqa eval`, see `qa.evaluation.cli`): `load_eval_files`, `run_eval`,
`run_ablation`, `default_ablation_configs`, `check_gate`; in-process evaluation of a loaded service
(training scripts): `evaluate_service` -> `EvalResult`, and the pure `compute_metrics`; another
folder of reports: `open_corpus` + `load_corpus_service` (`qa.evaluation.corpus`). Metric definitions: `qa.evaluation.metrics`.
Nothing heavy is imported here.
"""

from __future__ import annotations

from qa.evaluation.dataset import EvalItem, EvalSetError, Prediction, load_eval_files
from qa.evaluation.metrics import EvalMetrics, check_gate, compute_metrics
from qa.evaluation.runner import (
    AblationResult,
    EvalConfig,
    EvalResult,
    EvalRun,
    default_ablation_configs,
    evaluate_service,
    run_ablation,
    run_eval,
    service_config,
)

__all__ = [
    "AblationResult",
    "EvalConfig",
    "EvalItem",
    "EvalMetrics",
    "EvalResult",
    "EvalRun",
    "EvalSetError",
    "Prediction",
    "check_gate",
    "compute_metrics",
    "default_ablation_configs",
    "evaluate_service",
    "load_eval_files",
    "run_ablation",
    "run_eval",
    "service_config",
]
