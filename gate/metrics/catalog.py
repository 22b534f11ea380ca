"""The metric catalogue: every metric a policy may name, with its direction and what it needs.

A metric's *direction* is part of its definition: ``"higher"`` means larger values are better
(recall, AP), ``"lower"`` means smaller values are better (fpr, brier, ece). Comparative bars
(``max_drop``, ``max_relative_drop``, ``min_gain``) follow the direction: a drop in quality of a
lower-is-better metric is a rise in its value.

*Scope* says how ``class``/``average`` apply:

- ``"class"``: a per-class metric (one-vs-rest). Binary tasks default to the positive class
  (scikit-learn's ``pos_label``); multiclass tasks need ``class: <name>``, ``class: "*"`` or
  ``average: macro|micro|weighted``.
- ``"matrix"``: a whole-confusion-matrix metric (accuracy, balanced accuracy, mcc, kappa); no class.
- ``"data"``: a property of the artifacts (label coverage); only absolute bars.

*Family* says which sufficient statistics compute it: ``"confusion"`` (cell counts), ``"ranking"``
(one sort + weighted cumulative sums over tie groups), ``"probability"`` (per-example sums and
calibration bins), ``"coverage"`` (labeled/total counts), ``"flip"`` (the paired (label, candidate
prediction, baseline prediction) cells of gate/metrics/flips.py). Flip metrics are ``"class"``-scoped with an
optional class: without ``class:`` they are over every example of the subset, with it over the
class's true examples; they take only absolute bars (``min``/``max``) and need a paired baseline.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricDef:
    name: str
    direction: str          # "higher" | "lower"
    family: str             # "confusion" | "ranking" | "probability" | "coverage" | "flip"
    scope: str              # "class" | "matrix" | "data"
    averages: tuple[str, ...]
    params: tuple[str, ...]  # extra gate keys this metric accepts
    summary: str


_CLASS_AVGS = ("macro", "micro", "weighted")
_RANK_AVGS = ("macro", "micro", "weighted")

METRICS: dict[str, MetricDef] = {m.name: m for m in (
    MetricDef("accuracy", "higher", "confusion", "matrix", (), (),
              "fraction of examples whose predicted class is the true class"),
    MetricDef("balanced_accuracy", "higher", "confusion", "matrix", (), ("adjusted",),
              "mean recall over the classes present in the labels; adjusted: chance-corrected"),
    MetricDef("precision", "higher", "confusion", "class", _CLASS_AVGS, (),
              "tp / (tp + fp); 0 when nothing is predicted as the class"),
    MetricDef("recall", "higher", "confusion", "class", _CLASS_AVGS, (),
              "tp / (tp + fn); 0 when the class has no true examples"),
    MetricDef("specificity", "higher", "confusion", "class", _CLASS_AVGS, (),
              "tn / (tn + fp), the recall of 'not the class'"),
    MetricDef("fpr", "lower", "confusion", "class", _CLASS_AVGS, (),
              "fp / (fp + tn), false positive rate"),
    MetricDef("fnr", "lower", "confusion", "class", _CLASS_AVGS, (),
              "fn / (fn + tp), false negative rate (miss rate)"),
    MetricDef("f1", "higher", "confusion", "class", _CLASS_AVGS, (),
              "2 tp / (2 tp + fp + fn); 0 when tp + fp + fn = 0"),
    MetricDef("fbeta", "higher", "confusion", "class", _CLASS_AVGS, ("beta",),
              "(1 + b²) tp / ((1 + b²) tp + b² fn + fp)"),
    MetricDef("mcc", "higher", "confusion", "matrix", (), (),
              "Matthews correlation coefficient (multiclass R_K); 0 when undefined"),
    MetricDef("cohen_kappa", "higher", "confusion", "matrix", (), (),
              "Cohen's kappa between labels and predictions"),
    MetricDef("expected_cost", "lower", "confusion", "matrix", (), ("costs",),
              "mean cost per example, Σ cm[i, j]·costs[i][j] / n for a true × predicted cost matrix"),
    MetricDef("confusion", "higher", "confusion", "class", (), ("predicted", "normalize"),
              "one confusion-matrix cell (true class, predicted class), counts or normalized"),
    MetricDef("support", "higher", "confusion", "class", (), (),
              "(weighted) number of examples whose true class is the class"),
    MetricDef("prevalence", "higher", "confusion", "class", (), (),
              "support / all labeled examples"),
    MetricDef("average_precision", "higher", "ranking", "class", _RANK_AVGS, (),
              "step-wise area under the precision-recall curve (scikit-learn's AP, no interpolation)"),
    MetricDef("pr_auc", "higher", "ranking", "class", _RANK_AVGS, (),
              "trapezoidal area under the precision-recall curve (auc(recall, precision))"),
    MetricDef("roc_auc", "higher", "ranking", "class", _RANK_AVGS, (),
              "area under the ROC curve, ties counted one half"),
    MetricDef("interpolated_ap", "higher", "ranking", "class", ("macro", "weighted"), ("interpolation",),
              "AP of the interpolated precision envelope sampled at 11 (voc11) or 101 (coco101) recall levels"),
    MetricDef("precision_at_recall", "higher", "ranking", "class", ("macro", "weighted"), ("at_recall",),
              "best precision over thresholds whose recall is at least at_recall"),
    MetricDef("recall_at_precision", "higher", "ranking", "class", ("macro", "weighted"), ("at_precision",),
              "best recall over thresholds whose precision is at least at_precision"),
    MetricDef("brier", "lower", "probability", "class", (), (),
              "mean squared error of the predicted probabilities (binary: positive class; "
              "multiclass without class: sum over classes)"),
    MetricDef("log_loss", "lower", "probability", "matrix", (), (),
              "mean negative log-likelihood of the true class"),
    MetricDef("ece", "lower", "probability", "matrix", (), (),
              "expected calibration error: 15 equal-width bins, L1; top-label for multiclass"),
    MetricDef("label_coverage", "higher", "coverage", "data", (), (),
              "fraction of candidate rows that have a label (label latency)"),
    MetricDef("negative_flip_rate", "lower", "flip", "class", (), (),
              "share of examples the baseline got right and the candidate gets wrong (paired)"),
    MetricDef("positive_flip_rate", "higher", "flip", "class", (), (),
              "share of examples the baseline got wrong and the candidate gets right (paired)"),
    MetricDef("churn", "lower", "flip", "class", (), (),
              "share of examples whose predicted class changed from the baseline (paired)"),
)}

PARAM_DEFAULTS = {"beta": 1.0, "adjusted": False, "normalize": "none", "interpolation": "coco101"}
REQUIRED_PARAMS = {"precision_at_recall": ("at_recall",), "recall_at_precision": ("at_precision",),
                   "confusion": ("class", "predicted"), "fbeta": ("beta",), "expected_cost": ("costs",)}
ALL_PARAMS = frozenset(p for m in METRICS.values() for p in m.params)


def suggest(name: str) -> str | None:
    """The closest metric name to ``name`` (for did-you-mean), or None when nothing is close."""
    matches = difflib.get_close_matches(name.lower().replace("-", "_"), list(METRICS), n=1, cutoff=0.6)
    return matches[0] if matches else None
