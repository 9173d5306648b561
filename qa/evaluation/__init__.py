"""The eval harness: load an eval set, run it through the service, score it, write a report.

Public surface (used by `esgqa eval`, see `qa.evaluation.cli`): `load_eval_files`, `run_eval`,
`run_ablation`, `default_ablation_configs`, `check_gate`. Metric definitions: `qa.evaluation.metrics`.
Nothing heavy is imported here.
"""

from __future__ import annotations

from qa.evaluation.dataset import EvalItem, EvalSetError, Prediction, load_eval_files
from qa.evaluation.metrics import EvalMetrics, check_gate
from qa.evaluation.runner import (
    AblationResult,
    EvalConfig,
    EvalRun,
    default_ablation_configs,
    run_ablation,
    run_eval,
    service_config,
)

__all__ = [
    "AblationResult",
    "EvalConfig",
    "EvalItem",
    "EvalMetrics",
    "EvalRun",
    "EvalSetError",
    "Prediction",
    "check_gate",
    "default_ablation_configs",
    "load_eval_files",
    "run_ablation",
    "run_eval",
    "service_config",
]
