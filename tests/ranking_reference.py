"""trec_eval's per-query values through pytrec_eval, for the ranking tests (tests/test_ranking_*.py).

``references`` evaluates a run given as pytrec_eval's dicts (``{qid: {docid: score}}``, qrels
``{qid: {docid: rel}}``) for a list of :class:`gate.ranking.Measure`: trec_eval's measure family and cutoff
for each, exponential gains as qrels rewritten to ``2^rel - 1``, reciprocal rank at k as the run cut at k
in trec_eval's order. Only queries in both the run and the qrels get a value, as in trec_eval.
"""

from __future__ import annotations

import numpy as np

import gate.ranking as rk


def make_case(seed: int, n_queries: int = 10, max_items: int = 14) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    run: dict = {}
    qrels: dict = {}
    for qi in range(n_queries):
        q = f"q{qi}"
        pool = [f"d{j}" for j in rng.permutation(max_items + 8)]
        n_ret = int(rng.choice([1, 1, 2, 3, int(rng.integers(1, max_items + 1))]))
        role = rng.random()
        if role > 0.1:                                    # else: judged, missing from the run
            scores = (rng.integers(0, 3, n_ret) if seed % 2 else np.round(rng.random(n_ret), 1)).astype(float)
            run[q] = {d: float(s) for d, s in zip(pool[:n_ret], scores)}
        if role < 0.9 or q not in run:                    # else: only in the run
            judged = [d for d in pool if rng.random() < 0.6] or pool[:1]
            levels = rng.choice([-1, 0, 0, 0, 1, 1, 2, 3], len(judged))
            if role < 0.2:
                levels = np.minimum(levels, 0)            # nothing relevant
            qrels[q] = {d: int(r) for d, r in zip(judged, levels)}
    if not set(run) & set(qrels):
        run["q0"], qrels["q0"] = {"d1": 1.0}, {"d1": 1}
    return run, qrels

def trec_order(docs: dict) -> list[str]:
    """trec_eval's ranking: score descending, then docid descending (form_res_rels.c)."""
    return sorted(docs, key=lambda d: (docs[d], d), reverse=True)


CUT = {"ap": "map_cut", "ndcg": "ndcg_cut", "precision": "P", "recall": "recall", "hit_rate": "success"}
WHOLE = {"ap": "map", "ndcg": "ndcg", "precision": "set_P", "recall": "set_recall",
         "reciprocal_rank": "recip_rank", "r_precision": "Rprec", "hit_rate": "success"}
NO_CUT = 1_000_000                  # success needs a cutoff: one beyond every list


def trec_measure(m: rk.Measure) -> tuple[str, int | None]:
    """trec_eval's measure family and cutoff for ``m`` (RR@k: recip_rank of the run cut at k)."""
    if m.name in CUT and (m.k is not None or m.name == "hit_rate"):
        return CUT[m.name], m.k or NO_CUT
    return WHOLE[m.name], None


def references(pytrec_eval, run: dict, qrels: dict, measures: list[rk.Measure],
               threshold: int = 1) -> list[dict[str, float]]:
    """trec_eval's per-query values of every measure (only queries in both run and qrels, as trec_eval):
    one evaluator per qrels variant (exponential gain: qrels rewritten to 2^rel - 1) and run variant
    (reciprocal rank at k: the run cut at k in trec_eval's order)."""
    out: dict[rk.Measure, dict[str, float]] = {}
    variants: dict[tuple, list[rk.Measure]] = {}
    for m in measures:
        variants.setdefault((m.gain, m.k if m.name == "reciprocal_rank" else None), []).append(m)
    for (gain, rr_cut), group in variants.items():
        q = qrels if gain == "linear" else {
            qid: {d: (2 ** r - 1 if r > 0 else r) for d, r in docs.items()} for qid, docs in qrels.items()}
        r = run if rr_cut is None else {qid: {d: docs[d] for d in trec_order(docs)[:rr_cut]} for qid, docs in run.items()}
        cutoffs: dict[str, set] = {}
        for m in group:
            family, k = trec_measure(m)
            cutoffs.setdefault(family, set()).add(k)
        names = {f if None in ks else f"{f}." + ",".join(map(str, sorted(ks))) for f, ks in cutoffs.items()}
        result = pytrec_eval.RelevanceEvaluator(q, names, relevance_level=threshold).evaluate(r)
        for m in group:
            family, k = trec_measure(m)
            key = family if k is None else f"{family}_{k}"
            out[m] = {qid: v[key] for qid, v in result.items()}
    return [out[m] for m in measures]


def write_run(path, run: dict) -> None:
    """``run`` as a TREC run file (``qid Q0 docid rank score tag``; the rank is not what trec_eval reads)."""
    with open(path, "w", encoding="utf-8") as f:
        for q, docs in run.items():
            for rank, (d, s) in enumerate(docs.items(), start=1):
                f.write(f"{q} Q0 {d} {rank} {s!r} run\n")


def write_qrels(path, qrels: dict) -> None:
    """``qrels`` as a TREC qrels file (``qid 0 docid rel``)."""
    with open(path, "w", encoding="utf-8") as f:
        for q, docs in qrels.items():
            for d, r in docs.items():
                f.write(f"{q} 0 {d} {r}\n")
