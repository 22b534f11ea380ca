"""Per ranked position, what each measure sums: computed once for all measures of one run.

Every measure is a per-query sum over the positions of the ranked list (then divided by k, R or the
ideal DCG). :class:`Positions` holds the summands for one relevance threshold and one tie rule, only at
the positions where they can be non-zero (:class:`Terms`):

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
:attr:`Positions.ap_terms` and :attr:`Positions.first_relevant`. With one-item groups every formula
reduces to trec_eval's, term by term.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.special import gammaln

from gate.ranking.runs import Rankings
from gate.ranking.segments import segment_of


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
class Terms:
    """Summands of a measure at some positions of the ranked lists, ascending (so in rank order within
    each query): the position ``at``, its ``query`` index and 0-based ``rank``, and the ``value``."""

    at: np.ndarray
    query: np.ndarray
    rank: np.ndarray
    value: np.ndarray


@dataclass(frozen=True, eq=False)
class Positions:
    """The summands of every measure for ``rankings`` under one threshold and tie rule.

    Tie groups are runs of equal scores in a query (``average``) or single positions (``trec``). At each
    position holding a relevant item with some probability, ``size`` (n), ``relevant_in_group`` (m),
    ``offset`` (j, the position's index inside its group) and ``relevant_before`` (b, relevant items in
    earlier groups of the query) describe its group; ``relevant`` holds those positions with m / n.
    """

    rankings: Rankings
    threshold: float
    ties: str
    relevant: Terms = field(init=False)
    size: np.ndarray | int = field(init=False)
    relevant_in_group: np.ndarray | int = field(init=False)
    offset: np.ndarray | int = field(init=False)
    relevant_before: np.ndarray = field(init=False)
    _gains: dict[str, Terms] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        relevant = self.rankings.relevance >= self.threshold           # NaN (unjudged) compares False
        if self.ties == "trec":
            at = np.flatnonzero(relevant)
            query = self._query_of(at)
            first_of_query = np.searchsorted(at, self.rankings.offsets[:-1])
            stats = {"size": 1, "relevant_in_group": 1, "offset": 0,
                     "relevant_before": np.arange(len(at)) - first_of_query[query]}
            share = np.ones(len(at))
        else:
            at, stats = self._tie_groups(relevant)
            share = stats["relevant_in_group"] / stats["size"]
        for name, value in stats.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "relevant", self.terms(at, share))

    def _query_of(self, at: np.ndarray) -> np.ndarray:
        return segment_of(at, self.rankings.offsets)

    def terms(self, at: np.ndarray, value: np.ndarray) -> Terms:
        """:class:`Terms` of ``value`` at the (ascending) positions ``at``."""
        query = self._query_of(at)
        return Terms(at, query, at - self.rankings.offsets[query], value)

    def _tie_groups(self, relevant: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The positions whose tie group holds a relevant item, with n, m, j and b there."""
        r = self.rankings
        group = self._group
        first = np.flatnonzero(np.diff(group, prepend=-1))
        in_group = np.bincount(group, weights=relevant, minlength=len(first))
        before = np.cumsum(relevant) - relevant                          # relevant at earlier positions
        before_group = before[first] - before[r.offsets[self._query_of(first)]]
        at = np.flatnonzero(in_group[group] > 0)
        g = group[at]
        return at, {"size": np.diff(np.append(first, len(group)))[g], "relevant_in_group": in_group[g],
                    "offset": at - first[g], "relevant_before": before_group[g]}

    @cached_property
    def _group(self) -> np.ndarray:
        """Tie group index of every position (``average`` only): runs of equal scores in a query."""
        r = self.rankings
        starts = np.ones(len(r.scores), bool)
        starts[1:] = r.scores[1:] != r.scores[:-1]
        starts[r.offsets[:-1][r.offsets[:-1] < len(r.scores)]] = True
        return np.cumsum(starts) - 1

    @cached_property
    def relevant_count(self) -> np.ndarray:
        """R per query: judged items with relevance >= the threshold (retrieved or not), as floats."""
        at = np.flatnonzero(self.rankings.judged_relevance >= self.threshold)
        return np.diff(np.searchsorted(at, self.rankings.judged_offsets)).astype(float)

    @cached_property
    def _positive_judged(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Judged positions with a positive relevance, their query and their rank in the ideal list."""
        r = self.rankings
        at = np.flatnonzero(r.judged_relevance > 0)
        query = segment_of(at, r.judged_offsets)
        return at, query, at - r.judged_offsets[query]

    def ideal_dcg(self, kind: str, k: int | None) -> np.ndarray:
        """Per query, the DCG of the judged relevance values sorted descending (the ideal ranking), cut
        at k (None: all): only positive gains count, and they come first in each query's list."""
        at, query, rank = self._positive_judged
        if k is not None:
            at, query, rank = at[rank < k], query[rank < k], rank[rank < k]
        terms = gains(self.rankings.judged_relevance[at], kind) / log2_of_rank_plus_two(rank)
        return np.bincount(query, weights=terms, minlength=self.rankings.n_queries)

    def discounted_gain(self, kind: str) -> Terms:
        """``gain / log2(p + 2)`` at the positions p with a positive (expected) gain; under ``average`` the
        gain is the mean gain of the position's tie group."""
        if kind not in self._gains:
            g = gains(self.rankings.relevance, kind)
            if self.ties == "average":
                g = (np.bincount(self._group, weights=g) / np.bincount(self._group))[self._group]
            at = np.flatnonzero(g > 0)
            t = self.terms(at, g[at])
            self._gains[kind] = Terms(t.at, t.query, t.rank, t.value / log2_of_rank_plus_two(t.rank))
        return self._gains[kind]

    @cached_property
    def ap_terms(self) -> Terms:
        """Expected ``rel(p) * precision@p`` at each position p (0-based rank, 1-based p + 1).

        trec_eval (``m_map.c``) adds ``rel_so_far / (i + 1)`` at each relevant position. With ties, a
        relevant item of a group (n, m, b relevant before) lands on the group's j-th slot with
        probability 1/n and then has ``j (m - 1) / (n - 1)`` of the group's other relevant items ahead of
        it on average, so the slot contributes ``(m / n) (b + 1 + j (m - 1) / (n - 1)) / (p + 1)``.
        """
        t = self.relevant
        n, m, j = self.size, self.relevant_in_group, self.offset
        ahead = 0 if self.ties == "trec" else j * (m - 1) / np.maximum(n - 1, 1)
        return Terms(t.at, t.query, t.rank, t.value * (self.relevant_before + 1 + ahead) / (t.rank + 1))

    @cached_property
    def first_relevant(self) -> Terms:
        """The probability that a position holds the query's first relevant item.

        Only positions of the first group with a relevant item (b = 0) qualify: the slot j is reached
        with no relevant item ahead with probability ``S_j = C(n - j, m) / C(n, m)`` and then holds a
        relevant one with probability ``m / (n - j)``. Under ``trec`` this is the first relevant item,
        with probability 1. Reciprocal rank sums the probabilities over ``1 / (p + 1)``, hit rate sums them.
        """
        t = self.relevant
        shape = t.at.shape
        n, m, j = (np.broadcast_to(x, shape) for x in (self.size, self.relevant_in_group, self.offset))
        live = np.flatnonzero((self.relevant_before == 0) & (j <= n - m))
        n, m, j = n[live], m[live], j[live]
        log_survive = gammaln(n - j + 1) - gammaln(n + 1) + gammaln(n - m + 1) - gammaln(n - m - j + 1)
        return Terms(t.at[live], t.query[live], t.rank[live], np.exp(log_survive) * (m / (n - j)))

    def sum_above(self, terms: Terms, k: int | None = None, limit: np.ndarray | None = None) -> np.ndarray:
        """Per query, the sum of ``terms`` at ranks below ``k`` (all when None) and below ``limit[query]``
        (when given), added in rank order as trec_eval's loops add them (``np.bincount`` adds each
        query's terms one by one)."""
        keep = np.ones(len(terms.at), bool)
        if k is not None:
            keep &= terms.rank < k
        if limit is not None:
            keep &= terms.rank < limit[terms.query]
        return np.bincount(terms.query[keep], weights=terms.value[keep], minlength=self.rankings.n_queries)
