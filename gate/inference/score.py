"""Score intervals for proportions, first-class results beside the bootstrap (issue 16, defect 5).

With few examples of a class the bootstrap of a proportion is at its worst: the replicates of a
paired Δrecall take a handful of values (with no discordant example, every replicate is 0 and the
interval collapses to [0, 0]). Where a gate's quantity is a proportion of counted examples, the
engine decides it on an interval built for that:

- **candidate proportions** (recall, precision, specificity, fpr, fnr, accuracy, and the flip rates
  of gate/metrics/flips.py against a paired baseline):
  the exact Clopper–Pearson interval of ``k`` of ``n`` (:class:`gate.inference.exact.ClopperPearson`),
  conditional on the number of trials (positives for recall, predicted positives for precision);
- **paired differences of proportions** over the same trials (Δrecall, Δspecificity, Δfpr, Δfnr,
  Δaccuracy with a paired baseline): Newcombe's hybrid score interval for paired proportions
  (Newcombe 1998, *Statistics in Medicine* 17:2635, method 10), :class:`NewcombePaired`.

Not eligible (the bootstrap decides, with its guards): weighted data (a weighted proportion is no
count), clustered data (``data.cluster``: the trials are not independent, so a binomial interval is too
narrow; the cluster bootstrap decides), averages over classes, relative drops, independent (canary) pairing, Δprecision (the two
models' trials differ), and a paired delta whose two files slice the rows differently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtri

from gate.data.align import EvalSet, Side
from gate.inference.exact import ClopperPearson
from gate.inference.intervals import IntervalSource
from gate.metrics.flips import FLIP_METRICS, flip_cells, flipped
from gate.resampling import counted

CANDIDATE_PROPORTIONS = ("recall", "precision", "specificity", "fpr", "fnr", "accuracy")
PAIRED_PROPORTIONS = ("recall", "specificity", "fpr", "fnr", "accuracy")
METHOD_NAMES = {"clopper-pearson": "Clopper–Pearson", "newcombe": "Newcombe"}


def wilson(k: int, n: int, z: float) -> tuple[float, float]:
    """Wilson's score interval of ``k`` of ``n`` at normal quantile ``z ≥ 0`` (``n ≥ 1``); at ``z = 0``
    both ends are ``k / n``."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


@dataclass(frozen=True)
class NewcombePaired:
    """The difference ``p₁ − p₂`` of two proportions on the same ``n`` trials, from the paired cells:
    ``both`` (a: success for both), ``first_only`` (b), ``second_only`` (c), ``neither`` (d).

    With Wilson intervals (l₁, u₁), (l₂, u₂) at quantile z and the phi coefficient φ of the 2×2
    table (continuity-corrected as Newcombe's method 10: ``max(ad − bc − n/2, 0)`` in the
    numerator when ad > bc; 0 when a margin is empty), the lower end is
    ``θ̂ − √((p₁−l₁)² − 2φ(p₁−l₁)(u₂−p₂) + (u₂−p₂)²)`` and the upper end
    ``θ̂ + √((u₁−p₁)² − 2φ(u₁−p₁)(p₂−l₂) + (p₂−l₂)²)``. With no discordant trial (b = c = 0) the
    interval still has the width the n trials leave, where the bootstrap collapses to [0, 0]."""

    both: int
    first_only: int
    second_only: int
    neither: int
    method: str = field(default="newcombe", init=False)

    @property
    def n(self) -> int:
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def estimate(self) -> float:
        return (self.first_only - self.second_only) / self.n

    @property
    def usable(self) -> bool:
        return self.n >= 1

    @property
    def phi(self) -> float:
        a, b, c, d = self.both, self.first_only, self.second_only, self.neither
        margins = float(a + b) * (c + d) * (a + c) * (b + d)
        if margins == 0:
            return 0.0
        cross = float(a) * d - float(b) * c
        if cross > 0:
            cross = max(cross - self.n / 2, 0.0)
        return cross / math.sqrt(margins)

    def _ends(self, alpha: float) -> tuple[float, float]:
        z = max(float(ndtri(1.0 - alpha)), 0.0)
        n, p1 = self.n, (self.both + self.first_only) / self.n
        k1, k2 = self.both + self.first_only, self.both + self.second_only
        p2 = k2 / n
        l1, u1 = wilson(k1, n, z)
        l2, u2 = wilson(k2, n, z)
        phi, theta = self.phi, self.estimate
        down = (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
        up = (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
        return max(theta - math.sqrt(max(down, 0.0)), -1.0), min(theta + math.sqrt(max(up, 0.0)), 1.0)

    def lower(self, alpha: float) -> float:
        return self._ends(alpha)[0]

    def upper(self, alpha: float) -> float:
        return self._ends(alpha)[1]

    def interval(self, confidence: float) -> tuple[float, float]:
        alpha = (1.0 - confidence) / 2.0
        return self._ends(alpha)

    def p_value(self, threshold: float, op: str) -> float:
        """The tail level at which the fail-side end reaches the bar (the ends widen monotonically as
        the level falls), found by root finding; 1 when the estimate itself is on the passing side
        (or on the bar) and ≈ 0 when no level down to 10⁻¹⁵ reaches it."""
        def gap(alpha: float) -> float:       # > 0 while the fail-side end misses the bar
            return threshold - self.upper(alpha) if op == ">=" else self.lower(alpha) - threshold
        if gap(0.5) <= 0:
            return 1.0
        if gap(1e-15) > 0:
            return 1e-15
        from scipy.optimize import brentq  # here, not at the top: importing scipy.optimize costs ~0.2 s
        return float(brentq(gap, 1e-15, 0.5, xtol=1e-14, rtol=1e-10))


@dataclass(frozen=True)
class ScoreIntervals:
    """The score-interval sources of one gate: the tested quantity's, and the candidate's and (for a
    paired delta) the baseline's own proportions."""

    tested: IntervalSource
    candidate: ClopperPearson
    baseline: ClopperPearson | None = None


def trials(metric: str, y: np.ndarray, pred: np.ndarray, class_index: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(trial, success) masks of a proportion metric over the rows given: recall counts the class's
    examples predicted as it, precision the examples predicted as the class that are it, and so on;
    accuracy's trials are every row."""
    if metric == "accuracy":
        return np.ones(y.size, dtype=bool), y == pred
    c = class_index
    truth, called = y == c, pred == c
    return {
        "recall": (truth, called), "fnr": (truth, ~called),
        "specificity": (~truth, ~called), "fpr": (~truth, called),
        "precision": (called, truth),
    }[metric]


def flip_trials(metric: str, y: np.ndarray, cand_pred: np.ndarray, base_pred: np.ndarray,
                class_index: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(trial, success) masks of a flip rate: every row (the class's true rows with a class), and
    the rows in the metric's flip cells (gate/metrics/flips.py)."""
    trial = np.ones(y.size, dtype=bool) if class_index is None else y == class_index
    return trial, flipped(metric, flip_cells(y, cand_pred, base_pred))


def _rows(side: Side, slice_col: str | None, slice_value: str | None) -> np.ndarray:
    if slice_col is None:
        return np.ones(side.y.size, dtype=bool)
    return side.slices[slice_col] == slice_value


def score_intervals(es: EvalSet, metric: str, quantity: str, class_index: int | None, average: str | None,
                    slice_col: str | None = None, slice_value: str | None = None) -> ScoreIntervals | None:
    """The score intervals that decide this gate instead of the bootstrap, or None when it is not
    eligible (see the module docstring) or has no trials (the bootstrap's guards then say why)."""
    cand = es.candidate
    if metric not in (*CANDIDATE_PROPORTIONS, *FLIP_METRICS) or average is not None or cand.weight is not None:
        return None
    if cand.cluster is not None:      # correlated trials: no binomial interval
        return None
    if quantity not in ("candidate", "delta"):
        return None
    rows = _rows(cand, slice_col, slice_value)
    if metric in FLIP_METRICS:
        if es.baseline is None or es.pairing != "paired":
            return None
        trial, success = flip_trials(metric, cand.y[rows], cand.pred[rows], es.baseline.pred[rows], class_index)
    else:
        trial, success = trials(metric, cand.y[rows], cand.pred[rows], class_index)
    counts = None if cand.counts is None else cand.counts[rows]

    def count(mask: np.ndarray) -> int:      # examples, not rows (engine cells have counts)
        return counted.total(counts, mask)
    n = count(trial)
    if n == 0:
        return None
    first = success & trial
    exact = ClopperPearson(count(first), n)
    if quantity == "candidate":
        return ScoreIntervals(exact, exact)
    base = es.baseline
    if (metric not in PAIRED_PROPORTIONS or base is None or es.pairing != "paired" or base.weight is not None
            or not np.array_equal(_rows(base, slice_col, slice_value), rows)):
        return None
    second = trials(metric, base.y[rows], base.pred[rows], class_index)[1] & trial
    paired = NewcombePaired(count(first & second), count(first & ~second),
                            count(second & ~first), count(trial & ~first & ~second))
    return ScoreIntervals(paired, exact, ClopperPearson(count(second), n))
