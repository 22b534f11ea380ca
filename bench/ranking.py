"""Benchmark: gate.ranking's per-query measures against pytrec_eval (trec_eval) on the same long tables.

    python bench/ranking.py                      # 10^5 queries x 100 retrieved items (10^7 run rows)
    python bench/ranking.py --queries 10000      # smaller
    python bench/ranking.py --int-ids --repeat 3 # integer query/item ids; best of 3

Data (seeded): every query retrieves ``--items`` items with scores rounded to 4 decimals (some ties);
the judgements grade about half of the retrieved items 0..3 and add 20 judged items the run missed;
rows come grouped by query, items in no particular order. Both sides start from the same numpy columns
and compute the same seven per-query measures: AP (map), nDCG@10, P@10, recall@10, reciprocal rank,
hit rate@10 (success_10) and R-precision.

- ``gate.ranking``: ``from_arrays`` (checks, join, ranking) + ``per_query`` for the seven measures.
- ``pytrec_eval``: building its ``{qid: {docid: value}}`` dicts from the columns (the fast way: one
  ``dict(zip(...))`` per query, using the grouping by query), the evaluator (qrels) and ``evaluate`` (run).

Wall and CPU times are taken for each side (best of ``--repeat``, interleaved, so both see the same
load); the values are compared (max |difference| per measure) and the ratios are printed. Needs
``pip install pytrec-eval-terrier``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gate.ranking as rk  # noqa: E402

MEASURES = [("ap", None, "map"), ("ndcg", 10, "ndcg_cut_10"), ("precision", 10, "P_10"),
            ("recall", 10, "recall_10"), ("reciprocal_rank", None, "recip_rank"),
            ("hit_rate", 10, "success_10"), ("r_precision", None, "Rprec")]
TREC_NAMES = {"map", "ndcg_cut.10", "P.10", "recall.10", "recip_rank", "success.10", "Rprec"}
EXTRA_JUDGED = 20


def make_data(n_queries: int, n_items: int, int_ids: bool, seed: int = 0) -> dict[str, np.ndarray]:
    """Run and judgement columns: grouped by query, items shuffled within the query."""
    rng = np.random.default_rng(seed)
    n = n_queries * n_items
    run_q = np.repeat(np.arange(n_queries), n_items)
    run_i = rng.permutation(n * 2)[:n]                                 # distinct item numbers
    score = np.round(rng.random(n), 4)
    judged = rng.random(n) < 0.5
    extra_q = np.repeat(np.arange(n_queries), EXTRA_JUDGED)
    extra_i = 2 * n + np.arange(len(extra_q))                         # judged, never retrieved
    jq = np.concatenate((run_q[judged], extra_q))
    ji = np.concatenate((run_i[judged], extra_i))
    grade = rng.choice([0, 0, 1, 1, 2, 3], len(jq))
    order = np.argsort(jq, kind="stable")
    cols = {"run_query": run_q, "run_item": run_i, "run_score": score,
            "judged_query": jq[order], "judged_item": ji[order], "judged_relevance": grade[order]}
    if not int_ids:
        for key, prefix in (("run_query", "q"), ("judged_query", "q"), ("run_item", "doc"), ("judged_item", "doc")):
            text = np.char.add(prefix, cols[key].astype(str))
            cols[key] = text.astype(f"U{max(np.char.str_len(text).max(), 1)}")   # as read from a file
    return cols


def run_ours(cols: dict) -> tuple[dict, dict]:
    c0 = time.process_time()
    t0 = time.perf_counter()
    rankings = rk.from_arrays(cols["run_query"], cols["run_item"], cols["run_score"],
                              cols["judged_query"], cols["judged_item"], cols["judged_relevance"])
    t1 = time.perf_counter()
    results = rk.per_query(rankings, [rk.Measure(name, k=k) for name, k, _ in MEASURES])
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    values = {key: dict(zip(r.query_ids.tolist(), r.values.tolist())) for (_, _, key), r in zip(MEASURES, results)}
    return values, {"build": t1 - t0, "measures": t2 - t1, "total": t2 - t0, "cpu": cpu}


def nested_dicts(query: np.ndarray, item: np.ndarray, value: np.ndarray) -> dict[str, dict[str, float]]:
    """pytrec_eval's ``{qid: {docid: value}}`` from columns grouped by query: one ``dict(zip(...))`` per
    query over list slices (about twice as fast as a ``setdefault`` per row)."""
    starts = np.flatnonzero(np.concatenate(([True], query[1:] != query[:-1])))
    ends = np.append(starts[1:], len(query))
    items, values = item.astype(str).tolist(), value.tolist()
    return {q: dict(zip(items[a:b], values[a:b]))
            for q, a, b in zip(query[starts].astype(str).tolist(), starts.tolist(), ends.tolist())}


def run_pytrec(cols: dict) -> tuple[dict, dict]:
    import pytrec_eval

    c0 = time.process_time()
    t0 = time.perf_counter()
    run = nested_dicts(cols["run_query"], cols["run_item"], cols["run_score"])
    qrels = nested_dicts(cols["judged_query"], cols["judged_item"], cols["judged_relevance"])
    t1 = time.perf_counter()
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, TREC_NAMES)
    t2 = time.perf_counter()
    result = evaluator.evaluate(run)
    t3 = time.perf_counter()
    cpu = time.process_time() - c0
    values = {key: {q: v[key] for q, v in result.items()} for _, _, key in MEASURES}
    return values, {"dicts": t1 - t0, "evaluator": t2 - t1, "evaluate": t3 - t2, "total": t3 - t0, "cpu": cpu}


def max_difference(ours: dict, ref: dict, int_ids: bool) -> dict[str, float]:
    out = {}
    for key, want in ref.items():
        got = {str(q): v for q, v in ours[key].items()} if int_ids else ours[key]
        assert set(got) == set(want), f"{key}: different queries"
        out[key] = max(abs(got[q] - want[q]) for q in want)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--int-ids", action="store_true", help="integer ids (default: text ids like TREC docnos)")
    ap.add_argument("--repeat", type=int, default=1, help="best of this many runs of each side")
    args = ap.parse_args()
    cols = make_data(args.queries, args.items, args.int_ids)
    n_run, n_judged = len(cols["run_query"]), len(cols["judged_query"])
    print(f"{args.queries:,} queries x {args.items} items: {n_run:,} run rows, {n_judged:,} judgements, "
          f"{'integer' if args.int_ids else 'text'} ids")
    best_ours = best_ref = None
    for _ in range(args.repeat):
        ours, t_ours = run_ours(cols)
        ref, t_ref = run_pytrec(cols)
        best_ours = t_ours if best_ours is None or t_ours["total"] < best_ours["total"] else best_ours
        best_ref = t_ref if best_ref is None or t_ref["total"] < best_ref["total"] else best_ref
    print("gate.ranking  " + "  ".join(f"{k} {v:6.2f} s" for k, v in best_ours.items()))
    print("pytrec_eval   " + "  ".join(f"{k} {v:6.2f} s" for k, v in best_ref.items()))
    print(f"ratio pytrec_eval / gate.ranking: wall {best_ref['total'] / best_ours['total']:.1f}x, "
          f"cpu {best_ref['cpu'] / best_ours['cpu']:.1f}x (best of {args.repeat}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus)")
    diffs = max_difference(ours, ref, args.int_ids)
    print("max |difference| per measure: " + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items()))


if __name__ == "__main__":
    main()
