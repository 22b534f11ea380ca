"""The shared decision stage (gate/inference/gate_results.py), its series arithmetic (gate/inference/series.py) and guards
(gate/inference/guards.py), tested directly on hand-made series: the classification and ranking tasks both
reach their GateResults through it."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gate
from gate.inference.decide import Check, decide_all
from gate.inference.gate_results import Fixed, Measured, decide_gates, pending
from gate.inference.guards import DEGENERATE_VALUES
from gate.inference.intervals import Distribution
from gate.inference.series import Series, combine, distribution, estimate
from gate.metrics.compiler import Target
from gate.policy.expand import Expanded, bar_rule
from gate.report.model import Guard

POLICY = {"version": 1, "name": "t", "task": "binary", "positive_class": "1",
          "decision": {"multiple_testing": "holm"},
          "gates": [{"metric": "recall", "min": 0.5}, {"metric": "accuracy", "max_drop": 0.02},
                    {"metric": "precision", "min": 0.5, "severity": "warning"}]}


def policy(**bootstrap):
    doc = dict(POLICY, bootstrap={"resamples": 2000, **bootstrap})
    return gate.load_policy(doc)


def expanded(pol, i: int) -> Expanded:
    spec = pol.gates[i]
    quantity, op, threshold = bar_rule(spec)
    return Expanded(spec, Target(spec.metric, None, None, {}), spec.metric, spec.metric, None, None,
                    quantity, op, threshold)


def normal(center: float, sd: float, seed: int, n: int = 2000) -> Series:
    reps = center + sd * np.random.default_rng(seed).standard_normal(n)
    return Series(center, False, reps, np.zeros(n, bool))


def test_combine_is_the_elementwise_delta_and_relative_delta() -> None:
    c, b = normal(0.8, 0.02, 1), normal(0.7, 0.02, 2)
    b.reps_undefined[3] = True
    d, r = combine("delta", c, b), combine("relative_delta", c, b)
    assert d.point == pytest.approx(0.1) and r.point == pytest.approx(0.1 / 0.7)
    np.testing.assert_array_equal(d.reps, c.reps - b.reps)
    np.testing.assert_array_equal(r.reps, (c.reps - b.reps) / b.reps)
    assert d.reps_undefined.tolist() == b.reps_undefined.tolist()
    zero = Series(0.0, False, np.zeros(4), np.zeros(4, bool))
    over_zero = combine("relative_delta", Series(0.5, False, np.ones(4), np.zeros(4, bool)), zero)
    assert over_zero.point_undefined and over_zero.reps_undefined.all()
    assert combine("candidate", c, None) is c


def test_estimate_is_the_percentile_interval_of_the_defined_replicates() -> None:
    s = normal(0.5, 0.1, 3)
    s.reps_undefined[:10] = True
    e = estimate(s, "percentile", 0.9, None)
    defined = s.reps[10:]
    assert e.ci == (pytest.approx(np.quantile(defined, 0.05)), pytest.approx(np.quantile(defined, 0.95)))
    assert e.undefined_resamples == 10 and e.value == 0.5
    assert estimate(Series(math.nan, True, s.reps, s.reps_undefined), "percentile", 0.9, None).value is None
    assert distribution(s, "percentile", None).replicates.size == defined.size


def test_the_stage_decides_like_decide_all_on_the_same_checks() -> None:
    """Holm over the blocking gates (the warning gate is outside the family); each GateResult's
    status, adjusted interval and p-value are decide_all's on the checks the stage formed."""
    pol = policy()
    gates = [expanded(pol, i) for i in range(3)]
    measured = [Measured(gates[0], normal(0.52, 0.02, 4), None, 500),
                Measured(gates[1], normal(0.80, 0.01, 5), normal(0.86, 0.01, 6), 500),
                Measured(gates[2], normal(0.45, 0.02, 7), None, 500)]
    results = decide_gates(pol, measured)
    checks = [pending(pol, m, None).check for m in measured]
    assert [c.blocking for c in checks] == [True, True, False]
    expected = decide_all(checks, 0.95, "holm")
    assert [r.status for r in results] == [d.status for d in expected]
    assert [r.tested.ci for r in results] == [d.ci for d in expected]
    assert [r.p_value for r in results] == [d.p_value for d in expected]
    assert results[1].delta is not None and results[1].delta.value == pytest.approx(-0.06)
    assert results[1].status == "fail" and results[1].confidence == pytest.approx(1 - 0.05 / 2)


def test_a_comparative_gate_without_baseline_measures_nothing_and_only_warns() -> None:
    pol = policy()
    [r] = decide_gates(pol, [Measured(expanded(pol, 1), normal(0.8, 0.01, 8), None, 500, smallest=40)])
    assert (r.status, r.reason, r.severity, r.n, r.delta, r.baseline) == (
        "inconclusive", "no_baseline", "warning", 0, None, None)
    [flip] = decide_gates(pol, [Measured(expanded(pol, 0), None, None, 500)])
    assert flip.reason == "no_baseline" and flip.candidate.value is None


def test_guards_force_inconclusive() -> None:
    pol = policy()
    g = expanded(pol, 0)
    few = Series(0.6, False, np.repeat(np.arange(DEGENERATE_VALUES - 1) / 10 + 0.6, 500),
                 np.zeros(500 * (DEGENERATE_VALUES - 1), bool))
    assert pending(pol, Measured(g, few, None, 500), None).check.forced == Guard(
        "degenerate_resamples", resamples=500 * (DEGENERATE_VALUES - 1), distinct=DEGENERATE_VALUES - 1)
    enough = Series(0.6, False, np.repeat(np.arange(DEGENERATE_VALUES) / 10 + 0.6, 400), np.zeros(2000, bool))
    assert pending(pol, Measured(g, enough, None, 500), None).check.forced is None
    s = normal(0.6, 0.01, 9)
    s.reps_undefined[:100] = True        # 5% > max_undefined_fraction 1%
    assert pending(pol, Measured(g, s, None, 500), None).check.forced == Guard(
        "undefined_resamples", undefined=100, resamples=s.reps_undefined.size)
    empty = pending(pol, Measured(g, normal(0.6, 0.01, 9), None, 0, empty="queries"), None)
    assert empty.check.forced == Guard("no_examples", "queries")


def test_a_fixed_check_joins_the_family_and_builds_its_own_result() -> None:
    """A Fixed gate (label coverage's exact interval) counts in Holm's m: with two failing blocking
    gates the first fails at α/2, which a family of one would not have required."""
    pol = policy()
    g = expanded(pol, 0)
    seen = []

    def result(d):
        seen.append(d)
        return decide_gates(pol, [Measured(g, normal(0.6, 0.01, 1), None, 500)])[0]

    fixed = Fixed(Check(Distribution(0.3, 0.3 + 0.01 * np.random.default_rng(0).standard_normal(2000), 0,
                                     "percentile"), ">=", 0.5, True, 100), result)
    results = decide_gates(pol, [fixed, Measured(g, normal(0.4, 0.02, 2), None, 500)])
    assert seen[0].status == "fail" and results[1].status == "fail"
    assert sorted([seen[0].fail_alpha, (1 - results[1].confidence) / 2]) == pytest.approx([0.025 / 2, 0.025])
