"""Counter-based Poisson(1) bootstrap weights, in numpy and (optionally) fused with the counting in a
compiled kernel.

The weight of position ``i`` in resample ``r`` of a stream ``key`` is a pure function of
``(key, r, i)``, so any chunking, thread count or implementation gives the same weights:

- word ``j`` of resample ``r`` is ``mix64(key + (r·⌈n/4⌉ + j)·γ)`` — SplitMix64's output sequence
  (Steele, Lea & Flood 2014: a Weyl sequence through the MurmurHash3 finaliser variant 13; passes
  BigCrush) — and its four 16-bit lanes are the uniforms of positions ``4j .. 4j+3``;
- a 16-bit uniform picks the weight through a lookup table (Poisson(1)'s inverse CDF), except in
  the 8 of 65,536 buckets that hold a CDF threshold: those take 32 more bits from a second stream
  (``mix64(key ⊕ EXTRA + (r·n + i)·γ) >> 32``) and are resolved against 48-bit thresholds. Every
  probability is thus Poisson(1)'s rounded to a multiple of 2^-48 (tail beyond 19 dropped, mass
  < 1e-17).

:func:`weights` is the numpy implementation. When numba is installed (the ``accel`` extra),
:func:`view_counts` runs one compiled pass per pair of code tables that draws the weights and adds
them into both tables' histograms at once — about 5× less time than materialising the weights and
calling ``np.bincount`` per table — and gives bit-identical counts (integer weights, exact sums).
``MODEL_GATE_ACCEL=numpy`` turns the kernel off.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

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


def _tables() -> tuple[np.ndarray, np.ndarray]:
    """(lookup table from a 16-bit uniform to the weight, 255 = ambiguous; the 48-bit CDF thresholds)."""
    cdf = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(20)])
    thresholds = np.round(cdf * 2.0 ** 48).astype(np.uint64)
    low = np.arange(65536, dtype=np.uint64) << np.uint64(32)
    at_low = np.searchsorted(thresholds, low, side="right")
    at_high = np.searchsorted(thresholds, low + np.uint64(2 ** 32 - 1), side="right")
    lut = np.where(at_low == at_high, at_low, 255).astype(np.uint8)
    return lut, thresholds


LUT, THRESHOLDS = _tables()
AMBIGUOUS = 255
MAX_WEIGHT = THRESHOLDS.size - 1       # 19: values stay below the last threshold (≈ 2^48)


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


def resolve(u: np.ndarray, key: int, resample: int, n: int, positions: np.ndarray) -> np.ndarray:
    """Weights of the ambiguous ``positions`` (uniform ``u`` each) from 32 extra bits."""
    base = np.uint64(((key ^ EXTRA) + resample * n * int(GAMMA)) % _MOD)
    extra = mix64(base + positions.astype(np.uint64) * GAMMA) >> np.uint64(32)
    value = (u.astype(np.uint64) << np.uint64(32)) | extra
    return np.searchsorted(THRESHOLDS, value, side="right")


def weights(key: int, resample: int, n: int) -> np.ndarray:
    """The ``n`` Poisson(1) weights of ``resample`` (float64, ready to be ``bincount`` weights)."""
    u = uniforms(key, resample, n)
    small = LUT.take(u)
    ambiguous = np.flatnonzero(small == AMBIGUOUS)
    w = small.astype(np.float64)
    if ambiguous.size:
        w[ambiguous] = resolve(u[ambiguous], key, resample, n, ambiguous)
    return w


# -- compiled kernel (optional) -------------------------------------------------------------------

_KERNELS: dict | None = None     # {"module": gate._kernels} once imported, {} when numba is missing


def accelerated() -> bool:
    """True when the compiled kernel is in use: numba importable and not turned off."""
    return _kernels() is not None


def _kernels():
    """The compiled-kernel module (:mod:`gate._kernels`), or None without numba or when turned off."""
    global _KERNELS
    if os.environ.get("MODEL_GATE_ACCEL", "").strip().lower() in ("numpy", "off", "0", "no"):
        return None
    if _KERNELS is None:
        try:
            from gate import _kernels as module
            _KERNELS = {"module": module}
        except ImportError:
            _KERNELS = {}
    return _KERNELS.get("module")


def compact_table(table: np.ndarray, n_codes: int) -> np.ndarray:
    """A code table in the narrowest integer type the kernel takes (halves the bytes it streams)."""
    return np.ascontiguousarray(table, dtype=np.uint16 if n_codes <= 65536 else np.int32)


def view_counts(key: int, first: int, b: int, tables: list[np.ndarray], sizes: list[int]) -> list[np.ndarray]:
    """Per-code weight totals of each table for resamples ``first .. first+b`` (shape ``(b, size)``;
    int32 while they cannot overflow, else int64), by the compiled kernel: one pass per pair of
    tables. Requires :func:`accelerated`."""
    kernels = _kernels()
    assert kernels is not None, "the compiled kernel is not available"
    n = tables[0].size if tables else 0
    dtype = np.int32 if n * MAX_WEIGHT < 2 ** 31 else np.int64
    out = [np.zeros((b, size), dtype=dtype) for size in sizes]
    key = np.uint64(key)      # numba would type a Python int ≥ 2^63 as int64 and overflow
    for a in range(0, len(tables), 2):
        if a + 1 < len(tables):
            kernels.pair(key, first, n, LUT, THRESHOLDS, tables[a], tables[a + 1], out[a], out[a + 1])
        else:
            kernels.single(key, first, n, LUT, THRESHOLDS, tables[a], out[a])
    return out
