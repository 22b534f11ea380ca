"""Modules computed from point estimates, each called directly against a reference:

- gate/report/summaries.py: the per-class table, confusion matrices, PR/ROC curves (thinned to 200
  points) and reliability bins equal scikit-learn's, weighted and with counted cells;
- gate/metrics/flips.py: every example's flip cell by the written rule, and the "what flipped" table;
- gate/resampling/_ckernels.c (the C kernel): rank_sums equals its numpy twin bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from gate.data.align import Artifact, EvalSet, Side
from gate.metrics import flips
from gate.report import summaries
from tests.helpers.imports import c_kernel


def _side(role: str, y, pred, scores=None, weight=None, counts=None) -> Side:
    n = y.size
    art = Artifact(role, f"<{role}>", "", "memory", n, n)
    return Side(role, art, np.arange(n), y, pred, scores, weight, {}, n, n, counts=counts)


def _binary(seed: int, n: int = 900, weights: bool = False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(np.round(0.35 * y + rng.random(n) * 0.65, 3), 0, 1)
    w = rng.uniform(0.2, 3.0, n) if weights else None
    return y, score, w


@pytest.mark.parametrize("weights", [False, True])
def test_per_class_confusion_and_curves_equal_sklearn(weights):
    y, score, w = _binary(1, weights=weights)
    pred = (score >= 0.5).astype(np.int64)
    base_pred = (score >= 0.4).astype(np.int64)
    es = EvalSet("binary", ("neg", "pos"), _side("candidate", y, pred, score, w), _side("baseline", y, base_pred, None, w),
                 "paired")
    extras = summaries.report_extras(es)
    cand_cm, base_cm = (np.array(c.counts) for c in extras["confusion"])
    assert np.allclose(cand_cm, skm.confusion_matrix(y, pred, sample_weight=w))
    assert np.allclose(base_cm, skm.confusion_matrix(y, base_pred, sample_weight=w))
    p, r, f1, _ = skm.precision_recall_fscore_support(y, pred, sample_weight=w, zero_division=0)
    for i, row in enumerate(extras["per_class"]):
        assert row.support == int((y == i).sum())
        assert row.candidate == pytest.approx({"precision": p[i], "recall": r[i], "f1": f1[i]})
    pr, roc = extras["curves"]                                   # the baseline has no scores: no curves
    assert (pr.kind, roc.kind, pr.model) == ("pr", "roc", "candidate")
    assert pr.area == pytest.approx(skm.average_precision_score(y, score, sample_weight=w))
    assert roc.area == pytest.approx(skm.roc_auc_score(y, score, sample_weight=w))
    assert len(pr.x) <= summaries.MAX_CURVE_POINTS < np.unique(score).size
    fpr, tpr, _ = skm.roc_curve(y, score, sample_weight=w, drop_intermediate=False)
    assert (roc.x[0], roc.y[0], roc.x[-1], roc.y[-1]) == (0.0, 0.0, pytest.approx(fpr[-1]), pytest.approx(tpr[-1]))


def test_reliability_bins_equal_sklearns_calibration_curve():
    """Binary: the positive-class probability against the positive rate, in 15 equal-width bins."""
    from sklearn.calibration import calibration_curve
    y, score, _ = _binary(2)
    score = score * 0.998 + 0.0004          # off the bin edges i/15, which the two place on different sides
    es = EvalSet("binary", ("neg", "pos"), _side("candidate", y, (score >= 0.5).astype(np.int64), score), None,
                 "paired")
    (cal,) = summaries.report_extras(es)["calibration"]
    prob_true, prob_pred = calibration_curve(y, score, n_bins=15, strategy="uniform")
    assert np.allclose(cal.accuracy, prob_true) and np.allclose(cal.confidence, prob_pred)
    assert sum(cal.weight) == y.size and len(cal.bin_edges) == 16


def test_counted_cells_summarise_like_the_rows_they_stand_for():
    """A cell of count c is c identical examples: the same table, matrices and curves."""
    rng = np.random.default_rng(4)
    y, pred = rng.integers(0, 3, 60), rng.integers(0, 3, 60)
    counts = rng.integers(1, 6, 60)
    cells = EvalSet("multiclass", tuple("abc"), _side("candidate", y, pred, counts=counts), None, "paired")
    rows = EvalSet("multiclass", tuple("abc"), _side("candidate", np.repeat(y, counts), np.repeat(pred, counts)), None,
                   "paired")
    a, b = summaries.report_extras(cells), summaries.report_extras(rows)
    assert a["per_class"] == b["per_class"] and a["confusion"] == b["confusion"]
    assert summaries.data_summary(cells).n_candidate == int(counts.sum()) == summaries.data_summary(rows).n_candidate


def test_curves_are_thinned_to_evenly_spaced_points_with_both_ends():
    x = np.linspace(0, 1, 1001)
    tx, ty = summaries._thin(x, x ** 2)
    assert len(tx) == summaries.MAX_CURVE_POINTS and (tx[0], tx[-1]) == (0.0, 1.0)
    assert all(b - a > 0 for a, b in zip(tx, tx[1:])) and ty[-1] == 1.0
    assert summaries._thin(x[:5], x[:5]) == (tuple(x[:5]), tuple(x[:5]))      # short: kept whole


# -- flips -----------------------------------------------------------------------------------

def _cell_by_hand(y: int, c: int, b: int) -> int:
    if c == y and b == y:
        return flips.BOTH_RIGHT
    if b == y:
        return flips.NEGATIVE_FLIP
    if c == y:
        return flips.POSITIVE_FLIP
    return flips.SAME_WRONG if c == b else flips.CHANGED_WRONG


def test_every_flip_cell_follows_its_definition():
    rng = np.random.default_rng(5)
    y, c, b = (rng.integers(0, 3, 500) for _ in range(3))
    cells = flips.flip_cells(y, c, b)
    assert cells.tolist() == [_cell_by_hand(*t) for t in zip(y.tolist(), c.tolist(), b.tolist())]
    assert set(cells.tolist()) == set(range(flips.N_CELLS))
    assert flips.flipped("churn", cells).tolist() == (c != b).tolist()       # churn: any change of class
    assert flips.flipped("negative_flip_rate", cells).sum() == ((b == y) & (c != y)).sum()


def test_the_flip_table_counts_per_true_class_weighted():
    rng = np.random.default_rng(6)
    y, c, b = (rng.integers(0, 2, 300) for _ in range(3))
    w = rng.uniform(0.5, 2.0, 300)
    es = EvalSet("binary", ("n", "p"), _side("candidate", y, c, weight=w), _side("baseline", y, b, weight=w), "paired")
    for k, row in enumerate(flips.flip_rows(es)):
        mine = y == k
        assert row.examples == pytest.approx(w[mine].sum())
        assert row.negative == pytest.approx(w[mine & (b == y) & (c != y)].sum())
        assert row.positive == pytest.approx(w[mine & (c == y) & (b != y)].sum())
        assert row.churn == pytest.approx(w[mine & (c != b)].sum())
    independent = EvalSet("binary", ("n", "p"), es.candidate, es.baseline, "independent")
    assert flips.flip_rows(independent) == ()


# -- the C kernel -----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_rank_sums_kernel_equals_the_numpy_twin_bit_for_bit(dtype):
    kernels = c_kernel()
    from gate.metrics.compiler import _rank_sums
    rng = np.random.default_rng(7)
    pos, neg = rng.integers(0, 4, (5, 9000)).astype(dtype), rng.integers(0, 4, (5, 9000)).astype(dtype)
    if dtype is np.float64:
        pos, neg = pos * 0.37, neg * 1.3
    out = np.empty((6, 5))
    kernels.rank_sums(pos, neg, out)
    assert np.array_equal(out, _rank_sums(pos, neg))


def test_rank_sums_kernel_sums_int32_counts_in_int64():
    """The Poisson kernel's int32 counts (a chunk's sums as they were counted, rows strided past the
    scratch codes) give the int64 counts' floats bit for bit, also where Σ pos·fps passes 2^31."""
    kernels = c_kernel()
    from gate.metrics.compiler import _rank_sums
    rng = np.random.default_rng(8)
    counted = rng.integers(0, 2000, (5, 2 * 9000 + 2)).astype(np.int32)
    pos, neg = counted[:, 9000:18000], counted[:, :9000]        # strided rows, as positives()/negatives() see them
    out = np.empty((6, 5))
    kernels.rank_sums(pos, neg, out)
    want = _rank_sums(pos.astype(np.int64), neg.astype(np.int64))
    assert want[4].max() > 2 ** 31
    assert out.tobytes() == want.tobytes()
