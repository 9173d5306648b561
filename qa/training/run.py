"""`python -m qa.training` (`make train`): build the training set, evaluate leave-one-company-out
(learned ranker and span picker vs the rule baseline), fit the shipped ranker, span picker and
confidence model, write each with a manifest, and a report under eval/reports/.

Training data: the hand-written questions of every development set (the bundled reports' set, both of
its splits, the fresh sets of the bundled reports that were already scored, and the multi-company sets
that were already scored, as `eval/training-sets.json` lists them) and questions generated from the
tables, label/value pairs and sentences of every development report. A set the list names as locked is
never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from qa.compose.answerkind import KINDS
from qa.compose.confidence import ConfidenceModel, load_confidence_model
from qa.compose.features import FEATURES
from qa.compose.ranker import MODEL_DIR, RuleRanker
from qa.compose.spanfeatures import SPAN_FEATURES
from qa.config import REPO_ROOT, Settings
from qa.evaluation.dataset import EvalItem, load_eval_files
from qa.models import ReportInfo
from qa.service import QAService
from qa.training.answerkind import L2, KindFits, kind_accuracy
from qa.training.dataset import CandidateSink, QuestionRecord, collect
from qa.training.fit import RANKER_PARAMS, Outcome, fit_confidence, fit_ranker
from qa.training.loco import (
    CompanyScore,
    answer_all,
    confidence_per_fold,
    in_company_check,
    leave_one_company_out,
    score,
)
from qa.training.spans import SPAN_PARAMS, SpanRows, candidate_span_rows, fit_span_picker
from qa.training.synth import synth_questions

BUNDLED_SET = REPO_ROOT / "eval" / "questions.jsonl"
TRAINING_SETS = REPO_ROOT / "eval" / "training-sets.json"
CORPUS_SET = REPO_ROOT / "eval" / "corpus" / "questions.jsonl"
CORPUS_MANIFEST = REPO_ROOT / "eval" / "corpus" / "reports.json"


def _log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def _items_with_company(path: Path, split: Literal["dev", "test"] | None, default_company: str | None) -> list[tuple[EvalItem, str]]:
    companies = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            companies[raw["id"]] = raw.get("company") or default_company or ""
    items = load_eval_files([path], split=split) if split else load_eval_files([path])
    return [(it, companies.get(it.id, default_company or "")) for it in items]


def _listed(path: Path, key: str, locked_key: str, default: list[Path]) -> list[Path]:
    if not path.is_file():
        return default
    data = json.loads(path.read_text(encoding="utf-8"))
    names, locked = list(data.get(key, [])), set(data.get(locked_key, []))
    if locked & set(names):
        raise SystemExit(f"{path}: a locked set is listed for training: {sorted(locked & set(names))}")
    return [path.parent / n for n in names]


def bundled_training_sets(path: Path = TRAINING_SETS) -> list[Path]:
    """The bundled reports' question files to learn from (the set itself when no list is present); a file
    the list also names as locked is refused."""
    return _listed(path, "bundled", "locked", [BUNDLED_SET])


def corpus_training_sets(path: Path = TRAINING_SETS) -> list[Path]:
    """The multi-company corpus's question files to learn from, every split of each (the first set alone
    when no list is present); a file the list also names as locked is refused."""
    return _listed(path, "corpus", "corpus_locked", [CORPUS_SET])


def in_company_sets(path: Path = TRAINING_SETS) -> list[Path]:
    """The training sets whose questions the in-company check holds out (all are also training sets)."""
    if not path.is_file():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    names = [n for n in data.get("in_company_check", []) if n in data.get("bundled", [])]
    return [path.parent / n for n in names]


def _in_company_lines(
    records: list[QuestionRecord], svc_of: Callable[[str], QAService], span_parts: list[SpanRows],
    own_kinds: list[tuple[float, ...]], kinds: KindFits, conf: ConfidenceModel, rules_conf: ConfidenceModel,
    paths: list[Path],
) -> tuple[list[str], dict[str, object]]:
    """The in-company check's report lines and manifest entry: learned (the final confidence model) and rules
    on the questions of `paths` (bundled sets: one company), the models trained on everything else."""
    held_ids = {it.id for p in paths for it, _c in _items_with_company(p, None, None)}
    held = [r for r in records if r.item.id in held_ids and r.source == "gold"]
    if not held:
        return [], {}
    company = held[0].company
    new = score(company, in_company_check(records, span_parts, own_kinds, kinds, svc_of(company), held), conf)
    old = score(company, answer_all(svc_of(company), RuleRanker(), held), rules_conf)
    lines = ["", f"In-company check: the {len(held)} questions of {', '.join(p.name for p in paths)} (new questions about "
             "reports the models know, as the bundled reports are served), answered by a ranker and span picker trained "
             "on every other question, with the final confidence model. These sets were read in earlier sessions: a "
             "development figure.", "", _table([(company, old, new)])]
    return lines, {"sets": [p.name for p in paths], "learned": new.__dict__, "rules": old.__dict__}


def _hash_files(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _table(rows: list[tuple[str, CompanyScore, CompanyScore]]) -> str:
    head = ("| company | n | A@1 rules → learned | span@1 | A@3 | table A@1 | false_abst | abstain | ECE | wrong co. |\n"
            "|---|---:|---|---|---|---|---|---|---|---:|\n")
    body = ""
    for name, old, new in rows:
        def pair(a: float | None, b: float | None) -> str:
            return f"{a if a is not None else '–'} → **{b if b is not None else '–'}**"
        body += (f"| {name} | {new.n} | {pair(old.a1, new.a1)} | {pair(old.span1, new.span1)} | {pair(old.a3, new.a3)} | "
                 f"{pair(old.table_a1, new.table_a1)} | {pair(old.false_abst, new.false_abst)} | "
                 f"{pair(old.abstain, new.abstain)} | {pair(old.ece, new.ece)} | {new.wrong_company} |\n")
    return head + body


def _mean_row(rows: list[tuple[str, CompanyScore, CompanyScore]], skip: str) -> list[tuple[str, CompanyScore, CompanyScore]]:
    """The mean over the companies other than `skip` (the bundled one), each company weighing the same: the
    figure the targets are set on. No row when fewer than two companies are left."""
    others = [(old, new) for name, old, new in rows if name != skip]
    if len(others) < 2:
        return []

    def mean(scores: list[CompanyScore]) -> CompanyScore:
        def avg(field: str, digits: int = 1) -> float | None:
            vals = [v for s in scores if (v := getattr(s, field)) is not None]
            return round(sum(vals) / len(vals), digits) if vals else None

        return CompanyScore(
            company="mean", n=sum(s.n for s in scores), n_answerable=sum(s.n_answerable for s in scores),
            a1=avg("a1") or 0.0, a3=avg("a3") or 0.0, span1=avg("span1") or 0.0, table_a1=avg("table_a1"),
            false_abst=avg("false_abst") or 0.0, abstain=avg("abstain"), ece=avg("ece", 3) or 0.0,
            wrong_company=sum(s.wrong_company for s in scores))

    label = f"**mean of the {len(others)} other companies**"
    return [(label, mean([o for o, _ in others]), mean([n for _, n in others]))]


def _generated(svc: QAService, reports: list[ReportInfo], per_report: int, keep: CandidateSink | None = None) -> list[QuestionRecord]:
    """Generated questions of these reports: for the ranker (and picker), and multi-figure sentence
    queries for the span picker only."""
    idx = svc.index
    return (collect(svc, synth_questions(idx.chunks, idx.units, reports, per_report), "gen", keep)
            + collect(svc, synth_questions(idx.chunks, idx.units, reports, per_report, several=True), "span", keep)
            + collect(svc, synth_questions(idx.chunks, idx.units, reports, per_report, entities=True), "span", keep))


def _dump(path: Path, gold: list[QuestionRecord], oof: dict[str, list[Outcome]], confs: dict[str, ConfidenceModel]) -> None:
    """Every held-out answer with its gold, for reading the failures of development companies."""
    item_of = {r.item.id: r.item for r in gold}
    with path.open("w", encoding="utf-8") as fh:
        for company, outcomes in oof.items():
            conf = confs.get(company)
            for o in outcomes:
                it = item_of.get(o.qid)
                fh.write(json.dumps({
                    "company": company, "id": o.qid, "type": o.qtype, "question": it.question if it else "",
                    "answers": it.answers if it else [], "evidence": it.evidence if it else [],
                    "correct": o.correct, "span_ok": o.span_ok, "quote": o.quote, "span": o.span,
                    "confidence": round(conf.confidence(o.features), 3) if conf and o.features else None,
                    "threshold": round(conf.threshold, 3) if conf else None,
                    "features": {k: round(v, 4) for k, v in o.features.items()},
                }, ensure_ascii=False) + "\n")


def load_records(
    bundled_sets: list[Path], corpus_sets: list[Path], corpus: Path, manifest: Path, per_report: int,
    span_parts: list[SpanRows] | None = None,
) -> tuple[dict[str, QAService], list[QuestionRecord], str]:
    """The service answering each company (the bundled reports', and the multi-company corpus's when `corpus`
    holds it) and every training record: the hand-written questions of the training sets, then the questions
    generated from each corpus's reports; with the bundled reports' company. Each record's span-picker rows are
    appended to `span_parts` when given (from the candidates the record was built from)."""
    from qa.training.corpus import load_corpus_service  # local: needs the eval harness's corpus loader

    keep: CandidateSink | None = None if span_parts is None else (lambda rec, cands: span_parts.append(candidate_span_rows(rec, cands)))
    services: dict[str, QAService] = {}
    xs = QAService.load(Settings(ranker="rules"))
    records: list[QuestionRecord] = []
    bundled_company = xs.index.reports[0].company
    for r in xs.index.reports:
        services[r.company] = xs
    _log(f"bundled corpus: {len(xs.index.chunks)} chunks")
    for path in bundled_sets:
        records += collect(xs, _items_with_company(path, None, bundled_company), "gold", keep)
    records += _generated(xs, xs.index.reports, per_report, keep)
    if corpus.is_dir() and manifest.is_file():
        corpus_items = [ic for p in corpus_sets for ic in _items_with_company(p, None, None)]
        cs = load_corpus_service(corpus, manifest, embedder=xs.embedder)
        for r in cs.index.reports:
            services[r.company] = cs
        records += collect(cs, corpus_items, "gold", keep)
        records += _generated(cs, cs.index.reports, per_report, keep)
        _log(f"corpus: {len(cs.index.reports)} reports, {len(cs.index.chunks)} chunks")
    else:
        _log(f"no corpus at {corpus}: training on the bundled reports only")
    return services, records, bundled_company


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    ap = argparse.ArgumentParser(prog="python -m qa.training", description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=REPO_ROOT.parent / "shared" / "corpus",
                    help="folder of the multi-company development reports (skipped when missing)")
    ap.add_argument("--manifest", type=Path, default=CORPUS_MANIFEST)
    ap.add_argument("--out", type=Path, default=MODEL_DIR)
    ap.add_argument("--report", type=Path, default=REPO_ROOT / "eval" / "reports" / "ranker-loco.md")
    ap.add_argument("--per-report", type=int, default=160, help="generated questions per report (at most)")
    ap.add_argument("--dump", type=Path, default=None,
                    help="write every held-out answer (question, gold, quote, span, confidence) to this JSONL file")
    ap.add_argument("--in-company-check", action="store_true",
                    help="also hold out the in-company sets of eval/training-sets.json once and answer them with models "
                         "trained on everything else (a development figure; about 80 s more, outside `make train`'s "
                         "10-minute budget)")
    args = ap.parse_args(argv)
    t0 = time.time()
    bundled_sets = bundled_training_sets()
    corpus_sets = corpus_training_sets()
    span_parts: list[SpanRows] = []
    services, records, bundled_company = load_records(bundled_sets, corpus_sets, args.corpus, args.manifest,
                                                      args.per_report, span_parts)
    gold = [r for r in records if r.source == "gold"]
    gen = [r for r in records if r.source == "gen"]
    span_gen = [r for r in records if r.source == "span"]
    _log(f"records: {len(gold)} hand-written, {len(gen)} generated, {len(span_gen)} for spans ({time.time() - t0:.0f} s)")

    companies = sorted({r.company for r in gold})
    svc_of: Callable[[str], QAService] = services.__getitem__
    kinds = KindFits(records)
    kind_acc = kind_accuracy(kinds, records, companies)
    _log(f"answer kinds: {kinds.label_counts()}; held-out accuracy by company {kind_acc} ({time.time() - t0:.0f} s)")
    oof = leave_one_company_out(records, svc_of, companies, span_parts, kinds, _log)
    per_fold_conf = confidence_per_fold(oof) if len(companies) > 1 else {}
    rules_conf = load_confidence_model("confidence-rules.json")
    rows: list[tuple[str, CompanyScore, CompanyScore]] = []
    for company in companies:
        held = [r for r in gold if r.company == company]
        old = score(company, answer_all(svc_of(company), RuleRanker(), held), rules_conf)
        conf = per_fold_conf.get(company) or fit_confidence(oof[company])
        rows.append((company, old, score(company, oof[company], conf)))

    _log(f"leave-one-company-out done ({time.time() - t0:.0f} s)")
    if args.dump is not None:
        _dump(args.dump, gold, oof, per_fold_conf)
    own_kinds = [kinds.probs(r) for r in records]  # each from a model that did not see the record's company
    booster = fit_ranker([r.with_kinds(k) for r, k in zip(records, own_kinds, strict=True)])
    final_conf = fit_confidence([o for v in oof.values() for o in v])
    check_lines, check = _in_company_lines(records, svc_of, span_parts, own_kinds, kinds, final_conf, rules_conf,
                                           in_company_sets()) if args.in_company_check else ([], {})
    _log(f"final ranker{' and in-company check' if args.in_company_check else ''} done ({time.time() - t0:.0f} s)")
    args.out.mkdir(parents=True, exist_ok=True)
    data_sha256 = _hash_files([*bundled_sets, *corpus_sets, args.manifest])
    span_data = SpanRows.concat([p.with_kinds(k) for p, k in zip(span_parts, own_kinds, strict=True)])
    span_booster = fit_span_picker(span_data)
    (args.out / "answerkind.json").write_text(json.dumps(kinds.model().to_json(
        model="softmax regression of the question embedding and analysed type on its gold answer's kind",
        fitted_on=f"{kinds.n} hand-written questions", l2=L2, labels=kinds.label_counts(),
        leave_one_company_out_accuracy=kind_acc, training_data_sha256=data_sha256)) + "\n", encoding="utf-8")
    (args.out / "span.txt").write_text(span_booster.model_to_string(), encoding="utf-8")
    span_importance = dict(sorted(
        zip(SPAN_FEATURES, (float(x) for x in span_booster.feature_importance("gain")), strict=True),
        key=lambda kv: -kv[1]))
    (args.out / "span.json").write_text(json.dumps(
        {"model": "LightGBM LambdaRank over each quote's span options", "params": SPAN_PARAMS,
         "features": list(SPAN_FEATURES), "options": len(span_data.y), "quotes": len(span_data.groups),
         "fitted_on": "span options of candidates holding a gold answer, every training question",
         "training_data_sha256": data_sha256,
         "training_set": {"hand_written": len(gold), "generated": len(gen), "generated_for_spans": len(span_gen)},
         "feature_importance_gain": span_importance}, indent=1) + "\n",
        encoding="utf-8")
    (args.out / "ranker.txt").write_text(booster.model_to_string(), encoding="utf-8")
    importance = dict(zip(FEATURES, (float(x) for x in booster.feature_importance("gain")), strict=True))
    manifest = {
        "model": "LightGBM LambdaRank", "params": RANKER_PARAMS, "features": list(FEATURES),
        "training_data_sha256": data_sha256,
        "training_set": {"hand_written": len(gold), "generated": len(gen), "companies": companies},
        "loco": {name: new.__dict__ for name, _old, new in rows},
        "loco_rules": {name: old.__dict__ for name, old, _new in rows},
        "in_company_check": check,
        "feature_importance_gain": dict(sorted(importance.items(), key=lambda kv: -kv[1])),
    }
    (args.out / "ranker.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    conf_out = {"fitted_on": "leave-one-company-out held-out answers of: " + ", ".join(companies),
                "weights": final_conf.weights, "platt": list(final_conf.platt), "threshold": final_conf.threshold}
    (args.out / "confidence.json").write_text(json.dumps(conf_out, indent=1) + "\n", encoding="utf-8")
    report = ["# Learned ranker: leave-one-company-out", "",
              f"`python -m qa.training` ({time.strftime('%Y-%m-%d %H:%M')} UTC, {time.time() - t0:.0f} s). "
              f"Training set: {len(gold)} hand-written and {len(gen)} generated questions; each company's row is "
              "scored with a ranker trained without its questions and reports, and a confidence model fitted on "
              "the other companies' held-out answers. Rules = the hand-set baseline ranker and its confidence.", "",
              _table(rows + _mean_row(rows, bundled_company)), *check_lines, "", "Feature importance (gain, top 15):",
              ""]
    report += [f"- {k}: {v:.0f}" for k, v in list(manifest["feature_importance_gain"].items())[:15]]  # type: ignore[attr-defined]
    report += ["", f"Answer kinds ({', '.join(KINDS)}) from the question's embedding and analysed type: {kinds.n} hand-written "
               f"questions {kinds.label_counts()}; accuracy on each held-out company {kind_acc}."]
    report += ["", f"Span picker: LambdaRank over {len(span_data.y)} span options of {len(span_data.groups)} quotes "
               "(hand-written and generated questions); feature importance (gain, top 15):", ""]
    report += [f"- {k}: {v:.0f}" for k, v in list(span_importance.items())[:15]]
    report += ["", "Abstention trade-off, all held-out answers pooled (threshold on the final confidence model):", "",
               "| threshold | answered | false_abst | abstain |", "|---:|---:|---:|---:|"]
    pooled = [o for v in oof.values() for o in v]
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, final_conf.threshold):
        confs = [final_conf.confidence(o.features) for o in pooled]
        ans = [c >= t for c in confs]
        fa = sum(1 for o, a in zip(pooled, ans, strict=True) if o.answerable and not a)
        ab = sum(1 for o, a in zip(pooled, ans, strict=True) if not o.answerable and not a)
        n_a = sum(o.answerable for o in pooled) or 1
        n_u = sum(not o.answerable for o in pooled) or 1
        report.append(f"| {t:.3f} | {sum(ans)} | {100 * fa / n_a:.1f} | {100 * ab / n_u:.1f} |")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text("\n".join(report) + "\n", encoding="utf-8")
    sys.stdout.write("\n".join(report) + "\n")
    return 0
