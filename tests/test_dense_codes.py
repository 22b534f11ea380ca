"""Dense codes and orders of the resampling tables equal numpy's sorting reference.

- ``_dense`` (presence map, 16-bit counting sorts, or ``np.unique``, by the codes' range) renumbers
  exactly as ``np.unique(..., return_inverse=True)`` does, on random, tied, wide and negative codes;
- ``stable_order`` (radix passes) is ``np.lexsort((code, strata))`` whatever the keys' range;
- ``descending_groups`` is ``np.unique`` reversed on both of its paths: the compiled kernel's hashing
  of the scores' bits (``tie_ranks``, at most ``TIE_LIMIT`` distinct scores) and the radix passes over
  the doubles' order-preserving bits (more distinct scores, or the kernel not built or turned off).
"""

from __future__ import annotations

import numpy as np
import pytest

from gate.metrics.compiler import TIE_LIMIT, descending_groups
from gate.resampling import poisson
from gate.resampling.stats import _combine, _dense, stable_order
from tests.helpers.imports import c_kernel

MAX = 1.7976931348623157e308


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


@pytest.fixture(params=["kernel", "numpy"])
def groups_path(request, monkeypatch):
    """descending_groups with the compiled kernel (skipped when it was not built) or turned off."""
    if request.param == "kernel":
        c_kernel()
        assert poisson.compiled() is not None
    else:
        monkeypatch.setenv("MODEL_GATE_ACCEL", "numpy")
        assert poisson.compiled() is None
    return request.param


def _reference(score: np.ndarray) -> np.ndarray:
    distinct, inverse = np.unique(score, return_inverse=True)
    return distinct.size - 1 - inverse.ravel()


def _check(score: np.ndarray, hashed: bool | None = None) -> None:
    """descending_groups is np.unique reversed; with the kernel, ``tie_ranks`` itself hashes the
    column (``hashed``: at most TIE_LIMIT distinct scores) or gives it up for the radix sort."""
    got = descending_groups(score)
    assert got.dtype == np.int64 and got.shape == score.shape
    assert np.array_equal(got, _reference(score))
    kernels = poisson.compiled()
    if kernels is not None and hashed is not None:
        out = np.full(score.size, -7, dtype=np.int64)
        d = kernels.tie_ranks(score, out, TIE_LIMIT)
        assert d == (np.unique(score).size if hashed else -1)
        if hashed:
            assert np.array_equal(out, got)


@pytest.mark.parametrize("kind", ["signed", "zeros", "extremes", "ties", "float32", "few", "decimals"])
def test_descending_groups_are_np_unique_reversed(kind, groups_path):
    """Tie groups equal np.unique's, -0.0 tied with 0.0, subnormals and ±max included."""
    rng = np.random.default_rng(len(kind))
    score = {"signed": rng.normal(0, 1e3, 5000),
             "zeros": rng.choice(np.array([0.0, -0.0, 1.0, -1.0]), 5000),
             "extremes": rng.choice(np.array([5e-324, -5e-324, MAX, -MAX, 2.2250738585072014e-308,
                                              -2.2250738585072014e-308, 2.225073858507201e-308, 0.0, -0.0]), 5000),
             "ties": np.round(rng.random(20_000), 3),
             "float32": rng.random(20_000).astype(np.float32).astype(np.float64),
             "few": rng.choice(np.array([0.25, -3.0, 7.5]), 100_000),
             "decimals": np.round(rng.dirichlet(np.ones(10), 200_000)[:, 0], 4)}[kind]
    _check(score, hashed=True)


@pytest.mark.parametrize("extra", [0, 1, 1000])
def test_descending_groups_at_and_past_the_hash_limit(extra, groups_path):
    """Exactly TIE_LIMIT distinct scores are hashed; one more and the radix sort takes over (the same
    groups either way), also when the extra values come last, after the table has filled."""
    rng = np.random.default_rng(extra)
    values = np.arange(TIE_LIMIT + extra) / 10_000 - 3.0
    score = np.concatenate([values, rng.choice(values, 50_000)])
    _check(score, hashed=extra == 0)
    late = np.concatenate([rng.choice(values[:TIE_LIMIT], 200_000), values])
    _check(late, hashed=extra == 0)
    _check(rng.permutation(score), hashed=extra == 0)


def test_descending_groups_of_zeros_subnormals_and_extremes(groups_path):
    """-0.0 ties with 0.0 (first seen either way); the smallest subnormals, the largest normals."""
    tiny = 5e-324
    for score in (np.array([-0.0, 0.0]), np.array([0.0, -0.0, 0.0]), np.array([tiny, -0.0, -tiny, 0.0]),
                  np.array([MAX, -MAX, 0.0, -0.0, tiny, -tiny, 2 * tiny, MAX]),
                  np.array([np.nextafter(0.0, 1.0), np.nextafter(-0.0, -1.0), 0.0])):
        _check(score, hashed=True)
    assert list(descending_groups(np.array([-0.0, 0.0, tiny, -tiny]))) == [1, 1, 0, 2]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_descending_groups_of_tiny_columns(n, groups_path):
    for score in (np.zeros(n), np.arange(n, dtype=np.float64), -np.arange(n, dtype=np.float64)):
        _check(score, hashed=True if n else None)
    if n == 2:
        assert list(descending_groups(np.array([1.0, 2.0]))) == [1, 0]
        assert list(descending_groups(np.array([2.0, 2.0]))) == [0, 0]


@pytest.mark.parametrize("order", ["C", "F"])
def test_descending_groups_of_strided_columns(order, groups_path):
    """Columns of a 2-d score matrix (strided in C order), reversed and sliced views: read in place."""
    rng = np.random.default_rng(3)
    matrix = np.asarray(np.round(rng.dirichlet(np.ones(6), 30_000), 4), order=order)
    for c in range(matrix.shape[1]):
        column = matrix[:, c]
        assert column.flags["C_CONTIGUOUS"] == (order == "F")
        _check(column, hashed=True)
        _check(column[::-1], hashed=True)
        _check(column[5::7], hashed=True)
    wide = rng.random((100_000, 3))          # float64 noise: more than TIE_LIMIT distinct, strided
    _check(wide[:, 1], hashed=False)


def test_tie_ranks_checks_its_arguments():
    kernels = c_kernel()
    score = np.array([0.5, 0.25, 0.5])
    out = np.empty(3, dtype=np.int64)
    assert kernels.tie_ranks(score, out, 2) == 2 and list(out) == [0, 1, 0]
    assert kernels.tie_ranks(score, out, 1) == -1
    assert kernels.tie_ranks(score[:0], out[:0], 0) == 0
    with pytest.raises(TypeError):
        kernels.tie_ranks(score.astype(np.float32), out, 10)
    with pytest.raises(TypeError):
        kernels.tie_ranks(score.astype(">f8"), out, 10)         # not in this machine's byte order
    with pytest.raises(TypeError):
        kernels.tie_ranks(score.reshape(1, 3), out, 10)
    with pytest.raises(TypeError):
        kernels.tie_ranks(score, out[:2], 10)
    with pytest.raises(TypeError):
        kernels.tie_ranks(score, out.astype(np.int32), 10)
    with pytest.raises(ValueError):
        kernels.tie_ranks(score, out, -1)
    with pytest.raises(TypeError):
        kernels.tie_ranks(score, out)
