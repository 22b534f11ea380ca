"""The interval of a ranking gate computed on binned scores (the engine path's quantile bins,
docs/scale.md "Binned ranking gates"): the bootstrap's interval widened by the binning's error bound,
so the gate is decided only when it would be decided for every value the exact data could give.

Coupling argument. A bootstrap replicate over cells is a replicate over rows (which rows of a cell
are drawn does not matter: they have the same binned values), and for those rows the exact metric
is within the replicate's own bound ``e_r`` of the binned one (gate/metrics/binned.py). The
percentile endpoints are order statistics of the replicates, and moving every replicate by at most
``E = max_r e_r`` moves every order statistic by at most ``E``; so the exact data's bootstrap
endpoints (for the same draws) lie within ``±E`` of the binned ones, and widening by ``E`` never
decides a gate that the exact data's interval would leave undecided or decide the other way:

- ``candidate`` / ``baseline``: ``E = max(e_point, max_r e_r)`` of that side;
- ``delta``: the same of ``e_c + e_b`` (each replicate's two sides; an independent baseline's own draws);
- ``relative_delta`` ``c/b − 1``: the largest move of ``c/b`` when ``c`` and ``b`` move by at most their
  bounds, ``max(|(c+e_c)/(b−e_b) − c/b|, |(c−e_c)/(b+e_b) − c/b|)``, infinite once ``b ≤ e_b``.

The ``basic`` interval ``2θ̂ − q`` moves by ``2·e_point + E`` (the estimate moves too). ECE's
bias-bounded interval (gate/inference/calibration.py) re-centres the replicates, ``c + q − r̄``: its
centre ``c`` (the estimate less a bias bound) moves by ``e_point``, ``q`` and the replicates' mean ``r̄``
by ``E`` each, so it moves by ``e_point + 2·E``. BCa's levels
depend on the data's bias and acceleration, which binning changes by an unknown amount, so a binned
gate under ``method: bca`` uses the percentile interval (its method then reads ``percentile+binned``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gate.inference.intervals import Distribution
from gate.inference.series import Series
from gate.report.model import Note

if TYPE_CHECKING:
    from gate.inference.gate_results import IntervalRule

SUFFIX = "+binned"


@dataclass
class Widened(Distribution):
    """A bootstrap distribution whose one-sided endpoints move outward by ``margin``; the estimate
    stays the binned one. Its p-value is the base method's at the bar moved by the margin toward the
    passing side (the fail-side endpoint misses the bar exactly when the unwidened one misses the
    moved bar). ``inner``: the distribution widened (None: ``base``'s method on the replicates)."""

    margin: float = 0.0
    base: str = "percentile"
    inner: Distribution | None = None

    def _base(self) -> Distribution:
        if self.inner is not None:
            return self.inner
        return Distribution(self.estimate, self.replicates, self.undefined, self.base, self.acceleration)

    @property
    def usable(self) -> bool:
        return self._base().usable and math.isfinite(self.margin)

    def lower(self, alpha: float) -> float:
        return self._base().lower(alpha) - self.margin

    def upper(self, alpha: float) -> float:
        return self._base().upper(alpha) + self.margin

    def p_value(self, threshold: float, op: str) -> float:
        moved = threshold - self.margin if op == ">=" else threshold + self.margin
        return self._base().p_value(moved, op)


def _largest(point: float, reps: np.ndarray) -> float:
    """``max(point, max of the finite replicates)``; NaN entries (undefined resamples) are skipped."""
    finite = reps[np.isfinite(reps)]
    values = [point] if math.isfinite(point) else []
    if finite.size:
        values.append(float(finite.max()))
    return max(values) if values else math.inf


def _ratio_move(c: np.ndarray, b: np.ndarray, ec: np.ndarray, eb: np.ndarray) -> np.ndarray:
    """The largest move of ``c/b`` when ``c`` moves by ``±ec`` and ``b`` by ``±eb`` (infinite once ``b ≤ eb``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = c / b
        up, down = (c + ec) / (b - eb) - ratio, ratio - (c - ec) / (b + eb)
        moved = np.maximum(np.abs(up), np.abs(down))
    return np.where(b - eb > 0, moved, np.inf)


@dataclass(frozen=True)
class BinnedInterval:
    """A binned gate's interval rule (:class:`gate.inference.gate_results.IntervalRule`): the
    metric's series and the bound's series on each side (``baseline`` / ``baseline_bound`` None
    without a baseline), the policy's bootstrap method, the bins of each side's scores and the
    gate's own rule it widens (``inner``: ECE's bias-bounded interval; None: the bootstrap method's)."""

    candidate: Series
    candidate_bound: Series
    baseline: Series | None
    baseline_bound: Series | None
    policy_method: str
    bins: tuple[int, ...]
    inner: IntervalRule | None = None

    def notes(self, kind: str) -> tuple[Note, ...]:
        """``binned_scores``: how many bins (each side's; ``other_bins`` 0 when both sides have the
        same number), the bound the interval is widened by (docs/scale.md; infinite: unbounded) and
        the method; then the inner rule's notes."""
        bins = tuple(dict.fromkeys(self.bins))
        binned = Note("binned_scores", {"bins": bins[0], "other_bins": bins[1] if len(bins) > 1 else 0,
                                        "bound": float(self.error_bound(kind)), "method": self.method})
        return (binned, *(() if self.inner is None else self.inner.notes(kind)))

    @property
    def base(self) -> str:
        return "basic" if self.policy_method == "basic" else "percentile"

    @property
    def method(self) -> str:
        return (self.base if self.inner is None else self.inner.method) + SUFFIX

    def _sides(self, kind: str) -> tuple[float, np.ndarray]:
        """(bound at the observed data, bound per replicate) of ``kind``'s quantity."""
        c, ec = self.candidate, self.candidate_bound
        if kind == "candidate":
            return ec.point, ec.reps
        b, eb = self.baseline, self.baseline_bound
        assert b is not None and eb is not None
        if kind == "baseline":
            return eb.point, eb.reps
        if kind == "delta":
            return ec.point + eb.point, ec.reps + eb.reps
        point = _ratio_move(np.array([c.point]), np.array([b.point]), np.array([ec.point]), np.array([eb.point]))
        n = min(c.reps.size, b.reps.size, ec.reps.size, eb.reps.size)
        return float(point[0]), _ratio_move(c.reps[:n], b.reps[:n], ec.reps[:n], eb.reps[:n])

    def error_bound(self, kind: str) -> float:
        """The most the exact data's value of ``kind``'s quantity can differ from the binned one,
        at the observed data or in any replicate."""
        point, reps = self._sides(kind)
        return _largest(point, reps)

    def margin(self, kind: str) -> float:
        """How far the interval's endpoints move: the error bound; for ``basic`` plus twice the
        estimate's own bound (its endpoints are reflected about the estimate); for an inner
        re-centring rule plus the estimate's bound and the bound again (the replicates' mean moves)."""
        point, reps = self._sides(kind)
        bound = _largest(point, reps)
        if self.inner is not None:
            return 2.0 * bound + point
        return bound + 2.0 * point if self.base == "basic" else bound

    def distribution(self, kind: str, s: Series, candidate: float, baseline: float | None) -> Distribution:
        """The widened distribution of ``s``, the ``kind`` quantity."""
        inner = None if self.inner is None else self.inner.distribution(kind, s, candidate, baseline)
        reps = s.reps[~s.reps_undefined]
        return Widened(s.point, reps, int(np.count_nonzero(s.reps_undefined)), self.method,
                       margin=self.margin(kind), base=self.base, inner=inner)
