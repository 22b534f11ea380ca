"""Monte-Carlo validity study of model-gate's verdicts (issue 7) → ``docs/validity.md``.

Every replication draws a test set from a population with known metric values
(:mod:`validation.population`) and runs the real engine, :func:`gate.engine.evaluate`, on it.

Studies (``run --study ...``; results are appended to ``validation/results/<study>.jsonl``, one line
per replication, so a run can be stopped and resumed and the report reads whatever is there):

- ``coverage``: grid N × prevalence. One ``evaluate`` per replication with ``method: bca`` and, per
  metric, a floor gate ``min: <true value>`` and an equal-quality gate ``max_drop: 0`` against an
  exactly-as-good baseline (``multiple_testing: none``, so each interval is at the nominal 95%). The
  bootstrap replicates do not depend on ``method`` (same seed → same resamples), so the percentile and
  basic intervals are computed from the replicates the report carries with
  :class:`gate.inference.intervals.Distribution` — exactly what ``evaluate`` would report for those methods
  (``tests/test_validity_fast.py`` checks this identity). A gate *falsely fails* when the fail-side
  endpoint misses the bar, i.e. the upper endpoint lies below the true value (one-sided
  non-coverage), unless a guard forced it inconclusive. Anchors: the point-estimate gate (fail when
  the estimate is below the bar) and DeLong's analytic interval for ROC-AUC and its paired delta.
- ``power``: prevalence 0.1, the candidate weakened (class separation d − loss), ``max_drop: 0``
  gates, default method; P(fail) against the true drop of each metric.
- ``fwer``: 20 equally likely classes, per-class recall floors at their true value (and per-class
  ``max_drop: 0`` against an equal baseline); family-wise false-fail rate with none / bonferroni /
  holm.

Usage::

    nice python -m validation.validity run --study coverage --workers 2 --resamples 1000
    python -m validation.validity report          # → docs/validity.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import cache
from pathlib import Path

import numpy as np

from gate.engine import evaluate
from gate.inference.intervals import Distribution
from gate.policy.load import build_policy
from validation import ece_study, issue16, looks_study
from validation.delong import delong
from validation.population import METRICS, MulticlassPopulation, binary_population, draw

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "validation" / "results"
SIZES = (200, 1_000, 10_000, 100_000)
PREVALENCES = (0.5, 0.1, 0.01)
METHODS = ("percentile", "basic", "bca")
POWER_LOSSES = {200: (0.0, 0.2, 0.5, 0.75, 1.0, 1.5, 2.0), 1_000: (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0),
                10_000: (0.0, 0.05, 0.1, 0.15, 0.2, 0.35), 100_000: (0.0, 0.02, 0.04, 0.06, 0.1)}
FWER_SIZES = (2_000, 20_000)
FWER_CLASSES = 20
FWER_ACCURACY = 0.8
CONFIDENCE = 0.95


# ---------------------------------------------------------------------------------------------
# policies


def _policy(gates: list[dict], *, method: str, resamples: int, multiple_testing: str = "none",
            task: str = "binary", classes: list[str] | None = None) -> object:
    doc = {"version": 1, "name": "validity", "task": task,
           "bootstrap": {"method": method, "resamples": resamples, "seed": 0},
           "decision": {"multiple_testing": multiple_testing, "inconclusive": "fail"}, "gates": gates}
    if task == "binary":
        doc["positive_class"] = "positive"
        doc["classes"] = ["negative", "positive"]
    else:
        doc["classes"] = classes
    return build_policy(doc, source="<validity>")


def coverage_policy(truth: dict[str, float], *, method: str = "bca", resamples: int = 1000):
    gates = []
    for m in METRICS:
        gates.append({"metric": m, "min": float(truth[m])})
        gates.append({"metric": m, "max_drop": 0})
    return _policy(gates, method=method, resamples=resamples)


@cache
def null_population(prevalence: float):
    return binary_population(prevalence)


@cache
def loss_population(prevalence: float, loss: float):
    if loss == 0.0:
        return null_population(prevalence)
    return binary_population(prevalence, candidate_loss=loss, threshold=null_population(prevalence).threshold)


def _rng(*key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(key))))


def _f(x) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


# ---------------------------------------------------------------------------------------------
# one replication of each study


def coverage_rep(n: int, prevalence: float, rep: int, resamples: int) -> dict:
    pop = null_population(prevalence)
    es = draw(pop, n, _rng(1, n, int(prevalence * 1e4), rep))
    report = evaluate(coverage_policy(pop.truth_c, resamples=resamples), es, seed=rep)
    y = es.candidate.y
    out = {"study": "coverage", "n": n, "prevalence": prevalence, "rep": rep, "resamples": resamples,
           "positives": int(np.count_nonzero(y == 1)), "metrics": {}}
    for i, m in enumerate(METRICS):
        row = {}
        for kind, g in (("cand", report.gates[2 * i]), ("delta", report.gates[2 * i + 1])):
            assert g.metric == m and g.quantity == ("candidate" if kind == "cand" else "delta")
            point = g.tested.value
            cis: dict[str, list | None] = {"bca": None if g.tested.ci is None else [_f(v) for v in g.tested.ci]}
            reps = np.asarray(g.distribution, dtype=np.float64)
            sd = None
            if point is not None and reps.size >= 2:
                for method in ("percentile", "basic"):
                    lo, hi = Distribution(point, reps, 0, method).interval(CONFIDENCE)
                    cis[method] = [_f(lo), _f(hi)]
                sd = float(np.std(reps, ddof=1))
            else:
                cis["percentile"] = cis["basic"] = None
            row[kind] = {"point": _f(point), "ci": cis, "sd": sd, "status": g.status, "reason": g.reason,
                         "warned": any(note.code in ("small_class", "smallest_class") for note in g.notes),
                         "undefined": g.tested.undefined_resamples}
        out["metrics"][m] = row
    dl = delong(y, [es.candidate.scores, es.baseline.scores], CONFIDENCE)
    out["delong"] = None if dl["auc"] is None else {
        "cand": [float(v) for v in dl["ci"][0]], "delta": [float(v) for v in dl["delta_ci"]]}
    return out


def power_rep(n: int, loss: float, rep: int, resamples: int, prevalence: float = 0.1) -> dict:
    pop = loss_population(prevalence, loss)
    es = draw(pop, n, _rng(2, n, int(loss * 1000), rep))
    policy = _policy([{"metric": m, "max_drop": 0} for m in METRICS], method="percentile", resamples=resamples)
    report = evaluate(policy, es, seed=rep)
    return {"study": "power", "n": n, "prevalence": prevalence, "loss": loss, "rep": rep, "resamples": resamples,
            "truth": {m: pop.truth_delta[m] for m in METRICS},
            "status": {g.metric: g.status for g in report.gates},
            "point": {g.metric: _f(g.tested.value) for g in report.gates},
            "upper": {g.metric: None if g.tested.ci is None else _f(g.tested.ci[1]) for g in report.gates}}


def fwer_rep(n: int, rep: int, resamples: int) -> dict:
    pop = MulticlassPopulation(FWER_CLASSES, FWER_ACCURACY)
    es = pop.draw(n, _rng(3, n, rep))
    classes = list(es.classes)
    out = {"study": "fwer", "n": n, "rep": rep, "resamples": resamples, "k": FWER_CLASSES, "results": {}}
    es_floor = type(es)(es.task, es.classes, es.candidate, None, "none")
    for design, evalset, gate in (("floor", es_floor, {"metric": "recall", "class": "*", "min": FWER_ACCURACY}),
                                  ("delta", es, {"metric": "recall", "class": "*", "max_drop": 0})):
        for mt in ("none", "bonferroni", "holm"):
            policy = _policy([gate], method="percentile", resamples=resamples, multiple_testing=mt,
                             task="multiclass", classes=classes)
            report = evaluate(policy, evalset, seed=rep)
            statuses = [g.status for g in report.gates]
            out["results"][f"{design}/{mt}"] = {"fails": statuses.count("fail"),
                                                "passes": statuses.count("pass")}
    return out


# ---------------------------------------------------------------------------------------------
# running


def _tasks(study: str, reps: int, sizes: tuple[int, ...]) -> list[tuple]:
    if study == "ece":
        return ece_study.tasks(reps, sizes)
    if study == "looks":
        return looks_study.tasks(reps)
    if study in issue16.REPS:
        return issue16.tasks(study, reps, sizes)
    if study == "coverage":
        return [(n, p, r) for n in sizes for p in PREVALENCES for r in range(reps)]
    if study == "power":
        return [(n, loss, r) for n in sizes for loss in POWER_LOSSES[n] for r in range(reps)]
    if study == "fwer":
        return [(n, r) for n in sizes for r in range(reps)]
    raise SystemExit(f"unknown study {study}")


def _key(study: str, rec: dict) -> tuple:
    if study == "sampling":
        return (rec["design"], rec["n"], rec["rep"])
    if study == "plan":
        return (rec["metric"], rec["rep"])
    if study == "ece":
        return (rec.get("design", "binary"), rec["k"], rec["n"], rec["rep"])
    if study == "looks":
        return (rec["metric"], rec["confidence"], rec["rep"])
    if study in ("small_support", "flips", "cost"):
        return (rec["n"], rec["rep"])
    if study == "coverage":
        return (rec["n"], rec["prevalence"], rec["rep"])
    if study == "power":
        return (rec["n"], rec["loss"], rec["rep"])
    return (rec["n"], rec["rep"])


def _run_block(study: str, block: list[tuple], resamples: int, deadline: float) -> list[dict]:
    fn = {"coverage": coverage_rep, "power": power_rep, "fwer": fwer_rep, "ece": ece_study.ece_rep,
          "looks": looks_study.looks_rep, **issue16.REPS}[study]
    out = []
    for task in block:
        if time.time() > deadline:
            break
        t0 = time.process_time()
        rec = fn(*task, resamples)
        rec["cpu_s"] = round(time.process_time() - t0, 3)
        out.append(rec)
    return out


def run(study: str, reps: int, sizes: tuple[int, ...], resamples: int, workers: int, minutes: float,
        block: int) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{study}.jsonl"
    done = set()
    if path.exists():
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec.get("resamples") == resamples:
                done.add(_key(study, rec))
    todo = [t for t in _tasks(study, reps, sizes) if t not in done]
    # interleave replication indices across cells so a partial run covers every cell evenly
    todo.sort(key=lambda t: (t[-1] // block, t[:-1]))
    blocks = [todo[i:i + block] for i in range(0, len(todo), block)]
    deadline = time.time() + 60 * minutes
    start = time.time()
    written = 0
    print(f"{study}: {len(todo)} replications to run ({len(done)} already done), {len(blocks)} blocks",
          file=sys.stderr, flush=True)
    with ProcessPoolExecutor(max_workers=workers) as pool, path.open("a") as fh:
        futures = [pool.submit(_run_block, study, b, resamples, deadline) for b in blocks]
        for fut in as_completed(futures):
            for rec in fut.result():
                fh.write(json.dumps(rec, sort_keys=True) + "\n")
                written += 1
            fh.flush()
    print(f"{study}: wrote {written} replications in {time.time() - start:.0f} s", file=sys.stderr)


def load(study: str) -> list[dict]:
    path = RESULTS / f"{study}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m validation.validity")
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--study", choices=("coverage", "power", "fwer", "ece", "looks", *issue16.REPS), required=True)
    r.add_argument("--reps", type=int, default=500)
    r.add_argument("--sizes", default=None, help="comma-separated N values")
    r.add_argument("--resamples", type=int, default=1000)
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--minutes", type=float, default=40.0, help="stop starting new replications after this")
    r.add_argument("--block", type=int, default=10)
    sub.add_parser("report")
    args = parser.parse_args(argv)
    if args.cmd == "run":
        default = {"coverage": SIZES, "power": SIZES[:3], "fwer": FWER_SIZES}.get(args.study, ())
        sizes = default if args.sizes is None else tuple(int(s) for s in args.sizes.split(","))
        run(args.study, args.reps, sizes, args.resamples, args.workers, args.minutes, args.block)
        return 0
    from validation.validity_report import write_report
    write_report()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
