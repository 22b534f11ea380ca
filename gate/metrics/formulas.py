"""Metric formulas on sufficient statistics, vectorised over resamples (the leading axis ``b``).

Each function returns ``(value, undefined)``: ``value`` follows scikit-learn's convention where
scikit-learn returns a number (e.g. ``zero_division=0`` gives 0), and is NaN where scikit-learn returns
NaN; ``undefined`` flags resamples where the metric's denominator vanished, so the engine can count
them instead of silently gating on a convention.

Confusion metrics take ``cm`` of shape ``(b, K, K)`` (true class on axis 1, predicted on axis 2).
Ranking metrics take ``pos``/``neg`` of shape ``(b, G)``: the (weighted) count of positives and
negatives in each tie group of scores, groups in *descending* score order (one group per distinct
score, exactly scikit-learn's thresholds).
"""

from __future__ import annotations

import numpy as np

Result = tuple[np.ndarray, np.ndarray]

# ---------------------------------------------------------------------------------------------
# confusion-matrix metrics


def class_counts(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class one-vs-rest counts ``(tp, fp, fn, tn)``, each ``(b, K)``."""
    tp = np.diagonal(cm, axis1=1, axis2=2)
    pred_sum = cm.sum(axis=1)
    true_sum = cm.sum(axis=2)
    total = cm.sum(axis=(1, 2))[:, None]
    fp = pred_sum - tp
    fn = true_sum - tp
    tn = total - tp - fp - fn
    return tp, fp, fn, tn


def _ratio(num: np.ndarray, den: np.ndarray) -> Result:
    """num/den with scikit-learn's ``zero_division=0``: 0 where den == 0, flagged undefined."""
    undefined = den == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(undefined, 0.0, num / np.where(undefined, 1.0, den))
    return value, undefined


def per_class(name: str, cm: np.ndarray, beta: float = 1.0) -> Result:
    """One-vs-rest ``precision|recall|specificity|fpr|fnr|f1|fbeta`` for every class: ``(b, K)``.

    Zero-division rules (scikit-learn's default ``zero_division="warn"`` → 0): precision is 0 when
    nothing is predicted as the class (tp + fp = 0); recall is 0 when the class has no true examples;
    F-beta is computed directly as ``(1 + β²) tp / ((1 + β²) tp + β² fn + fp)`` and is 0 only when
    tp + fp + fn = 0. Specificity/fpr/fnr are 0 when their denominator is 0.
    """
    tp, fp, fn, tn = class_counts(cm)
    if name == "precision":
        return _ratio(tp, tp + fp)
    if name == "recall":
        return _ratio(tp, tp + fn)
    if name == "specificity":
        return _ratio(tn, tn + fp)
    if name == "fpr":
        return _ratio(fp, fp + tn)
    if name == "fnr":
        return _ratio(fn, fn + tp)
    if name in ("f1", "fbeta"):
        b2 = 1.0 if name == "f1" else beta * beta
        return _ratio((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
    raise KeyError(name)


def averaged(name: str, cm: np.ndarray, average: str, beta: float = 1.0) -> Result:
    """``average`` over all classes of the policy (scikit-learn with ``labels=`` every class).

    macro: unweighted mean (zero-division classes count as 0); weighted: mean weighted by true support
    (0 when there is no support); micro: the metric of the pooled counts. Undefined when every class is.
    """
    if average == "micro":
        tp, fp, fn, tn = (x.sum(axis=1, keepdims=True) for x in class_counts(cm))
        pooled = np.zeros((cm.shape[0], 2, 2))
        pooled[:, 1, 1], pooled[:, 0, 1], pooled[:, 1, 0], pooled[:, 0, 0] = tp[:, 0], fp[:, 0], fn[:, 0], tn[:, 0]
        value, undefined = per_class(name, pooled, beta)
        return value[:, 1], undefined[:, 1]
    value, undefined = per_class(name, cm, beta)
    if average == "macro":
        return value.mean(axis=1), undefined.all(axis=1)  # type: ignore[return-value]  # numpy stubs: all(axis=1) of 2-D is an array
    support = cm.sum(axis=2)
    total = support.sum(axis=1)
    w_value, w_undefined = _ratio((value * support).sum(axis=1), total)
    return w_value, w_undefined | undefined.all(axis=1)


def accuracy(cm: np.ndarray) -> Result:
    """trace / total (scikit-learn ``accuracy_score``)."""
    return _ratio(np.trace(cm, axis1=1, axis2=2), cm.sum(axis=(1, 2)))


def balanced_accuracy(cm: np.ndarray, adjusted: bool = False) -> Result:
    """Mean recall over the classes that have true examples in this (re)sample, as scikit-learn does
    (a class only predicted, never true, is dropped). ``adjusted``: ``(s − 1/K') / (1 − 1/K')`` with K'
    the number of those classes; undefined (scikit-learn: −inf) when K' = 1."""
    true_sum = cm.sum(axis=2)
    tp = np.diagonal(cm, axis1=1, axis2=2)
    present = true_sum > 0
    k_present = present.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(present, tp / np.where(present, true_sum, 1.0), 0.0)
        score = recall.sum(axis=1) / np.maximum(k_present, 1)
    undefined = k_present == 0
    if adjusted:
        with np.errstate(divide="ignore", invalid="ignore"):
            chance = 1.0 / np.maximum(k_present, 1)
            score = np.where(k_present > 1, (score - chance) / np.where(k_present > 1, 1 - chance, 1.0), -np.inf)
        undefined = k_present <= 1
    return score, undefined


def mcc(cm: np.ndarray) -> Result:
    """Matthews correlation (scikit-learn's multiclass R_K); 0 when the denominator is 0."""
    t = cm.sum(axis=2)
    p = cm.sum(axis=1)
    c = np.trace(cm, axis1=1, axis2=2)
    s = cm.sum(axis=(1, 2))
    cov_ytyp = c * s - (t * p).sum(axis=1)
    cov_ypyp = s * s - (p * p).sum(axis=1)
    cov_ytyt = s * s - (t * t).sum(axis=1)
    den = cov_ytyt * cov_ypyp
    undefined = den == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(undefined, 0.0, cov_ytyp / np.sqrt(np.where(undefined, 1.0, den)))
    return value, undefined


def cohen_kappa(cm: np.ndarray) -> Result:
    """Cohen's kappa (unweighted). NaN and undefined when scikit-learn returns ``replace_undefined_by``
    (no examples, or labels and predictions agree on a single class only)."""
    sum0 = cm.sum(axis=1)   # per predicted class
    sum1 = cm.sum(axis=2)   # per true class
    total = sum0.sum(axis=1)
    k = cm.shape[1]
    off = 1.0 - np.eye(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = sum0[:, None, :] * sum1[:, :, None] / np.where(total == 0, 1.0, total)[:, None, None]
        num = (off * cm).sum(axis=(1, 2))
        den = (off * expected).sum(axis=(1, 2))
        undefined = (total == 0) | (den == 0)
        value = np.where(undefined, np.nan, 1.0 - num / np.where(undefined, 1.0, den))
    return value, undefined


def confusion_cell(cm: np.ndarray, true_idx: int, pred_idx: int, normalize: str) -> Result:
    """One cell of the confusion matrix, normalized like ``confusion_matrix(normalize=...)``: by the
    true-class row (``"true"``), the predicted column (``"pred"``), the total (``"all"``), or raw
    counts (``"none"``). An empty row/column gives 0 (scikit-learn's ``nan_to_num``), flagged."""
    cell = cm[:, true_idx, pred_idx]
    if normalize == "none":
        return cell.copy(), np.zeros(cell.shape, dtype=bool)
    den = {"true": cm[:, true_idx, :].sum(axis=1), "pred": cm[:, :, pred_idx].sum(axis=1),
           "all": cm.sum(axis=(1, 2))}[normalize]
    return _ratio(cell, den)


# ---------------------------------------------------------------------------------------------
# ranking metrics over tie groups


def _cumulative(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tps = np.cumsum(pos, axis=1)
    fps = np.cumsum(neg, axis=1)
    return tps, fps, tps[:, -1], fps[:, -1]


def average_precision(pos: np.ndarray, neg: np.ndarray) -> Result:
    """Step-wise AP = Σ_g (ΔR_g) · P_g over tie groups (scikit-learn ``average_precision_score``; a tie
    group is one threshold, so the order inside ties never matters). No positives: scikit-learn returns
    0 with a warning; here 0 and undefined."""
    tps, fps, p_total, _ = _cumulative(pos, neg)
    alls = tps + fps
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(alls > 0, tps / np.where(alls > 0, alls, 1.0), 0.0)
        ap = (pos * precision).sum(axis=1) / np.where(p_total > 0, p_total, 1.0)
    undefined = p_total <= 0
    return np.where(undefined, 0.0, np.maximum(ap, 0.0)), undefined


def pr_auc(pos: np.ndarray, neg: np.ndarray) -> Result:
    """Trapezoidal area under scikit-learn's ``precision_recall_curve`` (``auc(recall, precision)``),
    which starts at the point (recall 0, precision 1). A group no example reached (a resample drew none
    of it) repeats the previous curve point. No positives: NaN and undefined."""
    tps, fps, p_total, _ = _cumulative(pos, neg)
    alls = tps + fps
    safe_p = np.where(p_total > 0, p_total, 1.0)[:, None]
    recall = tps / safe_p
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(alls > 0, tps / np.where(alls > 0, alls, 1.0), 1.0)
    prev_recall = np.concatenate([np.zeros((recall.shape[0], 1)), recall[:, :-1]], axis=1)
    prev_precision = np.concatenate([np.ones((recall.shape[0], 1)), precision[:, :-1]], axis=1)
    area = ((recall - prev_recall) * (precision + prev_precision) / 2.0).sum(axis=1)
    undefined = p_total <= 0
    return np.where(undefined, np.nan, area), undefined


def roc_auc(pos: np.ndarray, neg: np.ndarray) -> Result:
    """ROC-AUC = Σ_g pos_g · (negatives ranked below g + ½ negatives tied in g) / (P · N): the
    Mann–Whitney statistic, equal to scikit-learn's trapezoid over ``roc_curve``. Undefined (NaN, as
    scikit-learn ≥ 1.6) when there are no positives or no negatives."""
    _, fps, p_total, n_total = _cumulative(pos, neg)
    below = n_total[:, None] - fps
    num = (pos * (below + 0.5 * neg)).sum(axis=1)
    den = p_total * n_total
    undefined = den <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(undefined, np.nan, num / np.where(undefined, 1.0, den))
    return value, undefined


def _curve_points(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recall and precision at every threshold (no (0, 1) end point); unreached groups get precision 0
    so that they never raise an envelope."""
    tps, fps, p_total, _ = _cumulative(pos, neg)
    alls = tps + fps
    recall = tps / np.where(p_total > 0, p_total, 1.0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(alls > 0, tps / np.where(alls > 0, alls, 1.0), 0.0)
    return recall, precision, p_total


def _envelope_at(recall: np.ndarray, precision: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """For each row and recall level r: the interpolated precision max{P_g : R_g ≥ r} (0 if none),
    found as the reverse running maximum at the first group whose recall reaches r."""
    envelope = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    b, g = recall.shape
    shifted = recall + 2.0 * np.arange(b)[:, None]   # rows become one sorted array
    idx = np.searchsorted(shifted.ravel(), (levels[None, :] + 2.0 * np.arange(b)[:, None]).ravel(), side="left")
    idx = idx.reshape(b, levels.size)
    row_start = np.arange(b)[:, None] * g
    inside = idx < row_start + g
    flat_env = envelope.ravel()
    return np.where(inside, flat_env[np.minimum(idx, b * g - 1)], 0.0)


INTERPOLATION_LEVELS = {"voc11": np.linspace(0.0, 1.0, 11), "coco101": np.linspace(0.0, 1.0, 101)}


def interpolated_ap(pos: np.ndarray, neg: np.ndarray, interpolation: str) -> Result:
    """Mean interpolated precision at fixed recall levels: PASCAL VOC 11-point (``voc11``) or COCO
    101-point (``coco101``), over scikit-learn's tie-grouped PR curve (each tie group one point)."""
    recall, precision, p_total = _curve_points(pos, neg)
    values = _envelope_at(recall, precision, INTERPOLATION_LEVELS[interpolation]).mean(axis=1)
    undefined = p_total <= 0
    return np.where(undefined, 0.0, values), undefined


def precision_at_recall(pos: np.ndarray, neg: np.ndarray, at_recall: float) -> Result:
    """Best precision over thresholds whose recall is at least ``at_recall``."""
    recall, precision, p_total = _curve_points(pos, neg)
    values = _envelope_at(recall, precision, np.array([at_recall]))[:, 0]
    undefined = p_total <= 0
    return np.where(undefined, 0.0, values), undefined


def recall_at_precision(pos: np.ndarray, neg: np.ndarray, at_precision: float) -> Result:
    """Best recall over thresholds whose precision is at least ``at_precision`` (0 when none is)."""
    recall, precision, p_total = _curve_points(pos, neg)
    tps = np.cumsum(pos, axis=1)
    reached = (precision >= at_precision) & ((tps + np.cumsum(neg, axis=1)) > 0)
    values = np.where(reached, recall, 0.0).max(axis=1)
    undefined = p_total <= 0
    return np.where(undefined, 0.0, values), undefined


# ---------------------------------------------------------------------------------------------
# probability metrics from per-example sums


def mean_of(weighted_sum: np.ndarray, weight_total: np.ndarray) -> Result:
    """A weighted mean Σ w·x / Σ w (brier, log loss); undefined when there is no weight."""
    return _ratio(weighted_sum, weight_total)


def expected_calibration_error(count: np.ndarray, conf: np.ndarray, correct: np.ndarray) -> Result:
    """ECE = Σ_bins |Σ w·correct − Σ w·confidence| / Σ w over equal-width bins (inputs ``(b, bins)``)."""
    total = count.sum(axis=1)
    return _ratio(np.abs(correct - conf).sum(axis=1), total)
