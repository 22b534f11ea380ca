"""Reading + alignment in process at scale (issue 13: 10^7 rows, ≤ 5 s CPU, peak RSS ≤ 6 GB).

    python bench/read_align.py                      # 10^7 rows, CSV and Parquet, in a temporary dir
    python bench/read_align.py --rows 1000000 --dir /tmp/ra --keep    # keep the generated files

W1-style paired files (``id,label,score``: string ids, 10% positives, float32 scores written with
``%.9g``), both as CSV and as Parquet (the same values, written by pyarrow), and the baseline once
more with its rows in a random order (``base_shuffled``: the join must then find every id). For
each format and baseline a fresh process runs ``gate.data.readers.read_table`` on both files and ``gate.data.align.build_evalset`` with W1's
policy, and prints the CPU (``process_time``) and wall time of each stage, the total's user and
system shares (system time is mostly the kernel giving the process fresh pages: on a virtual
machine whose host backs memory lazily that costs more than the parsing) and the peak RSS.
Needs pyarrow (the ``parquet`` extra).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from workloads import W1_GATES, _policy, binary_arrays  # noqa: E402

CHUNK = 1_000_000


def generate(d: Path, n: int) -> None:
    """The two sides as CSV (in chunks of 10^6 rows) and as Parquet, plus W1's policy."""
    import pyarrow as pa
    import pyarrow.csv as pc
    import pyarrow.parquet as pq
    a = binary_arrays(n)
    shuffle = np.random.default_rng(7).permutation(n)
    for role, name, order in (("cand", "cand", None), ("base", "base", None), ("base", "base_shuffled", shuffle)):
        with open(d / f"{name}.csv", "w", encoding="utf-8") as f:
            f.write("id,label,score\n")
            for s in range(0, n, CHUNK):
                at = np.arange(s, min(n, s + CHUNK)) if order is None else order[s:s + CHUNK]
                ids = np.char.add("r", at.astype(str))
                rows = np.char.add(np.char.add(np.char.add(ids, ","), a["y"][at].astype(str)), ",")
                f.write("\n".join(np.char.add(rows, np.char.mod("%.9g", a[role][at])).tolist()) + "\n")
        types = {"id": pa.string(), "label": pa.string(), "score": pa.float64()}
        pq.write_table(pc.read_csv(d / f"{name}.csv", convert_options=pc.ConvertOptions(column_types=types)),
                       d / f"{name}.parquet")
    extra = "positive_class: \"1\"\nclasses: [\"0\", \"1\"]\ndata:\n  threshold: 0.3\n"
    (d / "w1.yml").write_text(_policy("w1", "binary", 2000, W1_GATES, extra), encoding="utf-8")


def measure(d: Path, fmt: str, baseline: str) -> None:
    """One format, in this process: read both files, align them, print the stage costs."""
    from gate.data.align import build_evalset
    from gate.data.readers import read_table
    from gate.policy.load import load_policy
    policy = load_policy(d / "w1.yml")
    t0, c0, u0 = time.perf_counter(), time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
    cand, base = read_table(d / f"cand.{fmt}"), read_table(d / f"{baseline}.{fmt}")
    t1, c1 = time.perf_counter(), time.process_time()
    es = build_evalset(policy, cand, base)
    t2, c2, u2 = time.perf_counter(), time.process_time(), resource.getrusage(resource.RUSAGE_SELF)
    rss = u2.ru_maxrss / 1024
    label = fmt + (", baseline rows shuffled" if baseline != "base" else "")
    print(f"{label:32s} {es.candidate.y.size:>12,} rows  read {c1 - c0:6.2f} s cpu ({t1 - t0:6.2f} wall)  "
          f"align {c2 - c1:6.2f} s cpu ({t2 - t1:6.2f} wall)  total {c2 - c0:6.2f} s cpu "
          f"(user {u2.ru_utime - u0.ru_utime:.2f}, system {u2.ru_stime - u0.ru_stime:.2f})  peak RSS {rss:,.0f} MB",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--dir", help="work directory (default: a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--measure", choices=("csv", "parquet"), help=argparse.SUPPRESS)
    ap.add_argument("--baseline", default="base", help=argparse.SUPPRESS)
    args = ap.parse_args()
    d = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="model-gate-read-align-"))
    if args.measure:
        measure(d, args.measure, args.baseline)
        return
    d.mkdir(parents=True, exist_ok=True)
    try:
        if not (d / "w1.yml").exists():
            t = time.perf_counter()
            generate(d, args.rows)
            print(f"generated {args.rows:,} rows per side in {time.perf_counter() - t:.1f} s ({d}); "
                  f"load average {os.getloadavg()[0]:.1f}")
        for baseline in ("base", "base_shuffled"):
            for fmt in ("csv", "parquet"):
                subprocess.run([sys.executable, __file__, "--dir", str(d), "--measure", fmt, "--baseline", baseline],
                               check=True, env=dict(os.environ, PYTHONPATH=str(HERE.parent)))
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
