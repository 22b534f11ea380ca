"""Units that stand for several examples (the engine path's cells with their counts): every draw,
point estimate and jackknife equals, bit for bit, the one over the same examples written out one
per row; and the engine path hands the statistics its cells, not N rows (memory bounded by cells)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from gate.resampling import counted
from gate.resampling.stats import Block, Bootstrap, StatPlan, compress, jackknife_sums

K = 3


def _plan(y: np.ndarray, pred: np.ndarray, w: np.ndarray, mult: np.ndarray | None, kinds: tuple[str, ...]) -> StatPlan:
    """Blocks over rows ``0..n-1`` as the metric plan builds them: a confusion matrix (counts), the
    same weighted by ``w`` (floats), a subset (class 1 only) and a block with two entries per row."""
    n = y.size
    units = np.arange(n)
    plan = StatPlan(n, multiplicity=mult)
    if "cm" in kinds:
        plan.add(("cm",), lambda: Block(units, y * K + pred, np.ones(n), K * K))
    if "weighted" in kinds:
        plan.add(("wcm",), lambda: Block(units, y * K + pred, w, K * K))
    if "subset" in kinds:
        rows = np.flatnonzero(y == 1)
        plan.add(("sub",), lambda: Block(rows, pred[rows], np.ones(rows.size), K))
    if "two" in kinds:
        plan.add(("two",), lambda: Block(np.repeat(units, 2), np.stack([y, K + pred], 1).ravel(),
                                         np.repeat(w, 2), 2 * K))
    return plan


def _cells(seed: int, n_cells: int = 400, big: int = 0):
    """Distinct cells (y, pred, w) with counts 1..6 (and one of ``big`` examples), and the rows they
    stand for written out in order."""
    rng = np.random.default_rng(seed)
    y, pred = rng.integers(0, K, n_cells), rng.integers(0, K, n_cells)
    w = rng.choice([0.1, 0.3, 1.7, 2.0], n_cells)
    mult = rng.integers(1, 7, n_cells)
    if big:
        mult[n_cells // 2] = big
    rows = [np.repeat(a, mult) for a in (y, pred, w)]
    return (y, pred, w, mult), rows


def _draws(plan: StatPlan, strata: np.ndarray, path: str | None, **kw) -> list[np.ndarray]:
    out: list = []
    boot = Bootstrap(plan, strata, 40, 11, path=path, **kw)
    boot.run(lambda start, sums: out.append((start, [s.copy() for s in sums])), threads=1)
    out.sort(key=lambda t: t[0])
    return [np.concatenate([s[k] for _, s in out]) for k in range(len(plan.blocks))], boot


@pytest.mark.parametrize("path,kinds", [
    ("multinomial", ("cm", "weighted", "subset")),
    ("index", ("cm", "weighted", "subset", "two")),
    ("poisson", ("cm", "subset")),                     # countable blocks: Poisson pieces of the cells
    ("poisson", ("cm", "weighted")),                   # per-example weights: drawn per example
    (None, ("cm", "subset")),
])
def test_draws_over_cells_equal_the_draws_over_their_rows(path, kinds):
    (y, pred, w, mult), rows = _cells(1, big=700 if path == "poisson" else 0)
    compact, written = _plan(y, pred, w, mult, kinds), _plan(*rows, None, kinds)
    strata = np.zeros(y.size, dtype=np.int64)
    got, boot = _draws(compact, strata, path)
    want, ref = _draws(written, np.zeros(written.n_units, dtype=np.int64), path)
    assert boot.scheme == ref.scheme and boot.n == ref.n == int(mult.sum())
    for g, e in zip(got, want):
        assert g.dtype == e.dtype and np.array_equal(g, e)
    assert any(not np.array_equal(g[0], g[1]) for g in got)     # the resamples do vary
    if kinds == ("cm", "subset") and path == "poisson":
        assert boot.plan.n_units == y.size                         # drawn on the cells, not expanded
        assert boot.pieces().sizes.size < ref.pieces().sizes.size + 8


def test_stratified_index_draws_over_cells_equal_the_rows():
    (y, pred, w, mult), rows = _cells(2)
    got, _ = _draws(_plan(y, pred, w, mult, ("cm",)), y.astype(np.int64), "index")
    want, _ = _draws(_plan(*rows, None, ("cm",)), rows[0].astype(np.int64), "index")
    assert all(np.array_equal(g, e) for g, e in zip(got, want))


@pytest.mark.parametrize("seed", [3, 4])
def test_point_estimates_are_the_row_by_row_sums_bit_for_bit(seed):
    """Float weights (0.1, 0.3, 1.7) summed m times one by one round differently from m·w: the point
    sums must be the row-by-row ones, not merely close (and counts stay exact)."""
    (y, pred, w, mult), rows = _cells(seed, n_cells=3000, big=3 * counted.SLICE // 2)
    kinds = ("cm", "weighted", "subset", "two")
    got, want = _plan(y, pred, w, mult, kinds).point(), _plan(*rows, None, kinds).point()
    for g, e in zip(got, want):
        assert np.array_equal(g, e)
    wcm = np.bincount(rows[0] * K + rows[1], weights=rows[2], minlength=K * K)
    assert np.array_equal(got[1][0], wcm)
    assert not np.array_equal(np.bincount(y * K + pred, weights=w * mult, minlength=K * K), wcm)  # m·w differs


def test_counted_bincount_slices_big_cells():
    rng = np.random.default_rng(5)
    index, w = rng.integers(0, 7, 50), rng.random(50)
    mult = rng.integers(0, 4, 50)
    mult[10] = 2 * counted.SLICE + 3
    expected = np.bincount(np.repeat(index, mult), weights=np.repeat(w, mult), minlength=9)
    assert np.array_equal(counted.bincount(index, 9, w, mult), expected)
    assert list(counted.bincount(index, 9, None, mult)) == list(np.bincount(np.repeat(index, mult), minlength=9))
    assert counted.total(mult, index == 3) == int(np.count_nonzero(np.repeat(index, mult) == 3))


@pytest.mark.parametrize("kinds", [("cm", "weighted"), ("two",)])
def test_jackknife_over_cells_equals_the_rows(kinds):
    """BCa's jackknife: cells merge to the same multiplicities; a plan that cannot merge (two entries
    per unit) is written out first, so its delete-d groups are the rows' groups."""
    (y, pred, w, mult), rows = _cells(6)
    compact, written = _plan(y, pred, w, mult, kinds), _plan(*rows, None, kinds)
    a = compress(compact, np.zeros(y.size, dtype=np.int64))
    b = compress(written, np.zeros(written.n_units, dtype=np.int64))
    assert np.array_equal(a.multiplicity, b.multiplicity)
    (sa, wa), (sb, wb) = jackknife_sums(a, 7), jackknife_sums(b, 7)
    assert np.array_equal(wa, wb) and all(np.array_equal(x, z) for x, z in zip(sa, sb))


def test_the_engine_path_keeps_cells_not_rows(tmp_path):
    """2·10^6 rows in a dozen cells: the EvalSet holds the cells with their counts, and the whole
    check allocates a few MB in Python/numpy (written out, the rows' arrays alone would be ≥ 48 MB)."""
    duckdb = pytest.importorskip("duckdb")
    pytest.importorskip("sqlglot")
    import gate
    from gate.api import load_policy
    from gate.engines import sources, sql
    from gate.engines.cells import engine_evalset
    n = 2_000_000
    for role, shift in (("c", 0), ("b", 1)):
        duckdb.execute(f"COPY (SELECT i AS id, CAST(i % 2 AS VARCHAR) AS label, CAST((i + {shift} * (i % 7 = 0)::INT) "
                       f"% 2 AS VARCHAR) AS prediction, ['eu', 'us'][1 + i % 3 % 2] AS region FROM range({n}) t(i)) "
                       f"TO '{tmp_path / role}.parquet' (FORMAT parquet)")
    policy = {"version": 1, "name": "cells", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
              "bootstrap": {"resamples": 200, "seed": 1},
              "gates": [{"metric": "recall", "min": 0.4}, {"metric": "accuracy", "max_drop": 0.1},
                        {"metric": "accuracy", "slice": "region", "min": 0.4}]}
    cand, base = (f"parquet:{tmp_path / r}.parquet" for r in ("c", "b"))
    views = {sql.CANDIDATE_VIEW: sources.engine_source(cand, "candidate"),
             sql.BASELINE_VIEW: sources.engine_source(base, "baseline")}
    es = engine_evalset(load_policy(policy), sources.open_engine("duckdb", views), *views.values())
    assert es.pairing == "paired" and es.candidate.counts is not None
    assert es.candidate.y.size <= 16 and int(es.candidate.counts.sum()) == n
    tracemalloc.start()
    report = gate.check(policy, cand, base)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.data.n_candidate == n and report.data.class_support == {"0": n // 2, "1": n // 2}
    assert peak < 16 * 2 ** 20, f"{peak / 2 ** 20:.1f} MB"
