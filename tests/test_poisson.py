"""Counter-based Poisson(1) weights (gate.resampling.poisson) and the optional compiled kernel.

The weights must be Poisson(1) (rounded to 2^-48), a pure function of (key, resample, position),
and the compiled kernel must give the numpy path's counts bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from gate.resampling import poisson
from tests.helpers.imports import c_kernel


def _value48(key: int, resample: int, n: int) -> np.ndarray:
    """Every position's full 48-bit uniform: its 16 lookup bits, then the 32 extra bits."""
    u = poisson.uniforms(key, resample, n)
    extra = poisson.mix64(np.uint64(((key ^ poisson.EXTRA) + resample * n * int(poisson.GAMMA)) % 2 ** 64)
                          + np.arange(n, dtype=np.uint64) * poisson.GAMMA) >> np.uint64(32)
    return (u.astype(np.uint64) << np.uint64(32)) | extra


@pytest.mark.parametrize("key,resample", [(0, 0), (12345, 7), (2 ** 64 - 1, 3)])
def test_every_weight_is_the_inverse_cdf_of_its_48_bit_uniform(key, resample):
    """The 16-bit lookup shortcut and the ambiguous-bucket resolution equal a plain inverse-CDF
    search on all 48 bits, for every position and every Poisson mean 1 .. MAX_SIZE."""
    n = 1_000_003
    sizes = np.random.default_rng(key % 1000).integers(1, poisson.MAX_SIZE + 1, n).astype(np.uint8)
    want = np.count_nonzero(poisson.poisson_tables()[1][sizes] <= _value48(key, resample, n)[:, None], axis=1)
    got = poisson.weights(key, resample, sizes)
    ambiguous = poisson.poisson_tables()[0][sizes, poisson.uniforms(key, resample, n)] == poisson.AMBIGUOUS
    assert np.count_nonzero(ambiguous) > 100
    np.testing.assert_array_equal(got, want)
    ones = np.ones(1000, dtype=np.uint8)      # an int n means n positions of Poisson(1)
    np.testing.assert_array_equal(poisson.weights(key, resample, 1000), poisson.weights(key, resample, ones))


@pytest.mark.parametrize("mean", [1, 3, poisson.MAX_SIZE])
def test_weights_have_the_poisson_distribution(mean):
    sizes = np.full(500_000, mean, dtype=np.uint8)
    w = np.concatenate([poisson.weights(99, r, sizes) for r in range(4)]).astype(np.int64)
    top = int(stats.poisson.ppf(0.999, mean))
    observed = np.bincount(np.minimum(w, top), minlength=top + 1)
    expected = stats.poisson.pmf(np.arange(top + 1), mean) * w.size
    expected[-1] = stats.poisson.sf(top - 1, mean) * w.size
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    assert abs(w.mean() - mean) < 5 * np.sqrt(mean / w.size)
    assert abs(w.var() / mean - 1.0) < 0.01


def test_uniforms_are_uniform_and_streams_unrelated():
    u = poisson.uniforms(5, 0, 2_000_000)
    for part in (u >> 8, u & 0xFF):         # both bytes of every lane
        assert stats.chisquare(np.bincount(part, minlength=256)).pvalue > 1e-4
    n = 400_000
    base = poisson.weights(5, 0, n)
    for other in (poisson.weights(5, 1, n), poisson.weights(6, 0, n), np.roll(base, 1), np.roll(base, 4)):
        assert abs(np.corrcoef(base, other)[0, 1]) < 5 / np.sqrt(n)


def test_weights_are_a_pure_function_of_key_resample_and_position():
    a = poisson.weights(77, 5, 10_001)
    poisson.weights(78, 5, 10_001)           # no hidden state between calls
    np.testing.assert_array_equal(a, poisson.weights(77, 5, 10_001))
    assert not np.array_equal(a, poisson.weights(77, 6, 10_001))


def test_the_kernel_can_be_turned_off(monkeypatch):
    c_kernel()
    assert poisson.accelerated()
    monkeypatch.setenv("MODEL_GATE_ACCEL", "numpy")
    assert not poisson.accelerated()


LEVELS = {"avx512": 2, "avx2": 1, "scalar": 0}


def _level(kernels, name: str) -> None:
    """Draw with that loop from now on, or skip: this CPU has no such instructions."""
    if kernels.vector(LEVELS[name]) != LEVELS[name]:
        pytest.skip(f"this CPU cannot run the {name} draw")


@pytest.fixture(params=list(LEVELS))
def draw_loop(request):
    """The kernel's AVX-512, AVX2 or scalar draw (where this CPU has it): the same counts."""
    kernels = c_kernel()
    before = poisson.pick_draw_loop(kernels)      # measured first, so that it does not override this choice
    try:
        _level(kernels, request.param)
        yield request.param
    finally:
        kernels.vector(before)


@pytest.mark.parametrize("groups", [[4], [8, 0, 4], [0, 0, 0, 0, 0, 0, 0, 4], [1000, 20, 4, 0, 0, 8, 4, 65_540]])
def test_kernel_counts_equal_numpy_bincounts(groups, draw_loop):
    """``groups[m-1]`` positions weigh Poisson(m) (multiples of 4, as Pieces pads them)."""
    bounds = np.concatenate([[0], np.cumsum(groups + [0] * (poisson.MAX_SIZE - len(groups)))]).astype(np.int64)
    n = int(bounds[-1])
    rng = np.random.default_rng(n)
    n_codes = [1, 50, 70_000]                # a one-code table, a uint16 table, an int32 table
    tables = [poisson.compact_table(rng.integers(0, d, n), d) for d in n_codes]
    assert [t.dtype for t in tables] == [np.uint16, np.uint16, np.int32]
    for chosen in ([0, 1, 2], [1, 2], [2]):          # odd counts go through the one-table kernel
        key = int(rng.integers(0, 2 ** 63)) * 2 + 1  # above 2^63: the kernel takes the key mod 2^64
        got = poisson.view_counts(key, 11, 3, bounds, [tables[i] for i in chosen], [n_codes[i] for i in chosen])
        for r in range(3):
            w = poisson.weights(key, 11 + r, poisson.sizes_of(bounds))
            for i, counts in zip(chosen, got):
                np.testing.assert_array_equal(counts[r], np.bincount(tables[i], weights=w, minlength=n_codes[i]))


def test_the_vector_loops_weigh_tail_and_ambiguous_lanes_as_the_table_does(draw_loop):
    """The vector loops compare a lane only with the thresholds below the tail (16-bit uniforms from
    65,280 on, p = 1/256) and leave the tail and the ambiguous lanes to the lookup table: over long
    groups of Poisson(1) and Poisson(5) pieces, with both kinds present in every row, each piece's
    weight is the numpy path's (a one-code-per-piece table counts each weight alone). The counts'
    rows hold garbage before the call: the kernel writes them, it does not add to them."""
    lengths = [4 * 8 * 200, 0, 0, 0, 4 * 8 * 200]          # 200 full blocks of eight words each
    bounds = np.concatenate([[0], np.cumsum(lengths + [0] * (poisson.MAX_SIZE - len(lengths)))]).astype(np.int64)
    n, sizes, key = int(bounds[-1]), poisson.sizes_of(bounds), 2 ** 40 + 7
    luts = poisson.poisson_tables()[0]
    tables = [poisson.compact_table(np.arange(n), n), poisson.compact_table(np.arange(n)[::-1].copy(), n)]
    got = poisson.view_counts(key, 100, 1, bounds, tables, [n, n])
    want = [np.empty((4, n), np.int32) for _ in tables]
    for h in want:
        h.fill(-7)
    c_kernel().pair(key, 100, *poisson.poisson_tables(), bounds, tables[0], tables[1], want[0], want[1])
    for r in range(4):
        u = poisson.uniforms(key, 100 + r, n)
        assert np.count_nonzero(u >= 65_280) > 20
        assert np.count_nonzero(luts[sizes, u] == poisson.AMBIGUOUS) > 0
        w = poisson.weights(key, 100 + r, sizes)
        np.testing.assert_array_equal(want[0][r], w)
        np.testing.assert_array_equal(want[1][r], w[::-1])
    np.testing.assert_array_equal(got[0][0], want[0][0])


@pytest.mark.parametrize("groups", [[4], [8, 0, 4], [1000, 20, 4, 0, 0, 8, 4, 65_540]])
def test_weights_looked_up_by_runs_of_one_mean_are_the_same(groups):
    """``weights(..., bounds)`` (one table lookup per run of a Poisson mean, the numpy path's way)
    gives exactly the weights of the per-position gather."""
    bounds = np.concatenate([[0], np.cumsum(groups + [0] * (poisson.MAX_SIZE - len(groups)))]).astype(np.int64)
    sizes = poisson.sizes_of(bounds)
    for key, resample in ((3, 0), (2 ** 64 - 5, 9)):
        np.testing.assert_array_equal(poisson.weights(key, resample, sizes, bounds),
                                      poisson.weights(key, resample, sizes))


@pytest.mark.parametrize("sorted_codes", [True, False])
def test_numpy_view_counting_equals_bincount(sorted_codes):
    """The numpy path counts a table with long runs of one code (the first view) by summing the runs,
    any other table by bincount; both give bincount's counts exactly (whole-number weights)."""
    from gate.resampling.stats import _Counter
    rng = np.random.default_rng(int(sorted_codes))
    codes = rng.integers(0, 5000, 200_000)
    if sorted_codes:     # sorted within each of three runs of piece sizes, as Pieces orders them
        codes = np.concatenate([np.sort(part) for part in np.split(codes, [120_000, 190_000])])
    table = poisson.compact_table(codes, 5001)
    counter = _Counter.of(table)
    assert (counter.starts is not None) == sorted_codes
    w = poisson.weights(17, 2, np.ones(codes.size, dtype=np.uint8))
    np.testing.assert_array_equal(counter.count(w, 5001), np.bincount(codes, weights=w, minlength=5001))


@pytest.mark.parametrize("n", [1, 4, 1001, 65_537])
def test_mean_one_bounds_give_the_integer_size_weights(n):
    """The ranking bootstrap's shortcut: Poisson(1) weights looked up with ``bounds = [0, n]`` are the
    weights of ``weights(key, r, n)``, bit for bit (ambiguous uniforms resolved the same way)."""
    ones, bounds = np.ones(n, np.uint8), np.array([0, n])
    for r in (0, 3, 1999):
        plain = poisson.weights(12345, r, n)
        assert np.array_equal(poisson.weights(12345, r, ones, bounds), plain)
    assert n < 1000 or len(np.unique(plain)) > 2          # real weights 0, 1, 2, ...: not all equal


def test_the_kernel_checks_its_arrays_before_writing():
    """The C kernel writes through raw pointers: every array's type, shape and code range is checked
    first, and a bad one raises instead of writing out of bounds (nothing is written)."""
    kernels = c_kernel()
    luts, thresholds = poisson.poisson_tables()
    bounds = np.array([0, 8] + [8] * (poisson.MAX_SIZE - 1), dtype=np.int64)
    codes = np.arange(8, dtype=np.uint16)
    good = np.zeros((2, 8), dtype=np.int32)
    cases = [
        ((luts, thresholds, bounds, codes, codes, good, np.zeros((2, 7), dtype=np.int32)), IndexError),   # code 7 ≥ 7 columns
        ((luts, thresholds, bounds, codes.astype(np.int64), codes, good, good.copy()), TypeError),        # int64 codes
        ((luts, thresholds, bounds, codes[:4], codes, good, good.copy()), TypeError),                     # too few codes
        ((luts, thresholds, bounds, codes, codes, good.astype(np.float64), good.copy()), TypeError),      # float counts
        ((luts, thresholds, bounds, codes, codes, good, np.zeros((3, 8), dtype=np.int32)), ValueError),   # rows differ
        ((luts, thresholds, bounds + 1, codes, codes, good, good.copy()), ValueError),                    # not multiples of 4
        ((luts[:, :100], thresholds, bounds, codes, codes, good, good.copy()), ValueError),               # a cut table
        ((luts, thresholds, bounds, codes, codes, good, np.zeros((2, 16), dtype=np.int32)[:, ::2]), ValueError),  # strided
    ]
    for args, error in cases:
        h0 = args[5]
        with pytest.raises(error):
            kernels.pair(1, 0, *args)
        assert not h0.any(), error
    with pytest.raises(TypeError):
        kernels.pair(1, 0, luts, thresholds)                                    # too few arguments
    with pytest.raises(TypeError):
        kernels.rank_sums(np.zeros((2, 3), dtype=np.int16), np.zeros((2, 3), dtype=np.int16), np.empty((6, 2)))
    with pytest.raises(TypeError):
        kernels.rank_sums(np.zeros((2, 3), dtype=np.int32), np.zeros((2, 3), dtype=np.int64), np.empty((6, 2)))
    with pytest.raises(TypeError):
        kernels.rank_sums(np.zeros((2, 3)), np.zeros((2, 3)), np.empty((5, 2)))


@pytest.mark.parametrize("counts", [np.int32, np.int64])
@pytest.mark.parametrize("types", [(np.uint16, np.uint16), (np.uint16, np.int32), (np.int32, np.uint16), (np.int32, np.int32)])
def test_every_compiled_variant_counts_as_bincount(counts, types, draw_loop):
    """The kernel has one compiled loop per (first table, second table, counts) type: each adds the
    numpy path's weights, for the paired and the single-table call."""
    kernels = c_kernel()
    rng = np.random.default_rng(len(types) + counts(0).itemsize)
    bounds = np.concatenate([[0], np.cumsum([400, 0, 36, 8] + [0] * (poisson.MAX_SIZE - 4))]).astype(np.int64)
    n, widths = int(bounds[-1]), (300, 2000)
    tables = [np.sort(rng.integers(0, widths[0], n)).astype(types[0]), rng.integers(0, widths[1], n).astype(types[1])]
    key = 2 ** 64 - 1 - int(rng.integers(0, 2 ** 32))
    h = [np.zeros((3, w), dtype=counts) for w in widths]
    kernels.pair(key, 5, *poisson.poisson_tables(), bounds, tables[0], tables[1], h[0], h[1])
    single = np.zeros((3, widths[1]), dtype=counts)
    kernels.single(key, 5, *poisson.poisson_tables(), bounds, tables[1], single)
    for r in range(3):
        w = poisson.weights(key, 5 + r, poisson.sizes_of(bounds))
        for table, got, width in zip(tables, h, widths):
            np.testing.assert_array_equal(got[r], np.bincount(table, weights=w, minlength=width))
        np.testing.assert_array_equal(single[r], h[1][r])


@pytest.mark.parametrize("run", [1, 3, 15, 16, 17, 31, 32, 33, 5000])
def test_every_draw_loop_counts_alike_on_any_groups(run, draw_loop):
    """Groups of any Poisson mean (stratified ones: 0, fractional, up to 32), of lengths that are
    and are not multiples of 8 words, a first table in runs of ``run`` equal codes (runs that end
    inside, at and across the vector loops' 16- and 32-lane blocks; codes past 65,535), int32 and
    int64 counts, paired and single: the loop gives numpy's counts."""
    kernels = c_kernel()
    rng = np.random.default_rng(run)
    means = (0.0, 0.21, 1.0, 0.93, 2.0, 7.6, 9.0, 31.5, 32.0)
    luts, thresholds = poisson.tables_for(means)
    lengths = [4 * int(rng.integers(0, 90)) for _ in means]
    lengths[2] = 4 * 8 * 37                                # 37 full blocks of eight words
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = int(bounds[-1])
    for first in (np.repeat(np.arange(n // run + 1), run)[:n] * 9 + 70_000, np.repeat(np.arange(n // run + 1), run)[:n]):
        tables = [poisson.compact_table(first, int(first.max()) + 1), poisson.compact_table(rng.integers(0, 600, n), 600)]
        widths = [int(first.max()) + 1, 600]
        for counts in (np.int32, np.int64):
            h = [np.zeros((4, w), dtype=counts) for w in widths]
            kernels.pair(987654321, 3, luts, thresholds, bounds, tables[0], tables[1], h[0], h[1])
            alone = np.zeros((4, widths[0]), dtype=counts)
            kernels.single(987654321, 3, luts, thresholds, bounds, tables[0], alone)
            for r in range(4):
                w = poisson.weights(987654321, 3 + r, poisson.sizes_of(bounds), bounds, (luts, thresholds))
                for table, width, got in zip(tables, widths, h):
                    np.testing.assert_array_equal(got[r], np.bincount(table, weights=w, minlength=width))
                np.testing.assert_array_equal(alone[r], h[0][r])


def test_the_draw_loop_is_picked_once_among_the_vector_loops_the_cpu_has():
    """The process draws with the faster of the vector loops the CPU has (measured once at first
    use); it stays picked, and a CPU with neither gets the best it has."""
    kernels = c_kernel()
    best = kernels.vector(2)
    picked = poisson.pick_draw_loop(kernels)
    try:
        assert picked in ((1, 2) if best == 2 else (best,))
        kernels.vector(0)
        assert poisson.pick_draw_loop(kernels) == picked        # not measured again, not re-applied
        assert kernels.vector(None) == 0
        assert poisson._fastest_loop(kernels) in ((1, 2) if best == 2 else (best,))
    finally:
        kernels.vector(picked)


def test_the_best_draw_loop_is_used_where_the_cpu_has_it():
    """Asked for AVX-512, the kernel draws with it when /proc/cpuinfo lists AVX-512 F, BW and DQ, else
    with AVX2 when it lists that, else with the scalar loop: a level above the CPU's is capped."""
    kernels = c_kernel()
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo")
    import platform
    flags = set(next((line.split(":", 1)[1].split() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("flags")), []))
    x86 = platform.machine() == "x86_64"
    best = 2 if x86 and {"avx512f", "avx512bw", "avx512dq"} <= flags else 1 if x86 and "avx2" in flags else 0
    before = kernels.vector(None)
    try:
        assert kernels.vector(2) == best
        assert kernels.vector(1) == min(best, 1)
        assert kernels.vector(0) == 0
    finally:
        kernels.vector(before)


@pytest.mark.parametrize("bits,high", [(16, 5), (32, 3 * 10 ** 8), (32, 60_000), (64, 2 ** 63)])
def test_radix_passes_order_as_numpys_stable_sort(bits, high, monkeypatch):
    """``stats.radix_order`` with the kernel's one-pass digits: numpy's stable argsort of the keys
    (ties in input order), from every position or a given order, int64 and uint64 keys; and the
    numpy path gives the same order."""
    from gate.resampling import stats
    c_kernel()
    rng = np.random.default_rng(bits + high % 97)
    for n in (0, 1, 7, 100_003):
        key = rng.integers(0, high, n, dtype=np.int64)
        if bits == 64:
            key = key.astype(np.uint64) * np.uint64(2) + np.uint64(1)
        start = rng.permutation(n)
        for order in (None, start):
            got = stats.radix_order(key, bits, order)
            base = np.arange(n) if order is None else order
            want = base[np.argsort(key[base], kind="stable")]
            np.testing.assert_array_equal(got, want)
            with monkeypatch.context() as m:
                m.setattr(poisson, "compiled", lambda: None)
                np.testing.assert_array_equal(stats.radix_order(key, bits, order), want)


def test_radix_pass_checks_its_arrays_before_writing():
    kernels = c_kernel()
    key, order = np.arange(10, dtype=np.int64), np.arange(10, dtype=np.int64)
    out = np.full(10, -1, dtype=np.int64)
    with pytest.raises(IndexError):
        kernels.radix_pass(key, 0, np.array([0, 10], dtype=np.int64), out[:2])
    with pytest.raises(TypeError):
        kernels.radix_pass(key.astype(np.int32), 0, order, out)
    with pytest.raises(TypeError):
        kernels.radix_pass(key, 0, order, out[:5])
    with pytest.raises(TypeError):
        kernels.radix_pass(key, 0, order, order)            # in place
    with pytest.raises(ValueError):
        kernels.radix_pass(key, 64, order, out)
    assert (out == -1).all()
    kernels.radix_pass(key[::-1].copy(), 0, order, out)
    np.testing.assert_array_equal(out, order[::-1])
