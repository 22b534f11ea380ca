"""bench/scale.py's workload is what its policy expects, and its crossover comparison is like for
like: the hive-partitioned dataset through DuckDB and its single-file copy through the local path
give the same intervals (confusion-matrix gates: exact)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb", reason="the scale workload runs through the duckdb extra")
pytest.importorskip("pyarrow", reason="the scale workload is Parquet")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gate  # noqa: E402
from bench.scale import DAYS, policy, single_files, write_dataset  # noqa: E402


@pytest.mark.parametrize("classes", [2, 10])
def test_scale_workload_engine_and_local_paths_agree(classes, tmp_path):
    import pyarrow.dataset as ds
    write_dataset(tmp_path, 6000, classes)
    assert sorted(p.name for p in (tmp_path / "candidate").iterdir()) == [f"day={d}" for d in range(DAYS)]
    table = ds.dataset(tmp_path / "candidate", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 6000 and 0.03 < table.column("label").null_count / 6000 < 0.07
    cand, base = single_files(tmp_path)
    pol = policy(classes)
    local = gate.check(pol, str(cand), str(base))
    engine = gate.check(pol, f"parquet:{tmp_path / 'candidate'}", f"parquet:{tmp_path / 'baseline'}")
    assert [g.tested for g in engine.gates] == [g.tested for g in local.gates]
    assert engine.data.pairing == local.data.pairing == "paired"
    assert len(engine.gates) == (11 if classes == 2 else 18)
