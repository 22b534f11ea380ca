"""Binned ranking and calibration gates at scale: a paired Parquet dataset with continuous scores (one
distinct value per row) gated through DuckDB past the cell limit (docs/scale.md, "Binned ranking
gates", "Binned calibration gates").

    python bench/binned.py                         # 2·10^6 rows per side
    python bench/binned.py --rows 10000000 --bins 1000,250
    python bench/binned.py --calibration           # + ECE, Brier and log-loss gates (the cells' score sums)

The data (seeded, in a temporary directory removed at the end): candidate.parquet and
baseline.parquet with ``id`` (int64, paired), ``label`` (30% positives), ``score`` (continuous,
the two models' scores correlated) and ``prediction`` (score ≥ 0.5). The policy: ROC-AUC and AP
as floors and drops (binned), recall and accuracy (exact), B = 2,000; ``--calibration`` adds ECE, Brier
and log loss as ceilings and drops. Each run is ``model-gate check``
under ``/usr/bin/time -v`` (wall, CPU, peak RSS) with its gates' error bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.timed import run_cli  # noqa: E402

POLICY = {
    "version": 1, "name": "binned-bench", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
    "bootstrap": {"resamples": 2000, "seed": 1},
    "gates": [{"metric": "roc_auc", "min": 0.8}, {"metric": "roc_auc", "max_drop": 0.01},
              {"metric": "average_precision", "min": 0.7}, {"metric": "average_precision", "max_drop": 0.01},
              {"metric": "recall", "min": 0.6}, {"metric": "accuracy", "max_drop": 0.01}],
}
CALIBRATION_GATES = [{"metric": "ece", "max": 0.1}, {"metric": "ece", "max_drop": 0.01},
                     {"metric": "brier", "max": 0.2}, {"metric": "brier", "max_drop": 0.01},
                     {"metric": "log_loss", "max": 0.6}, {"metric": "log_loss", "max_drop": 0.02}]


def write(root: Path, n: int, seed: int = 0) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(np.int64)
    shared = rng.normal(0, 1, n)
    paths = []
    for role, skill in (("candidate", 1.2), ("baseline", 1.15)):
        score = 1.0 / (1.0 + np.exp(-(0.8 * shared + 0.6 * rng.normal(0, 1, n) + skill * (2 * y - 1))))
        path = root / f"{role}.parquet"
        pq.write_table(pa.table({"id": np.arange(n), "label": y.astype(str), "score": score,
                                 "prediction": (score >= 0.5).astype(np.int64).astype(str)}), path)
        paths.append(path)
    return paths[0], paths[1]


def run(policy: Path, cand: Path, base: Path, bins: int) -> dict:
    out = Path(tempfile.mkdtemp(prefix="model-gate-binned-out."))
    try:
        timed = run_cli(["check", "--policy", str(policy), "--candidate", f"parquet:{cand}",
                         "--baseline", f"parquet:{base}", "--out-dir", str(out)],
                        dict(os.environ, PYTHONPATH=str(ROOT), MODEL_GATE_ENGINE_SCORE_BINS=str(bins)))
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    gates = [(g["id"], g["interval_method"], g.get("error_bound")) for g in report["gates"]]
    return {"bins": bins, "wall": round(timed.wall, 1), "cpu": round(timed.cpu, 1), "rss_mb": round(timed.rss_mb),
            "gates": gates}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000, help="rows per side")
    ap.add_argument("--bins", default="1000", help="comma-separated MODEL_GATE_ENGINE_SCORE_BINS values")
    ap.add_argument("--calibration", action="store_true", help="add ECE, Brier and log-loss gates")
    args = ap.parse_args(argv)
    doc = {**POLICY, "gates": POLICY["gates"] + (CALIBRATION_GATES if args.calibration else [])}
    root = Path(tempfile.mkdtemp(prefix="model-gate-binned."))
    try:
        cand, base = write(root, args.rows)
        policy = root / "policy.json"
        policy.write_text(json.dumps(doc), encoding="utf-8")
        for bins in (int(b) for b in args.bins.split(",")):
            print(json.dumps({"rows": args.rows, **run(policy, cand, base, bins)}), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
