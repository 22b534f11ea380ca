"""Error bounds of ranking metrics computed on binned scores (the engine path's quantile bins,
gate/engines/bins.py; docs/scale.md, "Binned ranking gates").

On binned scores every bin is one tie group: ``pos_g`` positives and ``neg_g`` negatives (weighted
sums with sample weights), groups in descending score order, ``T0``/``F0`` the positives/negatives
ranked above the bin, ``P``/``N`` the totals. Bin edges are thresholds of the exact data, so the
exact curve passes through every binned curve point; only the order *inside* a bin is unknown.
Each bound below holds for every order (and every pattern of ties) inside every bin, so the exact
metric of the same rows lies within ``±bound`` of the binned one — for the observed data and for
each bootstrap replicate alike (a replicate's bins are the same bins with other counts).

**ROC-AUC.** ``AUC = Σ_{pairs (i+, j−)} s_ij / (P·N)`` with ``s_ij`` 1 when the positive ranks
above the negative, ½ when tied, 0 below. A pair in two different bins has the same ``s_ij`` on
binned and exact scores (the bins are ordered); a pair inside bin ``b`` counts ½ binned and
``s_ij ∈ {0, ½, 1}`` exact, an error of at most ½. There are ``pos_b·neg_b`` such pairs, hence
``|AUC_exact − AUC_binned| ≤ ½·Σ_b pos_b·neg_b / (P·N)`` (weighted pairs: the same with weights).

**Average precision** (step-wise, ``AP = Σ_i w_i·prec_i / P`` over positives, ``prec_i`` the
precision at the end of the tie group holding ``i``). Inside bin ``b`` with ``c = F0 + neg_b``, a
positive's group ends with ``t ∈ (T0, T0 + pos_b]`` positives and ``f ∈ [F0, c]`` negatives ranked, so
``prec_i ≤ u = (T0+pos_b)/(T0+pos_b+F0)``. Ordering the bin's positives, the one whose weight ends at
cumulative ``t`` has ``prec ≥ l(t) = t/(t+c)``, increasing in ``t``, hence
``Σ_i w_i·prec_i ≥ ∫_{T0}^{T0+pos_b} l(t) dt = pos_b − c·ln(1 + pos_b/(T0+c))``. Binned, each
positive gets ``l(T0+pos_b)``. The bin's error is at most ``pos_b·(u − l(T0+pos_b))`` upward and
``pos_b·l(T0+pos_b) − ∫l`` downward; the bound is the larger of the two sums over bins, over ``P``.

**PR-AUC** (trapezoids over the curve, which starts at (recall 0, precision 1)). Inside bin ``b``
the exact curve runs from the binned curve's point before the bin (precision ``prec0 = T0/(T0+F0)``,
1 at the start) to its point at the bin's end, through points of precision between ``l(t)`` and
``u(t) = t/(t+F0)``, both concave in ``t``. The trapezoids of a concave function lie below its
integral and above its chord, so the bin's exact area is within
``[pos_b·(l(T0) + l(T0+pos_b))/2, pos_b − F0·ln(1 + pos_b/(T0+F0))] / P``; binned it is
``pos_b·(prec0 + l(T0+pos_b))/(2P)``. The bound is the larger one-sided sum, as for AP.

**Interpolated AP, precision at recall, recall at precision** (functions of the curve's points:
the best precision over points with recall ≥ r, its mean over fixed levels, the best recall over
points with precision ≥ q). The binned points are exact points, so the binned value is at most the
exact one (more points never lower a best-of). Every exact point inside bin ``b`` has recall at most
the bin's end recall ``(T0+pos_b)/P`` and precision at most ``u``: it is dominated by the point
(end recall, ``u``). The metric of those optimistic points, at least the exact one (each metric
only grows with its points' recall and precision), minus the binned value is the bound (the error
is one-sided; the interval is still widened on both sides).

**Calibration: ECE, Brier, log-loss** (binary). A cell ``c`` of ``m_c`` examples carries the exact
sums of its scores and their squares and its smallest and largest score ``lo_c ≤ hi_c``
(gate/engines/sql.py, ``score_sums``); every example's label, prediction and weight are the cell's.
Brier's per-example term ``t = (s − y)²`` and log-loss's ``L(s)`` are monotone in ``s`` for a fixed
``y``, so every example's term lies between the terms at ``lo_c`` and ``hi_c``. Brier takes the
cell's exact mean term ``(Σs² − 2yΣs)/m + y``, log-loss the midpoint of ``L(lo_c)`` and ``L(hi_c)``,
ECE the cell's mean score (and the cell's ECE bin: the ECE boundaries are bin edges). A replicate
draws the cell's weight ``W_c ~ Poisson(m_c)``, which is the sum of its examples' Poisson(1) weights
``P_i``; for those examples the exact replicate differs from the binned one by
``Σ_c Σ_{i∈c} P_i·w_c·(x_i − x̄_c) / Σ_c W_c·w_c``, at most ``Σ_c W_c·w_c·δ_c / Σ_c W_c·w_c`` with ``δ_c``
the largest ``|x_i − x̄_c|``: ``hi_c − lo_c`` for ECE (``|·|`` is 1-Lipschitz, summed over the ECE bins),
``|t(hi_c) − t(lo_c)|`` for Brier, half of ``|L(hi_c) − L(lo_c)|`` for log-loss — plus ``4·2^-52`` for
the sums' truncation and rounding. The bound is that weighted mean of ``δ_c`` (:func:`calibration_spread`),
the same weighted mean as the metric, so each replicate's bound is that replicate's.

``validation/binned_bounds.py`` measures the actual errors against these bounds (docs/scale.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from gate.data.align import Side
from gate.metrics import formulas as f
from gate.metrics.compiler import QuantityBuilder, Target, binary_log_loss, negatives, positives


def _totals(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, ...]:
    tps, fps = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    return tps, fps, tps - pos, fps - neg


def _ratio(num: np.ndarray, den: np.ndarray, empty: float) -> np.ndarray:
    """``num/den``, ``empty`` where ``den`` is 0."""
    out = np.full(np.broadcast(num, den).shape, empty)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _integral(pos: np.ndarray, start: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``∫_{start}^{start+pos} t/(t+c) dt = pos − c·ln(1 + pos/(start+c))`` (``pos`` where start+c = 0,
    the integrand being 1 there)."""
    return pos - c * np.log1p(_ratio(pos, start + c, 0.0))


def _per_positive(up: np.ndarray, down: np.ndarray, p_total: np.ndarray) -> f.Result:
    undefined = p_total <= 0
    bound = np.maximum(np.maximum(up.sum(axis=1), down.sum(axis=1)), 0.0)
    return _ratio(bound, p_total, np.nan), undefined


def roc_auc_bound(pos: np.ndarray, neg: np.ndarray) -> f.Result:
    """``½·Σ_b pos_b·neg_b / (P·N)`` (module docstring); undefined where AUC is."""
    den = pos.sum(axis=1) * neg.sum(axis=1)
    return _ratio(0.5 * (pos * neg).sum(axis=1), den, np.nan), den <= 0


def average_precision_bound(pos: np.ndarray, neg: np.ndarray) -> f.Result:
    """AP's bound (module docstring); undefined without positives."""
    tps, fps, t0, f0 = _totals(pos, neg)
    binned = _ratio(tps, tps + fps, 0.0)
    up = pos * (_ratio(tps, tps + f0, 1.0) - binned)
    down = pos * binned - _integral(pos, t0, fps)
    return _per_positive(up, down, tps[:, -1])


def pr_auc_bound(pos: np.ndarray, neg: np.ndarray) -> f.Result:
    """PR-AUC's bound (module docstring); undefined without positives."""
    tps, fps, t0, f0 = _totals(pos, neg)
    end = _ratio(tps, tps + fps, 1.0)
    binned = pos * (_ratio(t0, t0 + f0, 1.0) + end) / 2.0
    lowest = pos * (_ratio(t0, t0 + fps, 1.0) + end) / 2.0
    highest = _integral(pos, t0, f0)
    return _per_positive(highest - binned, binned - lowest, tps[:, -1])


def _optimistic(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(recall, binned precision, optimistic precision ``u``, reached) at each bin's end: the curve
    of :func:`formulas._curve_points` (precision 0 where nothing is ranked yet) and its dominating
    twin (module docstring)."""
    tps, fps, _, f0 = _totals(pos, neg)
    recall = _ratio(tps, tps[:, -1:], 0.0)
    return recall, _ratio(tps, tps + fps, 0.0), _ratio(tps, tps + f0, 0.0), (tps + fps) > 0


def _envelope_bound(pos: np.ndarray, neg: np.ndarray, levels: np.ndarray) -> f.Result:
    """Mean over recall ``levels`` of the best precision at recall ≥ level, optimistic − binned."""
    recall, binned, best, _ = _optimistic(pos, neg)
    gap = f._envelope_at(recall, best, levels) - f._envelope_at(recall, binned, levels)
    return np.maximum(gap.mean(axis=1), 0.0), pos.sum(axis=1) <= 0


def interpolated_ap_bound(pos: np.ndarray, neg: np.ndarray, interpolation: str) -> f.Result:
    return _envelope_bound(pos, neg, f.INTERPOLATION_LEVELS[interpolation])


def precision_at_recall_bound(pos: np.ndarray, neg: np.ndarray, at_recall: float) -> f.Result:
    return _envelope_bound(pos, neg, np.array([at_recall]))


def recall_at_precision_bound(pos: np.ndarray, neg: np.ndarray, at_precision: float) -> f.Result:
    """The best recall over points of precision ≥ ``at_precision``, optimistic − binned."""
    recall, binned, best, reached = _optimistic(pos, neg)
    gap = (np.where(reached & (best >= at_precision), recall, 0.0).max(axis=1)
           - np.where(reached & (binned >= at_precision), recall, 0.0).max(axis=1))
    return np.maximum(gap, 0.0), pos.sum(axis=1) <= 0


Bound = Callable[[np.ndarray, np.ndarray], f.Result]


def bound_of(metric: str, params: Mapping[str, object]) -> Bound:
    """The bound function of ``metric`` with the gate's parameters (``at_recall`` …)."""
    if metric == "roc_auc":
        return roc_auc_bound
    if metric == "average_precision":
        return average_precision_bound
    if metric == "pr_auc":
        return pr_auc_bound
    if metric == "interpolated_ap":
        return lambda pos, neg: interpolated_ap_bound(pos, neg, str(params["interpolation"]))
    if metric == "precision_at_recall":
        return lambda pos, neg: precision_at_recall_bound(pos, neg, float(params["at_recall"]))  # type: ignore[arg-type]
    if metric == "recall_at_precision":
        return lambda pos, neg: recall_at_precision_bound(pos, neg, float(params["at_precision"]))  # type: ignore[arg-type]
    raise KeyError(metric)


BOUNDED = ("roc_auc", "average_precision", "pr_auc", "interpolated_ap", "precision_at_recall", "recall_at_precision")
"""The ranking metrics with an error bound on binned scores."""
CALIBRATION_BOUNDED = ("ece", "brier", "log_loss")
"""The calibration metrics with an error bound on binned scores (binary, from the cells' score sums)."""
ALL_BOUNDED = BOUNDED + CALIBRATION_BOUNDED
SUM_SLACK = 4.0 * 2.0 ** -52
"""What the cells' truncated sums and their rounding can move one example's term by, at most."""


def calibration_spread(side: Side, metric: str) -> np.ndarray:
    """Per binned cell, the most an example's term can differ from the cell's (module docstring)."""
    cells = side.cell_scores
    assert cells is not None
    if metric == "ece":
        spread = cells.high - cells.low
    elif metric == "brier":
        positive = side.y == 1
        spread = np.abs((cells.high - positive) ** 2 - (cells.low - positive) ** 2)
    else:
        spread = np.abs(binary_log_loss(side.y, cells.high) - binary_log_loss(side.y, cells.low)) / 2.0
    return spread + SUM_SLACK


def bound_quantity(builder: QuantityBuilder, role: str, t: Target) -> Callable[[list[np.ndarray]], f.Result]:
    """The bound of gate ``t``'s metric on ``role``'s binned scores, from the same blocks as the
    metric (so each replicate's bound is that replicate's): a calibration metric's weighted mean
    spread; a ranking metric's per class, micro (the stacked
    block), or a macro / weighted average of the classes' bounds (an average moves by at most the
    same average of its parts' errors)."""
    if t.metric in CALIBRATION_BOUNDED:      # the weight total from the block the metric reads (the same resamples)
        spread = builder.sum_block(role, t, f"bound {t.metric}", calibration_spread(builder.side(role), t.metric))
        total = builder.ece_count_block(role, t) if t.metric == "ece" else builder.cm_block(role, t)
        return lambda acc: f.mean_of(acc[spread][:, 0], acc[total].sum(axis=1))
    bound = bound_of(t.metric, t.params)

    def of_block(idx: int) -> Callable[[list[np.ndarray]], f.Result]:
        def quantity(acc: list[np.ndarray]) -> f.Result:
            sums = _float(acc[idx])
            return bound(positives(sums), negatives(sums))
        return quantity

    if t.average == "micro":
        return of_block(builder.rank_micro_block(role, t))
    if t.average is None:
        assert t.class_index is not None
        return of_block(builder.rank_block(role, t, t.class_index))
    blocks = [builder.rank_block(role, t, c) for c in range(builder.k)]
    parts = [of_block(i) for i in blocks]

    def averaged(acc: list[np.ndarray]) -> f.Result:
        results = [q(acc) for q in parts]
        values = np.column_stack([v for v, _ in results])
        undefined = np.asarray(np.column_stack([u for _, u in results]).any(axis=1))
        if t.average == "macro":
            return values.mean(axis=1), undefined
        support = np.column_stack([positives(acc[i]).sum(axis=1) for i in blocks]).astype(np.float64)
        total = support.sum(axis=1)
        return _ratio((values * support).sum(axis=1), total, np.nan), undefined | (total <= 0)
    return averaged


def _float(x: np.ndarray) -> np.ndarray:
    return x if x.dtype == np.float64 else x.astype(np.float64)
