"""gate/render/messages.py directly: the number format and the one sentence per gate (each bar kind, the
guard's explanation, and the multiple-testing clause when only the adjustment kept a gate from failing)."""

from __future__ import annotations

import numpy as np
import pytest

import gate
from gate.inference.decide import Check, Decision
from gate.inference.intervals import Distribution
from gate.metrics.compiler import Target
from gate.policy.expand import Expanded, bar_rule
from gate.render.messages import fmt, gate_message
from gate.report.model import Estimate


@pytest.mark.parametrize("x,text", [(None, "n/a"), (float("nan"), "n/a"), (0.0, "0.000"), (0.12345, "0.123"),
                                    (0.0004, "4.00e-04"), (-0.0004, "-4.00e-04"), (12345.6, "12,346")])
def test_fmt(x, text) -> None:
    assert fmt(x) == text


def expanded(bar: dict) -> Expanded:
    pol = gate.load_policy({"version": 1, "name": "m", "task": "binary", "positive_class": "1",
                            "gates": [{"metric": "recall", **bar}]})
    spec = pol.gates[0]
    quantity, op, threshold = bar_rule(spec)
    return Expanded(spec, Target("recall", 1, None, {}), "recall", "recall", None, None, quantity, op, threshold)


def check(g: Expanded, forced=None) -> Check:
    return Check(Distribution(0.5, np.linspace(0.4, 0.6, 101), 0, "percentile"), g.op, g.threshold, True, 100, forced)


@pytest.mark.parametrize("bar,status,expected", [
    ({"min": 0.9}, "pass", "recall 0.950 [0.930, 0.970] is above the 0.900 floor"),
    ({"min": 0.9}, "fail", "recall 0.950 [0.930, 0.970] is below the 0.900 floor"),
    ({"max": 0.9}, "inconclusive", "recall 0.950 [0.930, 0.970] is not clearly below the 0.900 ceiling; "
                                   "the data cannot tell yet"),
    ({"max_drop": 0.01}, "pass", "recall change vs baseline 0.950 [0.930, 0.970] stays within the allowed drop of 0.010"),
    ({"min_gain": 0.01}, "fail", "recall gain vs baseline 0.950 [0.930, 0.970] falls short of the required 0.010"),
    ({"max_relative_drop": 0.05}, "pass",
     "recall relative change vs baseline +95.0% [+93.0%, +97.0%] stays within the allowed relative drop of 5.0%"),
])
def test_one_sentence_per_bar_kind(bar, status, expected) -> None:
    g = expanded(bar)
    d = Decision(status, "x", (0.93, 0.97), 0.025, None, None)
    assert gate_message(g, d, Estimate(0.95, (0.93, 0.97)), check(g)) == expected


def test_a_guard_and_the_multiple_testing_clause() -> None:
    g = expanded({"min": 0.9})
    d = Decision("inconclusive", "min_support", None, 0.025, None, None)
    forced = check(g, ("min_support", "only 5 examples, below min_support 30; not decided"))
    assert gate_message(g, d, Estimate(0.95), forced) == "recall: not decided, only 5 examples, below min_support 30; not decided"
    adjusted = Decision("inconclusive", "straddles_bar", (0.85, 0.91), 0.005, 0.01, None)
    text = gate_message(g, adjusted, Estimate(0.88), check(g), nominal=(0.86, 0.89), multiple_testing="holm")
    assert text == ("recall 0.880 [0.860, 0.890] is not clearly above the 0.900 floor; it misses the bar at the "
                    "nominal level but not after the holm adjustment for the policy's blocking gates "
                    "(adjusted interval 0.880 [0.850, 0.910])")
