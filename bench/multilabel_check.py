"""Benchmark: a ``task: multilabel`` check end to end, the CSV files read included, against a plain
numpy bootstrap of scikit-learn.

    nice python bench/multilabel_check.py                              # 10^5 examples x 10 labels, B = 2,000
    python bench/multilabel_check.py --examples 5000 --resamples 500   # small, while developing

Data (seeded): ``--labels`` labels of prevalence 5-50 %, a baseline whose scores are the truth plus
noise and a candidate with a little more noise; both written as wide CSV files (``id``,
``label_<L>``, ``score_<L>``) into a temporary directory, predictions ``score >= 0.5``.

Timed, each on the same files, wall and CPU: ``model-gate`` (``gate.check``, 6 paired gates: micro-F1
and Hamming max_drop, macro recall min, samples Jaccard, subset accuracy, LRAP) and, with
``--numpy``, a plain paired numpy bootstrap of scikit-learn's micro F1 alone (``--numpy-resamples``
index resamples of both models, scaled to B; it is the reference the interval test uses).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

GATES = [{"metric": "f1", "average": "micro", "max_drop": 0.02}, {"metric": "hamming_loss", "max_drop": 0.01},
         {"metric": "recall", "average": "macro", "min": 0.5}, {"metric": "jaccard", "max_drop": 0.02},
         {"metric": "subset_accuracy", "min": 0.1}, {"metric": "label_ranking_average_precision", "max_drop": 0.01}]


def write(path: Path, y: np.ndarray, scores: np.ndarray) -> None:
    n, n_labels = y.shape
    header = ",".join(["id"] + [f"label_{j}" for j in range(n_labels)] + [f"score_{j}" for j in range(n_labels)])
    body = np.column_stack([np.arange(n), y, np.round(scores, 4)])
    fmt = ["%d"] * (1 + n_labels) + ["%.4f"] * n_labels
    np.savetxt(path, body, fmt=fmt, delimiter=",", header=header, comments="")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=10)
    parser.add_argument("--resamples", type=int, default=2000)
    parser.add_argument("--numpy", action="store_true")
    parser.add_argument("--numpy-resamples", type=int, default=50)
    args = parser.parse_args()
    import gate

    rng = np.random.default_rng(0)
    y = (rng.random((args.examples, args.labels)) < rng.uniform(0.05, 0.5, args.labels)).astype(int)
    base = np.clip(0.5 * y + rng.normal(0.25, 0.15, y.shape), 0, 1)
    cand = np.clip(base + rng.normal(0, 0.05, y.shape), 0, 1)
    policy = {"version": 1, "name": "bench", "task": "multilabel", "data": {"threshold": 0.5},
              "bootstrap": {"resamples": args.resamples, "seed": 1}, "gates": GATES}
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / "candidate.csv", Path(tmp) / "baseline.csv"]
        write(paths[0], y, cand)
        write(paths[1], y, base)
        wall, cpu = time.perf_counter(), time.process_time()
        report = gate.check(policy, paths[0], paths[1])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"model-gate: {args.examples:,} examples x {args.labels} labels, {len(GATES)} paired gates, "
          f"B = {args.resamples:,}: {wall:.2f} s wall, {cpu:.2f} s CPU ({report.reproducibility.resampling})")
    if args.numpy:
        from sklearn.metrics import f1_score
        pc, pb = (cand >= 0.5).astype(int), (base >= 0.5).astype(int)
        t = time.perf_counter()
        for _ in range(args.numpy_resamples):
            i = rng.integers(0, args.examples, args.examples)
            f1_score(y[i], pc[i], average="micro") - f1_score(y[i], pb[i], average="micro")
        per = (time.perf_counter() - t) / args.numpy_resamples
        print(f"numpy + scikit-learn, micro F1 delta only: {per * args.resamples:.1f} s for B = {args.resamples:,} "
              f"(measured on {args.numpy_resamples} resamples): {per * args.resamples / wall:.1f}x model-gate's "
              f"time for all {len(GATES)} gates")


if __name__ == "__main__":
    main()
