"""Sufficient statistics and the resampling that drives them.

Every metric here is a function of *linear* statistics of the examples: a confusion matrix is a sum of
per-example weights into (true, predicted) cells; a ranking metric needs the per-tie-group sums of
positive and negative weights; brier/log loss/ECE need per-example (or per-bin) weighted sums. A
:class:`Block` says, for one such statistic, which *unit* (example, or cell of identical examples)
adds which value to which target. A resample is a vector of unit counts ``W``; the statistic of the
resample is ``Σ_entries W[unit] · value`` binned by target. The point estimate is the same formula with
``W`` = the observed multiplicities.

Compression: when every block has at most one entry per unit, examples that agree on every entry (and
stratum) are merged into one *cell* with a multiplicity. A bootstrap resample of N examples is then
exactly a multinomial draw over cells (SPEC §6: O(B·cells), not O(B·N)).

Resampling is seeded and chunked: chunk boundaries depend only on (B, N, entries), and chunk ``i``
draws from its own child of ``SeedSequence(seed)``, so results are identical whatever the chunk
execution order or thread count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

CHUNK_BUDGET = 8_000_000        # elements of the (resamples × entries) working arrays per chunk
MULTINOMIAL_CELL_RATIO = 0.25   # draw a multinomial over cells when cells <= ratio × examples


@dataclass
class Block:
    """A linear statistic: ``stat[target] = Σ_e W[unit[e]] · value[e]`` over entries ``e``."""

    unit: np.ndarray
    target: np.ndarray
    value: np.ndarray
    size: int

    @property
    def one_entry_per_unit(self) -> bool:
        return np.unique(self.unit).size == self.unit.size


@dataclass
class StatPlan:
    """The blocks every gate needs, deduplicated by key, over ``n_units`` units."""

    n_units: int
    blocks: list[Block] = field(default_factory=list)
    keys: dict[tuple, int] = field(default_factory=dict)

    def add(self, key: tuple, make: "callable[[], Block]") -> int:
        """Register a block once per key; returns its index."""
        if key not in self.keys:
            self.keys[key] = len(self.blocks)
            self.blocks.append(make())
        return self.keys[key]

    @property
    def entries(self) -> int:
        return sum(b.unit.size for b in self.blocks)

    def accumulate(self, weights: np.ndarray) -> list[np.ndarray]:
        """Evaluate every block on unit counts ``weights`` of shape ``(b, n_units)``."""
        return [accumulate_block(block, weights) for block in self.blocks]


def accumulate_block(block: Block, weights: np.ndarray) -> np.ndarray:
    """``(b, size)`` sums of one block for each row of ``weights``."""
    b = weights.shape[0]
    if block.unit.size == 0:
        return np.zeros((b, block.size))
    contributions = weights[:, block.unit] * block.value
    index = block.target[None, :] + block.size * np.arange(b)[:, None]
    return np.bincount(index.ravel(), weights=contributions.ravel(), minlength=b * block.size).reshape(b, block.size)


@dataclass
class Cells:
    """Units after compression: ``plan`` is over cells, ``multiplicity[c]`` examples per cell,
    ``stratum[c]`` the cell's resampling stratum, ``unit_cell[u]`` the cell of original unit ``u``."""

    plan: StatPlan
    multiplicity: np.ndarray
    stratum: np.ndarray
    unit_cell: np.ndarray


def compress(plan: StatPlan, strata: np.ndarray) -> Cells:
    """Merge units identical in every block entry and stratum (only possible when every block has at
    most one entry per unit; otherwise cells are the units themselves)."""
    n = plan.n_units
    if not plan.blocks or not all(b.one_entry_per_unit for b in plan.blocks):
        return Cells(plan, np.ones(n, dtype=np.int64), strata.astype(np.int64), np.arange(n))
    columns = [strata.astype(np.float64)]
    for block in plan.blocks:
        target = np.full(n, -1.0)
        value = np.zeros(n)
        target[block.unit] = block.target
        value[block.unit] = block.value
        columns += [target, value]
    keys = np.column_stack(columns)
    unique, first, inverse, counts = np.unique(keys, axis=0, return_index=True, return_inverse=True,
                                               return_counts=True)
    inverse = inverse.ravel()
    del unique, first
    cell_plan = StatPlan(n_units=counts.size)
    cell_plan.keys = dict(plan.keys)
    for k, block in enumerate(plan.blocks):
        target, value = keys[:, 1 + 2 * k], keys[:, 2 + 2 * k]
        cell_target = np.full(counts.size, -1.0)
        cell_value = np.zeros(counts.size)
        cell_target[inverse] = target
        cell_value[inverse] = value
        used = np.flatnonzero(cell_target >= 0)
        cell_plan.blocks.append(Block(used, cell_target[used].astype(np.int64), cell_value[used], block.size))
    stratum = np.zeros(counts.size, dtype=np.int64)
    stratum[inverse] = strata
    return Cells(cell_plan, counts.astype(np.int64), stratum, inverse)


@dataclass
class Resampler:
    """Seeded, chunked bootstrap resamples as cell-count matrices.

    Within each stratum of ``n_s`` examples, a resample draws ``n_s`` examples with replacement. With
    few cells this is one multinomial over the stratum's cells; otherwise ``n_s`` uniform indices
    mapped to cells and counted. Both are the same distribution (the ordinary bootstrap).
    """

    cells: Cells
    resamples: int
    seed: int
    entries: int

    def __post_init__(self) -> None:
        per_resample = max(self.entries, int(self.cells.multiplicity.sum()), 1)
        self.chunk = int(max(1, min(self.resamples, CHUNK_BUDGET // per_resample)))
        strata = self.cells.stratum
        self._groups = []
        for s in np.unique(strata):
            members = np.flatnonzero(strata == s)
            mult = self.cells.multiplicity[members]
            n_s = int(mult.sum())
            use_multinomial = members.size <= MULTINOMIAL_CELL_RATIO * n_s
            position_cell = None if use_multinomial else np.repeat(np.arange(members.size), mult)
            self._groups.append((members, mult / n_s, n_s, position_cell))

    @property
    def n_chunks(self) -> int:
        return -(-self.resamples // self.chunk)

    def chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(start, W)`` with ``W`` of shape ``(b, cells)``; deterministic in (seed, data)."""
        children = np.random.SeedSequence(self.seed).spawn(self.n_chunks)
        for i, child in enumerate(children):
            start = i * self.chunk
            b = min(self.chunk, self.resamples - start)
            yield start, self.draw(np.random.Generator(np.random.PCG64(child)), b)

    def draw(self, rng: np.random.Generator, b: int) -> np.ndarray:
        weights = np.zeros((b, self.cells.multiplicity.size))
        for members, probs, n_s, position_cell in self._groups:
            if position_cell is None:
                weights[:, members] = rng.multinomial(n_s, probs, size=b)
            else:
                picks = position_cell[rng.integers(0, n_s, size=(b, n_s))]
                offsets = (np.arange(b) * members.size)[:, None]
                counts = np.bincount((picks + offsets).ravel(), minlength=b * members.size)
                weights[:, members] = counts.reshape(b, members.size)
        return weights


def jackknife_weights(cells: Cells, seed: int, max_rows: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Leave-out count matrices for the BCa acceleration, with a weight per row.

    Up to ``max_rows`` cells: the exact delete-one jackknife (one row per cell, weighted by its
    multiplicity). Beyond that: a delete-d jackknife over ``max_rows`` random equal groups of examples,
    which estimates the same acceleration (the skewness of the influence values / 6√n).
    """
    mult = cells.multiplicity
    if mult.size <= max_rows:
        rows = np.repeat(mult[None, :].astype(np.float64), mult.size, axis=0)
        rows[np.arange(mult.size), np.arange(mult.size)] -= 1.0
        return rows, mult.astype(np.float64)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x6A6B])))
    positions = np.repeat(np.arange(mult.size), mult)
    groups = rng.permutation(positions.size) % max_rows
    removed = np.zeros((max_rows, mult.size))
    np.add.at(removed, (groups, positions), 1.0)
    return mult[None, :] - removed, np.ones(max_rows)
