"""Bootstrap confidence-interval endpoints, like ``scipy.stats.bootstrap`` but at any tail level.

A :class:`Distribution` holds the point estimate, the defined replicates and (for BCa) the
acceleration. ``lower(alpha)`` / ``upper(alpha)`` give the one-sided endpoints that leave ``alpha`` in
the tail, so a two-sided interval at confidence ``c`` is ``(lower((1-c)/2), upper((1-c)/2))``; the
decision rule uses different tail levels on its pass and fail sides (multiple-testing adjustment).

- percentile: quantiles of the replicates (``numpy.quantile``, linear interpolation, as scipy);
- basic: ``2·θ̂ − q(1−α)`` / ``2·θ̂ − q(α)`` (reverse percentile);
- bca: quantiles at ``Φ(z0 + (z0 + z)/(1 − a(z0 + z)))`` with bias ``z0 = Φ⁻¹(share of replicates
  below θ̂, ties counted ½)`` and acceleration ``a`` from a jackknife. When ``z0`` is infinite (every
  replicate on one side of θ̂) BCa is undefined and the percentile endpoint is used, with a note.

Replicates where the metric was undefined are excluded and counted (``undefined``).

``p_value(threshold, op)`` is each method's own p-value for failing a bar: the smallest tail level
at which that method's fail-side endpoint misses the threshold, so Holm's step-down orders gates by
the same rule that decides them. :class:`IntervalSource` is what the decision rule needs of any
interval method: the bootstrap's :class:`Distribution` and exact methods (:mod:`gate.inference.exact`) alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import ndtr, ndtri

_TINY = 1e-9   # a tail level below any the decision rule uses (the most stringent endpoint)


class IntervalSource(Protocol):
    """One-sided endpoints and a p-value for failing a bar, whatever method computes them."""

    @property
    def estimate(self) -> float: ...

    @property
    def method(self) -> str: ...

    @property
    def usable(self) -> bool: ...

    def lower(self, alpha: float) -> float: ...

    def upper(self, alpha: float) -> float: ...

    def interval(self, confidence: float) -> tuple[float, float]: ...

    def p_value(self, threshold: float, op: str) -> float: ...


@dataclass
class Distribution:
    estimate: float
    replicates: np.ndarray      # defined replicates only
    undefined: int
    method: str
    acceleration: float = 0.0

    @property
    def total(self) -> int:
        return self.replicates.size + self.undefined

    @property
    def usable(self) -> bool:
        return self.replicates.size >= 2 and math.isfinite(self.estimate)

    @property
    def bias_z0(self) -> float:
        below = np.count_nonzero(self.replicates < self.estimate)
        ties = np.count_nonzero(self.replicates == self.estimate)
        share = (below + 0.5 * ties) / self.replicates.size
        return float(ndtri(share))

    @property
    def bca_fallback(self) -> bool:
        """BCa could not be formed (infinite bias correction) and percentile was used instead."""
        return self.method == "bca" and not math.isfinite(self.bias_z0)

    def _quantile(self, q: float) -> float:
        return float(np.quantile(self.replicates, min(max(q, 0.0), 1.0)))

    def _bca_level(self, tail_z: float) -> float:
        """``Φ(z0 + (z0 + z)/(1 − a(z0 + z)))``. Where ``1 − a(z0 + z) ≤ 0`` the formula is past its
        pole: the level is the limit it tends to there (1 when ``z0 + z > 0``, else 0), not the
        wrapped-around value it would compute."""
        z0, a = self.bias_z0, self.acceleration
        shifted = z0 + tail_z
        denominator = 1.0 - a * shifted
        if denominator <= 0.0:
            return 1.0 if shifted > 0 else 0.0
        return float(ndtr(z0 + shifted / denominator))

    def lower(self, alpha: float) -> float:
        """Endpoint with ``alpha`` of the sampling distribution below it."""
        if self.method == "basic":
            return 2.0 * self.estimate - self._quantile(1.0 - alpha)
        if self.method == "bca" and not self.bca_fallback:
            return self._quantile(self._bca_level(float(ndtri(alpha))))
        return self._quantile(alpha)

    def upper(self, alpha: float) -> float:
        """Endpoint with ``alpha`` of the sampling distribution above it."""
        if self.method == "basic":
            return 2.0 * self.estimate - self._quantile(alpha)
        if self.method == "bca" and not self.bca_fallback:
            return self._quantile(self._bca_level(float(ndtri(1.0 - alpha))))
        return self._quantile(1.0 - alpha)

    def interval(self, confidence: float) -> tuple[float, float]:
        alpha = (1.0 - confidence) / 2.0
        return self.lower(alpha), self.upper(alpha)

    def standard_error(self) -> float:
        return float(np.std(self.replicates, ddof=1)) if self.replicates.size > 1 else float("nan")

    def share_beyond(self, threshold: float, op: str) -> float:
        """Percentile p-value for failing a bar: (1 + #replicates on the passing side) / (B + 1)
        (North et al. 2002); small when the bar is clearly missed."""
        passing = self.replicates >= threshold if op == ">=" else self.replicates <= threshold
        return float((1 + np.count_nonzero(passing)) / (self.replicates.size + 1))

    def p_value(self, threshold: float, op: str) -> float:
        """This method's p-value for failing the bar ``quantity op threshold``.

        - percentile: :meth:`share_beyond`;
        - basic: the same count on the reflected replicates ``2θ̂ − r``;
        - bca: the tail level ``α*`` at which the BCa endpoint reaches the threshold: with
          ``F`` the percentile p-value's share on the fail side and ``w = (z_F − z0)/(1 + a(z_F − z0))``,
          ``α* = Φ(z0 − w)`` for ``>=`` and ``Φ(w − z0)`` for ``<=`` (Efron & Tibshirani 1993, §14.3);
          at ``a = z0 = 0`` it is the percentile p-value. Where BCa falls back, percentile's. Past the
          pole (``1 + a(z_F − z0) ≤ 0``) no tail level puts the BCa endpoint on the threshold: the
          endpoint misses the bar at every level or at none, and the p-value is that limit, 0 or 1
          (the percentile share there would disagree with the endpoint that decides).
        """
        if self.method == "basic":
            return Distribution(self.estimate, 2.0 * self.estimate - self.replicates, 0, "percentile"
                                ).share_beyond(threshold, op)
        share = self.share_beyond(threshold, op)
        if self.method != "bca" or self.bca_fallback:
            return share
        fail_side = 1.0 - share if op == ">=" else share
        z_f, z0, a = float(ndtri(fail_side)), self.bias_z0, self.acceleration
        denominator = 1.0 + a * (z_f - z0)
        if not math.isfinite(z_f):
            return share
        if denominator <= 0.0:
            misses = self.upper(_TINY) < threshold if op == ">=" else self.lower(_TINY) > threshold
            return 0.0 if misses else 1.0
        w = (z_f - z0) / denominator
        return float(ndtr(z0 - w) if op == ">=" else ndtr(w - z0))


def acceleration(jackknife_values: np.ndarray, row_weights: np.ndarray) -> float:
    """BCa acceleration ``a = Σ w d³ / (6 (Σ w d²)^1.5)`` with ``d = θ̄ − θ_(i)`` over (weighted)
    jackknife values; 0 when undefined or degenerate."""
    ok = np.isfinite(jackknife_values)
    if np.count_nonzero(ok) < 2:
        return 0.0
    v, w = jackknife_values[ok], row_weights[ok]
    d = np.average(v, weights=w) - v
    den = 6.0 * float(np.sum(w * d * d)) ** 1.5
    return float(np.sum(w * d ** 3) / den) if den > 0 else 0.0
