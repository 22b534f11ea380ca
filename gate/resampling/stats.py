"""Sufficient statistics and the resampling that drives them.

Every metric here is a function of *linear* statistics of the examples: a confusion matrix is a sum of
per-example weights into (true, predicted) cells; a ranking metric needs the per-tie-group sums of
positive and negative weights; brier/log loss/ECE need per-example (or per-bin) weighted sums. A
:class:`Block` says, for one such statistic, which *unit* (example, or cell of identical examples)
adds which value to which target. A resample is a vector of unit counts ``W``; the statistic of the
resample is ``Σ_entries W[unit] · value`` binned by target. The point estimate is the same formula with
``W`` = the observed multiplicities. :func:`accumulate_block` is that formula written out directly; it
is the *reference* path (point estimates, tests) and is never used for the bootstrap at scale.

The bootstrap (:class:`Bootstrap`) produces the same block sums without materialising ``W`` or any
``(resamples × entries)`` array. It picks one of two exact ways to draw a resample:

- **multinomial over cells** — when every block has at most one entry per unit, units that agree on
  every entry (and stratum) are merged into *cells* with multiplicities, and a resample of ``n``
  examples is exactly a multinomial draw over the cells (SPEC §6: O(B·cells), not O(B·N)); the block
  sums are then a sparse product ``W_cells @ M``. Used when cells ≤ ¼ of the examples (confusion-only
  policies: a handful of cells at any N).
- **index draws** — otherwise ``n`` uniform positions per resample (the floor of exact resampling),
  then, per *view*, one gather of a precomputed code table and one ``bincount``. A view is a block (or
  several blocks merged) whose entries are one per unit with a value that depends only on the code, so
  the block sums follow from the per-code counts by a small sparse product (e.g. a model's rank-cell
  block and its confusion block share one view when the prediction is a threshold of the score).
  Blocks with unit-varying values (sample weights, ECE confidences) use a weighted ``bincount``;
  blocks with several entries per unit (micro-averaged ranking) go through per-unit counts.
- **Poisson weights** — for large single-stratum index plans whose gates are all ratio metrics
  (the caller says so: ``allow_poisson``), every example gets an independent Poisson(1) weight
  instead of N draws with replacement (the standard large-scale bootstrap, intervals checked
  against the multinomial in tests/test_fast_path.py). Examples that agree on every view's code are
  drawn together, a Poisson(m) weight per piece of m ≤ 32 of them (:class:`Pieces`: the same
  distribution, since the statistics only see the sum). The weights are a counter-based stream (a
  pure function of seed, resample and piece, :mod:`gate.resampling.poisson`), drawn and counted in one
  compiled pass per pair of views when the C kernel was built (:mod:`gate.resampling._ckernels`).
  Every other index plan of at least ``COMPLETED_MIN_UNITS`` examples over a file's rows (strata
  of ``bootstrap.stratify``, a canary's samples or none; any metric, counts too) is drawn the same way
  and then completed: each stratum's pieces weigh Poisson(λ_s·m), λ_s = 1 − 5/√n_s, and uniform draws
  within the stratum complete every resample to the stratum's size (:class:`TopUp`): exactly the
  index draw's (stratified) multinomial, tested in tests/test_completed_poisson.py.

- **whole clusters** — with ``data.cluster`` (:class:`ClusterDraw`) a unit is still an example, but
  a resample draws *clusters*: as many as the stratum has, uniformly with replacement (or, for large
  plans of many clusters, one Poisson(1) weight per cluster from the same counter-based stream), and
  every example weighs its cluster's count. A chunk's per-code counts are then each view's sparse
  (code × cluster) matrix of example counts times the chunk's (cluster × resamples) weights (whole
  numbers: exact in any order), and a block's sums follow as above. Only the clusters with an example in the plan's blocks are drawn (a slice's gate resamples
  the clusters with rows in the slice). Clusters are numbered by their sorted names and positions
  ordered by (stratum, code, cluster), so the draw does not depend on the order of the rows. BCa's
  jackknife deletes one cluster at a time (:func:`cluster_jackknife_sums`). The multinomial over
  cells does not apply (a cluster is a unit of many examples with different cells).

  ``task: ranking`` (gate/ranking/check.py) already treats each query as one unit of precomputed
  per-query values: its weighted means Σ w·v / Σ w are two weighted blocks per series over query
  units, which this module's Poisson path draws the same way; it keeps its own dense matrix product
  (one BLAS call per chunk, faster for a few series). A cluster of queries (a user's session of
  queries) would be a :class:`ClusterDraw` over those query units.

The engine runs one :class:`Bootstrap` per group of blocks that one gate reads together
(:func:`components`, :func:`subplan`), so a confusion-only group takes the multinomial even when
another gate needs the index path; the groups are prepared on the thread pool and their chunks
share one pool (:func:`run_all`).

Resampling is seeded and chunked: chunk boundaries depend only on (B, the plan), and chunk ``i``
draws from its own child of ``SeedSequence(seed)``, so results are identical whatever the chunk
execution order or thread count. Chunks run on a thread pool (numpy releases the GIL in the draws,
gathers and bincounts); ``MODEL_GATE_THREADS`` overrides the number of threads.

Memory: O(N) for the code tables and one resample's positions per thread, plus O(chunk · Σ block
sizes) per thread for the sums; the chunk is chosen so that this stays under ``CHUNK_BUDGET`` elements.
It does not grow with B (replicates are kept as one float per resample and quantity).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from gate.resampling import counted, poisson

CHUNK_BUDGET = 8_000_000        # elements of the (resamples × sums) working arrays per chunk
MAX_CHUNK = 256                 # resamples per chunk at most (keeps both cores busy on small plans)
MULTINOMIAL_CELL_RATIO = 0.25   # draw a multinomial over cells when cells <= ratio × examples
SMALL_VIEW = 65_536             # a view made of small blocks has at most this many codes
GATHER_MAX_UNITS = 262_144      # up to this many units, count gathered codes; beyond, per-position counts
POISSON_MIN_UNITS = 262_145     # larger single-stratum plans may draw Poisson(1) weights (see below)
COMPLETED_MIN_UNITS = 65_536    # other index plans from this size: Poisson weights completed (TopUp)
MERGE_GROWTH = 1.10             # a small block joins a large view if that grows its codes by ≤ 10%
POISSON_MIN_CLUSTERS = 1_000    # ... and with clusters, only from this many (few clusters: multinomial)


@dataclass
class Block:
    """A linear statistic: ``stat[target] = Σ_e W[unit[e]] · value[e]`` over entries ``e``."""

    unit: np.ndarray
    target: np.ndarray
    value: np.ndarray
    size: int

    @property
    def one_entry_per_unit(self) -> bool:
        if self.unit.size == 0:
            return True
        return bool(np.bincount(self.unit).max() <= 1)

    def matrix(self, n_units: int) -> sp.csr_matrix:
        """The block as a sparse ``(size × n_units)`` matrix: sums = ``M @ W``."""
        return sp.csr_matrix((np.asarray(self.value, dtype=np.float64), (self.target, self.unit)),
                             shape=(self.size, n_units))


_PENDING = Block(np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0), 0)   # a deferred block's place


@dataclass
class StatPlan:
    """The blocks every gate needs, deduplicated by key, over ``n_units`` units."""

    n_units: int
    blocks: list[Block] = field(default_factory=list)
    keys: dict[tuple, int] = field(default_factory=dict)
    # examples per unit (the engine path's cells), None: one each. A unit of m examples is m identical
    # examples in a row: every result equals the plan's over the examples written out (expand_plan)
    multiplicity: np.ndarray | None = None
    # with multiplicity: a Poisson draw may weigh a unit with per-unit values (a weighted block) by
    # Poisson pieces of its examples instead of writing them out: the same distribution, float sums
    # in another order (the engine path's binned cells, whose values no file holds anyway)
    weighted_pieces: bool = False

    @property
    def n_examples(self) -> int:
        return self.n_units if self.multiplicity is None else int(self.multiplicity.sum())

    _deferred: dict[int, Callable[[], Block]] = field(default_factory=dict, repr=False)

    def add(self, key: tuple, make: Callable[[], Block], defer: bool = False) -> int:
        """Register a block once per key; returns its index. ``defer``: built later, by
        :meth:`realize`, together with the other deferred blocks (in parallel)."""
        if key not in self.keys:
            self.keys[key] = len(self.blocks)
            if defer:
                self._deferred[len(self.blocks)] = make
                self.blocks.append(_PENDING)
            else:
                self.blocks.append(make())
        return self.keys[key]

    def realize(self, threads: int | None = None) -> StatPlan:
        """Build the deferred blocks on ``threads`` threads (numpy's array work releases the GIL; a
        20-class pair of models has 40 ranking blocks of N rows each). Returns self."""
        pending = sorted(self._deferred)
        for i, block in zip(pending, parallel_map(lambda i: self._deferred[i](), pending, threads)):
            self.blocks[i] = block
        self._deferred.clear()
        return self

    def require_built(self) -> None:
        """Refuse to read a plan whose deferred blocks are not built yet (their places hold empty
        blocks, which would read as zero sums)."""
        assert not self._deferred, "StatPlan.realize() first"

    @property
    def entries(self) -> int:
        return sum(b.unit.size for b in self.blocks)

    def accumulate(self, weights: np.ndarray) -> list[np.ndarray]:
        """Evaluate every block on unit counts ``weights`` of shape ``(b, n_units)`` (reference path)."""
        self.require_built()
        return [accumulate_block(block, weights) for block in self.blocks]

    def point(self) -> list[np.ndarray]:
        """Every block's ``(1, size)`` sums over the observed examples (each counted once): the
        :meth:`accumulate` of all-ones weights, bit for bit whatever the units' multiplicities."""
        self.require_built()
        if self.multiplicity is None:
            return self.accumulate(np.ones((1, self.n_units)))
        return [_point_block(block, self.multiplicity) for block in self.blocks]

    def accumulate_sparse(self, weights: np.ndarray | sp.spmatrix) -> list[np.ndarray]:
        """Same as :meth:`accumulate` through sparse products (no ``(b × entries)`` arrays)."""
        wt = weights.T if sp.issparse(weights) else np.ascontiguousarray(np.asarray(weights, dtype=np.float64).T)
        out = []
        for block in self.blocks:
            res = block.matrix(self.n_units) @ wt
            out.append(np.ascontiguousarray(np.asarray(res.todense() if sp.issparse(res) else res).T))
        return out


def accumulate_block(block: Block, weights: np.ndarray) -> np.ndarray:
    """``(b, size)`` sums of one block for each row of ``weights`` (the straightforward reference)."""
    b = weights.shape[0]
    if block.unit.size == 0:
        return np.zeros((b, block.size))
    contributions = weights[:, block.unit] * block.value
    index = block.target[None, :] + block.size * np.arange(b)[:, None]
    return np.bincount(index.ravel(), weights=contributions.ravel(), minlength=b * block.size).reshape(b, block.size)


def _point_block(block: Block, multiplicity: np.ndarray) -> np.ndarray:
    """One block's sums with unit ``u`` counted ``multiplicity[u]`` times, added in the order of the
    expanded plan's entries (:func:`expand_plan`): by example, then entry order."""
    value = np.asarray(block.value, dtype=np.float64)
    times = multiplicity[block.unit]
    if block.unit.size and bool(np.all(np.diff(block.unit) > 0)):     # entries in unit order, one each
        return counted.bincount(block.target, block.size, value, times)[None, :block.size]
    if counted.integral(value, times):
        return np.bincount(block.target, weights=value * times, minlength=block.size)[None, :]
    expanded = _expand_block(block, multiplicity)
    return np.bincount(expanded.target, weights=expanded.value, minlength=block.size)[None, :]


def _expand_block(block: Block, multiplicity: np.ndarray) -> Block:
    """The block over examples: unit ``u``'s entries repeated for each of its examples
    ``start[u] .. start[u]+m-1``, ordered by example and, within one, as the unit's entries were."""
    starts = np.cumsum(multiplicity) - multiplicity
    times = multiplicity[block.unit]
    entry = np.repeat(np.arange(block.unit.size), times)
    offset = np.arange(entry.size) - np.repeat(np.cumsum(times) - times, times)
    unit = starts[block.unit][entry] + offset
    order = np.argsort(unit, kind="stable")
    entry = entry[order]
    return Block(unit[order], block.target[entry], np.asarray(block.value)[entry], block.size)


def expand_plan(plan: StatPlan, strata: np.ndarray) -> tuple[StatPlan, np.ndarray]:
    """The plan (and strata) over examples, each unit of multiplicity m written out as m units in a
    row: what the file path builds from the same rows. O(N) memory: only the draws that need one
    position per example (index draws, per-example Poisson weights) take it."""
    if plan.multiplicity is None:
        return plan, strata
    mult = plan.multiplicity
    out = StatPlan(int(mult.sum()), [_expand_block(b, mult) for b in plan.blocks], dict(plan.keys))
    return out, np.repeat(np.asarray(strata, dtype=np.int64), mult)


# ---------------------------------------------------------------------------------------------
# dense codes


def first_of_runs(keys: np.ndarray) -> np.ndarray:
    """The index of the first element of each run of equal ``keys`` (``[0]`` for no keys, as for one)."""
    return np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))


def _dense(code: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes renumbered 0..D-1 in sorted order of the input values, and D."""
    if code.size == 0:
        return np.zeros(0, dtype=np.intp), 0
    lo, hi = code.min(), code.max()
    if lo == hi:
        return np.zeros(code.size, dtype=np.intp), 1
    if code.dtype.kind in "iu" and hi - lo <= 4 * code.size:
        shifted = (code - lo).astype(np.intp)
        present = np.bincount(shifted, minlength=int(hi - lo) + 1) > 0
        renumber = np.cumsum(present) - 1
        return renumber[shifted].astype(np.intp), int(renumber[-1]) + 1
    if code.dtype.kind in "iu" and lo >= 0 and hi < 2 ** 32:
        return _dense_by_radix(code)
    uniq, inverse = np.unique(code, return_inverse=True)
    return inverse.ravel().astype(np.intp, copy=False), int(uniq.size)


def _dense_by_radix(code: np.ndarray) -> tuple[np.ndarray, int]:
    """:func:`_dense` of non-negative integer codes below 2^32 (a joint code of two views' tables)
    by :func:`radix_order`, O(N), instead of ``np.unique``'s O(N log N) sort (2-3x faster at 10^6
    codes); the same renumbering."""
    return ranks_in_order(code, radix_order(code, 32))


def _combine(a: np.ndarray, da: int, b: np.ndarray, db: int) -> tuple[np.ndarray, int]:
    """Dense code of the pair (a, b)."""
    joint = a.astype(np.int64) * db + b
    if da * db <= 16 * max(a.size, 1) and da * db <= 50_000_000:     # a presence map beats a sort
        present = np.zeros(da * db, dtype=bool)
        present[joint] = True
        renumber = np.cumsum(present) - 1
        return renumber[joint].astype(np.intp), int(renumber[-1]) + 1
    return _dense(joint)


def stable_order(code: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """``np.lexsort((code, strata))`` — positions ordered by stratum, then code, ties in input
    order — by :func:`radix_order` when both keys are non-negative and below 2^32."""
    keys = [code, strata]
    if any(k.size and (k.min() < 0 or k.max() >= 2 ** 32) for k in keys):
        return np.lexsort((code, strata))
    order = np.arange(code.size)
    for key in keys:
        if not key.size or key.max() > 0:
            order = radix_order(key, 32, order)
    return order


def radix_order(key: np.ndarray, bits: int, order: np.ndarray | None = None) -> np.ndarray:
    """``order`` (default: every position) stably sorted by the non-negative integer ``key`` below
    2^bits: least-significant-digit passes of 16 bits, each a counting sort (O(N) per pass instead of
    O(N log N)): the compiled kernel's ``radix_pass`` for 8-byte keys (one pass over the positions
    and one scatter), else numpy's stable sort of the uint16 digits. A digit that is 0 for every key
    is skipped."""
    order = np.arange(key.size) if order is None else order
    kernels = poisson.compiled() if key.dtype.kind in "iu" and key.dtype.itemsize == 8 else None
    if kernels is not None:     # one counting pass a digit (the same order: a stable sort is unique)
        key, order = np.ascontiguousarray(key), np.ascontiguousarray(order, dtype=np.int64)
        top = int(key.max()) if key.size else 0
        for shift in range(0, bits, 16):
            if shift and top >> shift == 0:
                break
            out = np.empty_like(order)
            kernels.radix_pass(key, shift, order, out)
            order = out
        return order.astype(np.intp, copy=False)
    for shift in range(0, bits, 16):
        digit = ((key[order] >> shift) & 0xFFFF).astype(np.uint16)
        if shift and not digit.any():
            continue
        order = order[np.argsort(digit, kind="stable")]
    return order


def ranks_in_order(key: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, int]:
    """Each position's rank among the distinct values of ``key`` (0 for the smallest), given
    ``order``, the positions sorted by key; and the number of distinct values (``key`` not empty)."""
    ordered = key[order]
    step = np.empty(key.size, dtype=np.intp)
    step[0] = 0
    np.not_equal(ordered[1:], ordered[:-1], out=step[1:])
    ranks = np.empty(key.size, dtype=np.intp)
    ranks[order] = np.cumsum(step)
    return ranks, int(step.sum()) + 1


def _distinct(values: np.ndarray) -> int:
    """The number of distinct values (by sorting: numpy 2's hash-based ``np.unique`` is ~10x slower
    on large integer arrays here)."""
    if values.size == 0:
        return 0
    ordered = np.sort(values)
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


def _combine_within(a: np.ndarray, da: int, b: np.ndarray, db: int, limit: float) -> tuple[np.ndarray, int] | None:
    """:func:`_combine` when the pair has at most ``limit`` distinct values, else None — rejected
    without the full sort when a lower bound already exceeds it (the larger code's count, or the
    distinct values of an evenly strided sample of about 2·limit examples)."""
    if max(da, db) > limit:
        return None
    if da * db > limit and a.size >= 4 * limit:
        step = int(a.size // (2 * limit))
        if _distinct(a[::step].astype(np.int64) * db + b[::step]) > limit:
            return None
    joint, d = _combine(a, da, b, db)
    return (joint, d) if d <= limit else None


def _unit_arrays(block: Block, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit target (-1 where the block has no entry) and value (one-entry-per-unit blocks)."""
    target = np.full(n, -1, dtype=np.int64)
    value = np.zeros(n)
    target[block.unit] = block.target
    value[block.unit] = block.value
    return target, value


def _block_code(block: Block, n: int) -> tuple[np.ndarray, int, bool]:
    """Dense code of (target, value) per unit; and whether the value is a function of the target."""
    target, value = _unit_arrays(block, n)
    tc, nt = _dense(target)
    vc, nv = _dense(value)
    if nv == 1:
        return tc, nt, True
    code, d = _combine(tc, nt, vc, nv)
    return code, d, d == nt


# ---------------------------------------------------------------------------------------------
# compression into cells (for the multinomial path and the BCa jackknife)


@dataclass
class Cells:
    """Units after compression: ``plan`` is over cells, ``multiplicity[c]`` examples per cell,
    ``stratum[c]`` the cell's resampling stratum (no per-unit array is kept: 8 bytes per example)."""

    plan: StatPlan
    multiplicity: np.ndarray
    stratum: np.ndarray


def compress(plan: StatPlan, strata: np.ndarray, codes: list | None = None) -> Cells:
    """Merge units identical in every block entry and stratum (only possible when every block has at
    most one entry per unit; otherwise cells are the units themselves). Units with a multiplicity
    weigh that many examples; unmergeable ones are first written out as examples (:func:`expand_plan`),
    so the cells are exactly those of the examples."""
    if not plan.blocks or not all(b.one_entry_per_unit for b in plan.blocks):
        plan, strata = expand_plan(plan, strata)
        n = plan.n_units
        return Cells(plan, np.ones(n, dtype=np.int64), strata.astype(np.int64))
    n = plan.n_units
    key, d = _dense(np.asarray(strata, dtype=np.int64))
    for k, block in enumerate(plan.blocks):
        code, dk, _ = codes[k] if codes is not None else _block_code(block, n)
        key, d = _combine(key, d, code, dk)
    counts = np.bincount(key, weights=plan.multiplicity, minlength=d)
    first = np.empty(d, dtype=np.intp)
    first[key[::-1]] = np.arange(n - 1, -1, -1)
    cell_plan = StatPlan(n_units=d)
    cell_plan.keys = dict(plan.keys)
    for block in plan.blocks:
        target, value = _unit_arrays(block, n)
        cell_target, cell_value = target[first], value[first]
        used = np.flatnonzero(cell_target >= 0)
        cell_plan.blocks.append(Block(used, cell_target[used], cell_value[used], block.size))
    return Cells(cell_plan, np.rint(counts).astype(np.int64), np.asarray(strata, dtype=np.int64)[first])


# ---------------------------------------------------------------------------------------------
# the bootstrap


def components(n_blocks: int, groups: list[set[int]]) -> list[list[int]]:
    """Blocks that must share resamples: the connected components of ``groups`` (each group: the
    blocks one gate reads, candidate and baseline together). Blocks in no group are left out.
    Ordered by smallest block index, so the result depends only on the plan and the gates."""
    parent = list(range(n_blocks))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    used: set[int] = set()
    for g in groups:
        members = sorted(g)
        used.update(members)
        for m in members[1:]:
            parent[find(m)] = find(members[0])
    comps: dict[int, list[int]] = {}
    for i in sorted(used):
        comps.setdefault(find(i), []).append(i)
    return sorted(comps.values(), key=lambda c: c[0])


def subplan(plan: StatPlan, blocks: list[int]) -> StatPlan:
    """The plan restricted to ``blocks`` (renumbered 0..), same units."""
    plan.require_built()
    sub = StatPlan(plan.n_units, multiplicity=plan.multiplicity, weighted_pieces=plan.weighted_pieces)
    index = {b: i for i, b in enumerate(blocks)}
    sub.blocks = [plan.blocks[b] for b in blocks]
    sub.keys = {k: index[v] for k, v in plan.keys.items() if v in index}
    return sub


class Sums(list):
    """The block sums of one bootstrap chunk (a list indexed like ``plan.blocks``). ``memo`` lets the
    quantities evaluated on this chunk share intermediate results (e.g. a ranking block's cumulative
    counts); it lives exactly as long as the chunk."""

    def __init__(self, items: Sequence[np.ndarray | None]) -> None:     # None: a block not drawn here
        super().__init__(items)
        self.memo: dict = {}


@dataclass
class Pieces:
    """What the Poisson path draws a weight for. Positions agreeing on every view's code form a
    cell; a cell of m examples is cut into pieces of at most ``poisson.MAX_SIZE`` examples, and a
    piece of size s gets one Poisson(s) weight (exactly the sum of its examples' Poisson(1) weights;
    the statistics only see that sum). Pieces are grouped by size (``bounds[s-1] .. bounds[s]``;
    completed: by (stratum, size), group j drawn from row j of ``draw``),
    each group padded to a multiple of 4 with pieces coded ``n_codes`` (a scratch column the counts
    drop); within a group they keep the cells' order (sorted by the first view's code). With
    ``per_example`` (blocks with per-example values) the pieces are each position's, in order (a
    position of m examples, ``weighted_pieces``: pieces of its examples, grouped by size)."""

    bounds: np.ndarray            # int64, one entry more than groups, multiples of 4
    sizes: np.ndarray             # uint8 Poisson mean of every piece (padding included); completed: table row
    tables: list[np.ndarray]      # per view: the pieces' codes (scratch code for padding)
    first: np.ndarray             # a position of each piece (−1 for padding)
    per_example: bool
    in_order: bool = True         # with per_example: the pieces are the positions themselves, in order
    draw: tuple[np.ndarray, np.ndarray] | None = None     # completed: the groups' tables (sizes: rows)
    topup: TopUp | None = None    # completed: completes each stratum to its size
    _counters: list[_Counter] | None = None

    def per_position(self, w: np.ndarray, n: int) -> np.ndarray:
        """The weight of each of the ``n`` positions: its pieces' weights summed (``w`` as it is
        when every position is one piece, in order)."""
        if self.in_order:
            return w[:n]
        real = self.first >= 0
        return np.bincount(self.first[real], weights=w[real], minlength=n)

    def counters(self) -> list[_Counter]:
        """The numpy path's per-view counting (built on first use; the compiled kernel needs none)."""
        if self._counters is None:
            self._counters = [_Counter.of(table) for table in self.tables]
        return self._counters


@dataclass
class _Counter:
    """Per-code totals of piece weights for one view, without the compiled kernel. A table whose
    codes come in long runs (the first view: sorted within each piece size) sums each run with one
    ``np.add.reduceat`` and counts the runs; any other table is ``bincount``-ed with its codes
    widened to ``intp`` once (bincount would convert a narrow table on every call). The weights are
    whole numbers, so every order of addition gives the same counts."""

    codes: np.ndarray                 # intp: the table itself, or the code of each run
    starts: np.ndarray | None = None  # the first position of each run (None: no runs)

    @staticmethod
    def of(table: np.ndarray) -> _Counter:
        codes = table.astype(np.intp)
        starts = first_of_runs(codes) if codes.size else None
        if starts is not None and starts.size <= codes.size // 3:     # worth it only with long runs
            return _Counter(codes[starts], starts)
        return _Counter(codes)

    def count(self, w: np.ndarray, minlength: int) -> np.ndarray:
        if self.starts is None:
            return np.bincount(self.codes, weights=w, minlength=minlength)
        return np.bincount(self.codes, weights=np.add.reduceat(w, self.starts), minlength=minlength)


def make_pieces(views: list[_View], n: int, per_example: bool, multiplicity: np.ndarray | None = None,
                strata: Strata | None = None) -> Pieces:
    """:class:`Pieces` of the positions ``0 .. n-1`` (see there); position ``p`` stands for
    ``multiplicity[p]`` examples when given: the pieces are the same as for those examples written
    out, since they only depend on the codes' example counts (``per_example``: each position's own).
    With ``strata`` (positions ordered by stratum, views naming each one's: a completed draw) the
    pieces are grouped by (stratum, size), each group drawn from Poisson(λ_s·size) and completed
    (:class:`TopUp`)."""
    own_cells = per_example or not views      # every position is its own cell: its examples share its values
    if own_cells and multiplicity is None:
        first, size = np.arange(n), np.ones(n, dtype=np.int64)
    else:
        if own_cells:
            joint, d = np.arange(n), n
        else:
            joint, d = views[0].table, views[0].n_codes
            for view in views[1:]:
                joint, d = _combine(joint, d, view.table, view.n_codes)
        count = np.rint(np.bincount(joint, weights=multiplicity, minlength=d)).astype(np.int64)
        cell_first = np.empty(d, dtype=np.int64)
        cell_first[joint[::-1]] = np.arange(n - 1, -1, -1)
        per_cell = -(-count // poisson.MAX_SIZE)
        cell = np.repeat(np.arange(d), per_cell)
        index_in_cell = np.arange(cell.size) - np.repeat(np.cumsum(per_cell) - per_cell, per_cell)
        size = np.minimum(poisson.MAX_SIZE, count[cell] - index_in_cell * poisson.MAX_SIZE)
        first = cell_first[cell]
        if strata is None:
            by_size = np.argsort(size, kind="stable")
        else:       # a cell lies in one stratum (its view's code names it)
            by_size = np.lexsort((size, strata.of_position[first]))
        first, size = first[by_size], size[by_size]
    if strata is None:            # groups: sizes 1 .. MAX_SIZE, row m of poisson_tables() = Poisson(m)
        group = np.bincount(size, minlength=poisson.MAX_SIZE + 1)[1:]
        draw, segment_stratum = None, None
    else:                         # groups: the (stratum, size) pairs present, in order
        key = strata.of_position[first] * (poisson.MAX_SIZE + 1) + size
        starts = first_of_runs(key)
        group = np.diff(np.append(starts, key.size))
        segment_stratum, segment_size = key[starts] // (poisson.MAX_SIZE + 1), key[starts] % (poisson.MAX_SIZE + 1)
        means = strata.mean_scale()[segment_stratum] * segment_size
        draw = poisson.tables_for(tuple(float(m) for m in means))
    padded = -(-group // 4) * 4
    bounds = np.concatenate([[0], np.cumsum(padded)]).astype(np.int64)
    slot = np.arange(size.size) + np.repeat(bounds[:-1] - np.concatenate([[0], np.cumsum(group)[:-1]]), group)
    padded_first = np.full(int(bounds[-1]), -1, dtype=np.int64)
    padded_first[slot] = first
    real = padded_first >= 0
    tables = []
    for view in views:
        codes = np.full(padded_first.size, view.n_codes, dtype=np.int64)
        codes[real] = view.table[padded_first[real]]
        tables.append(poisson.compact_table(codes, view.n_codes + 1))
    topup = None
    if strata is not None:
        assert segment_stratum is not None
        topup = TopUp.of(strata, slot, size, np.repeat(segment_stratum, padded))
    return Pieces(bounds, poisson.sizes_of(bounds), tables, padded_first, own_cells,
                  in_order=not own_cells or (multiplicity is None and strata is None), draw=draw, topup=topup)


TOPUP = 0x8CB92BA72F3D8DD7     # the top-up draws' stream: mix64(key ⊕ TOPUP + (r·n + counter)·γ)
TOPUP_MARGIN = 5.0             # λ_s = 1 − margin/√n_s: a stratum overflows its size with p ≈ 3e-7


@dataclass(frozen=True)
class Namer:
    """A view that names some strata: ``codes``, its codes of those strata grouped by stratum (each
    group's first index in ``starts``, its stratum in ``strata``). When every code of the view
    names a stratum, the largest group is left out (``rest`` its stratum, ``whole`` the view's
    codes) and that stratum's draws are the view's total minus the others': gathering a binary
    check's negatives' codes (most of its confusion view's) every resample cost more than the rest
    of the completion."""

    view: int
    codes: np.ndarray
    starts: np.ndarray
    strata: np.ndarray
    rest: int = -1
    whole: int = 0

    def drawn(self, counts: np.ndarray, total: np.ndarray) -> None:
        """Add the examples one resample drew in each named stratum (from the view's per-code
        ``counts``) to ``total``. Counts are whole numbers (float or integer): every sum is exact."""
        named = 0
        if self.codes.size:
            groups = np.rint(np.add.reduceat(counts.take(self.codes), self.starts)).astype(np.int64)
            total[self.strata] += groups
            named = int(groups.sum())
        if self.rest >= 0:
            total[self.rest] += int(np.rint(counts[:self.whole].sum())) - named

    @staticmethod
    def of(view: int, codes: np.ndarray, stratum: np.ndarray, whole: int) -> Namer:
        """From ``codes`` in stratum order and the ``stratum`` of each; ``whole``, the view's codes."""
        starts = first_of_runs(stratum)
        if codes.size < whole:
            return Namer(view, codes, starts, stratum[starts])
        largest = int(np.argmax(np.diff(np.append(starts, codes.size))))
        rest = int(stratum[starts[largest]])
        kept = stratum != rest
        codes, stratum = codes[kept], stratum[kept]
        starts = first_of_runs(stratum) if codes.size else starts[:0]
        return Namer(view, codes, starts, stratum[starts], rest, whole)


@dataclass(frozen=True)
class Strata:
    """The strata of a completed Poisson draw (one, for a check without strata): ``of_position`` the
    stratum (0 .. K−1, in position
    order) of every position, ``sizes`` each stratum's examples, and ``namers``, views such that
    every stratum is named by one of them: each of its positions has a code of that view that no
    other stratum's position has (a paired check's class in its confusion view; a canary sample's
    class in that sample's view)."""

    of_position: np.ndarray
    sizes: np.ndarray
    namers: tuple[Namer, ...]

    def mean_scale(self) -> np.ndarray:
        """λ_s per stratum: ``max(0, 1 − TOPUP_MARGIN/√n_s)`` (0: a stratum of at most 25 examples is
        drawn by index draws alone)."""
        return np.maximum(0.0, 1.0 - TOPUP_MARGIN / np.sqrt(self.sizes.astype(np.float64)))

    def drawn(self, counts: list[np.ndarray]) -> np.ndarray:
        """S_s per stratum: the examples a resample drew there, from the views' per-code counts
        (:meth:`Namer.drawn`)."""
        total = np.zeros(self.sizes.size, dtype=np.int64)
        for namer in self.namers:
            namer.drawn(counts[namer.view], total)
        return total

    @staticmethod
    def of(views: list[_View], ranges: list[tuple[int, int]]) -> Strata | None:
        """From the positions' stratum ranges (``(start, size)``, in order), each stratum named by the
        view of fewest codes that names it; None when some stratum is named by no view."""
        sizes = np.array([size for _, size in ranges], dtype=np.int64)
        k, n = sizes.size, int(sizes.sum())
        of_position = np.repeat(np.arange(k, dtype=np.intp), sizes)
        unnamed = np.ones(k, dtype=bool)
        namers = []
        for v in sorted(range(len(views)), key=lambda v: views[v].n_codes):
            table, d = views[v].table, views[v].n_codes
            first, last = np.zeros(d, dtype=np.intp), np.zeros(d, dtype=np.intp)
            first[table[::-1]] = np.arange(n - 1, -1, -1)
            last[table] = np.arange(n)
            pure = of_position[first] == of_position[last]     # positions are in stratum order
            named = unnamed & (np.bincount(of_position, weights=~pure[table], minlength=k) == 0)
            if named.any():
                mine = np.flatnonzero(pure & named[of_position[first]])
                codes = mine[np.argsort(of_position[first][mine], kind="stable")]
                namers.append(Namer.of(v, codes, of_position[first][codes], d))
                unnamed &= ~named
            if not unnamed.any():
                return Strata(of_position, sizes, tuple(namers))
        return None


@dataclass(frozen=True)
class TopUp:
    """Completes a Poisson draw to the exact (stratified) bootstrap. The pieces of stratum s
    (n_s examples) weigh Poisson(λ_s·size), λ_s < 1, so a resample draws S_s ≤ n_s examples there
    (but with p ≈ 3e-7); ``n_s − S_s`` more examples are then drawn uniformly with replacement among
    the stratum's, each adding 1 to its piece. Given S_s = k, Poisson weights of common scale are a
    multinomial of k over the examples, so the total is a multinomial of n_s over them: exactly the
    (stratified) bootstrap's counts, every stratum of fixed size. When S_s > n_s the stratum's weights
    are dropped and all n_s examples drawn this way (the same distribution: it holds given any k)."""

    strata: Strata
    offsets: np.ndarray        # int64: the first example of each stratum (examples numbered by piece)
    piece_of_example: np.ndarray   # int32/intp: the (padded) piece of every example so numbered
    piece_stratum: np.ndarray  # intp: the stratum of every padded piece (padding: its group's)

    @staticmethod
    def of(strata: Strata, slot: np.ndarray, size: np.ndarray, piece_stratum: np.ndarray) -> TopUp:
        """``slot``: the padded index of each real piece (in order), ``size`` its examples."""
        sizes = strata.sizes
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        dtype = np.int32 if piece_stratum.size < 2 ** 31 else np.intp
        return TopUp(strata, offsets, np.repeat(slot.astype(dtype), size), piece_stratum.astype(np.intp))

    def draw(self, key: int, resample: int, missing: np.ndarray) -> np.ndarray:
        """The pieces of ``missing[s]`` examples drawn uniformly with replacement within each stratum
        ``s``: draw ``j`` of stratum ``s`` is word ``offsets[s] + j`` of the resample's top-up stream,
        its high 64 bits times n_s (Lemire's reduction: each example's chance within 2^-64 of 1/n_s)."""
        total = int(missing.sum())
        if total == 0:
            return np.zeros(0, dtype=np.intp)
        sizes = self.strata.sizes
        n = int(sizes.sum())
        stratum = np.repeat(np.arange(sizes.size), missing)
        counter = self.offsets[stratum] + (np.arange(total) - np.repeat(np.cumsum(missing) - missing, missing))
        z = poisson.words(key ^ TOPUP, resample, n, counter)
        return self.piece_of_example[self.offsets[stratum] + below(z, sizes[stratum])].astype(np.intp)


def below(z: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``⌊z·m / 2^64⌋`` for uint64 ``z`` and ``0 < m < 2^32`` (int64): a uniform integer below ``m``
    from a uniform 64-bit word, exact in 64-bit arithmetic (32-bit halves)."""
    m64 = m.astype(np.uint64)
    hi, lo = z >> np.uint64(32), z & np.uint64(0xFFFFFFFF)
    return ((hi * m64 + ((lo * m64) >> np.uint64(32))) >> np.uint64(32)).astype(np.int64)


@dataclass
class _View:
    """Per-code counts of one resample give the sums of ``maps``' blocks. ``table[p]`` is the code of
    position ``p``; ``starts`` (when the table is sorted) lets the counts be summed over runs."""

    table: np.ndarray
    n_codes: int
    maps: list[tuple]       # (block, target of each code (sentinel = size) or None = the code itself, value or None)
    keys: list[tuple]
    starts: np.ndarray | None = None

    @property
    def counted_block(self) -> int | None:
        """The block whose sums are this view's counts themselves (one block, each code its own
        target, every value 1: its first ``size`` codes), else None."""
        if len(self.maps) == 1 and self.maps[0][1] is None and self.maps[0][2] is None:
            return int(self.maps[0][0])
        return None


def _role(key: tuple) -> str | None:
    return next((k for k in key if k in ("candidate", "baseline")), None)


@dataclass
class ClusterDraw:
    """Whole clusters as the resampling units (``data.cluster``): a resample gives cluster ``c`` a
    count ``k_c`` (``C_s`` index draws among the ``C_s`` clusters of its stratum, or one Poisson(1)
    weight) and every example of the cluster the weight ``k_c``. Only the *active* clusters — those
    with an example in some block of the plan (for a slice's gate: the clusters with rows in the
    slice) — are drawn; the others weigh 0. ``of_unit[u]`` is unit ``u``'s active cluster (``size``
    for none); active clusters are numbered by stratum, then by the caller's code (sorted by key, so
    the draw does not depend on the order of the rows). A cluster must lie within one stratum."""

    of_unit: np.ndarray
    ranges: list[tuple[int, int]]       # per stratum: (first active cluster, number of them)
    size: int
    of_position: np.ndarray | None = None   # of_unit in the bootstrap's position order

    @staticmethod
    def of(plan: StatPlan, clusters: np.ndarray, strata: np.ndarray) -> ClusterDraw:
        n = plan.n_units
        if clusters.shape != (n,):
            raise ValueError(f"clusters: one code per unit expected ({n}), got shape {clusters.shape}")
        used = np.zeros(n, dtype=bool)
        for block in plan.blocks:
            used[block.unit] = True
        code, stratum = clusters[used], strata[used]
        pairs = np.unique(np.stack([stratum, code]), axis=1) if code.size else np.zeros((2, 0), dtype=np.int64)
        if np.unique(pairs[1]).size != pairs.shape[1]:
            raise ValueError("a cluster spans two resampling strata")
        active = np.full(int(clusters.max(initial=0)) + 1, -1, dtype=np.int64)
        active[pairs[1]] = np.arange(pairs.shape[1])        # (stratum, code) order
        size = int(pairs.shape[1])
        of_unit = np.where(used, active[clusters], size).astype(np.intp)
        per_stratum = np.unique(pairs[0], return_counts=True)[1]
        firsts = np.concatenate([[0], np.cumsum(per_stratum)[:-1]]).astype(np.int64)
        return ClusterDraw(of_unit, [(int(a), int(c)) for a, c in zip(firsts, per_stratum)], size)

    def counts(self, rng: np.random.Generator) -> np.ndarray:
        """One resample's count per active cluster (and a 0 for the inactive ones), float64."""
        draws = [first + rng.integers(0, c, c) for first, c in self.ranges]
        drawn = np.concatenate(draws) if draws else np.zeros(0, dtype=np.int64)
        return np.bincount(drawn, minlength=self.size + 1).astype(np.float64)

    def per_cluster(self, rng: np.random.Generator, key: int, resample: int, use_poisson: bool) -> np.ndarray:
        """One resample's weight per active cluster (and a 0 for the inactive ones): its count, or
        its Poisson(1) weight from the plan's counter-based stream."""
        if use_poisson:
            return np.append(poisson.weights(key, resample, self.size), 0.0)
        return self.counts(rng)

    def matrix(self, rows: np.ndarray, values: np.ndarray | None, n_rows: int,
               columns: np.ndarray | None = None) -> sp.csr_matrix:
        """``(n_rows × clusters+1)``: the sum of ``values`` (1 each when None) per (row, cluster) over
        the positions (``columns``: their clusters, default every position's). Rows ≥ ``n_rows``
        (a block's "no entry" sentinel) are dropped. A resample's sums are this times its weights."""
        cols = self.of_position if columns is None else columns
        assert cols is not None
        keep = rows < n_rows
        data = np.ones(int(np.count_nonzero(keep))) if values is None else np.asarray(values, float)[keep]
        m = sp.csr_matrix((data, (rows[keep], cols[keep])), shape=(n_rows, self.size + 1))
        m.sum_duplicates()
        return m


def cluster_jackknife_sums(plan: StatPlan, clusters: np.ndarray, seed: int,
                           max_rows: int = 1000) -> tuple[list[np.ndarray], np.ndarray]:
    """Block sums of the delete-one-*cluster* jackknife (BCa's acceleration with clusters as the
    units), one row per cluster; beyond ``max_rows`` clusters a delete-d jackknife: the clusters
    are dealt at random (seeded) into ``max_rows`` groups and each row deletes one group. Rows
    weigh 1 each. ``clusters``: a code per unit (every unit belongs to one); a unit of several
    examples (``plan.multiplicity``) is kept or deleted with all of them."""
    codes, c = _dense(np.asarray(clusters, dtype=np.int64))
    mult = np.ones(codes.size) if plan.multiplicity is None else plan.multiplicity.astype(np.float64)
    if c > max_rows:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x636C])))
        group = rng.permutation(c) % max_rows
        codes, c = group[codes], max_rows
    removed = sp.csr_matrix((mult, (codes, np.arange(codes.size))), shape=(c, codes.size))
    full = plan.accumulate_sparse(mult[None, :])
    return Sums([f - r for f, r in zip(full, plan.accumulate_sparse(removed))]), np.ones(c)


def default_threads() -> int:
    env = os.environ.get("MODEL_GATE_THREADS", "")
    if env.strip().isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(os.cpu_count() or 1, 8))


def _codes_of(plan: StatPlan) -> tuple[list[bool], list]:
    """Whether each block has one entry per unit, and its :func:`_block_code` (None when not)."""
    one_each = [b.one_entry_per_unit for b in plan.blocks]
    return one_each, [(_block_code(b, plan.n_units) if ok else None) for b, ok in zip(plan.blocks, one_each)]


def _greedy_views(countable: list[int], dense: dict[int, tuple[np.ndarray, int]],
                  role: dict[int, str | None]) -> list[list]:
    """Views ``[code, codes, [blocks], role]`` of the countable blocks, greedily: large blocks (more
    than SMALL_VIEW codes) each get one; a small block joins a large view of the same role if that
    barely adds codes (at most MERGE_GROWTH times), else it is merged into a small view (at most
    SMALL_VIEW codes), else it gets its own."""
    views: list[list] = []
    large = sorted((k for k in countable if dense[k][1] > SMALL_VIEW), key=lambda k: -dense[k][1])
    for k in large:
        views.append([dense[k][0], dense[k][1], [k], role[k]])
    for k in (k for k in countable if dense[k][1] <= SMALL_VIEW):
        code, d = dense[k]
        if not (_join_view(views, k, code, d, role[k], large=True) or _join_view(views, k, code, d, None, large=False)):
            views.append([code, d, [k], role[k]])
    return views


def _join_view(views: list[list], k: int, code: np.ndarray, d: int, role: str | None, *, large: bool) -> bool:
    """Merge block ``k`` into the first view it fits: a ``large`` view of ``role`` (growing at most
    MERGE_GROWTH times), or a small view (staying within SMALL_VIEW codes; any role)."""
    for v in views:
        if (v[1] > SMALL_VIEW and v[3] == role) if large else v[1] <= SMALL_VIEW:
            merged = _combine_within(v[0], v[1], code, d, MERGE_GROWTH * v[1] if large else SMALL_VIEW)
            if merged is not None:
                v[0], v[1] = merged
                v[2].append(k)
                return True
    return False


def _view(blocks: list, code: np.ndarray, d: int, members: list[int], order: np.ndarray, n: int,
          keys: list, first: bool) -> _View:
    """One view's table (each position's code) and, per member block, its map from codes to the
    block's entries and values (None where every value is 1: exact counts). A view of one block
    counts that block's entries directly (one more code for units with no entry). The ``first``
    view keeps its run starts when its codes come sorted and all present."""
    maps: list[tuple] = []
    if len(members) == 1:
        k = members[0]
        target, value = _unit_arrays(blocks[k], n)
        size = blocks[k].size
        code = np.where(target < 0, size, target).astype(np.intp)
        d = size + 1
        at = np.full(d, -1, dtype=np.intp)
        at[code[::-1]] = np.arange(n - 1, -1, -1)
        vals = np.where(at[:size] >= 0, value[np.maximum(at[:size], 0)], 1.0)
        maps.append((k, None, None if np.all(vals == 1.0) else vals))
    else:
        at = np.empty(d, dtype=np.intp)
        at[code[::-1]] = np.arange(n - 1, -1, -1)
        for k in members:
            target, value = _unit_arrays(blocks[k], n)
            t, vals = target[at], value[at]
            t = np.where(t < 0, blocks[k].size, t).astype(np.intp)
            maps.append((k, t, None if np.all(vals[t < blocks[k].size] == 1.0) else vals))
    table = np.ascontiguousarray(code[order], dtype=np.intp)
    run_starts = None
    if first and np.all(np.diff(table) >= 0) and np.all(np.bincount(table, minlength=d) > 0):
        run_starts = first_of_runs(table)
    return _View(table, d, maps, keys, run_starts)


class Bootstrap:
    """Seeded, chunked bootstrap producing block sums (see the module docstring).

    ``run(consume)`` calls ``consume(start, sums)`` once per chunk, where ``sums[k]`` has shape
    ``(b, plan.blocks[k].size)`` for resamples ``start .. start+b`` (integers for blocks whose values
    are all 1, i.e. exact counts: int64, or the compiled Poisson kernel's int32 counts as they are, rows
    not contiguous; float64 otherwise). ``consume`` may be called from several threads at
    once (on disjoint resample ranges). ``path`` forces ``"multinomial"`` or ``"index"`` (tests).
    """

    def __init__(self, plan: StatPlan, strata: np.ndarray, resamples: int, seed: int | np.random.SeedSequence,
                 path: str | None = None, allow_poisson: bool = False, samples_only: bool = False,
                 clusters: np.ndarray | None = None) -> None:
        self.plan, self.resamples, self.seed = plan, int(resamples), seed
        plan.require_built()
        strata = np.asarray(strata, dtype=np.int64)
        self.n = n = plan.n_examples
        one_each, codes = _codes_of(plan)
        self.cells: Cells | None = None
        self.clusters: ClusterDraw | None = None
        if clusters is not None:      # whole clusters are the units: no cells of identical examples
            self.clusters = ClusterDraw.of(plan, np.asarray(clusters, dtype=np.int64), strata)
            path = "poisson" if path == "poisson" else "index"
        if path == "multinomial" or (path is None and all(one_each) and plan.blocks
                                     and self._few_cells(codes)):
            cells = compress(plan, strata, codes if all(one_each) else None)
            if path == "multinomial" or cells.multiplicity.size <= MULTINOMIAL_CELL_RATIO * n:
                self.cells = cells
        self.path = "multinomial" if self.cells is not None else "index"
        single = strata.size == 0 or int(strata.min()) == int(strata.max())
        large = path == "poisson" or (path is None and n >= POISSON_MIN_UNITS)
        ordinary = large and (allow_poisson or path == "poisson") and (single or samples_only)
        # else, from COMPLETED_MIN_UNITS: Poisson weights completed to each stratum's size (TopUp),
        # exactly the (stratified) bootstrap's draw, so raw counts too; over the examples of a file
        # (no cells, no clusters)
        completed = (not ordinary and plan.multiplicity is None and clusters is None
                     and (path == "poisson" or (path is None and n >= COMPLETED_MIN_UNITS)))
        poisson_draw = self.path == "index" and (ordinary or completed)
        if self.path == "index" and plan.multiplicity is not None and self.clusters is None and not (
                poisson_draw and all(c is not None and (c[2] or plan.weighted_pieces) for c in codes)):
            # units of several examples are drawn as Poisson pieces of their examples; every other
            # index draw picks positions among the examples themselves
            self.plan, strata = plan, strata = expand_plan(plan, strata)
            one_each, codes = _codes_of(plan)
        if self.path == "multinomial":
            self._prepare_multinomial()
        else:
            self._prepare_index(strata, codes)
        # Poisson(1) bootstrap: independent Poisson(1) weight per example instead of N draws with
        # replacement (the standard large-scale bootstrap; same limit distribution for the ratio
        # metrics, intervals checked against the multinomial in tests/test_fast_path.py). Only
        # where it pays (large N, index path), when the caller allows it (no raw-count quantity such
        # as support), and without strata (it does not keep their sizes) unless ``samples_only``: the
        # strata only separate independent samples (a canary's candidate and baseline rows), and
        # every weight is independent anyway, so each sample gets its own Poisson bootstrap (its
        # size varies as any Poisson resample's does; its ratio metrics see only its own weights).
        self.strata: Strata | None = None
        if poisson_draw and completed:      # views must name the strata (else index draws)
            self.strata = Strata.of(self.views, self._strata_ranges)
            poisson_draw = self.strata is not None
        self.poisson = poisson_draw
        if self.clusters is not None and path != "poisson":      # clusters: by the number of clusters
            self.poisson = (allow_poisson and self.n >= POISSON_MIN_UNITS
                            and self.clusters.size >= POISSON_MIN_CLUSTERS)
        self._root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        self.key = int(self._root.generate_state(1, np.uint64)[0])     # the Poisson weights' stream
        self._pieces: Pieces | None = None
        if self.clusters is not None:
            self._prepare_clusters()
        per = sum(b.size for b in plan.blocks) + self._per_resample_extra
        self.chunk = int(max(1, min(self.resamples, MAX_CHUNK, CHUNK_BUDGET // max(per, 1))))

    def _few_cells(self, codes: list) -> bool:
        """Cheap test that compression can pay: the joint code of the two largest blocks (a lower
        bound on the cells) is small enough."""
        limit = MULTINOMIAL_CELL_RATIO * self.n
        ranked = sorted(codes, key=lambda c: -c[1])
        if ranked[0][1] > limit:
            return False
        if len(ranked) > 1:
            return _combine_within(ranked[0][0], ranked[0][1], ranked[1][0], ranked[1][1], limit) is not None
        return True

    # -- preparation ---------------------------------------------------------------------------

    def _prepare_multinomial(self) -> None:
        cells = self.cells
        assert cells is not None
        self._groups = []
        for s in np.unique(cells.stratum):
            members = np.flatnonzero(cells.stratum == s)
            mult = cells.multiplicity[members]
            self._groups.append((members, mult / mult.sum(), int(mult.sum())))
        self._cell_maps = [b.matrix(cells.plan.n_units) for b in cells.plan.blocks]
        self._int_blocks = [bool(np.all(b.value == 1.0)) for b in cells.plan.blocks]
        self._per_resample_extra = cells.multiplicity.size

    def _prepare_index(self, strata: np.ndarray, codes: list) -> None:
        """The index path's tables: blocks with one countable entry per unit are counted through
        *views* (:func:`_greedy_views`), the positions ordered so that the first view's counts are
        sums over runs; weighted blocks get a per-position target and value, the others stay generic.
        ``codes``: each block's :func:`_block_code` (None: not one entry per unit), not kept after."""
        n = self.plan.n_units     # the examples, but for units drawn as Poisson pieces (see __init__)
        blocks = self.plan.blocks
        key_of = {idx: key for key, idx in self.plan.keys.items()}
        countable, weighted, generic = [], [], []
        dense: dict[int, tuple[np.ndarray, int]] = {}    # countable block -> (code, number of codes)
        for k in range(len(blocks)):
            entry = codes[k]
            if entry is None:
                generic.append(k)
            elif entry[2]:
                countable.append(k)
                dense[k] = entry[0], entry[1]
            else:
                weighted.append(k)
        views = _greedy_views(countable, dense, {k: _role(key_of[k]) for k in countable})
        order = self._order_positions(views[0][0] if views else np.zeros(n, dtype=np.intp), strata)
        self.views: list[_View] = [_view(blocks, code, d, members, order, n, [key_of[k] for k in members], i == 0)
                                   for i, (code, d, members, _) in enumerate(views)]
        pos_of_unit = np.empty(n, dtype=np.intp)
        pos_of_unit[order] = np.arange(n)
        self._weighted = []
        for k in weighted:
            target, value = _unit_arrays(blocks[k], n)
            target = np.where(target < 0, blocks[k].size, target)[order].astype(np.intp)
            self._weighted.append((k, target, value[order]))
        self._generic = [(k, pos_of_unit[blocks[k].unit], blocks[k].target, np.asarray(blocks[k].value, float))
                         for k in generic]
        self._int_blocks = [False] * len(blocks)
        for view in self.views:
            for k, _, value in view.maps:
                self._int_blocks[k] = value is None
        self._per_resample_extra = 0

    def _order_positions(self, primary: np.ndarray, strata: np.ndarray) -> np.ndarray:
        """Positions: units ordered by stratum, then by the first (largest) view's code ``primary``, so
        that view's counts are sums over runs of positions (np.add.reduceat) instead of a scatter;
        with clusters, by cluster within a code (the order of the rows never matters). Sets
        ``_order`` and the ``(start, size)`` of every stratum's range of positions."""
        order = stable_order(primary, strata)
        if self.clusters is not None:
            order = np.lexsort((self.clusters.of_unit, primary, strata))
            self.clusters.of_position = self.clusters.of_unit[order]
        self._order = order
        sorted_strata = strata[order]
        bounds = np.flatnonzero(np.diff(sorted_strata)) + 1
        starts = np.concatenate([[0], bounds]).astype(np.int64)
        stops = np.concatenate([bounds, [order.size]]).astype(np.int64)
        self._strata_ranges = [(int(a), int(b - a)) for a, b in zip(starts, stops)]
        return order

    # -- drawing -------------------------------------------------------------------------------

    @property
    def n_chunks(self) -> int:
        return -(-self.resamples // self.chunk)

    @property
    def scheme(self) -> str:
        """The draw's code for the report (:data:`gate.report.model.RESAMPLING_SCHEMES`): all are the
        ordinary bootstrap."""
        if self.path == "multinomial":
            return "multinomial"
        if self.clusters is not None:
            return "cluster_poisson" if self.poisson else "cluster_index"
        if self.strata is not None:
            return "completed_poisson"
        return "poisson" if self.poisson else "index"

    def build(self) -> None:
        """Build what the draw needs up front (the Poisson path's pieces), so that the caller's
        thread pays for it rather than the first chunk."""
        if self.poisson and self.clusters is None:
            self.pieces()

    def describe(self) -> str:
        if self.cells is not None:      # the multinomial path
            return f"multinomial over {self.cells.multiplicity.size} cells, chunks of {self.chunk}"
        draw = "index draws"
        if self.clusters is not None:
            draw = ("Poisson weights" if self.poisson else "draws") + f" of {self.clusters.size} clusters"
        elif self.poisson:
            draw = (f"Poisson weights on {self.pieces().sizes.size} pieces"
                    + (self._completed_to() if self.strata else "")
                    + (" (compiled kernel)" if poisson.accelerated() else ""))
        return (f"{draw} over {self.n} examples, "
                f"{len(self.views)} views "
                f"({', '.join(str(v.n_codes) for v in self.views)} codes), {len(self._weighted)} weighted, "
                f"{len(self._generic)} generic blocks, chunks of {self.chunk}")

    def _completed_to(self) -> str:
        k = len(self._strata_ranges)
        return ", completed to the examples' count" if k == 1 else f", completed to the sizes of {k} strata"

    def chunk_sums(self, i: int, child: np.random.SeedSequence) -> tuple[int, Sums]:
        start = i * self.chunk
        b = min(self.chunk, self.resamples - start)
        rng = np.random.Generator(np.random.PCG64(child))
        if self.path == "multinomial":
            return start, Sums(self._multinomial_sums(rng, b))
        if self.clusters is not None:
            return start, Sums(self._cluster_sums(rng, start, b))
        return start, Sums(self._index_sums(rng, start, b))

    def _multinomial_sums(self, rng: np.random.Generator, b: int) -> list[np.ndarray]:
        cells = self.cells
        assert cells is not None
        weights = np.zeros((cells.multiplicity.size, b))
        for members, probs, n_s in self._groups:
            weights[members, :] = rng.multinomial(n_s, probs, size=b).T
        out = []
        for m, exact in zip(self._cell_maps, self._int_blocks):
            sums = np.ascontiguousarray((m @ weights).T)
            out.append(np.rint(sums).astype(np.int64) if exact else sums)
        return out

    def positions(self, rng: np.random.Generator) -> np.ndarray:
        """One resample: ``n_s`` uniform positions within each stratum's range."""
        # small plans gather codes: 32-bit positions draw and index faster; large plans bincount them
        dtype = np.uint32 if self.n <= GATHER_MAX_UNITS else np.int64
        if len(self._strata_ranges) == 1:
            return rng.integers(0, self.n, self.n, dtype=dtype)
        return np.concatenate([off + rng.integers(0, n_s, n_s, dtype=dtype) for off, n_s in self._strata_ranges])

    def _index_sums(self, rng: np.random.Generator, start: int, b: int) -> list[np.ndarray]:
        """Block sums of resamples ``start .. start+b``: index draws from ``rng``, or Poisson
        weights from the plan's counter-based stream (:mod:`gate.resampling.poisson`) over :class:`Pieces`
        (fused with the counting in a compiled pass when the C kernel was built; same sums either way)."""
        if self.poisson:
            return self._poisson_sums(start, b)
        sums = self._empty_sums(b)
        gather = self.n <= GATHER_MAX_UNITS
        need_per_position = bool(self._weighted or self._generic) or not gather
        for r in range(b):
            idx = self.positions(rng)
            per_position = np.bincount(idx, minlength=self.n) if need_per_position else None
            for view in self.views:
                if gather:       # code tables that fit in cache: gather the drawn codes, count them
                    counts = np.bincount(view.table[idx], minlength=view.n_codes)
                elif view.starts is not None:
                    assert per_position is not None     # counted whenever the codes are not gathered
                    counts = np.add.reduceat(per_position, view.starts)
                else:
                    counts = np.bincount(view.table, weights=per_position, minlength=view.n_codes)
                self._view_sums(view, counts, sums, r)
            self._unit_sums(per_position, sums, r)
        return sums

    def _cluster_sums(self, rng: np.random.Generator, start: int, b: int) -> list[np.ndarray]:
        """Block sums of resamples ``start .. start+b`` when whole clusters are the units: each
        resample gives every cluster a weight (its count among the drawn clusters, or a Poisson(1)
        weight) and every position its cluster's; a view's per-code counts are then its sparse
        (code × cluster) matrix of position counts times the chunk's ``(clusters × b)`` weights, a
        weighted or generic block's sums its (target × cluster) matrix of summed values times them
        (whole-number weights: the counts are exact in any order)."""
        draw = self.clusters
        assert draw is not None
        w = np.empty((draw.size + 1, b))
        for r in range(b):
            w[:, r] = draw.per_cluster(rng, self.key, start + r, self.poisson)
        sums = self._empty_sums(b)
        for view, m in zip(self.views, self._cluster_views):
            counts = np.ascontiguousarray((m @ w).T)
            for r in range(b):
                self._view_sums(view, counts[r], sums, r)
        for k, m in self._cluster_blocks:
            sums[k][:] = (m @ w).T
        return sums

    def _prepare_clusters(self) -> None:
        """The sparse (code or target × cluster) matrices of :meth:`_cluster_sums`. A unit that
        stands for ``m`` examples (the engine path's cells, ``plan.multiplicity``) adds ``m`` times
        its values: whole clusters are drawn, never parts of a cell, so the cells are not written
        out (whole-number values: the same sums as the examples one by one, exactly)."""
        draw = self.clusters
        assert draw is not None and draw.of_position is not None
        mult = self.plan.multiplicity
        at = None if mult is None else mult[self._order].astype(np.float64)    # per position

        def times(values: np.ndarray | None, where: np.ndarray | None = None) -> np.ndarray | None:
            if at is None:
                return values
            m = at if where is None else at[where]
            return m if values is None else np.asarray(values, dtype=np.float64) * m

        self._cluster_views = [draw.matrix(v.table, times(None), v.n_codes) for v in self.views]
        blocks = self.plan.blocks
        self._cluster_blocks = [(k, draw.matrix(target, times(value), blocks[k].size))
                                for k, target, value in self._weighted]
        self._cluster_blocks += [(k, draw.matrix(target, times(value, pos), blocks[k].size, draw.of_position[pos]))
                                 for k, pos, target, value in self._generic]
        self._per_resample_extra = draw.size + 1

    def _poisson_sums(self, start: int, b: int) -> list[np.ndarray]:
        """Poisson-weight block sums of resamples ``start .. start+b``. With the compiled kernel, the
        sums of a view that is one block's own counts (:meth:`_View.counted_block`) are those counts
        (int32 while no count can overflow it; a view without the scratch codes, no copy): a chunk
        holds one array per view, not the counts and the int64 sums of every block."""
        pieces = self.pieces()
        fused = poisson.accelerated()
        given: dict[int, np.ndarray] = {}
        if fused:
            fused_counts = poisson.view_counts(self.key, start, b, pieces.bounds, pieces.tables,
                                               [v.n_codes + 1 for v in self.views], pieces.draw)
            for view, chunk in zip(self.views, fused_counts):
                if view.counted_block is not None:
                    given[view.counted_block] = chunk[:, :self.plan.blocks[view.counted_block].size]
        else:
            counters = pieces.counters()
        sums = self._empty_sums(b, given)
        for r in range(b):
            w = (None if fused and not pieces.per_example
                 else poisson.weights(self.key, start + r, pieces.sizes, pieces.bounds, pieces.draw))
            if fused:
                row = [c[r] for c in fused_counts]
            else:
                assert w is not None
                row = [counter.count(w, view.n_codes + 1) for counter, view in zip(counters, self.views)]
            if pieces.topup is not None:
                w = self._top_up(pieces, start + r, row, w)
            for view, view_counts in zip(self.views, row):
                if view.counted_block not in given:
                    self._view_sums(view, view_counts[:view.n_codes], sums, r)
            if pieces.per_example:
                assert w is not None                # drawn whenever weighted blocks need each position's
                self._unit_sums(pieces.per_position(w, self.plan.n_units), sums, r)
        return sums

    def _top_up(self, pieces: Pieces, resample: int, counts: list[np.ndarray], w: np.ndarray | None) -> np.ndarray | None:
        """Complete one Poisson resample (:class:`TopUp`) in place: its per-code ``counts``
        of every view and (when drawn) its piece weights ``w``. A stratum that drew more than its size
        (rare) has its weights dropped and recounted from the numpy weights first."""
        top = pieces.topup
        assert top is not None
        missing = top.strata.sizes - top.strata.drawn(counts)
        over = missing < 0
        if over.any():
            if w is None:
                w = poisson.weights(self.key, resample, pieces.sizes, pieces.bounds, pieces.draw)
            w[over[top.piece_stratum]] = 0.0
            for table, view_counts in zip(pieces.tables, counts):
                view_counts[:] = np.bincount(table, weights=w, minlength=view_counts.size)
            missing[over] = top.strata.sizes[over]
        picks = top.draw(self.key, resample, missing)
        for table, view_counts in zip(pieces.tables, counts):      # intp codes, same-type ones: add.at's fast loop
            np.add.at(view_counts, table[picks].astype(np.intp), np.ones(picks.size, dtype=view_counts.dtype))
        if w is not None:
            np.add.at(w, picks, np.ones(picks.size))
        return w

    def _empty_sums(self, b: int, given: dict[int, np.ndarray] | None = None) -> list[np.ndarray]:
        """Room for ``b`` resamples' sums of every block, but for the blocks whose sums are ``given``."""
        given = given or {}
        return [given[k] if k in given else np.empty((b, block.size), dtype=np.int64 if exact else np.float64)
                for k, (block, exact) in enumerate(zip(self.plan.blocks, self._int_blocks))]

    def _view_sums(self, view: _View, counts: np.ndarray, sums: list[np.ndarray], r: int) -> None:
        """Resample ``r``'s sums of the view's blocks from its per-code counts."""
        for k, target, value in view.maps:
            size = self.plan.blocks[k].size
            if target is None:
                sums[k][r] = counts[:size] if value is None else counts[:size] * value
            else:
                w = counts if value is None else counts * value
                sums[k][r] = np.bincount(target, weights=w, minlength=size + 1)[:size]

    def _unit_sums(self, per_position: np.ndarray | None, sums: list[np.ndarray], r: int) -> None:
        """Resample ``r``'s sums of the weighted and generic blocks from per-position weights (``None``
        only when there are none: nothing to add)."""
        if per_position is None:
            return
        blocks = self.plan.blocks
        for k, target, value in self._weighted:
            size = blocks[k].size
            sums[k][r] = np.bincount(target, weights=per_position * value, minlength=size + 1)[:size]
        for k, pos, target, value in self._generic:
            sums[k][r] = np.bincount(target, weights=per_position[pos] * value, minlength=blocks[k].size)

    def pieces(self) -> Pieces:
        """The Poisson path's draw units (built once, on first use)."""
        if self._pieces is None:
            mult = self.plan.multiplicity
            self._pieces = make_pieces(self.views, self.plan.n_units, bool(self._weighted or self._generic),
                                       None if mult is None else mult[self._order], self.strata)
        return self._pieces

    def run(self, consume: Callable[[int, list[np.ndarray]], None], threads: int | None = None,
            first: int = 0, last: int | None = None) -> None:
        """Draw chunks ``first .. last`` (default: every chunk) and hand their sums to ``consume``;
        deterministic whatever ``threads``: chunk ``i`` always draws from the same child seed, so
        drawing in rounds (adaptive resampling) gives the same resamples as one full draw."""
        run_all([(self, consume)], threads, first, last)

    def chunk_job(self, i: int, consume: Callable[[int, list[np.ndarray]], None]) -> Callable[[], None]:
        """Chunk ``i``'s draw and hand-over as one call (its seed is the ``i``-th child of the seed)."""
        root = self._root

        def job() -> None:
            child = np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + (i,))
            consume(*self.chunk_sums(i, child))
        return job


def run_all(draws: list[tuple[Bootstrap, Callable[[int, list[np.ndarray]], None]]], threads: int | None = None,
            first: int = 0, last: int | None = None) -> None:
    """Run chunks ``first .. last`` of several bootstraps on one thread pool (no idle core between
    one bootstrap's last chunk and the next one's first); results do not depend on the order."""
    jobs = [boot.chunk_job(i, consume) for boot, consume in draws
            for i in range(first, boot.n_chunks if last is None else min(last, boot.n_chunks))]
    parallel_map(lambda job: job(), jobs, threads)


def parallel_map(fn: Callable, items: list, threads: int | None = None) -> list:
    """``[fn(x) for x in items]`` on a thread pool (numpy's sorts and gathers release the GIL)."""
    threads = default_threads() if threads is None else threads
    if threads <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=min(threads, len(items))) as pool:
        return list(pool.map(fn, items))


def jackknife_rows(cells: Cells, seed: int, max_rows: int = 1000) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray]:
    """Exact delete-one rows (dense, ≤ ``max_rows`` cells), or the *removed* counts of a delete-d
    jackknife as a sparse ``(max_rows × cells)`` matrix (the rows are ``multiplicity − removed``)."""
    mult = cells.multiplicity
    if mult.size <= max_rows:
        rows = np.repeat(mult[None, :].astype(np.float64), mult.size, axis=0)
        rows[np.arange(mult.size), np.arange(mult.size)] -= 1.0
        return rows, mult.astype(np.float64)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x6A6B])))
    positions = np.repeat(np.arange(mult.size), mult)
    groups = rng.permutation(positions.size) % max_rows
    removed = sp.csr_matrix((np.ones(positions.size), (groups, positions)), shape=(max_rows, mult.size))
    return removed, np.ones(max_rows)


def jackknife_sums(cells: Cells, seed: int, max_rows: int = 1000) -> tuple[list[np.ndarray], np.ndarray]:
    """Block sums of every jackknife row (see :func:`jackknife_rows`), without dense ``rows × cells``."""
    rows, weights = jackknife_rows(cells, seed, max_rows)
    if not sp.issparse(rows):
        return Sums(cells.plan.accumulate_sparse(rows)), weights
    full = cells.plan.accumulate_sparse(cells.multiplicity[None, :].astype(np.float64))
    removed = cells.plan.accumulate_sparse(rows)
    return Sums([f - r for f, r in zip(full, removed)]), weights
