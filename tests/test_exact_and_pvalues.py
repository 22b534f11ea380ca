"""Exact intervals and each method's own p-value (issue: verdicts you can bet a release on).

- Clopper–Pearson endpoints and p-values equal ``scipy.stats.binomtest``;
- label_coverage takes its place in the Holm family by its exact p-value: 500 of 1,000 rows labeled
  against ``min: 0.9`` fails wherever the gate stands in the policy (it was "inconclusive" when listed
  after a blocking gate that did not fail);
- each bootstrap method's p-value is the tail level where its own fail-side endpoint reaches the bar,
  so the Holm order agrees with the decisions (percentile, basic and BCa);
- BCa past its pole (1 − a(z0 + z) ≤ 0) gives the limit, not a wrapped-around level.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

import gate
from gate.inference.decide import Check, decide_all
from gate.inference.exact import ClopperPearson
from gate.inference.intervals import Distribution


@pytest.mark.parametrize("k, n", [(0, 1), (0, 10), (3, 10), (10, 10), (37, 40), (500, 1000), (999, 1000)])
def test_clopper_pearson_equals_scipy(k, n):
    exact = ClopperPearson(k, n)
    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    assert exact.interval(0.95) == pytest.approx((ci.low, ci.high), abs=1e-12)
    for t in (0.05, 0.5, 0.9, 0.97):
        assert exact.p_value(t, ">=") == pytest.approx(binomtest(k, n, t, alternative="less").pvalue, rel=1e-9, abs=1e-300)
        assert exact.p_value(t, "<=") == pytest.approx(binomtest(k, n, t, alternative="greater").pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("k, n", [(3, 10), (500, 1000), (990, 1000)])
def test_clopper_pearson_fails_exactly_when_its_p_value_is_below_alpha(k, n):
    exact = ClopperPearson(k, n)
    for t in np.linspace(0.01, 0.99, 99):
        for alpha in (0.025, 0.0125, 0.001):
            assert (exact.upper(alpha) < t) == (exact.p_value(t, ">=") < alpha)
            assert (exact.lower(alpha) > t) == (exact.p_value(t, "<=") < alpha)


def _coverage_policy(coverage_first: bool) -> dict:
    gates = [{"metric": "accuracy", "min": 0.5}, {"metric": "recall", "min": 0.5}]
    coverage = {"metric": "label_coverage", "min": 0.9}
    return {"version": 1, "name": "order", "task": "binary", "positive_class": "1",
            "bootstrap": {"resamples": 400, "seed": 2}, "decision": {"inconclusive": "warn"},
            "gates": [coverage] + gates if coverage_first else gates + [coverage]}


@pytest.mark.parametrize("coverage_first", [True, False])
def test_label_coverage_fails_wherever_it_stands_in_the_policy(coverage_first):
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 1000)
    pred = np.where(rng.uniform(size=1000) < 0.52, y, 1 - y)          # accuracy ~0.52: straddles 0.5
    labels = [str(v) if i % 2 == 0 else "" for i, v in enumerate(y)]  # 500 of 1,000 rows labeled
    report = gate.check(_coverage_policy(coverage_first),
                        candidate={"id": list(range(1000)), "label": labels, "prediction": pred.tolist()})
    coverage = next(g for g in report.gates if g.metric == "label_coverage")
    assert coverage.status == "fail" and report.verdict == "fail"
    assert coverage.p_value == pytest.approx(binomtest(500, 1000, 0.9, alternative="less").pvalue, rel=1e-9)
    assert coverage.needed_n is None


def _replicates(seed: int, skew: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 0.7 + 0.02 * rng.standard_normal(3000) + skew * rng.exponential(0.02, 3000)


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
@pytest.mark.parametrize("seed", range(3))
def test_each_method_p_value_agrees_with_its_own_endpoint(method, seed):
    reps = _replicates(seed, skew=1.5)
    acceleration = 0.08 if method == "bca" else 0.0
    dist = Distribution(0.72, reps, 0, method, acceleration)
    disagree = 0
    for t in np.linspace(0.66, 0.80, 57):
        for op in (">=", "<="):
            p = dist.p_value(t, op)
            for alpha in (0.025, 0.005):
                misses = dist.upper(alpha) < t if op == ">=" else dist.lower(alpha) > t
                # the endpoint interpolates between replicates: allow disagreement only at the boundary
                if misses != (p < alpha) and abs(p - alpha) > 2.0 / reps.size:
                    disagree += 1
    assert disagree == 0


def test_holm_orders_basic_gates_by_their_basic_p_values():
    """Two gates whose percentile and basic p-values rank them in opposite orders: Holm must use the
    basic ones (the method that decides them)."""
    rng = np.random.default_rng(0)
    skewed = 0.5 + 0.03 * rng.exponential(1.0, 4000)            # long right tail: reflection matters
    symmetric = 0.5 + 0.012 * rng.standard_normal(4000)
    checks = [Check(Distribution(float(np.median(r)), r, 0, "basic"), "<=", t, True, 1000)
              for r, t in ((skewed, 0.5), (symmetric, 0.48))]
    p_pct = [c.distribution.share_beyond(c.threshold, c.op) for c in checks]
    p_basic = [c.distribution.p_value(c.threshold, c.op) for c in checks]
    assert p_pct[0] < p_pct[1] and p_basic[0] > p_basic[1]
    decisions = decide_all(checks, 0.95, "holm")
    assert [d.p_value for d in decisions] == p_basic
    assert [d.fail_alpha for d in decisions] == pytest.approx([0.025, 0.0125])   # the basic order: gate 2 first


def test_bca_past_its_pole_gives_the_limit():
    reps = _replicates(1, skew=0.0)
    dist = Distribution(float(np.mean(reps)), reps, 0, "bca", acceleration=0.45)   # 1 - a(z0 + 2.81) < 0
    assert dist.upper(0.0025) == pytest.approx(float(reps.max()))
    assert dist.lower(0.0025) <= dist.lower(0.025) <= dist.upper(0.025) <= dist.upper(0.0025)


def test_bca_p_value_past_its_pole_agrees_with_the_endpoint():
    """Where 1 + a(z_F − z0) ≤ 0 (a large acceleration and a bar far below the replicates) no tail
    level puts the BCa endpoint on the bar: it misses at every level, so the p-value is 0, not the
    percentile share (0.0013 here, which would say "not failed at α = 0.001" while the endpoint
    fails there); a bar it never misses gets 1."""
    reps = _replicates(1, skew=0.0)
    dist = Distribution(float(np.mean(reps)), reps, 0, "bca", acceleration=0.45)
    for t, op in ((0.60, "<="), (0.64, "<="), (0.64, ">="), (0.60, ">=")):
        p = dist.p_value(t, op)
        for alpha in (1e-4, 1e-3, 0.01, 0.025):
            misses = dist.upper(alpha) < t if op == ">=" else dist.lower(alpha) > t
            assert misses == (p < alpha), (t, op, alpha, p)
    assert dist.p_value(0.64, "<=") == 0.0 and dist.p_value(0.64, ">=") == 1.0


def test_holm_orders_bca_gates_by_their_bca_p_values():
    """Two BCa gates whose percentile and BCa p-values rank them in opposite orders: Holm uses the
    BCa ones (the endpoint that decides them), so the step-down's α/m goes to the BCa-smaller one."""
    reps = 0.5 + 0.012 * np.random.default_rng(0).standard_normal(4000)
    centre = float(np.median(reps))
    checks = [Check(Distribution(centre, reps, 0, "bca", -0.1), "<=", 0.475, True, 1000),
              Check(Distribution(centre, reps, 0, "bca", 0.1), "<=", 0.48, True, 1000)]
    p_pct = [c.distribution.share_beyond(c.threshold, c.op) for c in checks]
    p_bca = [c.distribution.p_value(c.threshold, c.op) for c in checks]
    assert p_pct[0] < p_pct[1] and p_bca[0] > p_bca[1]
    decisions = decide_all(checks, 0.95, "holm")
    assert [d.p_value for d in decisions] == p_bca
    assert [d.fail_alpha for d in decisions] == pytest.approx([0.025, 0.0125])   # the BCa order: gate 2 first
