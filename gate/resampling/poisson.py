"""Counter-based Poisson bootstrap weights, in numpy and (optionally) fused with the counting in a
compiled kernel.

The weight of position ``i`` in resample ``r`` of a stream ``key`` is a pure function of
``(key, r, i)``, so any chunking, thread count or implementation gives the same weights:

- word ``j`` of resample ``r`` is ``mix64(key + (r·⌈n/4⌉ + j)·γ)`` — SplitMix64's output sequence
  (Steele, Lea & Flood 2014: a Weyl sequence through the MurmurHash3 finaliser variant 13; passes
  BigCrush) — and its four 16-bit lanes are the uniforms of positions ``4j .. 4j+3``;
- a 16-bit uniform picks the weight through a lookup table (the inverse CDF of Poisson(m), where
  m is the number of identical examples the position stands for: 1, or up to MAX_SIZE for a
  piece of a cell, see :class:`gate.resampling.stats.Pieces`), except in the few buckets that hold a CDF
  threshold: those take 32 more bits from a second stream (``mix64(key ⊕ EXTRA + (r·n + i)·γ) >> 32``)
  and are resolved against 48-bit thresholds. Every probability is thus Poisson(m)'s rounded to a
  multiple of 2^-48 (the tail below 1e-17 folded into the last value).

A piece of m identical examples drawn as one Poisson(m) weight has exactly the distribution of the
m examples' Poisson(1) weights summed, and the statistics only ever see that sum.

:func:`weights` is the numpy implementation. When the C extension
:mod:`gate.resampling._ckernels` was built (``pip install`` builds it wherever a C compiler is there;
without one the install goes on without it, setup.py), :func:`view_counts` runs one compiled pass per
pair of code tables that draws the weights and adds them into both tables' histograms at once —
about 2× less CPU than materialising the weights and calling ``np.bincount`` per table
(bench/README.md) — and gives bit-identical counts (integer weights, exact sums).
``MODEL_GATE_ACCEL=numpy`` turns the kernel off.
"""

from __future__ import annotations

import functools
import math
import threading
import time

import numpy as np

from gate import accel

GAMMA = np.uint64(0x9E3779B97F4A7C15)
EXTRA = 0xD1B54A32D192ED03
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_LANE = np.uint64(0xFFFF)
_MOD = 2 ** 64


def mix64(z):
    """SplitMix64's finaliser on uint64 scalars or arrays (wrapping arithmetic)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


MAX_SIZE = 32       # a cell of identical examples is drawn in pieces of at most this many


def _tables(mean: float) -> tuple[np.ndarray, np.ndarray]:
    """For Poisson(``mean``): (lookup table from a 16-bit uniform to the weight, 255 = ambiguous; the
    48-bit CDF thresholds, k = 0 .. until the terms are below 1e-19, so the tail is below 1e-17).
    Poisson(0) is the constant 0 (one threshold, 2^48)."""
    pmf: list[float] = [1.0] if mean == 0 else []
    k = 0
    while mean > 0 and (k <= mean or pmf[-1] > 1e-19):    # past the mode the terms fall faster than geometrically
        pmf.append(math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1)))
        k += 1
    thresholds = np.minimum(np.round(np.cumsum(pmf) * 2.0 ** 48), 2.0 ** 48).astype(np.uint64)
    thresholds[-1] = 2 ** 48            # the dropped tail (< 1e-17) goes to the last value
    low = np.arange(65536, dtype=np.uint64) << np.uint64(32)
    at_low = np.searchsorted(thresholds, low, side="right")
    at_high = np.searchsorted(thresholds, low + np.uint64(2 ** 32 - 1), side="right")
    lut = np.where(at_low == at_high, at_low, 255).astype(np.uint8)
    return lut, thresholds


@functools.lru_cache(maxsize=8)
def tables_for(means: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(lookup tables, thresholds): row ``j`` (1 .. len(means)) holds Poisson(``means[j-1]``)'s
    (thresholds padded with 2^64 − 1, which no 48-bit value reaches; row 0 is unused). Every mean
    is at most MAX_SIZE, so every weight stays at most MAX_WEIGHT."""
    rows = [_tables(m) for m in means]
    width = max(t.size for _, t in rows)
    luts = np.zeros((len(means) + 1, 65536), dtype=np.uint8)
    thresholds = np.full((len(means) + 1, width), np.iinfo(np.uint64).max, dtype=np.uint64)
    for j, (lut, t) in enumerate(rows, start=1):
        luts[j], thresholds[j, :t.size] = lut, t
    assert width <= MAX_WEIGHT + 1, "the kernel flags ambiguous lanes by bit 7: weights must stay below 128"
    return luts, thresholds


@functools.cache
def poisson_tables() -> tuple[np.ndarray, np.ndarray]:
    """:func:`tables_for` the means 1 .. MAX_SIZE: row ``m`` holds Poisson(m)'s. Built on first use
    (~0.15 s), not at import."""
    return tables_for(tuple(float(m) for m in range(1, MAX_SIZE + 1)))


AMBIGUOUS = 255
MAX_WEIGHT = 127      # weights stay below 128 (asserted in poisson_tables())


@functools.lru_cache(maxsize=4)
def _steps(words: int) -> np.ndarray:
    """``j·γ`` for every word ``j`` (read-only; shared by every resample of a size)."""
    steps = np.arange(words, dtype=np.uint64) * GAMMA
    steps.flags.writeable = False
    return steps


def uniforms(key: int, resample: int, n: int) -> np.ndarray:
    """The 16-bit uniforms of positions ``0 .. n-1`` in ``resample`` (uint16)."""
    words = -(-n // 4)
    z = mix64(_steps(words) + np.uint64((key + resample * words * int(GAMMA)) % _MOD))
    return z.astype("<u8", copy=False).view("<u2")[:n]


def words(stream: int, resample: int, n: int, counters: np.ndarray) -> np.ndarray:
    """Words ``counters`` (each below ``n``) of ``resample`` in a side stream of ``n`` words a
    resample: ``mix64(stream + (resample·n + counter)·γ)`` (the ambiguous lanes' extra bits, with
    ``key ⊕ EXTRA``; the completed draw's uniforms, gate.resampling.stats.TopUp)."""
    base = np.uint64((stream + resample * n * int(GAMMA)) % _MOD)
    return mix64(base + counters.astype(np.uint64) * GAMMA)


def resolve(u: np.ndarray, rows: np.ndarray, key: int, resample: int, n: int, positions: np.ndarray,
            thresholds: np.ndarray | None = None) -> np.ndarray:
    """Weights of the ambiguous ``positions`` (uniform ``u``, table row ``rows`` each: of
    ``thresholds``, default :func:`poisson_tables`', where row m is Poisson(m)) from 32 extra bits: the
    number of thresholds at or below the 48-bit value."""
    thresholds = poisson_tables()[1] if thresholds is None else thresholds
    extra = words(key ^ EXTRA, resample, n, positions) >> np.uint64(32)
    value = (u.astype(np.uint64) << np.uint64(32)) | extra
    return np.count_nonzero(thresholds[rows] <= value[:, None], axis=1)


def weights(key: int, resample: int, sizes: np.ndarray | int, bounds: np.ndarray | None = None,
            tables: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Poisson weights of ``resample``, one per position: Poisson(``sizes[i]``) (each 1 .. MAX_SIZE),
    or Poisson(1) for each of ``sizes`` positions when it is an int. float64, ready to be
    ``bincount`` weights. ``bounds`` (when ``sizes`` is ``sizes_of(bounds)``) lets each run of one
    mean look its uniforms up in that mean's table directly (the same weights, fewer passes). With
    ``tables`` (:func:`tables_for`), ``sizes`` are rows of those tables rather than means."""
    sizes = np.ones(sizes, dtype=np.uint8) if isinstance(sizes, int) else sizes
    luts, thresholds = poisson_tables() if tables is None else tables
    n = sizes.size
    u = uniforms(key, resample, n)
    small = _lookup(u, sizes, bounds, luts)
    ambiguous = np.flatnonzero(small == AMBIGUOUS)
    w = small.astype(np.float64)
    if ambiguous.size:
        w[ambiguous] = resolve(u[ambiguous], sizes[ambiguous], key, resample, n, ambiguous, thresholds)
    return w


def _lookup(u: np.ndarray, rows: np.ndarray, bounds: np.ndarray | None, luts: np.ndarray) -> np.ndarray:
    """The lookup-table weight (or :data:`AMBIGUOUS`) of every uniform: by runs of one table row
    when ``bounds`` gives them, else by one gather at ``row·65536 + u``."""
    if bounds is None:
        return luts.ravel().take(rows.astype(np.intp) * 65536 + u)
    small = np.empty(u.size, dtype=np.uint8)
    for m in range(1, bounds.size):
        lo, hi = int(bounds[m - 1]), int(bounds[m])
        if hi > lo:
            luts[m].take(u[lo:hi], out=small[lo:hi])
    return small


# -- compiled kernel (optional) -------------------------------------------------------------------

_KERNELS: dict | None = None     # {"module": gate.resampling._ckernels} once imported, {"missing": ...} when it was not built


def accelerated() -> bool:
    """True when the compiled kernel is in use: built at install time and not turned off."""
    return compiled() is not None


def compiled():
    """The compiled-kernel module (:mod:`gate.resampling._ckernels`), or None when the install had no
    C compiler or with ``MODEL_GATE_ACCEL=numpy`` (:func:`gate.accel.load`)."""
    global _KERNELS
    if _KERNELS is None:
        _KERNELS = {}
    return accel.load("gate.resampling._ckernels", _KERNELS)


_PICK_LOCK = threading.Lock()
_PICKED: list[int] = []       # the draw loop picked for this process, once measured


def pick_draw_loop(kernels) -> int:
    """The kernel's draw loop for this process: of the vector loops the CPU has (AVX-512, AVX2; they
    give the same counts bit for bit), the faster on a W2-like pair of tables (65,536 pieces, a sorted
    first table, 4,096 codes), best of five interleaved timings, measured once (about 5 ms). Which
    is faster depends on the chip, not only on its instructions: on an AMD EPYC (Zen 4) AVX-512 drew
    a piece in 0.83 ns and AVX2 in 1.00 ns, on an Intel Xeon (Sapphire Rapids) 1.29 and 1.21 ns
    (bench/README.md). Returns the level (:func:`_ckernels.vector`)."""
    with _PICK_LOCK:
        if not _PICKED:
            _PICKED.append(_fastest_loop(kernels))
        return _PICKED[0]


def _fastest_loop(kernels) -> int:
    best = kernels.vector(2)            # the best the CPU has (capped)
    if best < 2:
        return best
    n, codes = 65_536, 4_096
    order = np.arange(n, dtype=np.uint64) * GAMMA
    t0 = np.sort(mix64(order) % np.uint64(codes)).astype(np.uint16)
    t1 = (mix64(order + np.uint64(1)) % np.uint64(codes)).astype(np.uint16)
    bounds = np.array([0, n] + [n] * (MAX_SIZE - 1), dtype=np.int64)
    h = [np.empty((4, codes), dtype=np.int32) for _ in range(2)]
    luts, thresholds = poisson_tables()
    took = {2: math.inf, 1: math.inf}
    for _ in range(5):
        for level in took:
            kernels.vector(level)
            start = time.perf_counter()
            kernels.pair(1, 0, luts, thresholds, bounds, t0, t1, h[0], h[1])
            took[level] = min(took[level], time.perf_counter() - start)
    return kernels.vector(min(took, key=lambda level: (took[level], -level)))


def compact_table(table: np.ndarray, n_codes: int) -> np.ndarray:
    """A code table in the narrowest integer type the kernel takes (halves the bytes it streams)."""
    return np.ascontiguousarray(table, dtype=np.uint16 if n_codes <= 65536 else np.int32)


def view_counts(key: int, first: int, b: int, bounds: np.ndarray, tables: list[np.ndarray],
                n_codes: list[int], draw: tuple[np.ndarray, np.ndarray] | None = None) -> list[np.ndarray]:
    """Per-code weight totals of each table for resamples ``first .. first+b`` (shape
    ``(b, codes)``; int32 while they cannot overflow, else int64): positions ``bounds[m-1] ..
    bounds[m]`` weigh Poisson(m) (with ``draw``, :func:`tables_for`'s: row m of those tables), as
    :func:`weights` draws them for ``sizes_of(bounds)``. By the compiled kernel, one pass per pair
    of tables; requires :func:`accelerated`."""
    kernels = compiled()
    assert kernels is not None, "the compiled kernel is not available"
    pick_draw_loop(kernels)
    dtype = np.int32 if int(bounds[-1]) * MAX_WEIGHT < 2 ** 31 else np.int64    # every weight is ≤ MAX_WEIGHT
    out = [np.empty((b, d), dtype=dtype) for d in n_codes]      # the kernel writes every row
    luts, thresholds = poisson_tables() if draw is None else draw
    for a in range(0, len(tables), 2):
        if a + 1 < len(tables):
            kernels.pair(key, first, luts, thresholds, bounds, tables[a], tables[a + 1], out[a], out[a + 1])
        else:
            kernels.single(key, first, luts, thresholds, bounds, tables[a], out[a])
    return out


def sizes_of(bounds: np.ndarray) -> np.ndarray:
    """The table row of every position (its Poisson mean with :func:`poisson_tables`): ``m`` for
    positions ``bounds[m-1] .. bounds[m]``; uint8, or uint16 past 255 rows."""
    dtype = np.uint8 if bounds.size <= 256 else np.uint16
    return np.repeat(np.arange(1, bounds.size, dtype=dtype), np.diff(bounds))
