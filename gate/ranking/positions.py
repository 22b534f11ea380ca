"""Per ranked position, what each measure sums: computed once for all measures of one run.

Every measure is a per-query sum over the positions of the ranked list (then divided by k, R or the
ideal DCG). :class:`Positions` holds the summands for one relevance threshold and one tie rule:

- *relevant*: an item is relevant when the judgements give it relevance >= ``relevance_threshold``
  (trec_eval's ``-l``, default 1; ``rel >= epi->relevance_level`` in every ``m_*.c``). Unjudged items and
  negative judgements (trec_eval's "unjudged in pool") are never relevant.
- *gain* (nDCG): the raw relevance (``linear``, trec_eval ``ndcg_cut``) or ``2^rel - 1``
  (``exponential``), and 0 for relevance <= 0, unjudged items included. The gain does not depend on
  the threshold, as in trec_eval (``m_ndcg_cut.c`` uses the judged value itself).

Ties. ``trec`` ranks tied scores by item id descending (the order of :class:`~gate.ranking.runs.Rankings`),
so each position is its own group. ``average`` gives every measure its expected value over all orders
of the tied items, each order equally likely: within a group of ``n`` tied items holding ``m`` relevant
ones, a position is relevant with probability ``m / n`` and has the group's mean gain (for DCG this is
scikit-learn's ``_tie_averaged_dcg``). The non-linear summands have closed forms too: see
:meth:`Positions.ap_terms` and :meth:`Positions.first_relevant`. With one-item groups every formula
reduces to trec_eval's, term by term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.special import gammaln

from gate.ranking.runs import Rankings
from gate.ranking.segments import leading_rows, segment_of_rows

GAINS = ("linear", "exponential")
TIES = ("trec", "average")


def gains(relevance: np.ndarray, kind: str) -> np.ndarray:
    """The nDCG gain of each relevance value: ``rel`` or ``2^rel - 1`` for ``rel > 0``, else 0 (NaN too)."""
    positive = relevance > 0
    if kind == "linear":
        return np.where(positive, relevance, 0.0)
    return np.where(positive, np.exp2(np.where(positive, relevance, 0.0)) - 1.0, 0.0)


def log2_of_rank_plus_two(rank: np.ndarray) -> np.ndarray:
    """``log2(rank + 2)``, the DCG discount of 0-based ranks, looked up in a table of the ranks present."""
    return np.log2(np.arange(int(rank.max(initial=0)) + 1) + 2.0)[rank]


@dataclass(frozen=True, eq=False)
class Positions:
    """Summands per ranked position of ``rankings`` (flat, in rank order), for one threshold and tie rule.

    ``query`` is each position's query index and ``rank`` its 0-based rank in the query. Tie groups are
    runs of equal scores (``average``) or single positions (``trec``): ``size`` (n), ``relevant_in_group``
    (m), ``offset`` (the position's index j inside its group) and ``relevant_before`` (b, relevant items
    in earlier groups of the same query) describe each position's group.
    """

    rankings: Rankings
    threshold: float
    ties: str
    query: np.ndarray = field(init=False)
    rank: np.ndarray = field(init=False)
    size: np.ndarray | int = field(init=False)
    relevant_in_group: np.ndarray = field(init=False)
    offset: np.ndarray | int = field(init=False)
    relevant_before: np.ndarray = field(init=False)
    group: np.ndarray | None = field(init=False)
    _gains: dict[str, np.ndarray] = field(init=False, default_factory=dict, repr=False)
    _above: dict[int, np.ndarray] = field(init=False, default_factory=dict, repr=False)   # by k

    def __post_init__(self) -> None:
        r = self.rankings
        query = segment_of_rows(r.offsets)
        start = r.offsets[query]
        relevant = r.relevance >= self.threshold                # NaN (unjudged) compares False
        before = np.cumsum(relevant) - relevant                  # relevant items at earlier positions
        values = {"query": query, "rank": np.arange(len(query)) - start}
        if self.ties == "trec":                                  # one-item groups, no arrays of ones
            values |= {"size": 1, "relevant_in_group": relevant.astype(float), "offset": 0,
                       "relevant_before": before - before[start], "group": None}
        else:
            values |= self._tie_groups(values["rank"], relevant, before, start)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _tie_groups(self, rank: np.ndarray, relevant: np.ndarray, before: np.ndarray,
                    start: np.ndarray) -> dict[str, np.ndarray]:
        """Each position's tie group (a run of equal scores in a query): n, m, j, b and the group index."""
        scores = self.rankings.scores
        starts = (rank == 0) | np.concatenate(([True], scores[1:] != scores[:-1]))
        group = np.cumsum(starts) - 1
        first = np.flatnonzero(starts)
        size = np.diff(np.append(first, len(rank)))
        in_group = np.bincount(group, weights=relevant, minlength=len(first))
        before_group = before[first] - before[start[first]]
        return {"size": size[group], "relevant_in_group": in_group[group],
                "offset": np.arange(len(rank)) - first[group], "relevant_before": before_group[group],
                "group": group}

    @cached_property
    def _judged_query(self) -> np.ndarray:
        return segment_of_rows(self.rankings.judged_offsets)

    @cached_property
    def relevant_count(self) -> np.ndarray:
        """R per query: judged items with relevance >= the threshold (retrieved or not)."""
        relevant = self.rankings.judged_relevance >= self.threshold
        return np.bincount(self._judged_query, weights=relevant, minlength=self.rankings.n_queries)

    def ideal_dcg(self, kind: str, k: int | None) -> np.ndarray:
        """Per query, the DCG of the judged relevance values sorted descending (the ideal ranking), cut
        at k (None: all): only positive gains count, and they come first in each query's list."""
        r = self.rankings
        at = np.flatnonzero(r.judged_relevance > 0)
        rank = at - r.judged_offsets[self._judged_query[at]]
        if k is not None:
            at, rank = at[rank < k], rank[rank < k]
        terms = gains(r.judged_relevance[at], kind) / log2_of_rank_plus_two(rank)
        return np.bincount(self._judged_query[at], weights=terms, minlength=r.n_queries)

    @cached_property
    def expected_relevant(self) -> np.ndarray:
        """Probability that the position holds a relevant item: m / n (0 or 1 under ``trec``)."""
        return self.relevant_in_group if self.group is None else self.relevant_in_group / self.size

    def expected_gain(self, kind: str) -> np.ndarray:
        """The position's expected nDCG gain: the mean gain of its tie group (its own gain under ``trec``)."""
        if kind not in self._gains:
            g = gains(self.rankings.relevance, kind)
            if self.group is not None:
                g = (np.bincount(self.group, weights=g) / np.bincount(self.group))[self.group]
            self._gains[kind] = g
        return self._gains[kind]

    def discounted_gain(self, kind: str) -> np.ndarray:
        """``expected_gain / log2(p + 2)`` at each position p (one pass per gain kind, shared by every k)."""
        key = f"discounted {kind}"
        if key not in self._gains:
            self._gains[key] = self.expected_gain(kind) / log2_of_rank_plus_two(self.rank)
        return self._gains[key]

    @cached_property
    def ap_terms(self) -> np.ndarray:
        """Expected ``rel(p) * precision@p`` at each position p (0-based rank, 1-based p + 1).

        trec_eval (``m_map.c``) adds ``rel_so_far / (i + 1)`` at each relevant position. With ties, a
        relevant item of a group (n, m, b relevant before) lands on the group's j-th slot with
        probability 1/n and then has ``j (m - 1) / (n - 1)`` of the group's other relevant items ahead of
        it on average, so the slot contributes ``(m / n) (b + 1 + j (m - 1) / (n - 1)) / (p + 1)``.
        """
        n, m, j = self.size, self.relevant_in_group, self.offset
        ahead = 0 if self.group is None else j * (m - 1) / np.maximum(n - 1, 1)
        return self.expected_relevant * (self.relevant_before + 1 + ahead) / (self.rank + 1)

    @cached_property
    def first_relevant(self) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, probabilities)``: where the query's first relevant item may be, and how likely.

        Only positions of the first group with a relevant item (b = 0, m > 0) qualify: the slot j is
        reached with no relevant item ahead with probability ``S_j = C(n - j, m) / C(n, m)`` and then
        holds a relevant one with probability ``m / (n - j)``. Under ``trec`` this is the first relevant
        item with probability 1. Reciprocal rank sums the probabilities over ``1 / (p + 1)``, hit rate
        sums them.
        """
        shape = self.rank.shape
        n, m, j = (np.broadcast_to(x, shape) for x in (self.size, self.relevant_in_group, self.offset))
        live = np.flatnonzero((self.relevant_before == 0) & (m > 0) & (j <= n - m))
        n, m, j = n[live], m[live], j[live]
        log_survive = gammaln(n - j + 1) - gammaln(n + 1) + gammaln(n - m + 1) - gammaln(n - m - j + 1)
        return live, np.exp(log_survive) * (m / (n - j))

    @cached_property
    def longest(self) -> int:
        """The longest ranked list (0 when the run is empty)."""
        return int(self.rankings.lengths.max(initial=0))

    def above(self, k: int | None) -> np.ndarray | None:
        """The positions ranked above ``k`` (rank < k), in rank order; None when that is every position."""
        if k is None or k >= self.longest:
            return None
        if k not in self._above:
            self._above[k] = leading_rows(self.rankings.offsets, k)
        return self._above[k]

    def above_relevant_count(self) -> np.ndarray:
        """The positions ranked above R, the query's number of relevant judged items."""
        return leading_rows(self.rankings.offsets, self.relevant_count.astype(np.int64))

    def sum_at(self, positions: np.ndarray, terms: np.ndarray) -> np.ndarray:
        """Per query, the sum of ``terms`` given at some ``positions`` (in rank order)."""
        return np.bincount(self.query[positions], weights=terms, minlength=self.rankings.n_queries)

    def per_query_sum(self, terms: np.ndarray, positions: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``terms`` per query over ``positions`` (all when None), in rank order as trec_eval's
        loops add them (``np.bincount`` adds each query's terms one by one)."""
        if positions is None:
            return np.bincount(self.query, weights=terms, minlength=self.rankings.n_queries)
        return self.sum_at(positions, terms[positions])
