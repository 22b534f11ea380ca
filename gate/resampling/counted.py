"""Sums over rows that stand for several examples each (the engine path's cells).

A row with count ``m`` is ``m`` identical examples, and every sum over examples must be the one the
file path computes over the same examples written out one per row, in the same order, *to the last
bit* (reports are compared byte for byte). Two cases:

- values that are whole numbers (counts, unit or integer weights): the sums are exact integers in
  float64 whatever the order of addition, so ``Σ m·v`` per target equals the row-by-row sum, as long
  as every partial sum stays below 2^53;
- any other values (weights like 0.3, a Brier term, a confidence): ``np.bincount`` adds row by row,
  left to right, and ``v + v + … + v`` rounds differently from ``m·v``. They are added the same way
  here, the rows expanded in slices of at most :data:`SLICE` examples and added with ``np.add.at``
  (the same left-to-right loop as ``bincount``, continued across slices): O(N) time, but memory
  bounded by the slice, not by N.
"""

from __future__ import annotations

import numpy as np

SLICE = 1 << 20          # examples expanded at once when float values must be added one by one
EXACT_LIMIT = 2.0 ** 53  # integer-valued sums below this are exact in float64 in any order


def total(counts: np.ndarray | None, mask: np.ndarray | None = None, size: int | None = None) -> int:
    """The examples of the rows ``mask`` selects (all rows without one): their count, or the sum of
    their counts. ``size``: the number of rows when there are neither counts nor a mask."""
    if counts is None:
        return int(np.count_nonzero(mask)) if mask is not None else int(size or 0)
    return int(counts.sum() if mask is None else counts[mask].sum())


def integral(values: np.ndarray, counts: np.ndarray | None = None) -> bool:
    """Whether ``Σ counts·|values|`` is a whole number below 2^53 term by term (sums exact in any order)."""
    if values.size == 0:
        return True
    if not np.all(np.isfinite(values)) or not np.array_equal(values, np.rint(values)):
        return False
    scale = np.abs(values) if counts is None else np.abs(values) * counts
    return float(scale.sum()) < EXACT_LIMIT


def bincount(index: np.ndarray, minlength: int, weights: np.ndarray | None = None,
             counts: np.ndarray | None = None) -> np.ndarray:
    """``np.bincount(np.repeat(index, counts), weights=np.repeat(weights, counts), minlength=…)``, bit
    for bit, without the repeated arrays (see the module docstring). ``counts`` None: one example per
    row (plain ``np.bincount``); ``weights`` None: each example adds 1."""
    index = np.asarray(index, dtype=np.intp)
    if counts is None:
        return np.bincount(index, weights=weights, minlength=minlength).astype(np.float64)
    if weights is None:
        return np.bincount(index, weights=counts.astype(np.float64), minlength=minlength)
    weights = np.asarray(weights, dtype=np.float64)
    if integral(weights, counts):
        return np.bincount(index, weights=weights * counts, minlength=minlength)
    out = np.zeros(max(minlength, int(index.max()) + 1 if index.size else 0))
    for rows, times in slices(counts):
        np.add.at(out, np.repeat(index[rows], times), np.repeat(weights[rows], times))
    return out


def slices(counts: np.ndarray, size: int = SLICE):
    """``(rows, times)`` per slice of at most ``size`` examples: the rows (a slice object) that the
    examples ``lo .. lo+size`` belong to and how many of each row's examples fall in it, in order; a
    row of more than ``size`` examples is split over several slices."""
    ends = np.cumsum(counts)
    n = int(ends[-1]) if ends.size else 0
    for lo in range(0, n, size):
        hi = min(lo + size, n)
        a = int(np.searchsorted(ends, lo, side="right"))
        b = int(np.searchsorted(ends, hi - 1, side="right")) + 1
        starts = ends[a:b] - counts[a:b]
        times = np.minimum(ends[a:b], hi) - np.maximum(starts, lo)
        yield slice(a, b), times
