"""Where one resample's CPU goes on the numpy path (issue 13): W1's paired component, or one of W2's
per-class components, split into the steps :meth:`gate.resampling.stats.Bootstrap._poisson_sums`
and :class:`gate.metrics.compiler.RankStats` take, each timed alone in CPU time (``time.process_time``,
one thread, median of rounds), so that a change to one step can be measured on a loaded machine.

    python bench/per_resample.py                 # W1 and W2 at 10^6 rows (generated in a temp dir)
    python bench/per_resample.py --rows 400000 --only w2 --rounds 5

The component is the one the real run draws (``model-gate check``'s plan, captured on its first
Poisson chunk); B = 100 is drawn for the capture only (the schema's minimum). Nothing is written
outside the temporary directory.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench import workloads  # noqa: E402
from gate import api  # noqa: E402
from gate.metrics import compiler  # noqa: E402
from gate.resampling import poisson, stats  # noqa: E402


def capture(paths: dict[str, Path]) -> stats.Bootstrap:
    """The first Poisson-weighted Bootstrap of a real check of ``paths`` (its tables and pieces)."""
    seen: list[stats.Bootstrap] = []
    original = stats.Bootstrap._poisson_sums

    def spy(self: stats.Bootstrap, start: int, b: int) -> list[np.ndarray]:
        if not seen:
            seen.append(self)
        return original(self, start, b)
    stats.Bootstrap._poisson_sums = spy         # type: ignore[method-assign]
    try:
        api.check(paths["policy"], paths["cand"], paths["base"], n_resamples=100)
    finally:
        stats.Bootstrap._poisson_sums = original    # type: ignore[method-assign]
    if not seen:
        raise SystemExit("no component took Poisson weights (fewer than 262,145 rows?)")
    return seen[0]


def cpu_ms(fn: Callable[[int], object], rounds: int, reps: int = 10) -> float:
    """Median over ``rounds`` of the mean CPU milliseconds of ``fn(r)`` over ``reps`` resamples."""
    out = []
    for k in range(rounds):
        t = time.process_time()
        for r in range(reps):
            fn(k * reps + r)
        out.append((time.process_time() - t) / reps * 1e3)
    return statistics.median(out)


def breakdown(boot: stats.Bootstrap, rounds: int) -> list[tuple[str, float]]:
    """(step, CPU ms per resample) for one resample of ``boot``'s component."""
    pieces = boot.pieces()
    key, sizes, bounds, n = boot.key, pieces.sizes, pieces.bounds, pieces.sizes.size
    counters = pieces.counters()
    u = poisson.uniforms(key, 0, n)
    small = poisson._lookup(u, sizes, bounds, poisson.poisson_tables()[0])
    w = poisson.weights(key, 0, sizes, bounds)
    rows = [("uniforms (SplitMix64 words)", cpu_ms(lambda r: poisson.uniforms(key, r, n), rounds)),
            ("lookup (inverse-CDF tables)", cpu_ms(lambda r: poisson._lookup(u, sizes, bounds, poisson.poisson_tables()[0]), rounds)),
            ("weights to float64", cpu_ms(lambda r: small.astype(np.float64), rounds)),
            ("weights() in all", cpu_ms(lambda r: poisson.weights(key, r, sizes, bounds), rounds))]
    chunk = boot.chunk
    for v, (view, counter) in enumerate(zip(boot.views, counters)):
        kind = "runs + bincount" if counter.starts is not None else "bincount"
        rows.append((f"count view {v} ({view.n_codes} codes, {kind})",
                     cpu_ms(lambda r, c=counter, d=view.n_codes: c.count(w, d + 1), rounds)))
        counts = counter.count(w, view.n_codes + 1)[:view.n_codes]
        sums = boot._empty_sums(chunk)
        rows.append((f"view {v}: counts into block sums", cpu_ms(lambda r, s=sums, c=counts, vw=view:
                                                                boot._view_sums(vw, c, s, r % chunk), rounds)))
        for r in range(chunk):       # a chunk of block sums (every row this resample's)
            boot._view_sums(view, counts, sums, r)
        for (k, _, _), block_key in zip(view.maps, view.keys):
            if block_key[0] != "rank":
                continue
            block = sums[k]
            t = time.process_time()
            for _ in range(rounds):
                compiler.RankStats(block)
            rows.append((f"block {k}: RankStats ({block.shape[1] // 2} groups, chunk {chunk})",
                         (time.process_time() - t) / rounds / chunk * 1e3))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", default="w1,w2", help="comma list: w1,w2")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ["MODEL_GATE_ACCEL"] = "numpy"        # the numpy path (an install without a C compiler)
    os.environ["MODEL_GATE_THREADS"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only.split(","):
            d = Path(tmp) / name
            d.mkdir()
            paths = (workloads.write_binary if name == "w1" else workloads.write_multiclass)(d, args.rows, 100)
            boot = capture(paths)
            print(f"{name}: {boot.pieces().sizes.size} pieces, {len(boot.views)} views; CPU ms per resample "
                  f"(numpy path, one thread, median of {args.rounds})")
            rows = breakdown(boot, args.rounds)
            for label, ms in rows:
                print(f"  {label:58s} {ms:7.3f} ms")
            total = sum(ms for label, ms in rows if not label.startswith(("uniforms", "lookup", "weights to")))
            print(f"  {'sum (weights, counts, block sums, ranking sums)':58s} {total:7.3f} ms")


if __name__ == "__main__":
    main()
