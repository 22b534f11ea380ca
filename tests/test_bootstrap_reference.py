"""Bootstrap intervals agree with a plain index-resampling bootstrap done with scikit-learn.

Tolerance: a 95% percentile endpoint estimated from B resamples has Monte-Carlo SD ≈ 2.67·σ*/√B
(order-statistic asymptotics for the 2.5% quantile of a near-normal distribution with SD σ*; the
statistics reference §2.4 confirms it empirically). Two independent bootstraps (ours and the
reference) differ by SD √(2.67²σ*²/B₁ + 2.67²σ*²/B₂); we allow 4 of those SDs (a false alarm rate of
about 6e-5 per endpoint). The whole distributions are also compared with a two-sample KS test.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from gate.api import check
from gate.policy.load import build_policy

B_OURS = 4000
B_REF = 2000


def write_csv(path, ids, labels, scores):
    lines = ["id,label,score"] + [f"{i},{lab},{s:.6f}" for i, lab, s in zip(ids, labels, scores)]
    path.write_text("\n".join(lines) + "\n")
    return path


def paired_data(seed=11, n=700, prevalence=0.3):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    latent = rng.normal(0, 1, n)
    cand = 1 / (1 + np.exp(-(1.6 * y - 0.8 + 0.8 * latent + rng.normal(0, 0.6, n))))
    base = 1 / (1 + np.exp(-(1.3 * y - 0.65 + 0.8 * latent + rng.normal(0, 0.6, n))))
    return y, np.round(cand, 3), np.round(base, 3)


def policy(gates, **boot):
    doc = {"version": 1, "name": "ref", "task": "binary", "positive_class": "1",
           "data": {"threshold": 0.5},
           "bootstrap": {"resamples": B_OURS, "seed": 3, "confidence": 0.95, "method": "percentile", **boot},
           "decision": {"multiple_testing": "none"}, "gates": gates}
    return build_policy(doc, source="<test>")


def tolerance(ref_reps):
    sd = np.std(ref_reps, ddof=1)
    return 4 * 2.67 * sd * math.sqrt(1 / B_OURS + 1 / B_REF)


def naive(y, cand, base, stat, rng, stratify=False):
    n = y.size
    out = np.empty(B_REF)
    groups = [np.flatnonzero(y == c) for c in (0, 1)]
    for b in range(B_REF):
        if stratify:
            idx = np.concatenate([g[rng.integers(0, g.size, g.size)] for g in groups])
        else:
            idx = rng.integers(0, n, n)
        out[b] = stat(y[idx], cand[idx], base[idx])
    return out


def _q(reps):
    return np.quantile(reps, [0.025, 0.975])


STATS = {
    "f1": lambda y, c, b: skm.f1_score(y, c >= 0.5, zero_division=0) - skm.f1_score(y, b >= 0.5, zero_division=0),
    "average_precision": lambda y, c, b: skm.average_precision_score(y, c) - skm.average_precision_score(y, b),
    "roc_auc": lambda y, c, b: skm.roc_auc_score(y, c) - skm.roc_auc_score(y, b),
    "balanced_accuracy": lambda y, c, b: (skm.balanced_accuracy_score(y, c >= 0.5)
                                          - skm.balanced_accuracy_score(y, b >= 0.5)),
}


@pytest.mark.parametrize("metric", sorted(STATS))
@pytest.mark.parametrize("stratify", [False, True])
def test_paired_delta_interval_matches_sklearn_loop(tmp_path, metric, stratify):
    y, cand, base = paired_data()
    ids = np.arange(y.size)
    c = write_csv(tmp_path / "c.csv", ids, y, cand)
    b = write_csv(tmp_path / "b.csv", ids, y, base)
    pol = policy([{"metric": metric, "max_drop": 0.5}], stratify=stratify)
    report = check(pol, c, b)
    gate = report.gates[0]
    assert report.data.pairing == "paired"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = naive(y, cand, base, STATS[metric], np.random.default_rng(99), stratify=stratify)
    assert abs(gate.delta.value - STATS[metric](y, cand, base)) < 1e-12
    lo, hi = _q(ref)
    tol = tolerance(ref)
    assert abs(gate.delta.ci[0] - lo) <= tol, (gate.delta.ci, (lo, hi), tol)
    assert abs(gate.delta.ci[1] - hi) <= tol, (gate.delta.ci, (lo, hi), tol)
    ks = stats.ks_2samp(np.array(gate.distribution), ref)
    assert ks.pvalue > 1e-3, ks


def test_independent_sides_are_resampled_separately(tmp_path):
    """Canary traffic: disjoint ids → each side resampled on its own; the delta's spread is the sum of
    both variances (a paired resample would be narrower)."""
    rng = np.random.default_rng(5)
    y1, c1, _ = paired_data(seed=1, n=500)
    y2, _, b2 = paired_data(seed=2, n=650)
    c = write_csv(tmp_path / "c.csv", np.arange(500), y1, c1)
    b = write_csv(tmp_path / "b.csv", np.arange(1000, 1650), y2, b2)
    report = check(policy([{"metric": "recall", "max_drop": 0.5}]), c, b)
    gate = report.gates[0]
    assert report.data.pairing == "independent"

    def recall(y, s):
        return skm.recall_score(y, s >= 0.5, zero_division=0)

    ref = np.empty(B_REF)
    for i in range(B_REF):
        i1, i2 = rng.integers(0, 500, 500), rng.integers(0, 650, 650)
        ref[i] = recall(y1[i1], c1[i1]) - recall(y2[i2], b2[i2])
    lo, hi = _q(ref)
    tol = tolerance(ref)
    assert abs(gate.delta.value - (recall(y1, c1) - recall(y2, b2))) < 1e-12
    assert abs(gate.delta.ci[0] - lo) <= tol and abs(gate.delta.ci[1] - hi) <= tol, (gate.delta.ci, (lo, hi))


def test_bca_matches_scipy_bootstrap(tmp_path):
    """BCa of the candidate's accuracy vs scipy.stats.bootstrap(method='BCa'); BCa endpoints are up to
    ~40% noisier than percentile ones (statistics reference §2.4), so the tolerance gets 1.4×."""
    y, cand, _ = paired_data(seed=8, n=400, prevalence=0.2)
    c = write_csv(tmp_path / "c.csv", np.arange(y.size), y, cand)
    report = check(policy([{"metric": "accuracy", "min": 0.1}], method="bca"), c, None)
    gate = report.gates[0]
    correct = ((cand >= 0.5).astype(int) == y).astype(float)
    res = stats.bootstrap((correct,), np.mean, n_resamples=B_REF, method="BCa", rng=np.random.default_rng(4))
    sd = res.standard_error
    tol = 1.4 * 4 * 2.67 * sd * math.sqrt(1 / B_OURS + 1 / B_REF)
    lo, hi = res.confidence_interval
    assert abs(gate.candidate.ci[0] - lo) <= tol and abs(gate.candidate.ci[1] - hi) <= tol, (gate.candidate.ci, (lo, hi))


def test_undefined_resamples_are_counted_not_dropped(tmp_path):
    """Three positives in 200 rows: some resamples hold no positive, so average precision is undefined
    there. The count is reported and, above 1%, the gate is inconclusive instead of gating on a
    convention. (Recall is decided on its exact interval given the 3 positives: no resamples.)"""
    y = np.zeros(200, dtype=int)
    y[[3, 50, 120]] = 1
    scores = np.where(y == 1, 0.9, 0.1)
    c = write_csv(tmp_path / "c.csv", np.arange(200), y, scores)
    report = check(policy([{"metric": "average_precision", "min": 0.5}]), c, None)
    gate = report.gates[0]
    expected = B_OURS * (1 - 3 / 200) ** 200      # P(no positive drawn) ≈ 4.9%
    assert abs(gate.candidate.undefined_resamples - expected) < 5 * math.sqrt(expected)
    assert gate.status == "inconclusive" and gate.reason == "undefined_resamples"
