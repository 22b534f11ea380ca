"""Report extras from point estimates (no bootstrap): the data summary, per-class table, confusion
matrices, PR/ROC curves (thinned to at most 200 points) and reliability-diagram bins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from gate.data.align import EvalSet
from gate.metrics import formulas as f
from gate.metrics.compiler import ClassGroups, calibration_inputs, confidence_bins
from gate.report.model import Calibration, ClassRow, ConfusionMatrix, Curve, DataSummary
from gate.resampling import counted
from gate.resampling.stats import parallel_map

MAX_CURVE_POINTS = 200


def data_summary(es: EvalSet) -> DataSummary:
    c, b = es.candidate, es.baseline
    support = {name: counted.total(c.counts, c.y == i) for i, name in enumerate(es.classes)}
    artifacts = (c.artifact,) + ((b.artifact,) if b is not None else ())
    return DataSummary(task=es.task, classes=es.classes, positive_class=es.classes[1] if es.task == "binary" else None,
                       pairing=es.pairing, n_candidate=counted.total(c.counts, size=c.y.size),
                       n_baseline=None if b is None else counted.total(b.counts, size=b.y.size),
                       label_coverage=c.n_labeled / c.n_rows, artifacts=artifacts, class_support=support)


def _class_metrics(cm: np.ndarray, i: int) -> dict[str, float]:
    """Precision, recall and F1 of class ``i`` from one confusion matrix."""
    return {m: float(f.per_class(m, cm[None])[0][0, i]) for m in ("precision", "recall", "f1")}


def report_extras(es: EvalSet, groups: ClassGroups | None = None) -> dict:
    sides = [("candidate", es.candidate)] + ([("baseline", es.baseline)] if es.baseline is not None else [])
    k = es.n_classes
    cms = {role: _weighted_cm(side, k) for role, side in sides}
    rows = [ClassRow(name, counted.total(es.candidate.counts, es.candidate.y == i), _class_metrics(cms["candidate"], i),
                     _class_metrics(cms["baseline"], i) if "baseline" in cms else None)
            for i, name in enumerate(es.classes)]
    confusion = tuple(ConfusionMatrix(role, es.classes, tuple(tuple(float(x) for x in r) for r in cm))
                      for role, cm in cms.items())
    groups = groups or ClassGroups()
    scored = [(role, side) for role, side in sides if side.scores is not None]
    pairs = [(role, side, ci) for role, side in scored for ci in ([1] if es.task == "binary" else range(k))]
    # every (side, class) curve and every side's bins on their own thread (bincounts release the GIL),
    # in the same order as one after the other
    jobs: list[Callable[[], list]] = [partial(_curves, role, side, ci, es.classes[ci], groups) for role, side, ci in pairs]
    jobs += [partial(_calibrations, role, side) for role, side in scored]
    done = parallel_map(lambda job: job(), jobs)
    curves = [curve for out in done[:len(pairs)] for curve in out]
    calibration = [cal for out in done[len(pairs):] for cal in out]
    return {"per_class": tuple(rows), "confusion": confusion, "curves": tuple(curves),
            "calibration": tuple(calibration)}


def _weighted_cm(side, k: int) -> np.ndarray:
    w = np.ones(side.y.size) if side.weight is None else side.weight
    return counted.bincount(side.y * k + side.pred, k * k, w, side.counts).reshape(k, k)


def _curves(role: str, side, class_index: int, class_name: str, groups: ClassGroups) -> list[Curve]:
    w = np.ones(side.y.size) if side.weight is None else side.weight
    group = groups(side, class_index)
    positive = side.y == class_index
    g = int(group.max()) + 1
    pos = counted.bincount(group, g, w * positive, side.counts)[None]
    neg = counted.bincount(group, g, w * ~positive, side.counts)[None]
    tps, fps = np.cumsum(pos[0]), np.cumsum(neg[0])
    p_total, n_total = tps[-1], fps[-1]
    if p_total <= 0:
        return []
    recall = np.concatenate([[0.0], tps / p_total])
    precision = np.concatenate([[1.0], np.where(tps + fps > 0, tps / np.maximum(tps + fps, 1e-300), 0.0)])
    out = [Curve("pr", role, class_name, *_thin(recall, precision), float(f.average_precision(pos, neg)[0][0]))]
    if n_total > 0:
        fpr = np.concatenate([[0.0], fps / n_total])
        tpr = np.concatenate([[0.0], tps / p_total])
        out.append(Curve("roc", role, class_name, *_thin(fpr, tpr), float(f.roc_auc(pos, neg)[0][0])))
    return out


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if x.size > MAX_CURVE_POINTS:
        keep = np.unique(np.linspace(0, x.size - 1, MAX_CURVE_POINTS).round().astype(np.int64))
        x, y = x[keep], y[keep]
    return tuple(float(v) for v in x), tuple(float(v) for v in y)


def _calibrations(role: str, side) -> list[Calibration]:
    """The side's reliability bins, when its scores are probabilities (all in [0, 1]); else none."""
    if float(np.min(side.scores)) >= 0.0 and float(np.max(side.scores)) <= 1.0:
        return [_calibration(role, side)]
    return []


def _calibration(role: str, side) -> Calibration:
    conf, correct = calibration_inputs(side)
    w = np.ones(conf.size) if side.weight is None else side.weight
    bins = confidence_bins(side)
    count = counted.bincount(bins, 15, w, side.counts)
    conf_sum = counted.bincount(bins, 15, w * conf, side.counts)
    correct_sum = counted.bincount(bins, 15, w * correct, side.counts)
    used = count > 0
    ece = float(f.expected_calibration_error(count[None], conf_sum[None], correct_sum[None])[0][0])
    return Calibration(role, tuple(float(v) for v in np.linspace(0, 1, 16)),
                       tuple(float(v) for v in conf_sum[used] / count[used]),
                       tuple(float(v) for v in correct_sum[used] / count[used]),
                       tuple(float(v) for v in count[used]), ece)
