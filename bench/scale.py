"""Scale workload: a paired, hive-partitioned Parquet dataset gated through DuckDB (docs/scale.md).

    python bench/scale.py                          # 10^6 rows: a minute
    python bench/scale.py --rows 10000000          # the measured point (shared 2-core machine)
    python bench/scale.py --rows 100000000         # the issue's target size
    python bench/scale.py --crossover 100000,300000,1000000,3000000   # engine vs in-process path
    python bench/scale.py --engine spark           # the same workload through Spark local mode

The data (seeded, in a temporary directory removed at the end unless ``--keep``): candidate/ and
baseline/, each ``day=0 .. day=7/part-K.parquet`` (at most 2^20 rows per file), columns ``id``
(int64, the same ids on both sides: paired), ``label`` (5% null: unlabeled), ``prediction``,
``region`` (4 values, a slice). Two variants: binary (10% positives) and 10 classes. The policy has
confusion-matrix gates only (recall, precision, F1, accuracy, MCC as floors and as deltas, a slice
gate, label coverage), B = 2,000.

Each measurement is ``model-gate check --out-dir`` as a subprocess under ``/usr/bin/time -v`` (wall
time, CPU, peak RSS), with a progress line a second (``MODEL_GATE_PROGRESS_SECONDS=1``), which
gives each stage's duration to the second. ``--crossover`` gates single-file copies of smaller datasets both ways: the local
path (``--candidate cand.parquet``) and the engine path (``--candidate parquet:cand.parquet``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timed import run_cli  # noqa: E402

DAYS = 8
FILE_ROWS = 1 << 20
REGIONS = np.array(["eu", "us", "apac", "latam"])


def policy(classes: int) -> dict:
    """Confusion-matrix gates over both models, one slice gate, label coverage."""
    names = [str(c) for c in range(classes)]
    doc: dict = {"version": 1, "name": f"scale-{classes}", "task": "binary" if classes == 2 else "multiclass",
                 "classes": names, "data": {"slices": ["region"]},
                 "bootstrap": {"resamples": 2000, "seed": 1}, "decision": {"inconclusive": "warn"}}
    if classes == 2:
        doc["positive_class"] = "1"
        gates = [{"metric": m, "min": 0.1} for m in ("recall", "precision", "f1", "mcc")]
    else:
        gates = [{"metric": "recall", "class": "*", "min": 0.1}, {"metric": "f1", "average": "macro", "min": 0.1}]
    gates += [{"metric": "accuracy", "max_drop": 0.01}, {"metric": "f1", "max_drop": 0.01, **(
        {"average": "macro"} if classes > 2 else {})}, {"metric": "accuracy", "slice": "region", "min": 0.1},
        {"metric": "label_coverage", "min": 0.5}]
    doc["gates"] = gates
    return doc


def _chunk(rng: np.random.Generator, start: int, n: int, classes: int) -> dict[str, np.ndarray]:
    """Rows ``start .. start+n`` of both models: shared labels, ids and regions; correlated errors."""
    if classes == 2:
        y = (rng.random(n) < 0.1).astype(np.int64)
    else:
        y = rng.integers(0, classes, n)
    hard = rng.random(n) < 0.3               # both models err more on the same rows
    preds = []
    for skill in (0.85, 0.83):
        right = rng.random(n) < np.where(hard, skill - 0.3, skill)
        preds.append(np.where(right, y, (y + 1 + rng.integers(0, classes - 1, n)) % classes))
    return {"id": np.arange(start, start + n, dtype=np.int64), "y": y, "cand": preds[0], "base": preds[1],
            "unlabeled": rng.random(n) < 0.05, "region": REGIONS[rng.integers(0, REGIONS.size, n)]}


def write_dataset(root: Path, n: int, classes: int, seed: int = 0) -> None:
    """root/candidate and root/baseline, hive-partitioned by day, written chunk by chunk (bounded memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    rng = np.random.default_rng(seed)
    per_day = -(-n // DAYS)
    for day in range(DAYS):
        first, last = day * per_day, min(n, (day + 1) * per_day)
        for k, start in enumerate(range(first, last, FILE_ROWS)):
            c = _chunk(rng, start, min(FILE_ROWS, last - start), classes)
            label = pa.array(c["y"], mask=c["unlabeled"])
            for role in ("candidate", "baseline"):
                out = root / role / f"day={day}"
                out.mkdir(parents=True, exist_ok=True)
                table = pa.table({"id": c["id"], "label": label, "prediction": c["cand" if role == "candidate" else "base"],
                                  "region": c["region"]})
                pq.write_table(table, out / f"part-{k}.parquet")


def single_files(root: Path) -> tuple[Path, Path]:
    """The dataset as one Parquet file per side (for the in-process path, which reads files)."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq
    paths = []
    for role in ("candidate", "baseline"):
        path = root / f"{role}.parquet"
        pq.write_table(ds.dataset(root / role, format="parquet", partitioning="hive").to_table(), path)
        paths.append(path)
    return paths[0], paths[1]


def run_gate(policy_path: Path, cand: str, base: str, engine: str | None = None) -> dict:
    """``model-gate check --out-dir`` under /usr/bin/time -v: wall, CPU, peak RSS, verdict, and each
    stage's duration to the second (from the progress lines, one a second)."""
    out = Path(tempfile.mkdtemp(prefix="model-gate-scale-out."))
    args = ["check", "--policy", str(policy_path), "--candidate", cand, "--baseline", base,
            "--out-dir", str(out)] + (["--engine", engine] if engine else [])
    load0 = os.getloadavg()[0]
    try:
        run = run_cli(args, dict(os.environ, PYTHONPATH=str(ROOT), MODEL_GATE_PROGRESS_SECONDS="1"))
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    finally:                # also when model-gate fails: no output directory left behind
        shutil.rmtree(out, ignore_errors=True)
    proc = run.proc
    load = f"load {load0:.1f} -> {os.getloadavg()[0]:.1f}"
    stages: dict[str, int] = {}
    for name, seconds in re.findall(r"^model-gate: (.+): (\d+) s$", proc.stderr, flags=re.M):
        stages[name] = int(seconds)
    return {"wall": run.wall, "cpu": run.cpu, "rss_mb": run.rss_mb,
            "verdict": report["verdict"], "rows": report["data"]["artifacts"][0]["rows"],
            "resampling": report["reproducibility"]["resampling"], "gates": [g["tested"] for g in report["gates"]],
            "stages": ", ".join(f"{k} ~{v} s" for k, v in stages.items()), "load": load}


def engine_only(root: Path, classes: int) -> dict:
    """DuckDB's part alone, in a fresh process: the id checks and the joint cell aggregation of the
    engine path (no alignment, no bootstrap): wall, CPU (all threads) and peak RSS."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
from bench.scale import policy
from gate.api import load_policy
from gate.engines import cells, sources, sql
pol = load_policy(policy({classes}))
t0, c0 = time.perf_counter(), time.process_time()
views = {{sql.CANDIDATE_VIEW: sources.engine_source("parquet:{root / 'candidate'}", "candidate"),
         sql.BASELINE_VIEW: sources.engine_source("parquet:{root / 'baseline'}", "baseline")}}
eng = sources.open_engine("duckdb", views)
(cv, cand), (bv, base) = views.items()
cols = [cells._fetched(pol, eng, v, s, v, True) for v, s in views.items()]
integer = all(eng.is_integer(v, "id") for v in views)
for v, s in views.items():
    cells._check_ids(eng, v, s, "id", integer)
joint, pairing, _ = cells._joined_cells(pol, eng, cand, base, cols[0], cols[1], integer)
print(json.dumps({{"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "cells": len(joint),
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows per side of the engine workload")
    ap.add_argument("--classes", default="2,10", help="variants: 2 (binary) and/or 10")
    ap.add_argument("--crossover", default="", help="comma-separated sizes gated both ways (single files)")
    ap.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                    help="the engine of the main workload (spark: local mode, the session getOrCreate() makes)")
    ap.add_argument("--engine-only", action="store_true", help="also time DuckDB's part alone (id checks + cells)")
    ap.add_argument("--keep", action="store_true", help="keep the generated data")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="model-gate-scale."))
    lines = []
    try:
        for classes in [int(c) for c in args.classes.split(",") if c]:
            pol = work / f"policy-{classes}.json"
            pol.write_text(json.dumps(policy(classes)))
            if args.rows:
                root = work / f"n{args.rows}-k{classes}"
                t0 = time.perf_counter()
                write_dataset(root, args.rows, classes)
                gen = time.perf_counter() - t0
                r = run_gate(pol, f"parquet:{root / 'candidate'}", f"parquet:{root / 'baseline'}", args.engine)
                lines.append(f"{args.engine:<8} {classes:>2} classes  {r['rows']:>12,} rows  {r['wall']:8.2f} s  cpu {r['cpu']:8.2f} s  "
                             f"peak {r['rss_mb']:7.0f} MB  {r['verdict']}  ({r['load']}; {r['stages']}; data written in {gen:.1f} s; "
                             f"{r['resampling']})")
                print(lines[-1], flush=True)
                if args.engine_only:
                    e = engine_only(root, classes)
                    lines.append(f"duckdb's part alone {r['rows']:>12,} rows  {e['wall']:8.2f} s  cpu {e['cpu']:8.2f} s  "
                                 f"peak {e['rss_mb']:7.0f} MB  {e['cells']} cells")
                    print(lines[-1], flush=True)
                shutil.rmtree(root, ignore_errors=True)
            for n in [int(x) for x in args.crossover.split(",") if x]:
                root = work / f"x{n}-k{classes}"
                write_dataset(root, n, classes)
                cand, base = single_files(root)
                local = run_gate(pol, str(cand), str(base))
                engine = run_gate(pol, f"parquet:{cand}", f"parquet:{base}")
                same = "same intervals" if local["gates"] == engine["gates"] else "INTERVALS DIFFER"
                lines.append(f"crossover {classes:>2} classes {n:>12,} rows  local {local['wall']:7.2f} s "
                             f"cpu {local['cpu']:6.2f} s (peak {local['rss_mb']:6.0f} MB, {local['load']})  "
                             f"engine {engine['wall']:7.2f} s cpu {engine['cpu']:6.2f} s "
                             f"(peak {engine['rss_mb']:6.0f} MB, {engine['load']})  {same}")
                print(lines[-1], flush=True)
                shutil.rmtree(root, ignore_errors=True)
    finally:
        if args.keep:
            print(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
