"""bench/timed.py: the one ``/usr/bin/time -v`` runner bench/run.py and bench/scale.py share."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timed import parse_time_v, run_cli  # noqa: E402

TIME_V = """\tCommand being timed: "python -m gate.cli.main --version"
\tUser time (seconds): 1.25
\tSystem time (seconds): 0.50
\tMaximum resident set size (kbytes): 204800
"""


def test_parse_time_v_sums_user_and_system_time_and_reads_peak_rss() -> None:
    assert parse_time_v(TIME_V) == (1.75, 200.0)
    cpu, rss = parse_time_v("no report")
    assert cpu == 0 and math.isnan(rss)


@pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="needs GNU time")
def test_run_cli_times_a_real_run_and_refuses_a_usage_error() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = run_cli(["--version"], env)
    assert run.proc.returncode == 0 and "model-gate" in run.proc.stdout
    assert run.wall > 0 and run.cpu > 0 and run.rss_mb > 1
    with pytest.raises(RuntimeError, match=r"model-gate failed \(2\)"):
        run_cli(["check", "--policy", str(ROOT / "missing.yml"), "--candidate", "x.csv"], env)
