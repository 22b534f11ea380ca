"""The decision rule: interval position, metric direction, multiplicity, needed examples."""

from __future__ import annotations

import numpy as np
import pytest

from gate.inference.decide import Check, decide_all, needed_examples
from gate.inference.intervals import Distribution
from gate.policy.expand import bar_rule
from gate.policy.load import GateSpec
from gate.report.model import Guard


def dist(center: float, sd: float = 0.01, n: int = 4000, seed: int = 0) -> Distribution:
    reps = center + sd * np.random.default_rng(seed).standard_normal(n)
    return Distribution(center, reps, 0, "percentile")


def check(center, threshold, op=">=", blocking=True, **kw):
    return Check(dist(center, **kw), op, threshold, blocking, 1000)


@pytest.mark.parametrize("center,op,expected", [
    (0.95, ">=", "pass"), (0.85, ">=", "fail"), (0.905, ">=", "inconclusive"),
    (0.85, "<=", "pass"), (0.95, "<=", "fail"), (0.895, "<=", "inconclusive"),
])
def test_interval_position_decides(center, op, expected):
    [d] = decide_all([check(center, 0.9, op)], 0.95, "none")
    assert d.status == expected
    lo, hi = d.ci
    if expected == "pass":
        assert (lo >= 0.9) if op == ">=" else (hi <= 0.9)
    if expected == "fail":
        assert (hi < 0.9) if op == ">=" else (lo > 0.9)


@pytest.mark.parametrize("kind,direction,value,expected", [
    ("min", "higher", 0.9, ("candidate", ">=", 0.9)),
    ("max", "lower", 0.1, ("candidate", "<=", 0.1)),
    ("max_drop", "higher", 0.02, ("delta", ">=", -0.02)),
    ("max_drop", "lower", 0.02, ("delta", "<=", 0.02)),        # fpr rising by more than 0.02 is the drop
    ("min_gain", "higher", 0.01, ("delta", ">=", 0.01)),
    ("min_gain", "lower", 0.01, ("delta", "<=", -0.01)),
    ("max_relative_drop", "higher", 0.05, ("relative_delta", ">=", -0.05)),
    ("max_relative_drop", "lower", 0.05, ("relative_delta", "<=", 0.05)),
])
def test_bars_follow_the_metric_direction(kind, direction, value, expected):
    metric = "recall" if direction == "higher" else "fpr"
    assert bar_rule(GateSpec(index=0, metric=metric, bar_kind=kind, bar_value=value)) == expected


def test_multiplicity_only_makes_failing_harder():
    """Three checks whose 95% intervals just miss the bar: without correction all fail; Bonferroni
    (α/3) and Holm keep the borderline ones from failing; passing is unaffected."""
    misses = [check(0.9 - 0.0215, 0.9, seed=s) for s in range(3)]   # ≈ 2.15 sd below the bar
    clear = check(0.95, 0.9, seed=9)
    none = decide_all(misses + [clear], 0.95, "none")
    bonf = decide_all(misses + [clear], 0.95, "bonferroni")
    holm = decide_all(misses + [clear], 0.95, "holm")
    assert [d.status for d in none] == ["fail"] * 3 + ["pass"]
    assert [d.status for d in bonf] == ["inconclusive"] * 3 + ["pass"]
    assert holm[3].status == "pass"
    assert all(d.fail_alpha <= 0.025 + 1e-12 for d in holm)


def test_holm_is_a_step_down_and_beats_bonferroni():
    """One clear regression (3 sd), one at 2.1 sd: Holm rejects the first at α/2 (0.0125, z 2.24 < 3)
    and the second at α/1 (0.025, z 1.96 < 2.1); Bonferroni at α/2 only rejects the first."""
    checks = [check(0.9 - 0.03, 0.9, seed=1), check(0.9 - 0.021, 0.9, seed=2)]
    holm = decide_all(checks, 0.95, "holm")
    bonf = decide_all(checks, 0.95, "bonferroni")
    assert [d.status for d in holm] == ["fail", "fail"]
    assert [d.status for d in bonf] == ["fail", "inconclusive"]
    assert sorted(d.fail_alpha for d in holm) == pytest.approx([0.0125, 0.025])


def test_warning_gates_are_outside_the_family():
    checks = [check(0.9 - 0.0215, 0.9, seed=1), check(0.9 - 0.0215, 0.9, blocking=False, seed=2),
              check(0.95, 0.9, seed=3)]
    decisions = decide_all(checks, 0.95, "bonferroni")
    assert decisions[1].fail_alpha == pytest.approx(0.025)       # nominal
    assert decisions[0].fail_alpha == pytest.approx(0.0125)      # family of 2 blocking gates


def test_forced_checks_are_inconclusive_with_their_reason():
    c = Check(dist(0.95), ">=", 0.9, True, 10, forced=Guard("min_support", "subset", size=10, min_support=30))
    [d] = decide_all([c], 0.95, "holm")
    assert (d.status, d.reason) == ("inconclusive", "min_support")


def test_needed_examples_is_an_80_percent_power_calculation():
    c = check(0.905, 0.9)     # sd 0.01: half-width ≈ 0.0196, distance 0.005 → n·(0.0196/0.005)² ≈ 15.4 n
    [d] = decide_all([c], 0.95, "none")
    assert d.status == "inconclusive"
    inflation = ((1.95996 + 0.84162) / 1.95996) ** 2    # (z_0.025 + z_0.8)² / z_0.025² ≈ 2.04
    assert 13_000 * inflation < d.needed_n < 18_000 * inflation
    assert needed_examples(check(0.9, 0.9), (0.88, 0.92), 0.025, 0.025) is None


def test_needed_examples_uses_the_fail_side_level_when_the_estimate_leans_to_fail():
    c = check(0.895, 0.9)
    [nominal] = decide_all([c], 0.95, "none")
    adjusted, _ = decide_all([c, check(0.5, 0.9, seed=1)], 0.95, "bonferroni")
    assert nominal.status == adjusted.status == "inconclusive"
    assert adjusted.needed_n > nominal.needed_n           # a wider fail-side interval needs more
