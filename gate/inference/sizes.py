"""A classification gate's sizes: the labeled examples of its subset, the gated class's positives in it,
and its smallest class (the guards' ``min_support`` and the small-class notes read them)."""

from __future__ import annotations

import numpy as np

from gate.data.align import EvalSet
from gate.policy.expand import Expanded


def sizes(es: EvalSet, g: Expanded) -> tuple[int, int | None, int]:
    """(labeled examples in the candidate's subset, positives of the gated class in it or None for a
    class-less gate, examples of the subset's smallest class, 0 when a class is absent)."""
    side = es.candidate
    mask = np.ones(side.y.size, dtype=bool) if g.target.slice_col is None else (
        side.slices[g.target.slice_col] == g.target.slice_value)
    n = int(np.count_nonzero(mask))
    smallest = int(np.bincount(side.y[mask], minlength=es.n_classes).min())
    if g.target.class_index is None:
        return n, None, smallest
    return n, int(np.count_nonzero(side.y[mask] == g.target.class_index)), smallest
