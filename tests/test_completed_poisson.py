"""The completed Poisson draw (gate.resampling.stats.TopUp) is the (stratified) bootstrap exactly.

Every resample keeps each stratum's size (the top-up completes Poisson(λ_s) weights, λ_s < 1, by
uniform draws within the stratum); the per-code counts have the multinomial's means, variances and
covariances within a stratum (not the larger Poisson ones); the rare overflow (a stratum drawing more
than its size, forced here with λ_s = 1) keeps all of that; the compiled kernel and numpy give the
same sums bit for bit, for any thread count; and a stratified check's report says which draw it used
and agrees with index resampling within Monte-Carlo error.
"""

from __future__ import annotations

import numpy as np
import pytest

import gate.resampling.stats as stats
from gate.resampling.stats import Block, Bootstrap, StatPlan, below
from tests.helpers.imports import c_kernel

SIZES = (3, 40, 5000, 20000)        # λ_s = 0 (index draws only), 0.21, 0.93, 0.96


def _plan(seed: int = 0) -> tuple[StatPlan, np.ndarray, np.ndarray]:
    """(plan, strata, code of the counted block): strata of SIZES, a label with P(1) = 0.5 within each;
    block 0 counts (stratum, label), block 1 sums a float per label (per-example values), block 2
    counts a code that crosses the strata."""
    rng = np.random.default_rng(seed)
    strata = np.repeat(np.arange(len(SIZES)), SIZES)[rng.permutation(sum(SIZES))]  # rows in any order
    n = strata.size
    label = (rng.random(n) < 0.5).astype(np.int64)
    code = strata * 2 + label
    plan = StatPlan(n)
    units = np.arange(n)
    plan.add(("counts", "candidate"), lambda: Block(units, code, np.ones(n), 2 * len(SIZES)))
    plan.add(("sums", "candidate"), lambda: Block(units, label, np.round(rng.random(n), 3), 2))
    plan.add(("other", "candidate"), lambda: Block(units, rng.integers(0, 10, n), np.ones(n), 10))
    return plan, strata, code


def _draw(plan: StatPlan, strata: np.ndarray, resamples: int, threads: int = 1, path: str = "poisson"):
    boot = Bootstrap(plan, strata, resamples, 17, path=path)
    out = [np.zeros((resamples, b.size)) for b in plan.blocks]

    def consume(start, sums):
        for k, s in enumerate(sums):
            out[k][start:start + s.shape[0]] = s
    boot.run(consume, threads=threads)
    return boot, out


@pytest.fixture(params=["kernel", "numpy"])
def accel(request, monkeypatch):
    if request.param == "kernel":
        c_kernel()
    monkeypatch.setenv("MODEL_GATE_ACCEL", request.param)
    return request.param


def _check_multinomial(counts: np.ndarray, code: np.ndarray, strata: np.ndarray) -> None:
    """Each stratum's size in every resample; per code the multinomial mean k_c and variance
    n_s·p(1−p) (p = k_c/n_s; Poisson weights would give k_c, 2x here), within-stratum covariance −n_s·p·q."""
    B = counts.shape[0]
    for s, n_s in enumerate(SIZES):
        np.testing.assert_array_equal(counts[:, 2 * s] + counts[:, 2 * s + 1], n_s)
        if n_s < 40:
            continue
        k = np.bincount(code[strata == s] - 2 * s, minlength=2)
        p = k / n_s
        c = counts[:, 2 * s:2 * s + 2]
        assert np.all(np.abs(c.mean(axis=0) - k) < 5 * np.sqrt(n_s * p * (1 - p) / B))
        np.testing.assert_allclose(c.var(axis=0), n_s * p * (1 - p), rtol=0.2)
    # strata are independent: counts of two strata do not covary
    assert abs(np.corrcoef(counts[:, 4], counts[:, 6])[0, 1]) < 5 / np.sqrt(B)


def test_the_draw_is_the_stratified_bootstrap(accel):
    plan, strata, code = _plan()
    boot, (counts, sums, other) = _draw(plan, strata, 2000)
    assert boot.scheme == "completed_poisson" and boot.poisson
    assert "completed to the sizes of 4 strata" in boot.describe()
    assert boot.pieces().topup is not None
    _check_multinomial(counts, code, strata)
    np.testing.assert_array_equal(other.sum(axis=1), sum(SIZES))        # the whole set's size too


def test_an_overflowing_stratum_is_redrawn_and_the_draw_stays_exact(accel, monkeypatch):
    """λ_s = 1: about half the resamples draw more than a stratum's size and take the fallback."""
    monkeypatch.setattr(stats, "TOPUP_MARGIN", 0.0)
    plan, strata, code = _plan()
    boot, (counts, sums, other) = _draw(plan, strata, 2000)
    means = boot.pieces().topup.strata.mean_scale()
    assert np.all(means == 1.0)
    _check_multinomial(counts, code, strata)


@pytest.mark.parametrize("margin", [stats.TOPUP_MARGIN, 0.0])
def test_kernel_and_numpy_give_the_same_sums_for_any_threads(monkeypatch, margin):
    c_kernel()
    monkeypatch.setattr(stats, "TOPUP_MARGIN", margin)
    monkeypatch.setattr(stats, "MAX_CHUNK", 16)
    plan, strata, _ = _plan(3)
    got = []
    for accel, threads in (("kernel", 1), ("kernel", 2), ("numpy", 2)):
        monkeypatch.setenv("MODEL_GATE_ACCEL", accel)
        got.append(_draw(plan, strata, 70, threads)[1])
    for other in got[1:]:
        for a, b in zip(got[0], other):
            np.testing.assert_array_equal(a, b)


def test_a_per_example_block_sees_the_completed_counts(accel):
    """A block with per-example values (each example's own: the weighted path, per-piece weights)
    sums the same completed draw the counted blocks see: with values 1 (+ 1e-12 per example, so that
    they are not a function of the target) its sums are the label totals of the (stratum, label) counts."""
    plan, strata, code = _plan(5)
    n = strata.size
    plan2 = StatPlan(n)
    plan2.add(("counts", "candidate"), lambda: plan.blocks[0])
    plan2.add(("sums", "candidate"), lambda: Block(np.arange(n), code % 2, 1 + 1e-12 * (np.arange(n) % 3), 2))
    boot, (c2, s2) = _draw(plan2, strata, 40)
    assert boot.pieces().per_example
    np.testing.assert_allclose(s2, c2.reshape(40, -1, 2).sum(axis=1), rtol=1e-9)
    assert np.all(s2.sum(axis=1).round() == n)


def test_no_view_naming_the_strata_keeps_index_draws():
    """A stratum that no view's codes name (a gate that never looks at the stratifying class)
    cannot be completed from the counts: the draw stays index resampling."""
    rng = np.random.default_rng(2)
    n = 3000
    strata = rng.integers(0, 3, n)
    plan = StatPlan(n)
    plan.add(("other", "candidate"), lambda: Block(np.arange(n), rng.integers(0, 4, n), np.ones(n), 4))
    boot = Bootstrap(plan, strata, 10, 1, path="poisson")
    assert not boot.poisson and boot.scheme == "index"


@pytest.mark.parametrize("whole", [True, False], ids=["every-code-named", "some-codes-named"])
@pytest.mark.parametrize("dtype", [np.int32, np.float64])
def test_a_namer_counts_each_strata_draws_as_a_direct_sum(whole, dtype):
    """Namer.drawn equals the plain per-stratum sum of a view's counts, whether the largest stratum
    is left out (every code names a stratum: its draws are the view's total minus the others') or
    every named stratum's codes are gathered; the scratch slot after the view's codes never counts."""
    rng = np.random.default_rng(5)
    d, k = 500, 4
    stratum_of_code = rng.choice(k, d, p=[0.7, 0.2, 0.06, 0.04])
    codes = np.flatnonzero(np.ones(d, bool) if whole else rng.random(d) < 0.8)
    codes = codes[np.argsort(stratum_of_code[codes], kind="stable")]
    namer = stats.Namer.of(0, codes, stratum_of_code[codes], d)
    assert (namer.rest == 0) == whole and namer.codes.size == (codes.size - (stratum_of_code == 0).sum() if whole
                                                                else codes.size)
    for _ in range(20):
        counts = rng.poisson(1.0, d + 1).astype(dtype)          # + the scratch slot
        counts[d] = 7
        total = np.zeros(k, dtype=np.int64)
        namer.drawn(counts, total)
        want = np.bincount(stratum_of_code[codes], weights=counts[codes], minlength=k)
        assert total.tolist() == want.astype(np.int64).tolist()


def test_below_is_the_exact_high_product():
    rng = np.random.default_rng(0)
    z = rng.integers(0, 2 ** 63, 5000, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, 5000, dtype=np.uint64)
    z[:3] = [0, 2 ** 64 - 1, 2 ** 63]
    m = rng.integers(1, 2 ** 32, 5000, dtype=np.int64)
    m[:3] = [2 ** 32 - 1, 2 ** 32 - 1, 1]
    want = [(int(a) * int(b)) >> 64 for a, b in zip(z, m)]
    assert below(z, m).tolist() == want


def test_a_stratified_check_report_says_so_and_matches_index_resampling(monkeypatch):
    """report.json of a large stratified canary: the same bytes from the kernel and numpy, the draw
    named, and ΔAP / ΔF1 endpoints within Monte-Carlo error of index resampling's."""
    from tests.test_fast_path import _canary_draws, assert_intervals_agree
    B = 2000
    monkeypatch.setattr(stats, "COMPLETED_MIN_UNITS", 1000)
    boot_p, pois = _canary_draws(None, True, B)
    boot_i, index = _canary_draws("index", True, B)
    assert boot_p.scheme == "completed_poisson" and boot_i.scheme == "index"
    assert_intervals_agree(index, pois, B)


def test_stratified_canary_report_is_the_same_with_and_without_the_kernel(monkeypatch):
    c_kernel()
    from gate.engine import evaluate
    from gate.policy.load import build_policy
    from gate.render import json_report
    from tests.test_fast_path import _canary
    monkeypatch.setattr(stats, "COMPLETED_MIN_UNITS", 0)
    doc = {"version": 1, "name": "s", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
           "bootstrap": {"resamples": 300, "seed": 4, "stratify": True},
           "gates": [{"metric": "average_precision", "max_drop": 0.02}, {"metric": "recall", "min": 0.5},
                     {"metric": "support", "min": 10}]}
    policy = build_policy(doc, source="<test>")
    out = []
    for accel, threads in (("kernel", "2"), ("numpy", "1"), ("numpy", "2")):
        monkeypatch.setenv("MODEL_GATE_ACCEL", accel)
        monkeypatch.setenv("MODEL_GATE_THREADS", threads)
        out.append(json_report.render(evaluate(policy, _canary(4000, 3000))))
    assert out[0] == out[1] == out[2]
    assert '"completed_poisson"' in out[0]


@pytest.mark.parametrize("allow", [True, False])
def test_one_sample_is_completed_below_the_poisson_threshold_and_for_counts(accel, monkeypatch, allow):
    """A paired check (one stratum) from COMPLETED_MIN_UNITS examples: below the Poisson(1) threshold,
    or above it when a gate reads a raw count (no ``allow_poisson``), the completed draw: every
    resample has exactly n examples and a code's count the multinomial's variance n·p(1−p), where
    Poisson(1) weights would give n·p; above the threshold with ratio metrics only, Poisson(1)."""
    monkeypatch.setattr(stats, "COMPLETED_MIN_UNITS", 1000)
    monkeypatch.setattr(stats, "POISSON_MIN_UNITS", 10 ** 9 if allow else 1000)
    rng = np.random.default_rng(4)
    n = 20_000
    code = (rng.random(n) < 0.5).astype(np.int64)
    plan = StatPlan(n)
    plan.add(("counts", "candidate"), lambda: Block(np.arange(n), code, np.ones(n), 2))
    plan.add(("ranks", "candidate"), lambda: Block(np.arange(n), rng.integers(0, n // 2, n), np.ones(n), n // 2))
    boot = Bootstrap(plan, np.zeros(n, dtype=np.int64), 2000, 3, allow_poisson=allow)     # (no few cells)
    assert boot.scheme == "completed_poisson"
    out = np.zeros((2000, 2))

    def consume(start, sums):
        out[start:start + sums[0].shape[0]] = sums[0]
    boot.run(consume)
    np.testing.assert_array_equal(out.sum(axis=1), n)
    p = np.bincount(code) / n
    np.testing.assert_allclose(out.var(axis=0), n * p * (1 - p), rtol=0.15)
    monkeypatch.setattr(stats, "POISSON_MIN_UNITS", 1000)
    assert Bootstrap(plan, np.zeros(n, dtype=np.int64), 10, 3, allow_poisson=True).scheme == "poisson"
