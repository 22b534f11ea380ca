"""scripts/fuzz's targets run against the current readers and renderers: one second of its mutation
loop per target (CI's fuzz phase runs the longer budget with atheris). A target that calls a reader
with stale arguments crashes on its very first seed, which this catches in the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_fuzz_target_runs_its_seeds_without_a_crash(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "fuzz"), "--mode", "mutate", "--seconds", "1",
                           "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "fuzz: no crash" in proc.stdout
    ran = [line for line in proc.stdout.splitlines() if line.strip().startswith("Done ")]
    skipped = "fuzz parquet: skipped" in proc.stdout       # without pyarrow
    assert len(ran) == (6 if skipped else 7), proc.stdout  # policy, csv, jsonl, gzip, parquet, report, render
