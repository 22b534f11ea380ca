"""A run and its relevance judgements as one query-major structure, :class:`Rankings`.

Built once from long tables (``query_id, item_id, score`` for the run; ``query_id, item_id, relevance``
for the judgements, any column names) or from TREC files (:mod:`gate.ranking.trec`); every per-query
measure is then computed from it without going back to the rows.

Rules, as trec_eval's (``get_trec_results.c``, ``form_res_rels.c``):

- Only queries in the judgements are evaluated. Queries the run answers but the judgements do not
  mention are ignored; :attr:`Rankings.run_only_queries` counts them.
- A judged query the run returned nothing for keeps an empty list (see ``missing_queries``).
- Within a query, items are ranked by score descending, ties broken by item id descending as text
  (``strcmp(p2, p1)``; an integer id compares by its decimal digits, so ``9`` ranks before ``10``).
- A retrieved item absent from the judgements is unjudged (relevance NaN): never relevant, gain 0.
- A (query, item) pair given twice in the run or twice in the judgements is an input error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from gate.errors import InputError, clip, missing_column
from gate.ranking.columns import (
    Column,
    Origin,
    as_text,
    factorize,
    id_column,
    item_keys,
    number_column,
    runs_of_equal,
    same_lengths,
)
from gate.ranking.segments import offsets_from_codes, reverse_within, segment_argsort

RUN_COLUMNS = ("query_id", "item_id", "score")
JUDGEMENT_COLUMNS = ("query_id", "item_id", "relevance")
RUN_ORIGIN, JUDGEMENTS_ORIGIN = Origin("run"), Origin("judgements")


@dataclass(frozen=True, eq=False)
class Rankings:
    """Per judged query, the run's ranked list and the judged relevance levels (CSR-like, read-only).

    ``query_ids`` are the judged queries, sorted (integers numerically, text by code point). Query ``i``
    owns run rows ``offsets[i]:offsets[i + 1]`` of ``item_ids`` (integers or text, as given),
    ``scores`` and ``relevance``, in rank order (rank 1 first); ``relevance`` is the judged value or NaN
    for an unjudged item. It also owns ``judged_relevance[judged_offsets[i]:judged_offsets[i + 1]]``:
    every relevance value the judgements give for the query, descending, whether or not the run
    retrieved the item (R and the ideal DCG come from these, never from the retrieved list).
    """

    query_ids: np.ndarray
    offsets: np.ndarray
    item_ids: np.ndarray
    scores: np.ndarray
    relevance: np.ndarray
    judged_offsets: np.ndarray
    judged_relevance: np.ndarray
    run_only_queries: int
    run_source: str = "run"
    judgements_source: str = "judgements"

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)

    @property
    def n_queries(self) -> int:
        """Number of judged queries."""
        return len(self.query_ids)

    @property
    def lengths(self) -> np.ndarray:
        """Number of retrieved items per judged query (0 for a query missing from the run)."""
        return np.diff(self.offsets)

    @property
    def unjudged_retrieved(self) -> int:
        """Number of retrieved items (of judged queries) that the judgements do not mention."""
        return int(np.isnan(self.relevance).sum())


def from_tables(run: Mapping[str, Any], judgements: Mapping[str, Any], *,
                run_columns: Sequence[str] = RUN_COLUMNS,
                judgement_columns: Sequence[str] = JUDGEMENT_COLUMNS,
                run_source: str = "run", judgements_source: str = "judgements") -> Rankings:
    """:class:`Rankings` from two long tables, each a mapping of column name to values (a dict of lists
    or numpy arrays; a pandas DataFrame works too). ``run_columns`` names the run's query, item and score
    columns, ``judgement_columns`` the judgements' query, item and relevance columns."""
    run_origin, judged_origin = Origin(run_source), Origin(judgements_source)
    return from_arrays(*_pick(run, run_columns, run_origin), *_pick(judgements, judgement_columns, judged_origin),
                       run_origin=run_origin, judgements_origin=judged_origin,
                       names=(tuple(run_columns), tuple(judgement_columns)))


def _pick(table: Mapping[str, Any], columns: Sequence[str], origin: Origin) -> list:
    available = list(table.keys())
    for name in columns:
        if name not in available:
            raise missing_column(name, available, origin.source,
                                 "name the query, item and value columns (run_columns= / judgement_columns=)")
    return [table[name] for name in columns]


def from_arrays(run_query: Column, run_item: Column, run_score: Column,
                judged_query: Column, judged_item: Column, judged_relevance: Column, *,
                run_origin: Origin = RUN_ORIGIN, judgements_origin: Origin = JUDGEMENTS_ORIGIN,
                names: tuple[tuple[str, ...], tuple[str, ...]] = (RUN_COLUMNS, JUDGEMENT_COLUMNS)) -> Rankings:
    """:class:`Rankings` from the six columns (Python sequences or numpy arrays). Ids are integers or
    text, scores and relevance finite numbers; ``*_origin`` name the sources (and file lines) for errors."""
    run = _Rows.of(run_query, run_item, run_score, names[0], run_origin)
    judged = _Rows.of(judged_query, judged_item, judged_relevance, names[1], judgements_origin)
    if len(judged.query) == 0:
        raise InputError("has no judgements", source=judgements_origin.source,
                         fix="give at least one (query, item, relevance) row")
    run = run.like(judged)
    query_ids, judged_codes = factorize(judged.query)
    run_codes, run_only = _codes_in(query_ids, run.query)
    kept = run_codes >= 0
    join = _Join.of(run.take(kept), run_codes[kept], judged, judged_codes, len(query_ids))
    ranked = join.run_rows_in_rank_order()
    return Rankings(
        query_ids=query_ids, offsets=join.run_offsets, item_ids=join.run.item[ranked],
        scores=join.run.value[ranked], relevance=join.run_relevance[ranked],
        judged_offsets=join.judged_offsets, judged_relevance=join.judged_relevance_descending(),
        run_only_queries=run_only, run_source=run_origin.source, judgements_source=judgements_origin.source)


@dataclass(frozen=True, eq=False)
class _Rows:
    """One table's normalised columns: query ids, item ids, the value (score or relevance)."""

    query: np.ndarray
    item: np.ndarray
    value: np.ndarray
    origin: Origin
    rows: np.ndarray | None   # each row's index in the caller's table (for messages); None: row i is i

    @classmethod
    def of(cls, query: Column, item: Column, value: Column, names: tuple[str, ...],
           origin: Origin) -> _Rows:
        q = id_column(query, names[0], origin)
        i = id_column(item, names[1], origin)
        v = number_column(value, names[2], origin)
        same_lengths({names[0]: q, names[1]: i, names[2]: v}, origin)
        return cls(q, i, v, origin, None)

    def like(self, judged: _Rows) -> _Rows:
        """These rows with ids of the judgements' kinds (integers or text); a mismatch is an input error
        (``1`` and ``"1"`` would never match)."""
        if len(self.query) == 0:
            return _Rows(self.query.astype(judged.query.dtype), self.item.astype(judged.item.dtype), self.value,
                         self.origin, self.rows)
        for what, mine, theirs in (("query", self.query, judged.query), ("item", self.item, judged.item)):
            if (mine.dtype.kind == "U") != (theirs.dtype.kind == "U"):
                kinds = {True: "text", False: "integers"}
                raise InputError(f"{what} ids are {kinds[mine.dtype.kind == 'U']} but the judgements' are "
                                 f"{kinds[theirs.dtype.kind == 'U']}", source=self.origin.source,
                                 fix=f"give {what} ids of one kind in both tables")
        return self

    def take(self, mask: np.ndarray) -> _Rows:
        if mask.all():
            return self
        rows = np.flatnonzero(mask) if self.rows is None else self.rows[mask]
        return _Rows(self.query[mask], self.item[mask], self.value[mask], self.origin, rows)

    def row(self, i: int) -> int:
        """Row ``i``'s index in the caller's table."""
        return i if self.rows is None else int(self.rows[i])


def _codes_in(query_ids: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, int]:
    """Each row's index in the sorted ``query_ids`` (-1 when absent) and how many distinct queries are absent."""
    starts, heads = runs_of_equal(queries)
    at = np.minimum(np.searchsorted(query_ids, heads), max(len(query_ids) - 1, 0))
    found = query_ids[at] == heads
    absent = np.unique(heads[~found]) if not found.all() else heads[:0]
    return np.repeat(np.where(found, at, -1), np.diff(np.append(starts, len(queries)))), len(absent)


@dataclass(frozen=True, eq=False)
class _Join:
    """Run rows and judgement rows of the judged queries, sorted together by (query, item key).

    Both tables go into one array; grouping by query and sorting by item key inside each query brings
    the rows of one (query, item) together: a run row and a judgement row make a match, two rows of the
    same table a duplicate. Keys are hashes of text ids (:func:`~gate.ranking.columns.item_keys`): the
    ids behind equal keys are compared, and on a collision the join is redone on the ids themselves.
    """

    run: _Rows
    judged: _Rows
    run_codes: np.ndarray         # each row's query index
    judged_codes: np.ndarray
    run_offsets: np.ndarray
    judged_offsets: np.ndarray
    run_relevance: np.ndarray     # per run row: the judged relevance, NaN when unjudged

    @classmethod
    def of(cls, run: _Rows, run_codes: np.ndarray, judged: _Rows, judged_codes: np.ndarray,
           n_queries: int, exact: bool = False) -> _Join:
        run_offsets = offsets_from_codes(run_codes, n_queries)
        judged_offsets = offsets_from_codes(judged_codes, n_queries)
        offsets = run_offsets + judged_offsets
        keys = (np.concatenate((run.item, judged.item)) if exact
                else np.concatenate((item_keys(run.item), item_keys(judged.item))))
        grouped = _by_query(run_codes, judged_codes, run_offsets, judged_offsets)
        order = grouped[segment_argsort(keys[grouped], offsets)]
        n_run = len(run.item)
        from_run = order < n_run
        equal = _EqualKeys.of(keys[order], offsets, order, from_run)
        if not (equal.check_others(run, judged, exact) and (exact or equal.pairs_match(run, judged))):
            return cls.of(run, run_codes, judged, judged_codes, n_queries, exact=True)
        run_rows, judged_rows = equal.pairs
        relevance = np.full(n_run, np.nan)
        relevance[run_rows] = judged.value[judged_rows - n_run]
        return cls(run, judged, run_codes, judged_codes, run_offsets, judged_offsets, relevance)

    def run_rows_in_rank_order(self) -> np.ndarray:
        """Run rows by query, then score descending, then item id descending as text (trec_eval's order):
        a sort by score inside each query, then every run of tied scores sorted by item."""
        rows = _grouped(self.run_codes)
        scores = self.run.value if rows is None else self.run.value[rows]
        by_score = segment_argsort(-scores, self.run_offsets)
        rows = by_score if rows is None else rows[by_score]
        return _ties_by_item_descending(rows, self.run.value, self.run.item, self.run_offsets)

    def judged_relevance_descending(self) -> np.ndarray:
        """Every judged relevance value, grouped by query, descending within the query."""
        rows = _grouped(self.judged_codes)
        values = self.judged.value if rows is None else self.judged.value[rows]
        return values[segment_argsort(-values, self.judged_offsets)]


def _in_order(codes: np.ndarray) -> bool:
    return bool((codes[1:] >= codes[:-1]).all())


def _grouped(codes: np.ndarray) -> np.ndarray | None:
    """The rows in query order (a stable sort by query code), or None when they already are."""
    return None if _in_order(codes) else np.argsort(codes, kind="stable")


def _by_query(run_codes: np.ndarray, judged_codes: np.ndarray, run_offsets: np.ndarray,
              judged_offsets: np.ndarray) -> np.ndarray:
    """The rows of the concatenation (run rows, then judgement rows) grouped by query, each query's run
    rows first. When both tables come grouped by query (the usual case) the rows are placed, not sorted:
    run row i of query q goes to ``i + judged_offsets[q]``, judgement row j to ``j + run_offsets[q + 1]``."""
    if not (_in_order(run_codes) and _in_order(judged_codes)):
        return np.argsort(np.concatenate((run_codes, judged_codes)), kind="stable")
    out = np.empty(len(run_codes) + len(judged_codes), np.int64)
    run_rows, judged_rows = np.arange(len(run_codes)), np.arange(len(judged_codes))
    out[run_rows + judged_offsets[run_codes]] = run_rows
    out[judged_rows + run_offsets[judged_codes + 1]] = judged_rows + len(run_codes)
    return out


@dataclass(frozen=True, eq=False)
class _EqualKeys:
    """Runs of equal (query, key) among the concatenated rows in (query, key) order. A run of two rows,
    one from each table, is a *pair* (a match); any other run is a duplicate or a key collision.

    ``order`` holds the row indices (run rows first, then judgement rows), ``from_run`` whether each is
    a run row, ``same[p]`` whether position p + 1 repeats position p."""

    order: np.ndarray
    from_run: np.ndarray
    same: np.ndarray

    @classmethod
    def of(cls, keys: np.ndarray, offsets: np.ndarray, order: np.ndarray, from_run: np.ndarray) -> _EqualKeys:
        """From the keys in (query, key) order and the queries' ``offsets`` in that order."""
        same = keys[1:] == keys[:-1]
        bounds = offsets[1:-1]
        same[bounds[(bounds > 0) & (bounds < len(keys))] - 1] = False   # never across two queries
        return cls(order, from_run, same)

    @cached_property
    def _pair_starts(self) -> np.ndarray:
        same = self.same
        alone = same.copy()
        alone[1:] &= ~same[:-1]
        alone[:-1] &= ~same[1:]
        return np.flatnonzero(alone & (self.from_run[:-1] != self.from_run[1:]))

    @cached_property
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The (run row, judgement row) of every pair, aligned."""
        p = self._pair_starts
        a, b = self.order[p], self.order[p + 1]
        run_first = self.from_run[p]
        return np.where(run_first, a, b), np.where(run_first, b, a)

    def pairs_match(self, run: _Rows, judged: _Rows) -> bool:
        """Whether every pair's two rows hold the same item id (not ids whose keys collide)."""
        run_rows, judged_rows = self.pairs
        return bool((run.item[run_rows] == judged.item[judged_rows - len(run.item)]).all())

    def check_others(self, run: _Rows, judged: _Rows, exact: bool) -> bool:
        """Runs other than pairs: raise for a duplicate (query, item) when their ids are equal; False
        when two ids only share a key (the caller then matches exactly); True when there are none."""
        if int(self.same.sum()) == len(self._pair_starts):
            return True
        shared = np.zeros(len(self.order), bool)
        shared[1:] |= self.same
        shared[:-1] |= self.same
        shared[self._pair_starts] = shared[self._pair_starts + 1] = False
        at = np.flatnonzero(shared)
        group = np.cumsum(~np.concatenate(([False], self.same))[at]) - 1
        items = _items(run, judged, self.order[at])
        if not exact and not (items == items[np.searchsorted(group, group)]).all():
            return False
        _raise_duplicate(self.order[at], self.from_run[at], group, run, judged)
        return True


def _raise_duplicate(rows: np.ndarray, from_run: np.ndarray, group: np.ndarray, run: _Rows,
                     judged: _Rows) -> None:
    """Raise for the (query, item) pair whose second listing comes first in its table, among ``rows``
    (grouped by equal (query, item))."""
    o = np.lexsort((rows, from_run, group))
    rows, from_run, group = rows[o], from_run[o], group[o]
    repeat = np.flatnonzero((group[1:] == group[:-1]) & (from_run[1:] == from_run[:-1])) + 1
    pick = repeat[np.argmin(rows[repeat])]
    t, offset = (run, 0) if from_run[pick] else (judged, len(run.item))
    a, b = int(rows[pick - 1]) - offset, int(rows[pick]) - offset
    raise InputError(f"query '{clip(t.query[b])}' lists item '{clip(t.item[b])}' twice "
                     f"(also at {t.origin.where(t.row(a))})", source=t.origin.source,
                     where=t.origin.where(t.row(b)), fix="keep one row per (query, item)")


def _items(run: _Rows, judged: _Rows, rows: np.ndarray) -> np.ndarray:
    """The item ids of concatenated rows (run rows first, then judgement rows)."""
    from_run = rows < len(run.item)
    out = np.empty(len(rows), np.result_type(run.item, judged.item))
    out[from_run] = run.item[rows[from_run]]
    out[~from_run] = judged.item[rows[~from_run] - len(run.item)]
    return out


def _ties_by_item_descending(rows: np.ndarray, scores: np.ndarray, items: np.ndarray,
                             offsets: np.ndarray) -> np.ndarray:
    """``rows`` (ranked by score inside each query) with every run of equal scores in a query reordered
    by item id descending as text (``comp_sim_docno`` in form_res_rels.c: ``strcmp(p2->docno, p1->docno)``)."""
    s = scores[rows]
    tied = np.zeros(len(rows), bool)                         # tied[p]: p ties with p - 1 in its query
    tied[1:] = s[1:] == s[:-1]
    tied[offsets[:-1][offsets[:-1] < len(rows)]] = False
    if not tied.any():
        return rows
    in_run = tied.copy()
    in_run[:-1] |= tied[1:]
    at = np.flatnonzero(in_run)
    run_offsets = np.append(np.flatnonzero(~tied[at]), len(at))
    tied_rows = rows[at]
    ascending = tied_rows[segment_argsort(as_text(items[tied_rows]), run_offsets)]
    rows = rows.copy()
    rows[at] = ascending[reverse_within(run_offsets)]
    return rows
