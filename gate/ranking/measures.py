"""Per-query ranking measures equal to trec_eval's, vectorised over all queries at once.

Each measure gives one value per judged query; the mean over queries is the usual MAP, nDCG@k, ...
and a bootstrap resamples queries, so these values are computed once. Definitions (p is the 0-based
rank, R the number of relevant judged items of the query, "relevant" and "gain" as in
:mod:`gate.ranking.positions`; an absent rank counts as non-relevant):

=====================  =======================================================  =======================
measure                value per query                                          trec_eval
=====================  =======================================================  =======================
``ap``                 sum over relevant p < k of precision@(p+1), / R          ``map``, ``map_cut_k``
``ndcg``               sum_{p<k} gain / log2(p + 2), / the same over the        ``ndcg``, ``ndcg_cut_k``
                       judged gains sorted descending (the ideal DCG)
``precision``          relevant at p < k / k (no k: / number retrieved)         ``P_k`` (``set_P``)
``recall``             relevant at p < k / R                                    ``recall_k`` (``set_recall``)
``reciprocal_rank``    1 / (p + 1) of the first relevant item (0 if none < k)   ``recip_rank`` (of the top k)
``hit_rate``           1 when a relevant item is at some p < k, else 0          ``success_k``
``r_precision``        relevant at p < R / R                                    ``Rprec``
=====================  =======================================================  =======================

``k = None`` means the whole list. Queries (:class:`RankingOptions`):

- *empty*: a judged query whose measure has nothing to find: R = 0 or, for ``ndcg``, an ideal DCG of 0
  (no judged item with a positive gain). trec_eval scores it 0 (``empty_queries: zero``, the default);
  ``skip`` leaves it out of the values; ``error`` raises an :class:`~gate.errors.InputError`.
- *missing*: a judged query the run returned nothing for. trec_eval ignores it (``missing_queries:
  skip``, the default); ``zero`` scores it 0, as ``trec_eval -c`` does.
- A query both empty and missing follows ``skip`` if either option says so (``error`` first).
- Queries in the run but not in the judgements are ignored (counted in :attr:`QueryCounts.run_only`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from gate.errors import InputError, clip
from gate.ranking.options import Measure, RankingOptions
from gate.ranking.positions import Positions, Terms
from gate.ranking.runs import Rankings


@dataclass(frozen=True)
class QueryCounts:
    """What happened to the judged queries for one measure (each query counted once).

    ``judged`` = ``scored`` + ``empty_skipped`` + ``missing_skipped``; ``empty_zeroed`` and
    ``missing_zeroed`` are among the scored. ``run_only`` counts queries only the run has (ignored)."""

    judged: int
    scored: int
    empty_zeroed: int
    empty_skipped: int
    missing_zeroed: int
    missing_skipped: int
    run_only: int


@dataclass(frozen=True, eq=False)
class PerQuery:
    """One measure's per-query values, aligned with ``query_ids`` (sorted; the scored queries only)."""

    measure: Measure
    query_ids: np.ndarray
    values: np.ndarray
    counts: QueryCounts

    def __post_init__(self) -> None:
        self.query_ids.setflags(write=False)
        self.values.setflags(write=False)

    @property
    def mean(self) -> float:
        """The mean over the scored queries (MAP, mean nDCG, ...); NaN when no query is scored."""
        return float(self.values.mean()) if len(self.values) else float("nan")


TREC_EVAL_OPTIONS = RankingOptions()   # trec_eval's defaults


def per_query(rankings: Rankings, measures: Iterable[Measure],
              options: RankingOptions = TREC_EVAL_OPTIONS) -> tuple[PerQuery, ...]:
    """Every measure's per-query values for ``rankings`` (one shared pass over the positions)."""
    positions = Positions(rankings, options.relevance_threshold, options.ties)
    return tuple(_finish(m, *_RAW[m.name](positions, m), rankings, options) for m in measures)


# ---------------------------------------------------------------------------------------------
# raw values: (value per judged query, empty per judged query), before the query rules


Raw = tuple[np.ndarray, np.ndarray]


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, and 0 where den is 0 (trec_eval leaves such a query's value at 0)."""
    return np.divide(num, den, out=np.zeros(len(num)), where=den != 0)


def _by_relevant_count(terms: Callable[[Positions], Terms]) -> Callable[[Positions, Measure], Raw]:
    """A measure that is a sum above k divided by R (ap, recall); empty when R = 0."""
    def raw(pos: Positions, m: Measure) -> Raw:
        r = pos.relevant_count
        return _divide(pos.sum_above(terms(pos), m.k), r), r == 0
    return raw


def _ndcg(pos: Positions, m: Measure) -> Raw:
    """DCG above k over the ideal DCG above k, both with gain / log2(p + 2) (``m_ndcg_cut.c``); the ideal
    list is every judged relevance, descending. Empty when the ideal DCG is 0."""
    ideal = pos.ideal_dcg(m.gain, m.k)
    return _divide(pos.sum_above(pos.discounted_gain(m.gain), m.k), ideal), ideal == 0


def _precision(pos: Positions, m: Measure) -> Raw:
    """Relevant above k / k (fewer than k retrieved: the rest count as non-relevant, ``m_P.c``); without
    k, relevant retrieved / retrieved (``m_set_P.c``, 0 for an empty list)."""
    found = pos.sum_above(pos.relevant, m.k)
    den = pos.rankings.lengths if m.k is None else np.full(len(found), float(m.k))
    return _divide(found, den), pos.relevant_count == 0


def _r_precision(pos: Positions, m: Measure) -> Raw:
    """Relevant above rank R / R (``m_Rprec.c``; a list shorter than R counts the rest as non-relevant)."""
    r = pos.relevant_count
    return _divide(pos.sum_above(pos.relevant, limit=r), r), r == 0


def _first_relevant(weight: Callable[[np.ndarray], np.ndarray | float]) -> Callable[[Positions, Measure], Raw]:
    """A sum above k of P(first relevant item at rank p) x weight(p) (reciprocal rank, hit rate); empty
    when R = 0."""
    def raw(pos: Positions, m: Measure) -> Raw:
        t = pos.first_relevant
        weighted = Terms(t.at, t.query, t.rank, t.value * weight(t.rank))
        return pos.sum_above(weighted, m.k), pos.relevant_count == 0
    return raw


_RAW: dict[str, Callable[[Positions, Measure], Raw]] = {
    "ap": _by_relevant_count(lambda p: p.ap_terms),
    "recall": _by_relevant_count(lambda p: p.relevant),
    "ndcg": _ndcg,
    "precision": _precision,
    "r_precision": _r_precision,
    "reciprocal_rank": _first_relevant(lambda rank: 1.0 / (rank + 1)),
    "hit_rate": _first_relevant(lambda rank: 1.0),
}


# ---------------------------------------------------------------------------------------------
# the query rules


def _finish(measure: Measure, values: np.ndarray, empty: np.ndarray, rankings: Rankings,
            options: RankingOptions) -> PerQuery:
    """Apply ``empty_queries`` / ``missing_queries`` to the raw values (see the module docstring)."""
    missing = rankings.lengths == 0
    if options.empty_queries == "error" and empty.any():
        _raise_empty(measure, rankings, empty)
    skip_empty = empty & (options.empty_queries == "skip")
    skip_missing = missing & ~skip_empty & (options.missing_queries == "skip")
    keep = ~(skip_empty | skip_missing)
    values = np.where(missing, 0.0, values)[keep]
    counts = QueryCounts(
        judged=rankings.n_queries, scored=int(keep.sum()),
        empty_zeroed=int((empty & ~missing & keep).sum()), empty_skipped=int(skip_empty.sum()),
        missing_zeroed=int((missing & keep).sum()), missing_skipped=int(skip_missing.sum()),
        run_only=rankings.run_only_queries)
    return PerQuery(measure, rankings.query_ids[keep], values, counts)


def _raise_empty(measure: Measure, rankings: Rankings, empty: np.ndarray) -> None:
    ids = rankings.query_ids[empty]
    shown = ", ".join(f"'{clip(q)}'" for q in ids[:3]) + (", ..." if len(ids) > 3 else "")
    what = "no judged item with a positive gain" if measure.name == "ndcg" else "no relevant judged item"
    raise InputError(f"{len(ids)} judged queries have {what} for {measure.label} ({shown})",
                     source=rankings.judgements_source,
                     fix="set empty_queries: zero or skip, or judge a relevant item for each query")
