"""Comparing two alignment outcomes: the vectorised paths of gate.data.align against its per-row loops
(tests/test_fast_path.py for CSV, tests/test_parquet_fast.py for Parquet)."""

from __future__ import annotations

import numpy as np

#: a binary policy with a slice ``seg`` that both alignment tests check (it must load: a policy error
#: on both sides would make every comparison vacuous, see :func:`assert_same_outcome`)
ALIGN_POLICY = """version: 1
name: t
task: binary
positive_class: "1"
data: {slices: [seg]}
bootstrap: {resamples: 200, seed: 1}
gates:
  - {metric: average_precision, max_drop: 0.1}
  - {metric: recall, slice: seg, min: 0.1}
"""


def assert_same_outcome(fast, slow, slices=("seg",)) -> None:
    """``fast`` and ``slow`` are each an EvalSet or an ``(error type, message)`` pair: the same
    error, or EvalSets with equal id/label/prediction/score arrays, slices, row counts, classes and
    pairing on both sides. A PolicyError is refused: the inputs were never compared."""
    assert not (isinstance(slow, tuple) and slow[0] == "PolicyError"), slow
    if isinstance(slow, tuple):
        assert fast == slow
        return
    assert not isinstance(fast, tuple), fast
    for role in ("candidate", "baseline"):
        a, b = getattr(fast, role), getattr(slow, role)
        for attr in ("ids", "y", "pred", "scores"):
            assert np.array_equal(getattr(a, attr), getattr(b, attr)), (role, attr)
        for name in slices:
            assert np.array_equal(a.slices[name], b.slices[name]), (role, name)
        assert (a.n_rows, a.n_labeled) == (b.n_rows, b.n_labeled)
    assert (fast.classes, fast.pairing) == (slow.classes, slow.pairing)
