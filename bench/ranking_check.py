"""Benchmark: a ``task: ranking`` check end to end, files read included, against plain alternatives.

    nice python bench/ranking_check.py                       # 10^5 queries x 100 items, B = 2,000
    python bench/ranking_check.py --queries 5000 --resamples 500   # small, while developing
    python bench/ranking_check.py --ranx                     # also ranx's compare (pip install ranx)
    python bench/ranking_check.py --ranx-path DIR            # ranx installed with pip install --target DIR

Data (seeded, bench/ranking.py's generator): a baseline run of ``--items`` items per query, a candidate
that is the baseline with noise added to its scores, and judgements grading about half of the
retrieved items 0..3 plus 20 judged items never retrieved; integer query and item ids, written as
CSV (``query_id,item_id,score`` and ``query_id,item_id,relevance``) into a temporary directory.

Timed, each on the same files, wall and CPU:

- ``model-gate``: ``gate.check`` (what ``model-gate check`` runs) with 6 paired gates (nDCG@10 and AP
  max_drop, P@10 and recall@10 min, MRR max_relative_drop, R-precision min_gain), B resamples:
  reading, judging, per-query values, the query bootstrap, decisions, the Report;
- ``pytrec_eval + numpy``: the same CSVs read with pyarrow, pytrec_eval's dicts and per-query values of
  the six measures for both runs, then a plain paired numpy bootstrap (multinomial query indices, B
  resamples, chunked) of the six deltas, percentile intervals;
- ``ranx compare`` (``--ranx``): ranx's ``compare`` of the two runs on the six measures with its
  default test (Student's t) and, as the issue asks, Fisher's randomization test with 1,000
  permutations (no intervals, no bars).

The script prints each time, the ratios, and the largest difference between model-gate's delta
intervals and the numpy bootstrap's (Monte-Carlo noise, ~1e-3 at B = 2,000).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gate  # noqa: E402
from bench.ranking import make_data, nested_dicts  # noqa: E402

GATES = [{"metric": "ndcg", "k": 10, "max_drop": 0.01}, {"metric": "ap", "max_drop": 0.01},
         {"metric": "precision", "k": 10, "min": 0.1}, {"metric": "recall", "k": 10, "min": 0.1},
         {"metric": "reciprocal_rank", "max_relative_drop": 0.05}, {"metric": "r_precision", "min_gain": -0.05}]
TREC = {"ndcg_cut_10": "ndcg_cut.10", "map": "map", "P_10": "P.10", "recall_10": "recall.10",
        "recip_rank": "recip_rank", "Rprec": "Rprec"}
RANX = ["ndcg@10", "map", "precision@10", "recall@10", "mrr", "r-precision"]


def write_files(folder: Path, n_queries: int, n_items: int) -> dict[str, Path]:
    cols = make_data(n_queries, n_items, int_ids=True)
    rng = np.random.default_rng(1)
    noisy = np.round(cols["run_score"] + rng.normal(0, 0.05, len(cols["run_score"])), 4)
    paths = {"baseline": folder / "baseline.csv", "candidate": folder / "candidate.csv", "qrels": folder / "qrels.csv"}
    for path, (q, i, v, name) in ((paths["baseline"], (cols["run_query"], cols["run_item"], cols["run_score"], "score")),
                                  (paths["candidate"], (cols["run_query"], cols["run_item"], noisy, "score")),
                                  (paths["qrels"], (cols["judged_query"], cols["judged_item"], cols["judged_relevance"],
                                                    "relevance"))):
        _write_csv(path, q, i, v, name)
    return paths


def _write_csv(path: Path, query: np.ndarray, item: np.ndarray, value: np.ndarray, name: str) -> None:
    import pyarrow as pa
    from pyarrow import csv as pacsv
    values = pa.array(value) if name == "score" else pa.array(value.astype(np.int64))
    table = pa.table({"query_id": query, "item_id": item, name: values})
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="none", include_header=False))
    path.write_bytes(f"query_id,item_id,{name}\n".encode() + sink.getvalue().to_pybytes())   # unquoted header


def timed(fn):
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def run_gate(paths: dict[str, Path], resamples: int):
    policy = {"version": 1, "name": "bench", "task": "ranking", "gates": GATES,
              "bootstrap": {"resamples": resamples, "seed": 1}}
    return gate.check(policy, str(paths["candidate"]), str(paths["baseline"]), qrels=str(paths["qrels"]))


def _read(path: Path, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from pyarrow import csv as pacsv
    t = pacsv.read_csv(str(path))
    return t.column("query_id").to_numpy(), t.column("item_id").to_numpy(), t.column(name).to_numpy()


def run_numpy(paths: dict[str, Path], resamples: int) -> dict[str, tuple[float, float]]:
    """pytrec_eval per-query values, then a paired multinomial bootstrap of the mean deltas."""
    import pytrec_eval
    qrels = nested_dicts(*_read(paths["qrels"], "relevance"))
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, set(TREC.values()))
    per_run = {role: evaluator.evaluate(nested_dicts(*_read(paths[role], "score"))) for role in ("candidate", "baseline")}
    queries = sorted(qrels)
    deltas = np.array([[per_run["candidate"][q][k] - per_run["baseline"][q][k] for k in TREC] for q in queries])
    rng = np.random.default_rng(0)
    means = []
    for first in range(0, resamples, 50):
        idx = rng.integers(0, len(queries), size=(min(50, resamples - first), len(queries)))
        means.append(deltas[idx].mean(axis=1))
    reps = np.concatenate(means)
    return {k: (float(np.quantile(reps[:, j], 0.025)), float(np.quantile(reps[:, j], 0.975))) for j, k in enumerate(TREC)}


def run_ranx(paths: dict[str, Path]) -> dict[str, float]:
    """ranx's compare on the same files (reading and building its Qrels/Run included); numba compiles
    ranx's kernels on first use, so a warm-up compare on 50 queries runs first, untimed."""
    from ranx import Qrels, Run, compare

    def load(limit: int | None = None) -> tuple:
        qrels = nested_dicts(*_read(paths["qrels"], "relevance"))
        keep = set(list(qrels)[:limit]) if limit else None
        pick = (lambda d: {q: v for q, v in d.items() if q in keep}) if keep else (lambda d: d)
        runs = [Run(pick(nested_dicts(*_read(paths[role], "score"))), name=role) for role in ("baseline", "candidate")]
        return Qrels(pick(qrels)), runs

    compare(*load(50), metrics=RANX, stat_test="fisher", n_permutations=10)
    times = {}
    for test in ("student", "fisher"):
        _, wall, _ = timed(lambda t=test: compare(*load(), metrics=RANX, stat_test=t, n_permutations=1000))
        times[test] = wall
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--ranx", action="store_true", help="also time ranx's compare (needs pip install ranx)")
    ap.add_argument("--ranx-path", help="a pip --target folder holding ranx, appended to sys.path (so the "
                                        "installed numpy still wins); implies --ranx")
    args = ap.parse_args()
    if args.ranx_path:
        sys.path.append(args.ranx_path)
        args.ranx = True
    with tempfile.TemporaryDirectory(prefix="bench-ranking-") as tmp:
        paths = write_files(Path(tmp), args.queries, args.items)
        size = sum(p.stat().st_size for p in paths.values()) / 1e6
        print(f"{args.queries:,} queries x {args.items} items, paired, {len(GATES)} gates, B = {args.resamples:,}; "
              f"CSV files {size:,.0f} MB; {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}")
        os.environ["MODEL_GATE_TIMING"] = "1"
        report, wall, cpu = timed(lambda: run_gate(paths, args.resamples))
        os.environ.pop("MODEL_GATE_TIMING")
        print(f"model-gate          wall {wall:6.2f} s  cpu {cpu:6.2f} s  ({report.verdict}; "
              + ", ".join(f"{g.label} {g.status}" for g in report.gates) + ")")
        reference, wall_np, cpu_np = timed(lambda: run_numpy(paths, args.resamples))
        print(f"pytrec_eval + numpy wall {wall_np:6.2f} s  cpu {cpu_np:6.2f} s  (ratio {wall_np / wall:.1f}x)")
        gaps = [max(abs(a - b) for a, b in zip(g.delta.ci, reference[key])) for g, key in zip(report.gates, TREC)]
        print("largest |delta interval endpoint difference| vs numpy: " + ", ".join(
            f"{g.label} {gap:.1e}" for g, gap in zip(report.gates, gaps)))
        if args.ranx:
            times = run_ranx(paths)
            print("ranx compare        " + ", ".join(f"{test} wall {t:6.2f} s (ratio {t / wall:.1f}x)"
                                                      for test, t in times.items()))


if __name__ == "__main__":
    main()
