"""The ECE interval: the bootstrap's spread around the estimate corrected by its bias bounds
(issue 16, defect 2; docs/validity.md, "ECE: the bias-bounded interval").

The gate's ECE is the SPEC's binned plug-in (15 equal-width bins, L1, top-label for multiclass):
``θ̂ = Σ_b |d_b|`` with ``d_b = Σ w·(correct − confidence)·1[bin b] / Σ w``. It estimates the
*population* binned calibration error ``θ = Σ_b |μ_b|``, ``μ_b = E[(correct − confidence)·1[bin b]]``
(``P(bin b)·|accuracy_b − confidence_b|`` summed over bins), and is biased upward: with ``d_b`` roughly
normal around ``μ_b`` with standard error ``s_b``, ``E|d_b| − |μ_b| = s_b·h(|μ_b|/s_b)``, where
``h(m) = 2φ(m) − 2m·Φ(−m)`` falls from ``√(2/π) ≈ 0.80`` at a calibrated bin (``μ_b = 0``) to ≈ 0 from
``|μ_b| ≈ 3 s_b``. A percentile bootstrap of ``θ̂`` adds that bias a second time, so a well calibrated
model failed ``max: <true ECE>`` nearly always. No estimator of ``|μ|`` is unbiased for every ``μ``; the
interval instead bounds the bias per bin from the data:

- **high** (the most the plug-in can be inflated, used for the interval's lower end): ``s_b·h(m_b)``
  at ``m_b = max(|d_b|/s_b − 2.5, 0)``, the smallest ``|μ_b|/s_b`` the bin plausibly has (``h``
  decreases in ``m``); a bin indistinguishable from calibrated gets the full ``√(2/π)·s_b``;
- **low** (the least it is inflated, for the upper end): ``s_b·h(|d_b|/s_b + 0.5)``, the bias of a
  bin half a standard error further from calibrated than observed (at ``|d_b|/s_b`` itself, the
  one-step bootstrap bias correction, the upper end fell below the truth in up to 4–5% of runs).

The interval of the candidate's ECE is ``[θ̂ − high + (q_α − r̄), θ̂ − low + (q_{1−α} − r̄)]``, with
``q`` the quantiles and ``r̄`` the mean of the bootstrap replicates of ``θ̂`` (their spread and shape,
re-centred); deltas and relative deltas combine both sides' bounds the way that widens the interval
(:func:`tested_centres`). In the study, false fails at ``max: <true ECE>`` stay ≤ 2.5% from a perfectly
calibrated to a clearly miscalibrated model; the price is an interval wider than nominal (coverage
up to ≈ 1) where bins sit near ``|μ_b| ≈ s_b``; the report notes such a gate (:func:`excess_width`).
``s_b`` is the standard error of the weighted mean ``d_b`` of the per-row terms ``z = x·1[b]``
(``x = correct − confidence``): ``s_b² = Σ w²·(z − d_b)² / (Σ w)²`` — ``(Σ x²·1[b]/n − d_b²)/n``
without weights; with sample weights it does not change when every weight is scaled (the weight
total is not a number of examples). A bin with ``s_b = 0`` has no bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from gate.data.align import Side
from gate.inference.intervals import Distribution
from gate.inference.series import Series
from gate.metrics.compiler import ECE_BINS, brier_terms, calibration_inputs, confidence_bins
from gate.report.model import Note
from gate.resampling import counted

METHOD = "bias-bounded"
Z_BOUND = 2.5     # a bin's |μ|/s is taken to be at least |d|/s − Z_BOUND for the bias's upper bound
Z_LOW = 0.5       # ... and at most |d|/s + Z_LOW for its lower bound (both chosen in the study)


@dataclass(frozen=True)
class EceBias:
    """Bounds on the plug-in ECE's upward bias ``E θ̂ − θ`` on one side's subset: ``low ≤ high``."""

    low: float
    high: float


def bias_factor(m: np.ndarray) -> np.ndarray:
    """``h(m) = E|N(m, 1)| − m = 2φ(m) − 2m·Φ(−m)`` for ``m ≥ 0``: the plug-in's bias in units of s."""
    return 2.0 * np.exp(-0.5 * m * m) / math.sqrt(2.0 * math.pi) - 2.0 * m * ndtr(-m)


def ece_bias(side: Side, rows: np.ndarray) -> EceBias:
    """The bias bounds of the binned ECE over ``rows`` of ``side`` (no rows or no weight: no bias);
    an engine cell counts as its ``counts`` examples, summed as the file path sums the same rows
    (:mod:`gate.resampling.counted`), so both paths give the same bounds to the last bit."""
    conf, correct = calibration_inputs(side)
    w = np.ones(rows.size) if side.weight is None else side.weight[rows].astype(np.float64)
    counts = None if side.counts is None else side.counts[rows]     # the engine path's cells
    if rows.size == 0:
        return EceBias(0.0, 0.0)
    total = float(counted.bincount(np.zeros(rows.size, dtype=np.intp), 1, w, counts)[0])
    if total <= 0:
        return EceBias(0.0, 0.0)
    x = correct[rows] - conf[rows]
    # a binned cell's mean x² (binary: the squared error), exact from its score sums
    squares = None if side.cell_scores is None else brier_terms(side, None)[rows]
    bins = confidence_bins(side)[rows]
    d = counted.bincount(bins, ECE_BINS, w * x, counts) / total
    se = np.sqrt(np.maximum(_weighted_square_deviation(bins, w, x, squares, d, counts), 0.0)) / total
    ok = se > 0
    z = np.abs(d[ok]) / se[ok]
    low = float(np.sum(se[ok] * bias_factor(z + Z_LOW)))
    high = float(np.sum(se[ok] * bias_factor(np.maximum(z - Z_BOUND, 0.0))))
    return EceBias(low, high)


def _weighted_square_deviation(bins: np.ndarray, w: np.ndarray, x: np.ndarray, squares: np.ndarray | None,
                               d: np.ndarray, counts: np.ndarray | None) -> np.ndarray:
    """Per bin b, ``Σ w²·(z − d_b)²`` over every row, ``z = x·1[bin = b]``: the rows in the bin
    contribute ``w²(x − d_b)²``, the others ``w²·d_b²``, i.e. ``Σ_b w²x² − 2 d_b Σ_b w²x + d_b² Σ w²``
    (``squares``: each row's ``x²`` where it is not ``x·x``, on binned cells)."""
    w2 = w * w
    in_sq = counted.bincount(bins, ECE_BINS, w2 * x * x if squares is None else w2 * squares, counts)
    in_lin = counted.bincount(bins, ECE_BINS, w2 * x, counts)
    all_w2 = float(counted.bincount(np.zeros(bins.size, dtype=np.intp), 1, w2, counts)[0])
    return in_sq - 2.0 * d * in_lin + d * d * all_w2


def excess_width(dist: Distribution, alpha: float) -> tuple[float, float] | None:
    """For a bias-bounded distribution: (the width its bias bounds add, ``high_centre − low_centre``;
    the replicates' own central ``1 − 2α`` width), else None (not ECE, or no usable replicates)."""
    if not isinstance(dist, BiasBounded) or not dist.usable or dist.replicates.size < 2:
        return None
    reps = dist.replicates
    return dist.high_centre - dist.low_centre, float(np.quantile(reps, 1 - alpha) - np.quantile(reps, alpha))


def tested_centres(kind: str, cand: float, cand_bias: EceBias, base: float | None,
                   base_bias: EceBias | None) -> tuple[float, float]:
    """The (lowest, highest) value of the tested quantity the bias bounds allow: the candidate's
    ``θ̂ − high`` … ``θ̂ − low``; a delta ``c − b`` pairs the candidate's low end with the baseline's
    high end and vice versa; a relative delta ``c/b − 1`` likewise (infinite when the baseline's low
    end is not positive)."""
    c_lo, c_hi = cand - cand_bias.high, cand - cand_bias.low
    if kind == "candidate":
        return c_lo, c_hi
    assert base is not None and base_bias is not None
    b_lo, b_hi = base - base_bias.high, base - base_bias.low
    if kind == "delta":
        return c_lo - b_hi, c_hi - b_lo
    lowest = c_lo / b_hi - 1.0 if b_hi > 0 else -math.inf
    highest = c_hi / b_lo - 1.0 if b_lo > 0 else math.inf
    return lowest, highest


@dataclass
class BiasBounded(Distribution):
    """A bootstrap distribution whose endpoints sit around the bias-bounded centres: the lower end
    at ``low_centre + (q_α − r̄)``, the upper at ``high_centre + (q_{1−α} − r̄)`` (``r̄`` the mean of
    the defined replicates). The estimate stays the plug-in; ``method`` is ``"bias-bounded"``."""

    low_centre: float = 0.0
    high_centre: float = 0.0

    def _shifted(self, centre: float) -> Distribution:
        reps = self.replicates - float(np.mean(self.replicates)) + centre if self.replicates.size else self.replicates
        return Distribution(self.estimate, reps, self.undefined, "percentile")

    @property
    def usable(self) -> bool:
        return super().usable and math.isfinite(self.low_centre) and math.isfinite(self.high_centre)

    def lower(self, alpha: float) -> float:
        return self._shifted(self.low_centre).lower(alpha)

    def upper(self, alpha: float) -> float:
        return self._shifted(self.high_centre).upper(alpha)

    def p_value(self, threshold: float, op: str) -> float:
        """The percentile p-value of the fail-side endpoint's replicates: the lower end's for ``<=``
        (a ceiling fails when the lower end is above it), the upper end's for ``>=``."""
        centre = self.low_centre if op == "<=" else self.high_centre
        return self._shifted(centre).share_beyond(threshold, op)


@dataclass(frozen=True)
class EceInterval:
    """An ECE gate's interval rule (:class:`gate.inference.gate_results.IntervalRule`): each side's
    bias bounds, and every interval — the candidate's, the baseline's, the delta's, the tested
    quantity's — the bootstrap's spread around the bias-bounded centres (:func:`tested_centres`).
    ``baseline`` is None without a baseline."""

    candidate: EceBias
    baseline: EceBias | None
    method: str = METHOD

    def notes(self, kind: str) -> tuple[Note, ...]:
        """The gate's note: the candidate's bias bounds (``ece_interval``, worded in gate/render/notes.py)."""
        return (Note("ece_interval", {"low": float(self.candidate.low), "high": float(self.candidate.high)}),)

    def error_bound(self, kind: str) -> None:
        """Exact data: no bound (the binned path wraps this rule, gate/inference/binned.py)."""
        return None

    def distribution(self, kind: str, s: Series, candidate: float, baseline: float | None) -> Distribution:
        """The distribution of ``s``, the ``kind`` quantity (``candidate``, ``baseline``, ``delta`` or
        ``relative_delta``) formed from the two sides' points ``candidate`` and ``baseline``."""
        if kind == "baseline":
            assert self.baseline is not None and baseline is not None
            centres = tested_centres("candidate", baseline, self.baseline, None, None)
        else:
            centres = tested_centres(kind, candidate, self.candidate, baseline, self.baseline)
        reps = s.reps[~s.reps_undefined]
        return BiasBounded(s.point, reps, int(np.count_nonzero(s.reps_undefined)), METHOD,
                           low_centre=centres[0], high_centre=centres[1])
