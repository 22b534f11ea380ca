"""A bootstrapped quantity: its point value and replicates (:class:`Series`), and the arithmetic every
task does on them — the tested quantity of a bar (:func:`combine`), its bootstrap distribution
(:func:`distribution`) and the reported estimate with its interval (:func:`estimate`).

Every task fills Series its own way (classification: :mod:`gate.engine` from sufficient statistics;
ranking: :mod:`gate.ranking.check` from per-query values) and hands them to :mod:`gate.inference.gate_results`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gate.inference.intervals import Distribution, acceleration
from gate.report.model import Estimate


@dataclass(frozen=True)
class Series:
    """Point value and replicates of one quantity. ``reps_undefined[i]`` marks replicate ``i``
    undefined (its value is then ignored); ``jack`` holds the leave-one-unit-out values (BCa only);
    ``drawn`` is set when ``bootstrap.adaptive`` stopped its group early (``reps`` then holds that
    many replicates). The arrays may be filled in place by the stage that draws them, before the
    series is read."""

    point: float
    point_undefined: bool
    reps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    reps_undefined: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    jack: np.ndarray | None = None
    drawn: int | None = None


UNDEFINED = Series(math.nan, True)   # a quantity nothing was measured for (e.g. a flip rate without a baseline)


def combine(kind: str, cand: Series, base: Series | None) -> Series:
    """The tested quantity's series: ``candidate`` (the candidate's own), ``delta`` (c − b) or
    ``relative_delta`` ((c − b)/b). A replicate is undefined when either side's is, or when the
    result is not finite (a relative delta over a zero baseline). ``base`` is required unless
    ``kind`` is ``candidate``."""
    if kind == "candidate":
        return cand
    assert base is not None

    def op(c: np.ndarray | float, b: np.ndarray | float):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.subtract(c, b) if kind == "delta" else np.divide(np.subtract(c, b), b)

    point = float(op(cand.point, base.point))
    undefined = cand.point_undefined or base.point_undefined or not math.isfinite(point)
    reps = op(cand.reps, base.reps)
    reps_undefined = cand.reps_undefined | base.reps_undefined | ~np.isfinite(reps)
    jack = None if cand.jack is None or base.jack is None else op(cand.jack, base.jack)
    return Series(point, undefined, reps, reps_undefined, jack)


def distribution(s: Series, method: str, jack_weights: np.ndarray | None) -> Distribution:
    """The bootstrap distribution of ``s``'s defined replicates; BCa's acceleration comes from its
    jackknife values and ``jack_weights`` (each left-out unit's weight), 0 without them."""
    reps = s.reps[~s.reps_undefined]
    a = 0.0
    if method == "bca" and s.jack is not None and jack_weights is not None:
        a = acceleration(s.jack, jack_weights)
    return Distribution(s.point, reps, int(np.count_nonzero(s.reps_undefined)), method, a)


def estimate(s: Series, method: str, confidence: float, jack_weights: np.ndarray | None) -> Estimate:
    """The reported estimate: the point value and its two-sided interval at ``confidence`` (None when
    the distribution has fewer than two defined replicates); value None when the point is undefined."""
    if s.point_undefined:
        return Estimate(None, None, int(np.count_nonzero(s.reps_undefined)))
    dist = distribution(s, method, jack_weights)
    ci = dist.interval(confidence) if dist.usable else None
    return Estimate(s.point, ci, dist.undefined)


def prefix(s: Series, n: int) -> Series:
    """The series restricted to its first ``n`` replicates (what an adaptive round has drawn)."""
    return Series(s.point, s.point_undefined, s.reps[:n], s.reps_undefined[:n], s.jack)
