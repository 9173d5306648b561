"""Fit the composer's confidence model on the DEV split only (logistic regression over its features).

Target: 1 for answerable questions, 0 for unanswerable ones (the abstention decision). Rare,
decisive signals (a year no report covers, a name the reports never use, an empty table cell…)
keep their prior weights (FIXED_FEATURES): a few dev questions cannot estimate them. The threshold is the highest that keeps false abstention
on answerable dev questions within --max-false-abst. Writes qa/compose/confidence.json and prints the
abstention threshold that keeps false abstention within the target on dev.

    python bench/fit_confidence.py [--threshold-false-abst 0.04]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from qa.config import Settings  # noqa: E402
from qa.evaluation import load_eval_files  # noqa: E402
from qa.evaluation.metrics import holds  # noqa: E402
from qa.service import QAService  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-false-abst", type=float, default=0.03, help="false abstention allowed on dev (target 5%%, minus noise margin)")
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression

    svc = QAService.load(Settings())
    items = load_eval_files([ROOT / "eval" / "questions.jsonl"], split="dev")
    X: list[list[float]] = []
    y: list[int] = []
    answerable: list[bool] = []
    correct: list[bool] = []
    names: list[str] = []
    for it in items:
        ans = svc.ask(it.question)
        feats = svc.last_features
        if not feats:  # refused before composition (a company not in the corpus): nothing to fit on
            continue
        names = sorted(feats)
        X.append([feats[k] for k in names])
        ok = bool(it.answers) and bool(ans.quotes) and holds(ans.quotes[0].text, it)
        y.append(1 if it.answers else 0)
        correct.append(ok)
        answerable.append(bool(it.answers))
    from qa.compose.composer import DEFAULT_CONFIDENCE, FIXED_FEATURES

    fixed = set(FIXED_FEATURES)
    free = [k for k in names if k not in fixed]
    Xa = np.array(X)
    offset = sum(DEFAULT_CONFIDENCE[k] * Xa[:, names.index(k)] for k in fixed)
    Xf = Xa[:, [names.index(k) for k in free]]
    # logistic regression with the fixed terms as an offset (sklearn has no offset: fit on adjusted sample)
    model = LogisticRegression(C=0.5, max_iter=5000)
    model.fit(np.column_stack([Xf, offset]), np.array(y))
    scale = float(model.coef_[0][-1]) or 1.0
    weights = {"bias": float(model.intercept_[0]) / scale}
    weights.update({k: float(w) / scale for k, w in zip(free, model.coef_[0][:-1], strict=True)})
    weights.update({k: DEFAULT_CONFIDENCE[k] for k in fixed})
    z = weights["bias"] + sum(weights[k] * Xa[:, names.index(k)] for k in names)
    ans_mask = np.array(answerable)
    # decision: the highest logit that keeps false abstention on answerable dev questions within the target
    ans_z = np.sort(z[ans_mask])
    k = int(np.floor(args.max_false_abst * len(ans_z)))
    decision = float(ans_z[k]) - 1e-6 if len(ans_z) else 0.0
    # confidence: Platt scaling of the logit against "quotes[0] holds a gold answer", so confidence
    # reads as the probability that the top quote answers the question
    answered = z >= decision
    right = np.array(correct)
    platt_model = LogisticRegression(C=10.0, max_iter=2000).fit(z.reshape(-1, 1), right.astype(int))
    platt = [float(platt_model.coef_[0][0]), float(platt_model.intercept_[0])]
    print(json.dumps(weights, indent=1))
    print(f"decision_logit={decision:.3f} abstain(dev)={100 * float(np.mean(~answered[~ans_mask])):.1f}% "
          f"false_abst(dev)={100 * float(np.mean(~answered[ans_mask])):.1f}% platt={platt}")
    out = ROOT / "qa" / "compose" / "confidence.json"
    out.write_text(json.dumps({"fitted_on": "eval/questions.jsonl split=dev", "n": len(y), "weights": weights,
                               "decision_logit": decision, "platt": platt}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
