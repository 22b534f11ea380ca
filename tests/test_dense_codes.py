"""Dense codes and orders of the resampling tables equal numpy's sorting reference.

- ``_dense`` (presence map, 16-bit counting sorts, or ``np.unique``, by the codes' range) renumbers
  exactly as ``np.unique(..., return_inverse=True)`` does, on random, tied, wide and negative codes;
- ``stable_order`` (radix passes) is ``np.lexsort((code, strata))`` whatever the keys' range;
- ``descending_groups`` (radix passes over the doubles' order-preserving bits) is ``np.unique`` reversed.
"""

from __future__ import annotations

import numpy as np
import pytest

from gate.metrics.compiler import descending_groups
from gate.resampling.stats import _combine, _dense, stable_order


def _codes(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    if kind == "narrow":
        return rng.integers(0, 50, n)
    if kind == "joint":        # two views' joint code: far more values than rows, below 2^32
        return rng.integers(0, 18_751, n) * 18_405 + rng.integers(0, 18_405, n)
    if kind == "wide":         # at and above 2^32: the np.unique path
        return rng.integers(2 ** 32 - 3, 2 ** 32 + 3, n) * rng.integers(1, 3, n)
    if kind == "negative":
        return rng.integers(-(2 ** 40), 2 ** 40, n)
    if kind == "uint32":
        return rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32)
    return rng.choice(np.array([0, 2 ** 32 - 1, 65_535, 65_536]), n)     # every 16-bit digit boundary


@pytest.mark.parametrize("kind", ["narrow", "joint", "wide", "negative", "uint32", "edges"])
@pytest.mark.parametrize("n", [1, 2, 7, 1000, 30_000])
def test_dense_renumbers_as_np_unique(kind, n):
    rng = np.random.default_rng(n * 31 + len(kind))
    code = _codes(rng, kind, n)
    if kind != "narrow" and n > 2:
        code[n // 2] = code[0]             # a tie, whatever the range
    dense, d = _dense(code)
    uniq, inverse = np.unique(code, return_inverse=True)
    assert d == uniq.size
    assert np.array_equal(dense, inverse.ravel())


def test_combine_is_the_dense_code_of_the_pair():
    rng = np.random.default_rng(5)
    for da, db in [(3, 4), (18_751, 18_405), (70_000, 70_000)]:
        a, b = rng.integers(0, da, 5000), rng.integers(0, db, 5000)
        joint, d = _combine(a, da, b, db)
        pairs, inverse = np.unique(np.stack([a, b], axis=1), axis=0, return_inverse=True)
        assert d == pairs.shape[0]
        assert np.array_equal(joint, inverse.ravel())


@pytest.mark.parametrize("kind", ["narrow", "joint", "negative", "uint32", "edges"])
def test_stable_order_is_lexsort(kind):
    rng = np.random.default_rng(len(kind))
    code = _codes(rng, kind, 20_000)
    strata = rng.integers(0, 3, code.size)
    assert np.array_equal(stable_order(code, strata), np.lexsort((code, strata)))
    assert np.array_equal(stable_order(code, np.zeros(code.size, dtype=np.int64)), np.lexsort((code,)))


@pytest.mark.parametrize("kind", ["signed", "zeros", "extremes", "ties", "float32"])
def test_descending_groups_are_np_unique_reversed(kind):
    """Radix-sorted tie groups equal np.unique's, -0.0 tied with 0.0, subnormals and ±max included."""
    rng = np.random.default_rng(len(kind))
    score = {"signed": rng.normal(0, 1e3, 5000),
             "zeros": rng.choice(np.array([0.0, -0.0, 1.0, -1.0]), 5000),
             "extremes": rng.choice(np.array([5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308,
                                              2.2250738585072014e-308, 0.0]), 5000),
             "ties": np.round(rng.random(20_000), 3),
             "float32": rng.random(20_000).astype(np.float32).astype(np.float64)}[kind]
    distinct, inverse = np.unique(score, return_inverse=True)
    assert np.array_equal(descending_groups(score), distinct.size - 1 - inverse.ravel())
