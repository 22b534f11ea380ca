"""Flip gates (issue 16): negative_flip_rate, positive_flip_rate and churn, exact from the paired
(label, candidate prediction, baseline prediction) cells, per class and per slice, checked against a
direct numpy computation and scipy's exact binomial interval; the "what flipped" report section."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

import gate
from gate.errors import InputError, PolicyError

CLASSES = ["a", "b", "c"]


def _data(seed: int, n: int = 500) -> dict:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    base = np.where(rng.uniform(size=n) < 0.8, y, rng.integers(0, 3, n))
    cand = np.where(rng.uniform(size=n) < 0.15, rng.integers(0, 3, n), base)
    region = rng.choice(["eu", "us"], n)
    return {"y": y, "cand": cand, "base": base, "region": region, "w": rng.uniform(0.5, 2.0, n)}


def _tables(d: dict, weighted: bool = False) -> tuple[dict, dict]:
    ids = [f"r{i}" for i in range(d["y"].size)]
    labels = [CLASSES[i] for i in d["y"]]
    extra = {"weight": d["w"].tolist()} if weighted else {}
    cand = {"id": ids, "label": labels, "prediction": [CLASSES[i] for i in d["cand"]], "region": d["region"].tolist(),
            **extra}
    base = {"id": ids, "label": labels, "prediction": [CLASSES[i] for i in d["base"]], "region": d["region"].tolist(),
            **extra}
    return cand, base


def _policy(gates: list[dict], resamples: int = 300) -> dict:
    return {"version": 1, "name": "flips", "task": "multiclass", "classes": CLASSES, "data": {"slices": ["region"]},
            "bootstrap": {"resamples": resamples, "seed": 4}, "decision": {"multiple_testing": "none"}, "gates": gates}


def _reference(metric: str, d: dict, mask: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, int, int]:
    """(rate, count, examples) straight from the predictions."""
    y, c, b = d["y"][mask], d["cand"][mask], d["base"][mask]
    hit = {"negative_flip_rate": (b == y) & (c != y), "positive_flip_rate": (b != y) & (c == y),
           "churn": c != b}[metric]
    w = np.ones(y.size) if weights is None else weights[mask]
    return float(np.sum(w * hit) / np.sum(w)), int(hit.sum()), int(mask.sum())


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("metric", ["negative_flip_rate", "positive_flip_rate", "churn"])
def test_flip_rates_per_class_and_slice_match_numpy_and_the_exact_interval(metric, seed):
    d = _data(seed)
    cand, base = _tables(d)
    gates = [{"metric": metric, "max": 0.5}, {"metric": metric, "class": "*", "max": 0.5},
             {"metric": metric, "slice": "region", "max": 0.5}]
    report = gate.check(_policy(gates), cand, base)
    masks = [np.ones(d["y"].size, dtype=bool)] + [d["y"] == k for k in range(3)] + \
            [d["region"] == r for r in ("eu", "us")]
    assert len(report.gates) == len(masks)
    for g, mask in zip(report.gates, masks):
        rate, k, n = _reference(metric, d, mask)
        assert g.candidate.value == pytest.approx(rate, abs=1e-12), g.id
        exact = binomtest(k, n).proportion_ci(0.95, method="exact")
        assert g.candidate.ci == pytest.approx((exact.low, exact.high), abs=1e-12), g.id
        assert g.interval_method == "clopper-pearson" and g.baseline is None and g.delta is None


def test_weighted_flip_rates_use_the_bootstrap_of_the_same_cells():
    d = _data(9)
    cand, base = _tables(d, weighted=True)
    report = gate.check(_policy([{"metric": "churn", "class": "b", "max": 0.5}]), cand, base)
    g = report.gates[0]
    rate, _, _ = _reference("churn", d, d["y"] == 1, d["w"])
    assert g.candidate.value == pytest.approx(rate, abs=1e-12)
    assert g.interval_method == "percentile"
    lo, hi = g.candidate.ci
    assert lo < rate < hi and hi - lo > 0.02


def test_the_what_flipped_section_counts_each_class():
    d = _data(3)
    cand, base = _tables(d)
    report = gate.check(_policy([{"metric": "negative_flip_rate", "max": 0.2}]), cand, base)
    for k, row in enumerate(report.flips):
        mask = d["y"] == k
        assert row.name == CLASSES[k] and row.examples == mask.sum()
        assert row.negative == _reference("negative_flip_rate", d, mask)[1]
        assert row.positive == _reference("positive_flip_rate", d, mask)[1]
        assert row.churn == _reference("churn", d, mask)[1]
    md = report.to_markdown()
    assert "What flipped" in md and f"| `a` | {int(report.flips[0].examples)} | {int(report.flips[0].negative)} |" in md
    assert gate.Report.from_dict(report.to_dict()).flips == report.flips
    assert gate.check(_policy([{"metric": "accuracy", "min": 0.2}]), cand, base).flips == ()


def test_flip_gates_take_absolute_bars_and_need_a_paired_baseline():
    d = _data(1)
    cand, base = _tables(d)
    with pytest.raises(PolicyError, match="takes only min or max"):
        gate.check(_policy([{"metric": "churn", "max_drop": 0.1}]), cand, base)
    with pytest.raises(InputError, match="compares with a baseline"):
        gate.check(_policy([{"metric": "churn", "max": 0.1}]), cand)
    other = dict(base, id=[f"x{i}" for i in range(d["y"].size)])
    with pytest.raises(InputError, match="different ids"):
        gate.check(_policy([{"metric": "churn", "max": 0.1}]), cand, other)
    lenient = _policy([{"metric": "churn", "max": 0.1}])
    lenient["decision"]["require_baseline"] = False
    g = gate.check(lenient, cand).gates[0]
    assert g.status == "inconclusive" and g.reason == "no_baseline" and g.severity == "warning"


def test_a_negative_flip_ceiling_at_the_truth_fails_at_most_alpha():
    """True negative-flip rate 0.06 (the candidate breaks 6 in 100 examples and fixes none): the
    gate `max: 0.06` fails at most α/2 + 3 MC s.e. of 400 test sets of 300 examples."""
    rng = np.random.default_rng(12)
    runs, fails = 400, 0
    for r in range(runs):
        y = rng.integers(0, 2, 300)
        base = np.where(rng.uniform(size=300) < 0.9, y, 1 - y)
        u = rng.uniform(size=300)
        broke = (base == y) & (u < 0.06 / 0.9)
        cand = np.where(broke, 1 - y, base)
        report = gate.check_arrays([{"metric": "negative_flip_rate", "max": 0.06}], y, cand, baseline_pred=base,
                                   n_resamples=100, seed=r)
        fails += report.gates[0].status == "fail"
    alpha = 0.025
    assert fails / runs <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / runs), fails
