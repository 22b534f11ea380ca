"""``model-gate`` as a subprocess under ``/usr/bin/time -v``: wall time, CPU time (user + system) and
peak RSS, shared by bench/run.py and bench/scale.py."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Timed:
    """One run: the finished process (its stdout, and its stderr with time's report at the end),
    wall seconds, CPU seconds and peak RSS in MB (NaN when time printed none)."""

    proc: subprocess.CompletedProcess
    wall: float
    cpu: float
    rss_mb: float


def parse_time_v(stderr: str) -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) from ``/usr/bin/time -v``'s report; RSS NaN when absent."""
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", stderr))
    return cpu, int(rss.group(1)) / 1024 if rss else float("nan")


def run_cli(args: Sequence[str], env: Mapping[str, str]) -> Timed:
    """``python -m gate.cli.main ARGS`` from the repository root under ``/usr/bin/time -v``. A run
    that exits with anything but 0 (pass) or 1 (fail) raises RuntimeError with its output's tail."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "gate.cli.main", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(env), cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"model-gate failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    cpu, rss_mb = parse_time_v(proc.stderr)
    return Timed(proc, wall, cpu, rss_mb)
