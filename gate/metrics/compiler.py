"""From a resolved gate target to sufficient-statistic blocks and a function of their sums.

:class:`QuantityBuilder` registers, for one model side and subset (slice), the blocks a metric needs in
a shared :class:`gate.resampling.stats.StatPlan` (confusion cells, tie-group sums, per-example sums), and returns a
``Quantity``: a function from the accumulated block sums of ``b`` resamples to ``(value, undefined)``
arrays of shape ``(b,)``. The same function yields the point estimate (observed counts) and every
bootstrap replicate, so the two can never disagree on a definition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gate.data.align import EvalSet, Side
from gate.metrics import formulas as f
from gate.metrics.catalog import METRICS
from gate.resampling.stats import Block, StatPlan, parallel_map, radix_order, ranks_in_order

Quantity = Callable[[list[np.ndarray]], f.Result]
ECE_BINS = 15
_EPS = np.finfo(np.float64).eps


@dataclass(frozen=True)
class Target:
    """What one expanded gate measures: metric, class index or average, parameters, slice."""

    metric: str
    class_index: int | None
    average: str | None
    params: Mapping[str, Any]
    slice_col: str | None = None
    slice_value: str | None = None
    predicted_index: int | None = None


class QuantityBuilder:
    """Builds quantities over one shared plan. Unit numbering: the candidate's labeled rows first;
    the baseline's rows share the candidate's units when paired, else follow them."""

    def __init__(self, evalset: EvalSet, plan: StatPlan, offsets: Mapping[str, int],
                 groups: ClassGroups | None = None, defer: bool = False) -> None:
        self.es = evalset
        self.defer = defer      # ranking blocks left to plan.realize() (the caller's, in parallel)
        self.plan = plan
        self.offsets = offsets
        self.k = evalset.n_classes
        # one array per (role, subset), shared by every block over it: rows, units and weights are
        # 24 bytes per example, which each block would otherwise hold again (issue 13's memory)
        self._shared: dict[tuple, np.ndarray] = {}
        self._derived: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self.groups = ClassGroups() if groups is None else groups

    def _once(self, key: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    def side(self, role: str) -> Side:
        side = self.es.candidate if role == "candidate" else self.es.baseline
        assert side is not None
        return side

    def rows(self, role: str, target: Target) -> np.ndarray:
        side = self.side(role)
        if target.slice_col is None:
            return self._once(("rows", side.y.size), lambda: np.arange(side.y.size))
        column = side.slices[target.slice_col]
        return self._once(("rows", role, target.slice_col, target.slice_value),
                          lambda: np.flatnonzero(column == target.slice_value))

    def quantity(self, role: str, target: Target) -> Quantity:
        family = METRICS[target.metric].family
        if family == "confusion":
            return self._confusion(role, target)
        if family == "ranking":
            return self._ranking(role, target)
        if family == "flip":
            return self._flip(target)
        return self._probability(role, target)

    # -- blocks -------------------------------------------------------------------------------

    def _of_rows(self, kind: str, role: str, rows: np.ndarray, make: Callable[[], np.ndarray]) -> np.ndarray:
        """An array derived from ``rows``, once per rows array (the cache holds ``rows`` too, so its
        ``id`` cannot be reused by another array while cached)."""
        key = (kind, role, id(rows))
        if key not in self._derived:
            self._derived[key] = (rows, make())
        return self._derived[key][1]

    def _units(self, role: str, rows: np.ndarray) -> np.ndarray:
        if self.offsets[role] == 0:
            return rows
        return self._of_rows("units", role, rows, lambda: self.offsets[role] + rows)

    def _weight(self, side: Side, rows: np.ndarray) -> np.ndarray:
        """The rows' weights (ones without weights); shared between blocks, never written to."""
        if side.weight is None:
            return self._once(("ones", rows.size), lambda: np.ones(rows.size))
        weight = side.weight
        return self._of_rows("weight", side.role, rows, lambda: weight[rows])

    def cm_block(self, role: str, target: Target) -> int:
        side, rows = self.side(role), self.rows(role, target)
        key = ("cm", role, target.slice_col, target.slice_value)
        return self.plan.add(key, lambda: Block(self._units(role, rows), side.y[rows] * self.k + side.pred[rows],
                                                self._weight(side, rows), self.k * self.k))

    def rank_block(self, role: str, target: Target, class_index: int) -> int:
        side, rows = self.side(role), self.rows(role, target)
        key = ("rank", role, target.slice_col, target.slice_value, class_index)

        def make() -> Block:
            w = self._weight(side, rows)
            if side.weight is not None:                 # zero weights drop out of the ranking
                keep = w > 0
                rows_kept, w = rows[keep], w[keep]
            else:
                rows_kept = rows
            positive = (side.y[rows_kept] == class_index).astype(np.int64)
            group = collapse_negative_runs(subset_groups(self.groups(side, class_index), rows_kept), positive)
            g = int(group.max()) + 1 if group.size else 1
            return Block(self._units(role, rows_kept), group + g * positive, w, 2 * g)
        return self.plan.add(key, make, defer=self.defer)

    def rank_micro_block(self, role: str, target: Target) -> int:
        side, rows = self.side(role), self.rows(role, target)
        key = ("rank_micro", role, target.slice_col, target.slice_value)

        def make() -> Block:
            w = self._weight(side, rows)
            keep = w > 0
            rows_k = rows[keep]
            scores = np.column_stack([class_scores(side, c)[rows_k] for c in range(self.k)]).ravel()
            positive = (side.y[rows_k][:, None] == np.arange(self.k)[None, :]).ravel().astype(np.int64)
            group = collapse_negative_runs(descending_groups(scores), positive)
            g = int(group.max()) + 1 if group.size else 1
            return Block(np.repeat(self._units(role, rows_k), self.k), group + g * positive,
                         np.repeat(w[keep], self.k), 2 * g)
        return self.plan.add(key, make)

    def sum_block(self, role: str, target: Target, name: str, values: np.ndarray) -> int:
        """Σ w·x over the subset, ``values`` given for every labeled row of the side."""
        side, rows = self.side(role), self.rows(role, target)
        key = ("sum", name, role, target.slice_col, target.slice_value, target.class_index)
        return self.plan.add(key, lambda: Block(self._units(role, rows), np.zeros(rows.size, dtype=np.int64),
                                                self._weight(side, rows) * values[rows], 1))

    def binned_block(self, role: str, target: Target, name: str, bins: np.ndarray, values: np.ndarray) -> int:
        side, rows = self.side(role), self.rows(role, target)
        key = ("bins", name, role, target.slice_col, target.slice_value)
        return self.plan.add(key, lambda: Block(self._units(role, rows), bins[rows],
                                                self._weight(side, rows) * values[rows], ECE_BINS))

    def ece_count_block(self, role: str, target: Target) -> int:
        """Σ w per ECE bin: the weights ECE's other blocks are summed against."""
        side = self.side(role)
        return self.binned_block(role, target, "ece_count", confidence_bins(side), np.ones(side.y.size))

    def flip_block(self, target: Target) -> int:
        """The paired flip cells (gate/metrics/flips.py) of the candidate's subset rows, by true class:
        target ``y · 5 + cell``, weighted by the candidate's weights."""
        from gate.metrics.flips import N_CELLS, flip_cells
        cand, base, rows = self.side("candidate"), self.side("baseline"), self.rows("candidate", target)
        key = ("flip", target.slice_col, target.slice_value)
        return self.plan.add(key, lambda: Block(self._units("candidate", rows), cand.y[rows] * N_CELLS + flip_cells(
            cand.y[rows], cand.pred[rows], base.pred[rows]), self._weight(cand, rows), self.k * N_CELLS))

    # -- families -------------------------------------------------------------------------------

    def _flip(self, t: Target) -> Quantity:
        """A flip rate: the share of the subset's examples (of the class, with one) in the metric's cells."""
        from gate.metrics.flips import FLIP_CELLS, N_CELLS
        idx, k, cells = self.flip_block(t), self.k, list(FLIP_CELLS[t.metric])

        def rate(acc: list[np.ndarray]) -> f.Result:
            sums = _float(acc[idx]).reshape(-1, k, N_CELLS)
            rows = sums.sum(axis=1) if t.class_index is None else sums[:, t.class_index, :]
            return f._ratio(rows[:, cells].sum(axis=1), rows.sum(axis=1))
        return rate

    def _confusion(self, role: str, t: Target) -> Quantity:
        idx, k, name, p = self.cm_block(role, t), self.k, t.metric, t.params

        def cm_of(acc: list[np.ndarray]) -> np.ndarray:
            return _float(acc[idx]).reshape(-1, k, k)

        if name == "accuracy":
            return lambda acc: f.accuracy(cm_of(acc))
        if name == "balanced_accuracy":
            return lambda acc: f.balanced_accuracy(cm_of(acc), bool(p.get("adjusted")))
        if name == "mcc":
            return lambda acc: f.mcc(cm_of(acc))
        if name == "cohen_kappa":
            return lambda acc: f.cohen_kappa(cm_of(acc))
        if name == "support":
            return lambda acc: _never_undefined(cm_of(acc).sum(axis=2)[:, t.class_index])
        if name == "prevalence":
            return lambda acc: f._ratio(cm_of(acc).sum(axis=2)[:, t.class_index], cm_of(acc).sum(axis=(1, 2)))
        if name == "expected_cost":
            costs = np.asarray(p["costs"], dtype=np.float64)
            return lambda acc: f._ratio((cm_of(acc) * costs).sum(axis=(1, 2)), cm_of(acc).sum(axis=(1, 2)))
        if name == "confusion":
            true_idx, pred_idx = t.class_index, t.predicted_index
            assert true_idx is not None and pred_idx is not None     # expand: a confusion gate names both
            return lambda acc: f.confusion_cell(cm_of(acc), true_idx, pred_idx, p["normalize"])
        beta = float(p.get("beta", 1.0))
        average = t.average
        if average is not None:
            return lambda acc: f.averaged(name, cm_of(acc), average, beta)

        def one_class(acc: list[np.ndarray]) -> f.Result:
            value, undefined = f.per_class(name, cm_of(acc), beta)
            return value[:, t.class_index], undefined[:, t.class_index]
        return one_class

    def _ranking(self, role: str, t: Target) -> Quantity:
        metric = _ranking_function(t)
        fast = t.metric if t.metric in FAST_RANKING else None
        if t.average == "micro":
            return _ranked(self.rank_micro_block(role, t), metric, fast)
        if t.average is None:
            assert t.class_index is not None        # expand: a per-class gate without average has its class
            return _ranked(self.rank_block(role, t, t.class_index), metric, fast)
        blocks = [self.rank_block(role, t, c) for c in range(self.k)]
        per_class = [_ranked(i, metric, fast) for i in blocks]

        def averaged(acc: list[np.ndarray]) -> f.Result:
            parts = [q(acc) for q in per_class]
            values = np.column_stack([v for v, _ in parts])
            undefined = np.column_stack([u for _, u in parts]).any(axis=1)
            if t.average == "macro":
                return values.mean(axis=1), undefined  # type: ignore[return-value]  # numpy stubs: any(axis=1) of 2-D is an array
            support = np.column_stack([positives(acc[i]).sum(axis=1) for i in blocks])
            value, no_support = f._ratio((values * support).sum(axis=1), support.sum(axis=1))
            return value, undefined | no_support
        return averaged

    def _probability(self, role: str, t: Target) -> Quantity:
        side = self.side(role)
        cm = self.cm_block(role, t)

        def total(acc: list[np.ndarray]) -> np.ndarray:
            return acc[cm].sum(axis=1)

        if t.metric == "ece":
            conf, correct = calibration_inputs(side)
            bins = confidence_bins(side)
            count = self.ece_count_block(role, t)
            c_sum = self.binned_block(role, t, "ece_conf", bins, conf)
            k_sum = self.binned_block(role, t, "ece_correct", bins, correct)
            return lambda acc: f.expected_calibration_error(acc[count], acc[c_sum], acc[k_sum])
        values = (log_loss_terms(side) if t.metric == "log_loss"
                  else brier_terms(side, t.class_index))
        idx = self.sum_block(role, t, t.metric, values)
        return lambda acc: f.mean_of(acc[idx][:, 0], total(acc))


FAST_RANKING = ("average_precision", "pr_auc", "roc_auc")


def _ranked(idx: int, metric: Callable[[np.ndarray, np.ndarray], f.Result], fast: str | None) -> Quantity:
    """A ranking quantity over block ``idx``. On bootstrap chunks (block sums carrying a ``memo``,
    see :class:`gate.resampling.stats.Sums`) AP, PR-AUC and ROC-AUC come from :class:`RankStats`, which shares
    the cumulative counts between metrics and gates of one block; elsewhere (point estimates,
    jackknife rows, other metrics) the formulas of :mod:`gate.metrics.formulas` are used as they are.
    Both agree to rounding (tests/test_fast_path.py)."""

    def quantity(acc: list[np.ndarray]) -> f.Result:
        memo = getattr(acc, "memo", None)
        sums = acc[idx]
        if fast is None or memo is None or sums.shape[0] < 2:
            return metric(_float(positives(sums)), _float(negatives(sums)))
        key = ("rank", idx, fast)
        if key not in memo:
            stats = memo.get(("rank_stats", idx))
            if stats is None:
                stats = memo[("rank_stats", idx)] = RankStats(sums)
            memo[key] = stats.metric(fast)
        return memo[key]
    return quantity


class RankStats:
    """Cumulative counts of one ranking block over ``b`` resamples, shared by AP, PR-AUC and ROC-AUC.

    With ``pos``/``neg`` the per-group counts, ``tps``/``fps`` their cumulative sums, ``P``/``N`` the
    totals and ``prec`` = tps / (tps + fps) (1 where nothing is ranked yet, the curve's start point):
    AP = Σ pos·prec / P; PR-AUC = Σ pos·(prec + prec_prev) / (2P) (the trapezoid, since recall moves
    by pos/P; prec_prev = 1 before the first group); ROC-AUC = (P·N − Σ pos·fps + ½ Σ pos·neg) / (P·N).
    Same values, conventions and undefined flags as :func:`formulas.average_precision`,
    :func:`formulas.pr_auc`, :func:`formulas.roc_auc` (to rounding). Every sum runs left to right
    (``np.cumsum``), so the compiled kernel (``rank_sums`` of :mod:`gate.resampling._ckernels`, one pass
    per row, used when it was built) gives the same floats bit for bit."""

    def __init__(self, sums: np.ndarray) -> None:
        pos, neg = positives(sums), negatives(sums)
        from gate.resampling.poisson import compiled
        kernels = compiled()
        if kernels is not None:
            out = np.empty((6, sums.shape[0]))
            kernels.rank_sums(pos, neg, out)
        else:
            out = _rank_sums(pos, neg)
        self.p_total, self.n_total, self.ap_sum, self.pr_sum, self.s_fps, self.s_neg = out
        self.safe_p = np.where(self.p_total > 0, self.p_total, 1.0)

    def metric(self, name: str) -> f.Result:
        undefined = self.p_total <= 0
        if name == "average_precision":
            return np.where(undefined, 0.0, np.maximum(self.ap_sum / self.safe_p, 0.0)), undefined
        if name == "pr_auc":
            return np.where(undefined, np.nan, self.pr_sum / (2.0 * self.safe_p)), undefined
        if name == "roc_auc":
            den = self.p_total * self.n_total
            num = den - self.s_fps + 0.5 * self.s_neg
            undefined = den <= 0
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(undefined, np.nan, num / np.where(undefined, 1.0, den)), undefined
        raise KeyError(name)


RANK_SLICE = 4096     # groups per slice of _rank_sums: a slice's temporaries stay in the CPU cache


def _rank_sums(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """numpy twin of the compiled kernel's ``rank_sums`` (gate/resampling/_ckernels.c): the same six sums, every float one added left
    to right in the same order, so both give the same floats bit for bit.

    The groups are taken in slices of :data:`RANK_SLICE` (the temporaries of a whole 12 × 160,000
    block do not fit in the CPU cache; a slice's do), carrying the running counts, the last
    precision and the running float sums from slice to slice. A float sum stays one left-to-right
    pass because each slice's cumulative sum starts from the carried total as its first column
    (``carry + x0 + x1 …``, not ``carry + (x0 + x1 …)``; numpy's plain ``sum`` would add pairwise).
    Integer sums (exact counts) are exact in any order and use plain sums."""
    b, groups = pos.shape
    exact = pos.dtype.kind in "iu"
    tps0, fps0 = np.zeros(b, dtype=pos.dtype), np.zeros(b, dtype=pos.dtype)
    ap, pr, s_fps, s_neg = np.zeros(b), np.zeros(b), np.zeros(b, dtype=pos.dtype), np.zeros(b, dtype=pos.dtype)
    last = np.ones(b)        # the precision before the first group: the curve's start point
    for lo in range(0, groups, RANK_SLICE):
        p, q = pos[:, lo:lo + RANK_SLICE], neg[:, lo:lo + RANK_SLICE]
        tps, fps = _running(tps0, p, exact), _running(fps0, q, exact)
        s_fps = _sequential_sum(s_fps, p * fps, exact)
        s_neg = _sequential_sum(s_neg, p * q, exact)
        tps0, fps0 = tps[:, -1].copy(), fps[:, -1].copy()
        alls = fps
        alls += tps
        prec = np.ones(tps.shape)
        np.divide(tps, alls, out=prec, where=alls > 0)
        term = np.empty((b, min(RANK_SLICE, groups - lo) + 1))
        np.multiply(prec, p, out=term[:, 1:])
        term[:, 0] = ap
        ap = np.cumsum(term, axis=1, out=term)[:, -1].copy()
        term[:, 1] = prec[:, 0] + last
        np.add(prec[:, 1:], prec[:, :-1], out=term[:, 2:])
        term[:, 1:] *= p
        term[:, 0] = pr
        pr = np.cumsum(term, axis=1, out=term)[:, -1].copy()
        last = prec[:, -1].copy()
    return np.stack([tps0.astype(np.float64), fps0.astype(np.float64), ap, pr,
                     s_fps.astype(np.float64), s_neg.astype(np.float64)])


def _running(carry: np.ndarray, x: np.ndarray, exact: bool) -> np.ndarray:
    """Cumulative sums of ``x``'s rows continuing from ``carry`` (``carry + x0``, ``carry + x0 + x1``,
    … left to right)."""
    if exact:
        out = np.cumsum(x, axis=1)
        out += carry[:, None]
        return out
    term = np.empty((x.shape[0], x.shape[1] + 1))
    term[:, 0] = carry
    term[:, 1:] = x
    return np.cumsum(term, axis=1, out=term)[:, 1:]


def _sequential_sum(carry: np.ndarray, x: np.ndarray, exact: bool) -> np.ndarray:
    """``carry + x[:, 0] + x[:, 1] + …`` per row, left to right; integers (exact in any order) by a
    plain row sum."""
    if exact:
        return carry + x.sum(axis=1)
    return _running(carry, x, exact)[:, -1].copy()


def _ranking_function(t: Target) -> Callable[[np.ndarray, np.ndarray], f.Result]:
    p = t.params
    if t.metric == "average_precision":
        return f.average_precision
    if t.metric == "pr_auc":
        return f.pr_auc
    if t.metric == "roc_auc":
        return f.roc_auc
    if t.metric == "interpolated_ap":
        return lambda pos, neg: f.interpolated_ap(pos, neg, p["interpolation"])
    if t.metric == "precision_at_recall":
        return lambda pos, neg: f.precision_at_recall(pos, neg, float(p["at_recall"]))
    if t.metric == "recall_at_precision":
        return lambda pos, neg: f.recall_at_precision(pos, neg, float(p["at_precision"]))
    raise KeyError(t.metric)


def positives(sums: np.ndarray) -> np.ndarray:
    """Per-group positive counts of a ranking block (layout: G negative counts, then G positive)."""
    return sums[:, sums.shape[1] // 2:]


def negatives(sums: np.ndarray) -> np.ndarray:
    return sums[:, :sums.shape[1] // 2]


def _float(x: np.ndarray) -> np.ndarray:
    """Block sums as float64 (bootstrap count blocks are exact int64)."""
    return x if x.dtype == np.float64 else x.astype(np.float64)


def _never_undefined(value: np.ndarray) -> f.Result:
    return value.astype(np.float64), np.zeros(value.shape, dtype=bool)


def class_scores(side: Side, class_index: int) -> np.ndarray:
    """Score ranking examples for one class: binary positive class → score, negative class → −score
    (one-vs-rest of the complement); multiclass → that class's column."""
    assert side.scores is not None
    if side.scores.ndim == 1:
        return side.scores if class_index == 1 else -side.scores
    return side.scores[:, class_index]


def class_groups(side: Side, class_index: int) -> np.ndarray:
    """:func:`descending_groups` of the side's scores for one class (all rows): a sort of N scores.
    :class:`ClassGroups` computes it once per side and class for one evaluation."""
    return descending_groups(class_scores(side, class_index))


class ClassGroups:
    """The :func:`class_groups` of one EvalSet's sides, each computed once (shared by every gate,
    slice and the report's curves). The cache belongs to the evaluation that creates it; the sides
    themselves are never written to."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, int], np.ndarray] = {}

    def __call__(self, side: Side, class_index: int) -> np.ndarray:
        key = (side.role, class_index)
        if key not in self._groups:
            self._groups[key] = class_groups(side, class_index)
        return self._groups[key]

    def warm(self, es: EvalSet, threads: int) -> ClassGroups:
        """Compute the groups of every side and every class the report's curves show (the positive
        class of a binary task, every class otherwise) on ``threads`` threads: numpy's sort releases
        the GIL, and a 20-class pair of models is 40 sorts of N scores. Returns self."""
        pairs = [(side, c) for side in (es.candidate, es.baseline) if side is not None and side.scores is not None
                 for c in ([1] if es.task == "binary" else range(es.n_classes))]
        for (side, c), groups in zip(pairs, parallel_map(lambda pair: class_groups(*pair), pairs, threads)):
            self._groups[(side.role, c)] = groups
        return self


def subset_groups(groups: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Tie-group indices of a subset of rows, renumbered densely in the same order (what
    :func:`descending_groups` gives on the subset's scores), in O(N) without sorting again."""
    if rows.size == groups.size:
        return groups          # rows are always increasing, so all of them means the identity
    sub = groups[rows]
    present = np.zeros(int(groups.max()) + 1 if groups.size else 1, dtype=bool)
    present[sub] = True
    return (np.cumsum(present) - 1)[sub]


TIE_LIMIT = 65_536
"""The most distinct scores :func:`descending_groups` hashes with the compiled kernel (its table, 16
bytes a slot at most half full, then stays within 2 MiB); past it the column is radix-sorted."""


def descending_groups(score: np.ndarray) -> np.ndarray:
    """Tie-group index of each score, 0 for the highest distinct score (scikit-learn's thresholds).
    Scores are finite; -0.0 ties with 0.0. With the compiled kernel (``tie_ranks`` of
    :mod:`gate.resampling._ckernels`), a column of at most :data:`TIE_LIMIT` distinct scores (exported
    scores usually have few: 4-decimal softmax, ~10^4) is hashed by the scores' bits, read in place
    (a strided column is not copied), and only its distinct values are sorted. Otherwise it is sorted
    by :func:`radix_order` on the order-preserving unsigned image of the doubles (sign bit flipped for
    positives, every bit for negatives): four counting-sort passes, ~1.5x faster than ``np.unique`` at
    10^6 scores. Both give the same integers."""
    if score.size == 0:
        return np.zeros(0, dtype=np.int64)
    from gate.resampling.poisson import compiled
    kernels = compiled()
    if kernels is not None and score.ndim == 1:
        out = np.empty(score.size, dtype=np.int64)
        if kernels.tie_ranks(np.asarray(score, dtype=np.float64), out, TIE_LIMIT) >= 0:
            return out
    bits = (np.asarray(score, dtype=np.float64) + 0.0).view(np.uint64)      # + 0.0: -0.0 becomes 0.0
    key = np.where(bits >> 63 == 1, ~bits, bits | np.uint64(1 << 63))
    ranks, distinct = ranks_in_order(key, radix_order(key, 64))
    return (distinct - 1 - ranks).astype(np.int64)


def collapse_negative_runs(group: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Rank cells: renumber tie groups so that every maximal run of consecutive groups holding no
    positive becomes one group (order kept). Exact for every ranking formula: such a group adds no
    positive, so it changes no sum directly; it only carries its negatives into the cumulative counts
    at the next groups, and the run's cumulative counts at its end (the precision just before the next
    positive group, needed by PR-AUC) are the same merged or not. In the interpolated/envelope metrics a
    negative-only group's point has the recall of the group before it and a precision no higher, so it
    never sets a maximum. With P positive-holding groups a block has at most 2P + 1 groups instead of
    one per distinct score (tests/test_fast_path.py checks every ranking metric on both)."""
    if group.size == 0:
        return group
    g = int(group.max()) + 1
    has_positive = np.zeros(g, dtype=bool)
    has_positive[group[positive > 0]] = True
    starts = has_positive.copy()
    starts[1:] |= has_positive[:-1]
    starts[0] = True
    return (np.cumsum(starts) - 1)[group]


def brier_terms(side: Side, class_index: int | None) -> np.ndarray:
    """Per-example squared error. Binary (either class): (s − y)² (scikit-learn's scale-by-half of
    the two-column sum); on the engine path's binned cells the cell's exact mean of it,
    ``(Σs² − 2yΣs)/m + y``. Multiclass with a class: one-vs-rest (s_k − y_k)²; without: Σ_k (s_k − y_k)²
    (halved when K < 3, as scikit-learn's ``scale_by_half="auto"``)."""
    s = side.scores
    assert s is not None
    if s.ndim == 1:
        positive = side.y == 1
        if side.cell_scores is not None:
            cells = side.cell_scores
            return (cells.squares - 2.0 * positive * cells.total) / _cell_sizes(side) + positive
        return (s - positive) ** 2
    onehot = side.y[:, None] == np.arange(s.shape[1])[None, :]
    if class_index is not None:
        return (s[:, class_index] - onehot[:, class_index]) ** 2
    total = ((s - onehot) ** 2).sum(axis=1)
    return total * 0.5 if s.shape[1] < 3 else total


def log_loss_terms(side: Side) -> np.ndarray:
    """Per-example −log p(true class), probabilities clipped to [eps, 1 − eps] (scikit-learn); on the
    engine path's binned cells the midpoint of the cell's terms at its smallest and largest score
    (the term is monotone in the score: every example's is within half their difference)."""
    s = side.scores
    assert s is not None
    if s.ndim == 1 and side.cell_scores is not None:
        cells = side.cell_scores
        return (binary_log_loss(side.y, cells.low) + binary_log_loss(side.y, cells.high)) / 2.0
    if s.ndim == 1:
        return binary_log_loss(side.y, s)
    return -np.log(np.clip(s[np.arange(s.shape[0]), side.y], _EPS, 1 - _EPS))


def binary_log_loss(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """−log of the probability of the true class (``s`` of class 1), clipped to [eps, 1 − eps]."""
    return -np.log(np.clip(np.where(y == 1, s, 1.0 - s), _EPS, 1 - _EPS))


def calibration_inputs(side: Side) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, correct) per example: binary → (positive-class probability, is positive), on the
    engine path's binned cells the cell's mean score; multiclass → top-label (max probability,
    arg-max equals the true class)."""
    s = side.scores
    assert s is not None
    if s.ndim == 1:
        conf = s if side.cell_scores is None else side.cell_scores.total / _cell_sizes(side)
        return conf, (side.y == 1).astype(np.float64)
    top = np.argmax(s, axis=1)
    return s.max(axis=1), (top == side.y).astype(np.float64)


def confidence_bins(side: Side) -> np.ndarray:
    """Each example's ECE bin (:func:`ece_bins` of its confidence). A binned cell's is its score's,
    the bin's lower edge: the ECE boundaries are edges (gate/engines/bins.py), so that is the bin of
    every score in the cell, where the mean of the truncated sums could fall just below it."""
    s = side.scores
    assert s is not None
    return ece_bins(s if s.ndim == 1 else s.max(axis=1))


def _cell_sizes(side: Side) -> np.ndarray:
    assert side.counts is not None
    return side.counts.astype(np.float64)


def ece_bins(conf: np.ndarray) -> np.ndarray:
    """Equal-width bin of each confidence: [i/15, (i+1)/15), the last bin closed at 1."""
    return np.minimum((conf * ECE_BINS).astype(np.int64), ECE_BINS - 1)


def ece_edges() -> tuple[float, ...]:
    """The ECE bins' inner boundaries as edges: for ``k = 1 … 14`` the smallest double ``e_k`` with
    ``⌊fl(e_k·15)⌋ ≥ k``, the rule :func:`ece_bins` applies (``fl(s·15)`` is
    monotone in ``s``). So ``s < e_k`` exactly when the ECE bin of ``s`` is below ``k``: a score bin
    between two edges lies inside one ECE bin, and its lower edge is in that ECE bin too (``k/15``
    itself need not be: ``fl(k/15·15)`` can round below ``k``)."""
    edges = []
    for k in range(1, ECE_BINS):
        e = np.float64(k / ECE_BINS)
        while int(ece_bins(np.array([e]))[0]) >= k:
            e = np.nextafter(e, -np.inf)
        while int(ece_bins(np.array([e]))[0]) < k:
            e = np.nextafter(e, np.inf)
        edges.append(float(e))
    return tuple(edges)
