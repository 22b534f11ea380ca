"""Multilabel metrics as functions of example weights, each equal to scikit-learn's.

Conventions (scikit-learn's defaults, ``zero_division="warn"``): a ratio whose denominator is 0 is
0 and flagged *undefined*, so a gate can count undefined resamples instead of trusting the
convention. Averages over labels or examples count undefined members as 0 (as scikit-learn does)
and are undefined only when every member is.

- ``precision``, ``recall``, ``f1``, ``fbeta`` (``beta``), ``jaccard``: per label (``label=j``) or
  averaged (``average=``): ``micro`` pools the counts of every label; ``macro`` is the plain mean
  over labels; ``weighted`` weights labels by their true support (0 and undefined without any);
  ``samples`` computes the metric per example and takes the example-weighted mean.
- ``hamming_loss``: wrong (example, label) cells over all cells, ``Σ w·d / (L·Σ w)``.
- ``subset_accuracy``: share of examples whose whole label set is right (``accuracy_score``).
- ``label_ranking_average_precision`` (needs scores): per example, the mean over its relevant
  labels of (relevant labels scored ≥ it) / (labels scored ≥ it); ties count at their worst
  (``rankdata(method="max")``); an example with no relevant label, or with every label relevant,
  scores 1.
- ``coverage_error`` (needs scores): per example, how many labels are scored at least as high as
  its lowest-scored relevant label; 0 for an example with no relevant label. Lower is better.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from gate.multilabel.names import AVERAGES, LABEL_METRICS, METRICS, SCORE_METRICS

Result = tuple[np.ndarray, np.ndarray]   # (value, undefined), each of shape (R,)


@dataclass(frozen=True)
class MultilabelTerms:
    """Per-example sufficient statistics of an ``N × L`` multilabel set, computed once.

    ``tp``/``fp``/``fn`` are ``N × L`` 0/1 matrices (float, so ``W @`` sums weights exactly);
    ``n_true``, ``n_pred``, ``n_both`` count each example's true, predicted and shared labels;
    ``lrap`` and ``coverage`` are each example's ranking values (None without scores);
    ``has_predictions`` is False when only scores were given."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    n_true: np.ndarray
    n_pred: np.ndarray
    n_both: np.ndarray
    lrap: np.ndarray | None
    coverage: np.ndarray | None
    has_predictions: bool = True

    @property
    def n_labels(self) -> int:
        return int(self.tp.shape[1])

    @functools.cached_property
    def counts(self) -> np.ndarray:
        """``[tp | fp | fn]``, ``N × 3L``: one product gives every label's three weighted counts."""
        return np.hstack([self.tp, self.fp, self.fn])


def terms(y_true: np.ndarray, y_pred: np.ndarray | None = None, y_score: np.ndarray | None = None) -> MultilabelTerms:
    """The statistics of 0/1 indicator matrices ``y_true`` and ``y_pred`` (``N × L``) and of
    ``y_score`` (``N × L``, higher = more likely). Without ``y_pred`` only the ranking metrics
    are available; without ``y_score`` only the others."""
    truth = _indicator(y_true, "y_true")
    if y_pred is None:
        pred = np.zeros_like(truth)
    else:
        pred = _indicator(y_pred, "y_pred")
        if pred.shape != truth.shape:
            raise ValueError(f"y_pred has shape {pred.shape}, y_true {truth.shape}")
    lrap = coverage = None
    if y_score is not None:
        scores = np.asarray(y_score, dtype=np.float64)
        if scores.shape != truth.shape:
            raise ValueError(f"y_score has shape {scores.shape}, y_true {truth.shape}")
        lrap, coverage = _ranking_values(truth, scores)
    both = truth & pred
    as_float = np.float64
    return MultilabelTerms(both.astype(as_float), (pred & ~truth).astype(as_float), (truth & ~pred).astype(as_float),
                           truth.sum(axis=1).astype(as_float), pred.sum(axis=1).astype(as_float),
                           both.sum(axis=1).astype(as_float), lrap, coverage, y_pred is not None)


def _indicator(matrix: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(matrix)
    if values.ndim != 2:
        raise ValueError(f"{name} must be an N × L matrix, got {values.ndim} dimension(s)")
    if not np.isin(values, (0, 1)).all():
        raise ValueError(f"{name} must hold only 0 and 1")
    return values.astype(bool)


def _ranking_values(truth: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each example's LRAP and coverage (see the module docstring), vectorised over examples."""
    n_labels = truth.shape[1]
    rank_all = rankdata(-scores, method="max", axis=1)                  # labels scored ≥ each label
    among_relevant = rankdata(np.where(truth, -scores, np.inf), method="max", axis=1)
    n_relevant = truth.sum(axis=1)
    ratio = np.where(truth, among_relevant / rank_all, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        lrap = ratio.sum(axis=1) / n_relevant
    lrap = np.where((n_relevant == 0) | (n_relevant == n_labels), 1.0, lrap)
    coverage = np.where(truth, rank_all, 0).max(axis=1).astype(np.float64)
    return lrap, coverage


def metric(t: MultilabelTerms, name: str, weights: np.ndarray, *, average: str | None = None,
           label: int | None = None, beta: float = 1.0) -> Result:
    """``(value, undefined)`` of metric ``name`` for each row of ``weights`` (``R × N``)."""
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if name not in SCORE_METRICS and name in METRICS and not t.has_predictions:
        raise ValueError(f"{name} needs predictions (y_pred)")
    if name in LABEL_METRICS:
        b = 1.0 if name == "f1" else beta
        if average == "samples":
            return _samples_average(t, name, w, b)
        if (average is None) == (label is None):
            raise ValueError(f"{name}: give exactly one of average= or label=")
        return _label_metric(t, name, w, average, label, b)
    if name in SCORE_METRICS:
        values = t.lrap if name == "label_ranking_average_precision" else t.coverage
        if values is None:
            raise ValueError(f"{name} needs scores")
        return _weighted_mean(w, values)
    if name == "hamming_loss":
        mismatches = (t.n_true + t.n_pred - 2.0 * t.n_both) / t.n_labels
        return _weighted_mean(w, mismatches)
    if name == "subset_accuracy":
        exact = ((t.n_both == t.n_true) & (t.n_both == t.n_pred)).astype(np.float64)
        return _weighted_mean(w, exact)
    raise ValueError(f"unknown multilabel metric {name!r} (choose from {', '.join(METRICS)})")


def _ratio(num: np.ndarray, den: np.ndarray) -> Result:
    undefined = den == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(undefined, 0.0, num / np.where(undefined, 1.0, den))
    return value, undefined


def _from_counts(name: str, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, beta: float) -> Result:
    """The metric from (weighted) counts, elementwise."""
    if name == "precision":
        return _ratio(tp, tp + fp)
    if name == "recall":
        return _ratio(tp, tp + fn)
    if name == "jaccard":
        return _ratio(tp, tp + fp + fn)
    b2 = beta * beta
    return _ratio((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)


def _label_metric(t: MultilabelTerms, name: str, w: np.ndarray, average: str | None, label: int | None,
                  beta: float) -> Result:
    tp, fp, fn = np.split(w @ t.counts, 3, axis=1)     # R × L weighted counts, one matrix product
    if label is not None:
        return _from_counts(name, tp[:, label], fp[:, label], fn[:, label], beta)
    if average == "micro":
        return _from_counts(name, tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1), beta)
    value, undefined = _from_counts(name, tp, fp, fn, beta)
    if average == "macro":
        return value.mean(axis=1), np.all(undefined, axis=1)
    if average == "weighted":
        support = tp + fn
        mean, no_support = _ratio((value * support).sum(axis=1), support.sum(axis=1))
        return mean, no_support | np.all(undefined, axis=1)
    raise ValueError(f"unknown average {average!r} (choose from {', '.join(AVERAGES)})")


def _samples_average(t: MultilabelTerms, name: str, w: np.ndarray, beta: float) -> Result:
    """The metric of each example's label set, then the example-weighted mean; undefined when no
    example with weight has a defined value."""
    both, fp, fn = t.n_both, t.n_pred - t.n_both, t.n_true - t.n_both
    per_example, undefined = _from_counts(name, both, fp, fn, beta)
    value, no_weight = _weighted_mean(w, per_example)
    return value, no_weight | ((w @ (~undefined).astype(np.float64)) == 0)


def _weighted_mean(w: np.ndarray, values: np.ndarray) -> Result:
    return _ratio(w @ values, w.sum(axis=1))
