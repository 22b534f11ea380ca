"""Defect 5 of issue 16: degenerate intervals must not pass, and proportions at small support are
decided on score intervals (gate/inference/score.py), named in the report.

References: scipy's exact and Wilson binomial intervals (``binomtest(...).proportion_ci``); the
Newcombe paired interval rebuilt here from its published definition on scipy's Wilson intervals.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

import gate
from gate.inference.score import NewcombePaired
from gate.render import messages

ALPHA = 0.025


def _newcombe_reference(a: int, b: int, c: int, d: int, confidence: float) -> tuple[float, float]:
    """Newcombe (1998) method 10 from the paper's formulas, with scipy's Wilson intervals."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    w1 = binomtest(a + b, n).proportion_ci(confidence, method="wilson")
    w2 = binomtest(a + c, n).proportion_ci(confidence, method="wilson")
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        phi = 0.0
    else:
        num = a * d - b * c
        phi = (max(num - n / 2, 0) if num > 0 else num) / math.sqrt(margins)
    lo = p1 - p2 - math.sqrt((p1 - w1.low) ** 2 - 2 * phi * (p1 - w1.low) * (w2.high - p2) + (w2.high - p2) ** 2)
    hi = p1 - p2 + math.sqrt((w1.high - p1) ** 2 - 2 * phi * (w1.high - p1) * (p2 - w2.low) + (p2 - w2.low) ** 2)
    return lo, hi


@pytest.mark.parametrize("seed", range(40))
def test_newcombe_matches_its_definition_on_random_tables(seed):
    rng = np.random.default_rng(seed)
    a, b, c, d = (int(x) for x in rng.integers(0, [60, 8, 8, 40]))
    if a + b + c + d == 0:
        d = 1
    confidence = float(rng.choice([0.9, 0.95, 0.99]))
    got = NewcombePaired(a, b, c, d).interval(confidence)
    assert got == pytest.approx(_newcombe_reference(a, b, c, d, confidence), abs=1e-9)


@pytest.mark.parametrize(("cells", "t", "op"), [((40, 1, 6, 3), -0.02, ">="), ((40, 1, 6, 3), -0.2, ">="),
                                                ((30, 7, 0, 13), 0.05, "<="), ((5, 0, 0, 5), -0.3, ">=")])
def test_newcombe_p_value_is_the_level_where_the_end_reaches_the_bar(cells, t, op):
    ci = NewcombePaired(*cells)
    p = ci.p_value(t, op)
    for alpha in (0.001, 0.01, 0.025, 0.1, 0.3):
        misses = ci.upper(alpha) < t if op == ">=" else ci.lower(alpha) > t
        assert misses == (p < alpha), (alpha, p)


def test_candidate_proportions_use_the_exact_interval_and_the_report_names_it():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 300)
    pred = np.where(rng.uniform(size=300) < 0.8, y, 1 - y)
    report = gate.check_arrays([{"metric": "recall", "min": 0.7}, {"metric": "precision", "min": 0.7},
                                {"metric": "f1", "min": 0.7}], y, pred, n_resamples=400, seed=1)
    recall, precision, f1 = report.gates
    tp = int(np.sum((y == 1) & (pred == 1)))
    for g, n in ((recall, int(np.sum(y == 1))), (precision, int(np.sum(pred == 1)))):
        exact = binomtest(tp, n).proportion_ci(0.95, method="exact")
        assert g.interval_method == "clopper-pearson"
        assert g.candidate.ci == pytest.approx((exact.low, exact.high), abs=1e-12)
        assert g.to_dict()["interval_method"] == "clopper-pearson"
    assert f1.interval_method == "percentile"
    assert gate.Report.from_dict(report.to_dict()).gates[0].interval_method == "clopper-pearson"


def test_identical_models_do_not_pass_a_bootstrapped_delta():
    """Δprecision stays on the bootstrap; with identical predictions every replicate is 0, and
    [0, 0] used to pass any max_drop. It is inconclusive and says why."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    pred = np.where(rng.uniform(size=400) < 0.8, y, 1 - y)
    report = gate.check_arrays([{"metric": "precision", "max_drop": 0.01}], y, pred, baseline_pred=pred,
                               n_resamples=300, seed=2)
    g = report.gates[0]
    assert g.status == "inconclusive" and g.reason == "degenerate_resamples"
    assert (g.guard.resamples, g.guard.distinct) == (300, 1)
    assert "only 1 distinct value" in messages.message(g), messages.message(g)


def _rare_class_run(rng: np.random.Generator, seed: int) -> str:
    """About 10 positives; among them the candidate never wins and loses 10% of the baseline's hits:
    true Δrecall = −0.10, exactly at the bar ``max_drop: 0.1``."""
    n = 100
    y = (rng.uniform(size=n) < 0.1).astype(int)
    u = rng.uniform(size=n)
    base_hit = u < 0.9                       # the baseline finds 90% of the positives
    cand_hit = u < 0.8                       # the candidate misses 1/9 of those (0.8 of the positives)
    base = np.where(y == 1, base_hit.astype(int), (rng.uniform(size=n) < 0.05).astype(int))
    cand = np.where(y == 1, cand_hit.astype(int), base)
    if y.sum() == 0:
        return "inconclusive"
    report = gate.check_arrays([{"metric": "recall", "max_drop": 0.1}], y, cand, baseline_pred=base,
                               n_resamples=200, seed=seed)
    return report.gates[0].status


def test_paired_delta_recall_at_ten_positives_passes_at_most_alpha_when_the_truth_is_on_the_bar():
    """The bootstrap collapsed to [0, 0] whenever no discordant positive was drawn (≈ 35% of test
    sets here) and passed; Newcombe's interval keeps the width ten positives leave."""
    rng = np.random.default_rng(16)
    runs = 400
    passes = sum(_rare_class_run(rng, seed) == "pass" for seed in range(runs))
    bound = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / runs)
    assert passes / runs <= bound, f"{passes} of {runs} passed"


def test_newcombe_covers_a_paired_difference_at_small_n():
    """20 trials, true difference −0.1 (cells a, b, c, d = 0.7, 0.0, 0.1, 0.2): each end of the 95%
    interval misses on its side at most α + 3 MC s.e. (Newcombe is somewhat conservative here), where
    the bootstrap's [0, 0] (no discordant trial: 0.9²⁰ ≈ 12% of tables) alone misses more than that."""
    rng = np.random.default_rng(7)
    probs = [0.7, 0.0, 0.1, 0.2]
    below = above = 0
    runs = 2000
    for _ in range(runs):
        a, b, c, d = (int(x) for x in rng.multinomial(20, probs))
        lo, hi = NewcombePaired(a, b, c, d).interval(0.95)
        below += hi < -0.1
        above += lo > -0.1
    bound = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / runs)
    assert below / runs <= bound and above / runs <= bound, (below, above)
    assert (below + above) / runs <= 0.07
