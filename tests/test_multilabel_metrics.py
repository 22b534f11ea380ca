"""gate.multilabel equals scikit-learn on random and edge-case multilabel sets: every metric, every
average, per label, with and without sample weights; and a row of integer weights equals repeating
examples (what a bootstrap resample is)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import gate.multilabel as ml

N_SETS = 120


def make_set(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 5, 30, 400]))
    n_labels = int(rng.choice([2, 3, 7, 20]))
    prevalence = rng.uniform(0.05, 0.6, n_labels)
    y = (rng.random((n, n_labels)) < prevalence).astype(int)
    if seed % 5 == 1:
        y[0] = 0                               # an example with no relevant label
    if seed % 5 == 2:
        y[-1] = 1                              # an example with every label relevant
    if seed % 7 == 3:
        y[:, 0] = 0                            # a label nobody has
    scores = np.clip(0.4 * y + rng.normal(0.3, 0.25, y.shape), 0, 1)
    if seed % 3 == 0:
        scores = np.round(scores, 1)           # heavy ties
    pred = (scores >= 0.5).astype(int)
    if seed % 4 == 1:
        pred[:, -1] = 0                        # a label never predicted
    weights = [None, rng.uniform(0.1, 3.0, n), rng.integers(0, 4, n).astype(float)][seed % 3]
    if weights is not None and weights.sum() == 0:
        weights[0] = 1.0
    return {"y": y, "pred": pred, "scores": scores, "w": weights}


SETS = [make_set(s) for s in range(N_SETS)]


def ours(d, name, **kw):
    t = ml.terms(d["y"], d["pred"], d["scores"])
    w = np.ones((1, d["y"].shape[0])) if d["w"] is None else d["w"][None, :]
    value, undefined = ml.metric(t, name, w, **kw)
    return float(value[0]), bool(undefined[0])


def sk(fn, *args, **kw) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(fn(*args, **kw))


SK_LABEL = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score,
            "fbeta": skm.fbeta_score, "jaccard": skm.jaccard_score}


@pytest.mark.parametrize("i", range(N_SETS))
def test_label_metrics_match_sklearn(i):
    d = SETS[i]
    for name, fn in SK_LABEL.items():
        extra = {"beta": 2.0} if name == "fbeta" else {}
        for average in ml.AVERAGES:
            expected = sk(fn, d["y"], d["pred"], average=average, sample_weight=d["w"], **extra)
            value, undefined = ours(d, name, average=average, **extra)
            assert value == pytest.approx(expected, abs=1e-12), (name, average)
        per_label = np.atleast_1d(sk_array(fn, d["y"], d["pred"], sample_weight=d["w"], **extra))
        for j in range(d["y"].shape[1]):
            assert ours(d, name, label=j, **extra)[0] == pytest.approx(per_label[j], abs=1e-12), (name, j)


def sk_array(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, average=None, **kw)


@pytest.mark.parametrize("i", range(N_SETS))
def test_example_metrics_match_sklearn(i):
    d = SETS[i]
    y, pred, s, w = d["y"], d["pred"], d["scores"], d["w"]
    assert ours(d, "hamming_loss")[0] == pytest.approx(skm.hamming_loss(y, pred, sample_weight=w), abs=1e-12)
    assert ours(d, "subset_accuracy")[0] == pytest.approx(skm.accuracy_score(y, pred, sample_weight=w), abs=1e-12)
    assert ours(d, "coverage_error")[0] == pytest.approx(skm.coverage_error(y, s, sample_weight=w), abs=1e-12)
    lrap = skm.label_ranking_average_precision_score(y, s, sample_weight=w)
    assert ours(d, "label_ranking_average_precision")[0] == pytest.approx(lrap, abs=1e-12)


def test_undefined_is_flagged_where_sklearn_uses_its_zero_division_convention():
    y = np.array([[0, 1], [0, 1]])
    pred = np.array([[0, 0], [0, 1]])
    t = ml.terms(y, pred)
    one = np.ones((1, 2))
    assert ml.metric(t, "precision", one, label=0) == (np.array([0.0]), np.array([True]))   # never predicted
    assert ml.metric(t, "recall", one, label=0)[1].tolist() == [True]                      # never true
    assert ml.metric(t, "recall", one, label=1)[1].tolist() == [False]
    assert ml.metric(t, "f1", one, average="macro")[1].tolist() == [False]                # one label defined
    empty = ml.terms(np.zeros((2, 2), int), np.zeros((2, 2), int))
    for average in ml.AVERAGES:
        value, undefined = ml.metric(empty, "f1", one, average=average)
        assert (value.tolist(), undefined.tolist()) == ([0.0], [True]), average


def test_integer_weights_equal_repeated_examples():
    """A bootstrap resample: weights W (R × N) give, per row, the metric of the set with example i
    repeated W[r, i] times."""
    d = SETS[34]
    rng = np.random.default_rng(5)
    n = d["y"].shape[0]
    w = rng.poisson(1.0, (6, n)).astype(float)
    t = ml.terms(d["y"], d["pred"], d["scores"])
    for name, kw in [("f1", {"average": "macro"}), ("jaccard", {"average": "samples"}), ("precision", {"label": 1}),
                     ("hamming_loss", {}), ("label_ranking_average_precision", {}), ("coverage_error", {})]:
        values, _ = ml.metric(t, name, w, **kw)
        for r in range(w.shape[0]):
            rows = np.repeat(np.arange(n), w[r].astype(int))
            repeated = {"y": d["y"][rows], "pred": d["pred"][rows], "scores": d["scores"][rows], "w": None}
            assert values[r] == pytest.approx(ours(repeated, name, **kw)[0], abs=1e-12), (name, r)


@pytest.mark.parametrize("bad, message", [
    (dict(y_true=np.array([0, 1])), "N × L matrix"),
    (dict(y_true=np.array([[0, 2]])), "only 0 and 1"),
    (dict(y_true=np.array([[0, 1]]), y_pred=np.array([[0, 1, 1]])), "y_pred has shape"),
    (dict(y_true=np.array([[0, 1]]), y_score=np.array([[0.1]])), "y_score has shape"),
])
def test_bad_shapes_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        ml.terms(**bad)


def test_metrics_need_what_they_are_computed_from():
    scores_only = ml.terms(np.array([[0, 1]]), y_score=np.array([[0.2, 0.9]]))
    with pytest.raises(ValueError, match="needs predictions"):
        ml.metric(scores_only, "f1", np.ones((1, 1)), average="micro")
    assert ml.metric(scores_only, "coverage_error", np.ones((1, 1)))[0].tolist() == [1.0]
    with pytest.raises(ValueError, match="needs scores"):
        ml.metric(ml.terms(np.array([[0, 1]]), np.array([[0, 1]])), "coverage_error", np.ones((1, 1)))
