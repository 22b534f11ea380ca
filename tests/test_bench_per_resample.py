"""bench/per_resample.py times the steps of the real draw: the component it captures is the one the
check resampled, and counting that component's Poisson weights the way the script times it gives
the component's own block sums (so the numbers it prints are about the code that runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.per_resample import breakdown, capture  # noqa: E402
from bench.workloads import write_binary  # noqa: E402
from gate.resampling import poisson, stats  # noqa: E402


def test_captured_component_is_the_drawn_one(tmp_path, monkeypatch):
    monkeypatch.setenv("MODEL_GATE_ACCEL", "numpy")
    monkeypatch.setattr(stats, "POISSON_MIN_UNITS", 1000)      # Poisson weights at a test's size
    boot = capture(write_binary(tmp_path, 4000, 100))
    assert boot.poisson and boot.views
    pieces = boot.pieces()
    w = poisson.weights(boot.key, 0, pieces.sizes, pieces.bounds)
    _, sums = boot.chunk_sums(0, np.random.SeedSequence(0))     # the seed is unused by Poisson draws
    expected = boot._empty_sums(1)
    for view, counter in zip(boot.views, pieces.counters()):
        boot._view_sums(view, counter.count(w, view.n_codes + 1)[:view.n_codes], expected, 0)
    for k in range(len(boot.plan.blocks)):
        assert np.array_equal(sums[k][0], expected[k][0])
    labels = [label for label, _ in breakdown(boot, 1)]
    assert sum(label.startswith("count view") for label in labels) == len(boot.views)
    assert sum("RankStats" in label for label in labels) == sum(key[0] == "rank" for v in boot.views for key in v.keys)
