"""A fast, deterministic subset of the validity study (docs/validity.md), run in CI.

Each check draws test sets from a population with known metric values and runs the real engine. The
tolerances are Monte-Carlo errors: a coverage (or false-fail rate) estimated from R replications has
binomial standard error √(p(1−p)/R); a check fails when the estimate is more than 3 SE on the wrong
side of its nominal value. Seeds are fixed, so the outcome is reproducible, not flaky.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gate.engine import evaluate  # noqa: E402
from gate.inference.intervals import Distribution  # noqa: E402
from gate.report.notes import SMALL_SUPPORT, SMALL_SUPPORT_RANKING  # noqa: E402
from validation.delong import delong  # noqa: E402
from validation.population import METRICS, MulticlassPopulation, draw  # noqa: E402
from validation.validity import _policy, _rng, coverage_policy, null_population  # noqa: E402

ALPHA_HALF = 0.025


def se(p: float, r: int) -> float:
    return math.sqrt(p * (1 - p) / r)


def test_percentile_and_basic_from_the_bca_run_equal_what_evaluate_reports():
    """The study computes percentile/basic intervals from the replicates of one method: bca run.
    That is exact: the resamples depend only on the seed, and each method's interval is what
    evaluate() itself reports for that method."""
    pop = null_population(0.1)
    es = draw(pop, 600, _rng(9, 1))
    reports = {m: evaluate(coverage_policy(pop.truth_c, method=m, resamples=300), es, seed=11)
               for m in ("bca", "percentile", "basic")}
    compared = 0
    for i, g in enumerate(reports["bca"].gates):
        reps = np.asarray(g.distribution)
        for method in ("percentile", "basic"):
            other = reports[method].gates[i]
            assert np.array_equal(np.asarray(other.distribution), reps)
            if g.tested.value is None:
                continue
            if other.interval_method != method:       # recall: decided on score intervals, whatever the method
                assert other.interval_method in ("clopper-pearson", "newcombe") and g.metric == "recall", g.id
                assert other.tested.ci == g.tested.ci
                continue
            lo, hi = Distribution(g.tested.value, reps, 0, method).interval(0.95)
            assert other.tested.ci == pytest.approx((lo, hi), abs=1e-15), (g.id, method)
            compared += 1
    assert compared == 2 * (len(reports["bca"].gates) - 2)


def _study(prevalence: float, n: int, reps: int, resamples: int, stream: int) -> tuple[dict, dict]:
    pop = null_population(prevalence)
    covered = {(m, k): 0 for m in METRICS for k in ("cand", "delta")}
    false_fail = dict.fromkeys(covered, 0)
    policy = coverage_policy(pop.truth_c, method="percentile", resamples=resamples)
    for r in range(reps):
        report = evaluate(policy, draw(pop, n, _rng(stream, r)), seed=r)
        for i, m in enumerate(METRICS):
            for kind, g, truth in (("cand", report.gates[2 * i], pop.truth_c[m]), ("delta", report.gates[2 * i + 1], 0.0)):
                lo, hi = g.tested.ci
                covered[(m, kind)] += lo <= truth <= hi
                false_fail[(m, kind)] += g.status == "fail"
    return covered, false_fail


def _mean_false_fail(false_fail: dict, kind: str, reps: int) -> float:
    """Mean over the six metrics. Their indicators are positively correlated, so the s.e. of the mean
    is at most that of one metric (R replications, not 6R): the bound below is conservative."""
    return sum(false_fail[(m, kind)] for m in METRICS) / (len(METRICS) * reps)


def test_coverage_and_false_fail_rate_with_1000_positives():
    """N = 2000 at prevalence 0.5: per metric, the 95% percentile interval covers the true value (and
    the true delta 0 against an exactly-as-good baseline) in ≥ 95% − 3 SE of runs, and a gate at its
    true bar fails in ≤ 2.5% + 3 SE of runs (mean over the six metrics)."""
    reps = 120
    covered, false_fail = _study(0.5, 2000, reps, 300, 8)
    for key, count in covered.items():
        assert count / reps >= 0.95 - 3 * se(0.95, reps), (key, count / reps)
    for kind in ("cand", "delta"):
        assert _mean_false_fail(false_fail, kind, reps) <= ALPHA_HALF + 3 * se(ALPHA_HALF, reps), (kind, false_fail)


def test_false_fail_rate_with_200_positives():
    """N = 2000 at prevalence 0.1 (≈200 positives, above the warning threshold): the acceptance
    criterion, false fails ≤ 2.5% + 3 SE. (Coverage is not asserted here: with ≈200 positives the
    percentile interval of a ROC-AUC near 0.96 covers only ≈ 0.90, missing on the *pass* side; see
    docs/validity.md §2.)"""
    reps = 120
    _, false_fail = _study(0.1, 2000, reps, 300, 4)
    for kind in ("cand", "delta"):
        assert _mean_false_fail(false_fail, kind, reps) <= ALPHA_HALF + 3 * se(ALPHA_HALF, reps), (kind, false_fail)


def test_holm_keeps_the_family_wise_false_fail_rate_of_20_class_gates():
    """20 per-class recall floors, every class exactly at its bar (N = 2000, 100 per class): with holm
    the chance that any gate fails is ≤ 5% (+3 SE); without correction it is far larger (≈ 1 − 0.975^20)."""
    pop = MulticlassPopulation(20, 0.8)
    reps = 100
    any_fail = {"none": 0, "holm": 0}
    for r in range(reps):
        es = pop.draw(2000, _rng(7, r))
        es = type(es)(es.task, es.classes, es.candidate, None, "none")
        for mt in any_fail:
            policy = _policy([{"metric": "recall", "class": "*", "min": 0.8}], method="percentile", resamples=300,
                             multiple_testing=mt, task="multiclass", classes=list(es.classes))
            any_fail[mt] += any(g.status == "fail" for g in evaluate(policy, es, seed=r).gates)
    assert any_fail["holm"] / reps <= 0.05 + 3 * se(0.05, reps)
    assert any_fail["none"] / reps >= 0.40 - 3 * se(0.40, reps)


def test_delong_matches_sklearn_auc_and_covers_an_equal_pair():
    from sklearn.metrics import roc_auc_score
    pop = null_population(0.1)
    es = draw(pop, 3000, _rng(6, 0))
    y, s_c, s_b = es.candidate.y, es.candidate.scores, es.baseline.scores
    out = delong(y, [s_c, s_b])
    assert out["auc"] == pytest.approx([roc_auc_score(y, s_c), roc_auc_score(y, s_b)], abs=1e-12)
    lo, hi = out["delta_ci"]
    assert lo < out["delta"] < hi and hi - lo < 0.05


def test_small_support_note_follows_the_calibrated_rule():
    """The report warns exactly when the smaller side of the gated class's one-vs-rest split has fewer
    than SMALL_SUPPORT examples (SMALL_SUPPORT_RANKING for AP / PR-AUC / ROC-AUC); a whole-matrix
    metric (balanced accuracy, ...) warns when the subset's smallest class is below SMALL_SUPPORT."""
    pop = null_population(0.01)
    policy = coverage_policy(pop.truth_c, method="percentile", resamples=200)
    seen = set()
    for n in (2000, 15000, 40000):
        es = draw(pop, n, _rng(5, n))
        smallest = int(np.bincount(es.candidate.y, minlength=es.n_classes).min())
        report = evaluate(policy, es, seed=1)
        for g in report.gates:
            warned = any(note.code in ("small_class", "smallest_class") for note in g.notes)
            limit = SMALL_SUPPORT_RANKING if g.metric in ("average_precision", "pr_auc", "roc_auc") else SMALL_SUPPORT
            if g.support is None:           # whole-matrix metrics: the rarest class sets the regime
                assert warned == (smallest < limit), (g.id, smallest, g.notes)
                seen.add((g.metric, warned))
                continue
            minority = min(g.support, g.n - g.support)
            assert warned == (minority < limit), (g.id, g.support, g.notes)
            seen.add((g.metric, warned))
    assert ("roc_auc", True) in seen and ("roc_auc", False) in seen and ("recall", False) in seen
    assert ("balanced_accuracy", True) in seen and ("balanced_accuracy", False) in seen


def test_docs_validity_is_generated_from_the_committed_summary():
    """docs/validity.md is exactly what `python -m validation.validity report` renders from
    validation/results/summary.json (so tables and prose cannot drift from the data)."""
    import json

    from validation.validity_text import render
    summary = json.loads((ROOT / "validation" / "results" / "summary.json").read_text())
    assert (ROOT / "docs" / "validity.md").read_text(encoding="utf-8") == render(summary), \
        "docs/validity.md is stale: run python -m validation.validity report"


def test_issue16_study_reps_record_what_the_engine_decided():
    """One replication of each issue-16 study (validation/issue16.py): every gate row names its
    interval, and where the bootstrap decided an unguarded gate, the recorded 'before' rule (the
    percentile bootstrap from the same replicates) is the engine's own decision."""
    from validation import issue16

    rec = issue16.small_support_rep(2_000, 0, 300)
    assert set(rec["gates"]) == {f"{m}/{b}" for m, b in issue16.SMALL_GATES}
    methods = {k: g["method"] for k, g in rec["gates"].items()}
    assert methods == {"recall/min": "clopper-pearson", "recall/max_drop": "newcombe",
                       "accuracy/max_drop": "newcombe", "f1/max_drop": "percentile", "brier/max_drop": "percentile"}
    for key in ("f1/max_drop", "brier/max_drop"):
        g = rec["gates"][key]
        if g["reason"] in ("clears_bar", "misses_bar", "straddles_bar"):
            assert g["old"] == g["status"], key
    samp = issue16.sampling_rep("stratified", 1_000, 0, 200)
    assert set(samp["results"]) == {"iid", "stratified"}
    flips = issue16.flips_rep(500, 0, 100)
    assert all(g["method"] == "clopper-pearson" for g in flips["gates"].values())
    truth = issue16.extra_truth(issue16.FLIP_PREVALENCE)
    assert truth["churn"] >= truth["negative_flip_rate"] + truth["positive_flip_rate"] - 1e-12
