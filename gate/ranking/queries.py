"""The report's per-query comparison (``task: ranking`` with a baseline): facts only, worded by the renderers.

For every measure the gates use (unsliced), over the queries both runs score: how many queries improved
(candidate − baseline > 0), regressed (< 0) or tied (exactly equal: the same ranked judgements give the
same double), the :data:`WORST_QUERIES` that regressed most (ties broken by query id, so the list is
deterministic), and a histogram of the per-query deltas in :data:`BINS` equal bins over
``[-m, m]``, ``m`` the largest absolute delta (symmetric, so 0 is the middle edge; when every query
ties, ``m`` is 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gate.ranking.measures import PerQuery
from gate.ranking.options import Measure
from gate.report.model import QueryComparison, QueryDelta

WORST_QUERIES = 10
BINS = 20


def comparisons(candidate: Mapping[Measure, PerQuery], baseline: Mapping[Measure, PerQuery]) -> tuple[QueryComparison, ...]:
    """One :class:`~gate.report.QueryComparison` per measure, in the gates' order."""
    return tuple(comparison(m, candidate[m], baseline[m]) for m in candidate if m in baseline)


def comparison(measure: Measure, cand: PerQuery, base: PerQuery) -> QueryComparison:
    shared, ci, bi = np.intersect1d(cand.query_ids, base.query_ids, assume_unique=True, return_indices=True)
    c, b = cand.values[ci], base.values[bi]
    delta = c - b
    order = np.lexsort((shared.astype(str), delta))            # most negative first, then by query id
    worst = [i for i in order[:WORST_QUERIES] if delta[i] < 0]
    edges, counts = histogram(delta)
    return QueryComparison(
        measure=measure.label, improved=int(np.count_nonzero(delta > 0)), regressed=int(np.count_nonzero(delta < 0)),
        tied=int(np.count_nonzero(delta == 0)),
        worst=tuple(QueryDelta(str(shared[i]), float(c[i]), float(b[i]), float(delta[i])) for i in worst),
        histogram_edges=edges, histogram_counts=counts)


def histogram(delta: np.ndarray) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Edges and counts of the deltas (see the module docstring); none for no shared query."""
    if not len(delta):
        return (), ()
    m = float(np.abs(delta).max()) or 1.0
    counts, edges = np.histogram(delta, bins=BINS, range=(-m, m))
    return tuple(float(e) for e in edges), tuple(int(n) for n in counts)
