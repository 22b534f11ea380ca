"""Every metric's point estimate equals scikit-learn's (to 1e-12) on 240 random and edge-case datasets.

Datasets vary: N from 1 to 2,000; 2, 3, 5 and 50 classes; scores continuous or rounded to 0–2 decimals
(heavy ties); unit, random, integer and partly-zero sample weights; a class absent from the
predictions; a class absent from the labels. Metrics scikit-learn lacks (specificity/fpr/fnr, the
interpolated PR metrics, ECE) are checked against references built from scikit-learn's own confusion
matrices and precision-recall curves. Where scikit-learn's value is a convention for an undefined
metric (e.g. AP with no positives), our ``undefined`` flag must be set instead.
"""

from __future__ import annotations

import functools
import warnings
from collections import Counter

import numpy as np
import pytest
from sklearn import metrics as skm

from gate.metrics import point_estimate

N_DATASETS = 240
TOL = 1e-12
COMPARED: Counter = Counter()


def make_dataset(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    k = [2, 2, 2, 3, 5, 50][seed % 6]
    n = int(rng.choice([1, 2, 3, 5, 10, 40, 200, 2000] if k < 50 else [60, 500, 2000]))
    y = rng.integers(0, k, n)
    if seed % 7 == 3 and k > 2:
        y[y == k - 1] = 0                       # a class absent from the labels
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
    if seed % 5 == 2:
        pred[pred == 1] = 0                      # a class absent from the predictions
    if k == 2:
        scores = np.clip(0.5 * y + rng.normal(0.25, 0.3, n), 0, 1)
    else:
        logits = rng.normal(0, 1, (n, k)) + 2.0 * (np.arange(k)[None, :] == y[:, None])
        scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    decimals = [None, 2, 1, 0][seed % 4]
    if decimals is not None:
        scores = np.round(scores, decimals)
        if k > 2:
            scores = scores / np.where(scores.sum(axis=1, keepdims=True) > 0, scores.sum(axis=1, keepdims=True), 1)
    weight_kind = seed % 4
    weights = [None, rng.uniform(0.1, 3.0, n), rng.integers(1, 4, n).astype(float),
               np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0.5, 2, n))][weight_kind]
    if weights is not None and weights.sum() == 0:
        weights[0] = 1.0
    return {"y": y, "pred": pred, "scores": scores, "w": weights, "k": k}


DATASETS = [make_dataset(s) for s in range(N_DATASETS)]


def ours(metric, d, **kw):
    return point_estimate(metric, d["y"], d["pred"], n_classes=d["k"], scores=d["scores"], sample_weight=d["w"], **kw)


def close(metric: str, got: tuple[float, bool], expected: float) -> None:
    value, undefined = got
    if np.isnan(expected) or np.isinf(expected):
        assert undefined, f"{metric}: scikit-learn says {expected}, we did not flag undefined"
        return
    if undefined:
        return  # a convention value; checked separately where scikit-learn's convention is known
    assert abs(value - expected) <= TOL * max(1.0, abs(expected)), f"{metric}: {value} != {expected}"
    COMPARED[metric] += 1


def sk(fn, *args, **kw) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(fn(*args, **kw))
        except ValueError:
            return float("nan")


@functools.cache
def compared(kind: str, i: int) -> Counter:
    """Run one kind of comparison on dataset ``i`` (raising on a mismatch) and return how many
    times each metric was compared; cached, so the guard below reuses what the tests ran."""
    before = COMPARED.copy()
    COMPARISONS[kind](i)
    return COMPARED - before


def class_score(d, c):
    s = d["scores"]
    return (s if c == 1 else -s) if s.ndim == 1 else s[:, c]


@pytest.mark.parametrize("i", range(N_DATASETS))
def test_confusion_metrics_match_sklearn(i):
    compared("confusion", i)


def _confusion(i):
    d = DATASETS[i]
    y, p, w, k = d["y"], d["pred"], d["w"], d["k"]
    labels = list(range(k))
    close("accuracy", ours("accuracy", d), sk(skm.accuracy_score, y, p, sample_weight=w))
    for adjusted in (False, True):
        close("balanced_accuracy", ours("balanced_accuracy", d, params={"adjusted": adjusted}),
              sk(skm.balanced_accuracy_score, y, p, sample_weight=w, adjusted=adjusted))
    close("mcc", ours("mcc", d), sk(skm.matthews_corrcoef, y, p, sample_weight=w))
    close("cohen_kappa", ours("cohen_kappa", d), sk(skm.cohen_kappa_score, y, p, sample_weight=w))
    fns = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}
    for name, fn in fns.items():
        per = fn(y, p, labels=labels, average=None, zero_division=0, sample_weight=w)
        for c in range(min(k, 6)):
            close(name, ours(name, d, class_index=c), per[c])
        for avg in ("macro", "micro", "weighted"):
            close(f"{name}/{avg}", ours(name, d, average=avg),
                  sk(fn, y, p, labels=labels, average=avg, zero_division=0, sample_weight=w))
    beta = 0.5 + (i % 3)
    per = skm.fbeta_score(y, p, beta=beta, labels=labels, average=None, zero_division=0, sample_weight=w)
    close("fbeta", ours("fbeta", d, class_index=min(1, k - 1), params={"beta": beta}), per[min(1, k - 1)])
    mcm = skm.multilabel_confusion_matrix(y, p, labels=labels, sample_weight=w).astype(float)
    tn, fp, fn, tp = mcm[:, 0, 0], mcm[:, 0, 1], mcm[:, 1, 0], mcm[:, 1, 1]
    refs = {"specificity": (tn, tn + fp), "fpr": (fp, fp + tn), "fnr": (fn, fn + tp)}
    for name, (num, den) in refs.items():
        for c in range(min(k, 6)):
            got = ours(name, d, class_index=c)
            if den[c] == 0:
                assert got == (0.0, True)
            else:
                close(name, got, num[c] / den[c])
        per_class = np.where(den > 0, num / np.where(den > 0, den, 1), 0.0)
        close(f"{name}/macro", ours(name, d, average="macro"), per_class.mean())
        if den.sum() > 0:
            close(f"{name}/micro", ours(name, d, average="micro"), num.sum() / den.sum())
    cm = skm.confusion_matrix(y, p, labels=labels, sample_weight=w)
    for norm in ("none", "true", "pred", "all"):
        ref = skm.confusion_matrix(y, p, labels=labels, sample_weight=w, normalize=None if norm == "none" else norm)
        a, b = i % k, (i // 2) % k
        got = ours("confusion", d, class_index=a, predicted_index=b, params={"normalize": norm})
        assert abs(got[0] - ref[a, b]) <= TOL * max(1, abs(ref[a, b]))
    c = i % k
    close("support", ours("support", d, class_index=c), cm[c].sum())
    close("prevalence", ours("prevalence", d, class_index=c), cm[c].sum() / cm.sum())


def _positive_weight(d, c) -> float:
    w = np.ones(d["y"].size) if d["w"] is None else d["w"]
    return float(w[d["y"] == c].sum())


def _negative_weight(d, c) -> float:
    w = np.ones(d["y"].size) if d["w"] is None else d["w"]
    return float(w[d["y"] != c].sum())


def _sk_curve(d, c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return skm.precision_recall_curve(d["y"] == c, class_score(d, c), sample_weight=d["w"])


def _envelope_ref(precision, recall, levels):
    pts_p, pts_r = precision[:-1], recall[:-1]    # drop scikit-learn's appended (recall 0, precision 1)
    return np.array([pts_p[pts_r >= t].max() if np.any(pts_r >= t) else 0.0 for t in levels])


@pytest.mark.parametrize("i", range(N_DATASETS))
def test_ranking_metrics_match_sklearn(i):
    compared("ranking", i)


def _ranking(i):
    d = DATASETS[i]
    k, w = d["k"], d["w"]
    for c in ([1] if k == 2 else range(min(k, 5))):
        yc, sc = d["y"] == c, class_score(d, c)
        has_pos, has_neg = _positive_weight(d, c) > 0, _negative_weight(d, c) > 0
        ap = ours("average_precision", d, class_index=c)
        if not has_pos:
            assert ap == (0.0, True)     # scikit-learn: 0.0 with a warning; we flag it
            assert ours("pr_auc", d, class_index=c)[1]
            continue
        close("average_precision", ap, sk(skm.average_precision_score, yc, sc, sample_weight=w))
        precision, recall, _ = _sk_curve(d, c)
        close("pr_auc", ours("pr_auc", d, class_index=c), skm.auc(recall, precision))
        expected_roc = sk(skm.roc_auc_score, yc, sc, sample_weight=w) if has_neg else float("nan")
        close("roc_auc", ours("roc_auc", d, class_index=c), expected_roc)
        for interp, levels in (("voc11", np.linspace(0, 1, 11)), ("coco101", np.linspace(0, 1, 101))):
            close("interpolated_ap", ours("interpolated_ap", d, class_index=c, params={"interpolation": interp}),
                  _envelope_ref(precision, recall, levels).mean())
        at = [0.0, 0.3, 0.8, 1.0][i % 4]
        close("precision_at_recall", ours("precision_at_recall", d, class_index=c, params={"at_recall": at}),
              _envelope_ref(precision, recall, [at])[0])
        pts_p, pts_r = precision[:-1], recall[:-1]
        ok = pts_p >= at
        close("recall_at_precision", ours("recall_at_precision", d, class_index=c, params={"at_precision": at}),
              pts_r[ok].max() if np.any(ok) else 0.0)
    onehot = (d["y"][:, None] == np.arange(k)[None, :]).astype(int)
    full = np.column_stack([class_score(d, c) for c in range(k)])
    for avg in ("macro", "weighted", "micro"):
        all_defined = all(_positive_weight(d, c) > 0 for c in range(k))
        if avg != "micro" and not all_defined:
            assert ours("average_precision", d, average=avg)[1]
            continue
        close(f"average_precision/{avg}", ours("average_precision", d, average=avg),
              sk(skm.average_precision_score, onehot, full, average=avg, sample_weight=w))
        if all(_negative_weight(d, c) > 0 for c in range(k)) or avg == "micro":
            close(f"roc_auc/{avg}", ours("roc_auc", d, average=avg),
                  sk(skm.roc_auc_score, onehot, full, average=avg, sample_weight=w))


@pytest.mark.parametrize("i", range(N_DATASETS))
def test_probability_metrics_match_sklearn(i):
    compared("probability", i)


def _probability(i):
    d = DATASETS[i]
    y, s, w, k = d["y"], d["scores"], d["w"], d["k"]
    if k == 2:
        proba = np.column_stack([1 - s, s])
        close("brier", ours("brier", d, class_index=1), sk(skm.brier_score_loss, y, s, pos_label=1, sample_weight=w))
    else:
        if np.any(np.abs(s.sum(axis=1) - 1) > 1e-9):
            return
        proba = s
        close("brier", ours("brier", d), sk(skm.brier_score_loss, y, s, labels=list(range(k)), sample_weight=w))
        c = i % k
        close("brier/class", ours("brier", d, class_index=c),
              sk(skm.brier_score_loss, y == c, s[:, c], pos_label=True, sample_weight=w))
    close("log_loss", ours("log_loss", d), sk(skm.log_loss, y, proba, labels=list(range(k)), sample_weight=w))
    conf = s if k == 2 else s.max(axis=1)
    correct = (y == 1) if k == 2 else (np.argmax(s, axis=1) == y)
    ww = np.ones(y.size) if w is None else w
    bins = np.minimum((conf * 15).astype(int), 14)
    ece = sum(abs((ww * correct)[bins == b].sum() - (ww * conf)[bins == b].sum()) for b in range(15)) / ww.sum()
    close("ece", ours("ece", d), ece)


COMPARISONS = {"confusion": _confusion, "ranking": _ranking, "probability": _probability}


def test_every_metric_was_compared_many_times():
    """Guard against a silently vacuous suite: every metric was compared on at least 20 datasets.
    Independent of test order and selection: it runs (or reuses) every comparison itself."""
    required = ["accuracy", "balanced_accuracy", "mcc", "cohen_kappa", "precision", "recall", "f1", "fbeta",
                "specificity", "fpr", "fnr", "support", "prevalence", "average_precision", "pr_auc", "roc_auc",
                "interpolated_ap", "precision_at_recall", "recall_at_precision", "brier", "log_loss", "ece",
                "precision/macro", "recall/micro", "f1/weighted", "average_precision/macro", "roc_auc/micro"]
    total: Counter = Counter()
    for kind in COMPARISONS:
        for i in range(N_DATASETS):
            total.update(compared(kind, i))
    for name in required:
        assert total[name] >= 20, f"{name} compared only {total[name]} times"
