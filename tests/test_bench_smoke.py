"""The benchmark's own pieces are right: its vectorised ΔAP statistic (given to scipy) is scikit-learn's
step-wise AP, and the small generators produce the workloads the policies expect."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import ap_rows, check_statistic  # noqa: E402
from bench.workloads import binary_arrays  # noqa: E402


def test_vectorised_ap_is_sklearn_ap_with_ties():
    from sklearn.metrics import average_precision_score
    assert check_statistic(3000) < 1e-12
    rng = np.random.default_rng(0)
    y = (rng.random((4, 300)) < 0.3).astype(int)
    s = np.round(rng.random((4, 300)), 1)            # heavy ties
    got = ap_rows(y, s)
    for i in range(4):
        assert abs(got[i] - average_precision_score(y[i], s[i])) < 1e-12


def test_binary_workload_shape():
    a = binary_arrays(2000)
    assert a["y"].mean() < 0.2 and np.all(a["cand"] == a["cand"].astype(np.float32))


def test_read_align_bench_writes_the_same_rows_as_csv_and_parquet(tmp_path):
    """bench/read_align.py's two formats hold the same values, so its CSV and Parquet rows compare
    like with like: the aligned arrays are equal."""
    import pytest
    pytest.importorskip("pyarrow")
    from bench.read_align import generate
    from gate.data.align import build_evalset
    from gate.data.readers import ArrowColumn, read_table
    from gate.policy.load import load_policy
    generate(tmp_path, 3000)
    policy = load_policy(tmp_path / "w1.yml")
    csv, parquet = (build_evalset(policy, read_table(tmp_path / f"cand.{f}"), read_table(tmp_path / f"base.{f}"))
                    for f in ("csv", "parquet"))
    assert isinstance(read_table(tmp_path / "cand.parquet").columns["score"], ArrowColumn)
    for role in ("candidate", "baseline"):
        a, b = getattr(csv, role), getattr(parquet, role)
        assert a.y.size == 3000 and all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("ids", "y", "pred", "scores"))
    shuffled = build_evalset(policy, read_table(tmp_path / "cand.parquet"), read_table(tmp_path / "base_shuffled.parquet"))
    base = read_table(tmp_path / "base_shuffled.csv")
    assert list(base.columns["id"])[:3] != ["r0", "r1", "r2"]       # really another order
    for k in ("ids", "y", "pred", "scores"):      # aligned by id: the same baseline as the file in order
        assert np.array_equal(getattr(shuffled.baseline, k), getattr(parquet.baseline, k))
