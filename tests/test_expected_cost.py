"""metric: expected_cost (issue 16): the mean cost per example under a true × predicted cost matrix,
lower is better, as a ceiling (max:) or a delta (max_drop: the allowed rise), checked against
scikit-learn's confusion matrix and the plug-in standard error."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

import gate
from gate.errors import PolicyError
from gate.policy.load import build_policy


def _binary(seed: int, n: int = 800):
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.2).astype(int)
    cand = np.where(rng.uniform(size=n) < 0.85, y, 1 - y)
    base = np.where(rng.uniform(size=n) < 0.8, y, 1 - y)
    return y, cand, base, rng.uniform(0.2, 3.0, n)


@pytest.mark.parametrize("seed", range(8))
def test_binary_expected_cost_matches_the_weighted_confusion_matrix(seed):
    y, cand, base, w = _binary(seed)
    costs = {"fn": 50.0, "fp": 5.0, "tp": -1.0}
    matrix = np.array([[0.0, 5.0], [50.0, -1.0]])
    report = gate.check_arrays([{"metric": "expected_cost", "costs": costs, "max": 100},
                                {"metric": "expected_cost", "costs": costs, "max_drop": 1.0}],
                               y, cand, baseline_pred=base, sample_weight=w, n_resamples=300, seed=seed)
    ceiling, delta = report.gates
    truth_c = (confusion_matrix(y, cand, sample_weight=w) * matrix).sum() / w.sum()
    truth_b = (confusion_matrix(y, base, sample_weight=w) * matrix).sum() / w.sum()
    assert ceiling.candidate.value == pytest.approx(truth_c, rel=1e-12)
    assert delta.delta.value == pytest.approx(truth_c - truth_b, rel=1e-9, abs=1e-12)
    assert (delta.quantity, delta.op, delta.threshold) == ("delta", "<=", 1.0)   # a rise of at most 1
    assert ceiling.op == "<=" and ceiling.direction == "lower"


def test_the_interval_has_the_plug_in_width():
    """Unweighted, the mean cost's standard error is sd(cost_i)/√n: the 95% interval's half-width
    is within 10% of 1.96 of them."""
    y, cand, _, _ = _binary(3, n=4000)
    per_example = np.where((y == 1) & (cand == 0), 50.0, np.where((y == 0) & (cand == 1), 5.0, 0.0))
    report = gate.check_arrays([{"metric": "expected_cost", "costs": {"fn": 50, "fp": 5}, "max": 100}], y, cand,
                               n_resamples=2000, seed=1)
    lo, hi = report.gates[0].candidate.ci
    se = per_example.std(ddof=1) / math.sqrt(y.size)
    assert (hi - lo) / 2 == pytest.approx(1.959964 * se, rel=0.1)
    assert report.gates[0].status == "pass" and report.gates[0].interval_method == "percentile"


def test_multiclass_cost_matrix_follows_the_policy_classes():
    rng = np.random.default_rng(2)
    classes = ["cat", "dog", "eel"]
    y = rng.integers(0, 3, 900)
    pred = np.where(rng.uniform(size=900) < 0.7, y, rng.integers(0, 3, 900))
    costs = [[0, 1, 4], [2, 0, 8], [10, 3, 0]]
    doc = {"version": 1, "name": "c", "task": "multiclass", "classes": classes, "bootstrap": {"resamples": 200},
           "gates": [{"metric": "expected_cost", "costs": costs, "max": 3}]}
    labels = [classes[i] for i in y]
    report = gate.check_arrays(build_policy(doc, source="p.yml"), labels, [classes[i] for i in pred])
    truth = (confusion_matrix(y, pred) * np.array(costs)).sum() / y.size
    assert report.gates[0].candidate.value == pytest.approx(truth, rel=1e-12)


@pytest.mark.parametrize(("task", "costs", "message"), [
    ("binary", [[0, 1], [5, 0]], "a binary cost is a mapping"),
    ("binary", {"fx": 1}, "gates[0].costs: must be a mapping of numbers with keys fn, fp, tn, tp"),
    ("binary", {"fn": "high"}, "gates[0].costs: must be a mapping of numbers"),
    ("multiclass", {"fn": 1}, "a multiclass cost is a true × predicted matrix"),
    ("multiclass", [[0, 1, 2], [1, 0, 2]], "must be 3 × 3"),
])
def test_bad_costs_are_policy_errors(task, costs, message):
    doc = {"version": 1, "name": "c", "task": task, "gates": [{"metric": "expected_cost", "costs": costs, "max": 1}]}
    doc.update({"positive_class": "1"} if task == "binary" else {"classes": ["a", "b", "c"]})
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_policy(doc, source="p.yml")
    missing = {"version": 1, "name": "c", "task": task, "gates": [{"metric": "expected_cost", "max": 1}]}
    missing.update({"positive_class": "1"} if task == "binary" else {"classes": ["a", "b", "c"]})
    with pytest.raises(PolicyError, match="needs 'costs'"):
        build_policy(missing, source="p.yml")
