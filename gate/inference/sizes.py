"""A classification gate's sizes: the labeled examples of its subset, the gated class's positives in it,
and its smallest class (the guards' ``min_support`` and the small-class notes read them)."""

from __future__ import annotations

import numpy as np

from gate.data.align import EvalSet
from gate.policy.expand import Expanded
from gate.resampling import counted


def sizes(es: EvalSet, g: Expanded) -> tuple[int, int | None, int]:
    """(labeled examples in the candidate's subset, positives of the gated class in it or None for a
    class-less gate, examples of the subset's smallest class, 0 when a class is absent); an engine
    cell counts as its ``counts`` examples."""
    side = es.candidate
    mask = np.ones(side.y.size, dtype=bool) if g.target.slice_col is None else (
        side.slices[g.target.slice_col] == g.target.slice_value)
    counts = None if side.counts is None else side.counts[mask]
    n = counted.total(side.counts, mask)
    smallest = int(counted.bincount(side.y[mask], es.n_classes, None, counts).min())
    if g.target.class_index is None:
        return n, None, smallest
    return n, counted.total(counts, side.y[mask] == g.target.class_index), smallest
