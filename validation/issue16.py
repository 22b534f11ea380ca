"""The validity studies of issue 16 (docs/validity.md §10–§12): small-support intervals, the sampling
design, and flip gates. Same machinery as :mod:`validation.validity` (known population truth, the real
engine, one JSON line per replication in ``validation/results/<study>.jsonl``).

- ``small_support`` (§10, defect 5): prevalence 0.05, N = 100 … 2,000 (≈ 5 … 100 positives),
  paired against an exactly-as-good baseline. Gates with the truth on the bar: recall ``min: <true>``
  (Clopper–Pearson), ``max_drop: 0`` on recall and accuracy (Newcombe) and on F1 and Brier
  (bootstrap, degenerate guard). Each replication also records what the percentile bootstrap alone
  would have decided from the same replicates (the rule before this issue), for comparison.
- ``sampling`` (§11, defect 3): N = 1,000 and 4,000, prevalence 0.05; test sets drawn i.i.d. or with exactly
  N·π positives, each evaluated under ``sampling: iid`` and ``sampling: stratified``; candidate
  floors/ceilings at the true F1, balanced accuracy, AP and Brier.
- ``flips`` (§12): paired test sets from the same population; ``max:`` at the true
  negative/positive flip rates and churn (Clopper–Pearson).
- ``plan`` (§14): ``model-gate plan``'s figures for an accuracy (Clopper–Pearson) and an F1
  (bootstrap) floor, from one straddling test set, then fresh test sets drawn at its "passes from"
  and "fails from" values (same n) and at its needed n (truth = the estimate): the share of them that
  pass, fail and decide, against the nominal 80%.
- ``cost`` (§13): prevalence 0.1, a miss costing 50 and a false alarm 5; ``expected_cost`` ceiling at
  its true value and ``max_drop: 0`` against the equally good baseline.

    nice python -m validation.validity run --study small_support --reps 400 --resamples 1000
"""

from __future__ import annotations

from functools import cache

import numpy as np

from gate.engine import evaluate
from gate.inference.intervals import Distribution
from validation.population import Population, _side, binary_population, draw

SMALL_SIZES = (100, 200, 400, 1_000, 2_000)
SMALL_PREVALENCE = 0.05
SAMPLING_SIZES = (1_000, 4_000)
SAMPLING_PREVALENCE = 0.05
FLIP_SIZES = (200, 1_000, 5_000)
FLIP_PREVALENCE = 0.1
CONFIDENCE = 0.95
ALPHA = (1 - CONFIDENCE) / 2
FLIP_METRICS = ("negative_flip_rate", "positive_flip_rate", "churn")


@cache
def population(prevalence: float) -> Population:
    return binary_population(prevalence)


@cache
def extra_truth(prevalence: float) -> dict[str, float]:
    """Population values the study needs beyond validation.population's: Brier, accuracy and the
    flip rates (candidate vs baseline)."""
    pop = population(prevalence)
    w = pop.prob
    pc, pb = pop.pred(pop.score_c), pop.pred(pop.score_b)
    right_c, right_b = pc == pop.y, pb == pop.y
    return {"brier": float(np.sum(w * (pop.score_c - pop.y) ** 2)),
            "accuracy": float(np.sum(w * right_c)),
            "negative_flip_rate": float(np.sum(w * (right_b & ~right_c))),
            "positive_flip_rate": float(np.sum(w * (~right_b & right_c))),
            "churn": float(np.sum(w * (pc != pb)))}


def _rng(*key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(key))))


def _policy(gates: list[dict], resamples: int, sampling: str = "iid"):
    from validation.validity import _policy as base_policy
    policy = base_policy(gates, method="percentile", resamples=resamples)
    import dataclasses
    return dataclasses.replace(policy, bootstrap=dataclasses.replace(policy.bootstrap, sampling=sampling))


def _old_rule(g) -> str | None:
    """What the percentile bootstrap alone decided from these replicates (no score interval, no
    degenerate guard): the rule before issue 16."""
    reps = np.asarray(g.distribution, dtype=np.float64)
    if g.tested.value is None or reps.size < 2:
        return None
    d = Distribution(g.tested.value, reps, 0, "percentile")
    lo, hi = d.lower(ALPHA), d.upper(ALPHA)
    clears = lo >= g.threshold if g.op == ">=" else hi <= g.threshold
    misses = hi < g.threshold if g.op == ">=" else lo > g.threshold
    return "pass" if clears else ("fail" if misses else "inconclusive")


def _row(g, truth: float) -> dict:
    ci = g.tested.ci
    return {"status": g.status, "reason": g.reason, "method": g.interval_method, "old": _old_rule(g),
            "warned": any(note.code in ("small_class", "smallest_class") for note in g.notes),
            "covered": None if ci is None else bool(ci[0] - 1e-12 <= truth <= ci[1] + 1e-12)}


SMALL_GATES = (("recall", "min"), ("recall", "max_drop"), ("accuracy", "max_drop"), ("f1", "max_drop"),
               ("brier", "max_drop"))


def small_support_rep(n: int, rep: int, resamples: int) -> dict:
    pop = population(SMALL_PREVALENCE)
    es = draw(pop, n, _rng(10, n, rep))
    gates = [{"metric": m, bar: (float(pop.truth_c[m]) if bar == "min" else 0)} for m, bar in SMALL_GATES]
    report = evaluate(_policy(gates, resamples), es, seed=rep)
    out = {"study": "small_support", "n": n, "rep": rep, "resamples": resamples,
           "positives": int(es.candidate.y.sum()), "gates": {}}
    for (m, bar), g in zip(SMALL_GATES, report.gates):
        out["gates"][f"{m}/{bar}"] = _row(g, float(pop.truth_c[m]) if bar == "min" else 0.0)
    return out


def _draw_stratified(pop: Population, n: int, positives: int, rng: np.random.Generator):
    """A test set with exactly ``positives`` positives, each class drawn i.i.d. from its own cells."""
    cells = []
    for label, count in ((1, positives), (0, n - positives)):
        idx = np.flatnonzero(pop.y == label)
        p = pop.prob[idx] / pop.prob[idx].sum()
        cells.append(np.repeat(idx, rng.multinomial(count, p)))
    c = np.concatenate(cells)
    y, s = pop.y[c], pop.score_c[c]
    from gate.data.align import EvalSet
    return EvalSet("binary", ("negative", "positive"), _side("candidate", y, pop.pred(s), s), None, "none")


SAMPLING_GATES = (("f1", "min"), ("balanced_accuracy", "min"), ("average_precision", "min"), ("brier", "max"))


def sampling_rep(design: str, n: int, rep: int, resamples: int) -> dict:
    pop = population(SAMPLING_PREVALENCE)
    rng = _rng(11, 0 if design == "iid" else 1, n, rep)
    if design == "iid":
        es = draw(pop, n, rng)
        es = type(es)(es.task, es.classes, es.candidate, None, "none")
    else:
        es = _draw_stratified(pop, n, round(n * SAMPLING_PREVALENCE), rng)
    truth = {**pop.truth_c, **extra_truth(SAMPLING_PREVALENCE)}
    gates = [{"metric": m, bar: float(truth[m])} for m, bar in SAMPLING_GATES]
    out = {"study": "sampling", "design": design, "n": n, "rep": rep, "resamples": resamples, "results": {}}
    for sampling in ("iid", "stratified"):
        report = evaluate(_policy(gates, resamples, sampling), es, seed=rep)
        out["results"][sampling] = {m: _row(g, float(truth[m])) for (m, _), g in zip(SAMPLING_GATES, report.gates)}
    return out


def flips_rep(n: int, rep: int, resamples: int) -> dict:
    pop = population(FLIP_PREVALENCE)
    es = draw(pop, n, _rng(12, n, rep))
    truth = extra_truth(FLIP_PREVALENCE)
    gates = [{"metric": m, "max": float(truth[m])} for m in FLIP_METRICS]
    report = evaluate(_policy(gates, resamples), es, seed=rep)
    return {"study": "flips", "n": n, "rep": rep, "resamples": resamples,
            "gates": {m: _row(g, float(truth[m])) for m, g in zip(FLIP_METRICS, report.gates)}}


COST_SIZES = (500, 2_000, 10_000)
COST_PREVALENCE = 0.1
COSTS = {"fn": 50.0, "fp": 5.0}


def cost_truth(prevalence: float) -> float:
    pop = population(prevalence)
    pred = pop.pred(pop.score_c)
    cost = np.where((pop.y == 1) & (pred == 0), COSTS["fn"], np.where((pop.y == 0) & (pred == 1), COSTS["fp"], 0.0))
    return float(np.sum(pop.prob * cost))


def cost_rep(n: int, rep: int, resamples: int) -> dict:
    pop = population(COST_PREVALENCE)
    es = draw(pop, n, _rng(13, n, rep))
    truth = cost_truth(COST_PREVALENCE)
    gates = [{"metric": "expected_cost", "costs": COSTS, "max": truth},
             {"metric": "expected_cost", "costs": COSTS, "max_drop": 0}]
    report = evaluate(_policy(gates, resamples), es, seed=rep)
    return {"study": "cost", "n": n, "rep": rep, "resamples": resamples,
            "gates": {"max": _row(report.gates[0], truth), "max_drop": _row(report.gates[1], 0.0)}}


PLAN_CASES = {"accuracy": (0.815, 600), "f1": (0.74, 1_500)}     # (first test set's truth, n)
PLAN_BAR = {"accuracy": 0.80, "f1": 0.70}


def _plan_draw(metric: str, truth: float, n: int, seed: int, resamples: int):
    """A binary test set of n whose population accuracy (or F1, with prevalence 0.3 and recall 0.8)
    is ``truth``, gated at PLAN_BAR; its report."""
    import gate
    rng = _rng(14, seed)
    if metric == "accuracy":
        y = rng.integers(0, 2, n)
        pred = np.where(rng.uniform(size=n) < truth, y, 1 - y)
    else:
        tp, fn = 0.3 * 0.8, 0.3 * 0.2
        fp = 2 * tp / truth - 2 * tp - fn
        counts = rng.multinomial(n, [tp, fn, fp, 1 - tp - fn - fp])
        y, pred = np.repeat([1, 1, 0, 0], counts), np.repeat([1, 0, 1, 0], counts)
    return gate.check_arrays({"metric": metric, "min": PLAN_BAR[metric]}, y, pred, n_resamples=resamples, seed=seed)


@cache
def plan_figures(metric: str, resamples: int):
    """The plan of the first test set (seed 0, or the first seed whose gate straddles the bar, so that
    the needed n is above n)."""
    from gate.inference.planning import plan_report
    truth, n = PLAN_CASES[metric]
    for seed in range(50):
        report = _plan_draw(metric, truth, n, seed, resamples)
        if report.gates[0].status == "inconclusive":
            return plan_report(report).gates[0]
    raise RuntimeError(f"no straddling {metric} test set")


def plan_rep(metric: str, rep: int, resamples: int) -> dict:
    g = plan_figures(metric, resamples)
    n = PLAN_CASES[metric][1]
    seed = 1000 + rep
    return {"study": "plan", "metric": metric, "rep": rep, "resamples": resamples, "n": n,
            "needed_n": g.needed_n, "estimate": g.estimate, "pass_from": g.pass_from, "fail_from": g.fail_from,
            "at_pass_from": _plan_draw(metric, g.pass_from, n, seed, resamples).gates[0].status,
            "at_fail_from": _plan_draw(metric, g.fail_from, n, seed + 100_000, resamples).gates[0].status,
            "at_needed_n": _plan_draw(metric, g.estimate, g.needed_n, seed + 200_000, resamples).gates[0].status}


def tasks(study: str, reps: int, sizes: tuple[int, ...] | None) -> list[tuple]:
    if study == "small_support":
        return [(n, r) for n in (sizes or SMALL_SIZES) for r in range(reps)]
    if study == "sampling":
        return [(d, n, r) for d in ("iid", "stratified") for n in (sizes or SAMPLING_SIZES) for r in range(reps)]
    if study == "cost":
        return [(n, r) for n in (sizes or COST_SIZES) for r in range(reps)]
    if study == "plan":
        return [(m, r) for m in PLAN_CASES for r in range(reps)]
    return [(n, r) for n in (sizes or FLIP_SIZES) for r in range(reps)]


REPS = {"small_support": small_support_rep, "sampling": sampling_rep, "flips": flips_rep, "cost": cost_rep,
        "plan": plan_rep}
