"""The ranking bootstrap's intervals cover: queries drawn at random from a fixed population of 6,000
judged queries, the population MAP (and the paired ΔnDCG@10 of two rankers) is the truth; over 150
samples of 120 queries, the 95% percentile intervals must cover it about 95% of the time (binomial SE
1.8%: the test accepts 89%-99%). The query is the unit, so this also checks that a query's items are
resampled together (an item-level bootstrap would be far too narrow and fail)."""

from __future__ import annotations

import numpy as np

import gate
import gate.ranking as rk

POPULATION, SAMPLE, REPS, ITEMS = 6000, 120, 150, 15


def population(seed: int = 0) -> dict[str, np.ndarray]:
    """Two runs over the same judged queries: items graded 0..2; the baseline's scores are noisy grades,
    the candidate's a little noisier; query difficulty varies (noise scale per query)."""
    rng = np.random.default_rng(seed)
    q = np.repeat(np.arange(POPULATION), ITEMS)
    rel = rng.choice([0, 0, 0, 1, 2], POPULATION * ITEMS)
    scale = np.repeat(rng.uniform(0.3, 3.0, POPULATION), ITEMS)
    base = rel + rng.normal(0, 1, len(q)) * scale
    cand = rel + rng.normal(0, 1, len(q)) * scale * 1.1
    return {"q": q, "item": np.tile(np.arange(ITEMS), POPULATION), "rel": rel, "base": base, "cand": cand}


def tables(p: dict[str, np.ndarray], rows: np.ndarray, score: str) -> dict:
    return {"query_id": p["q"][rows], "item_id": p["item"][rows], "score": p[score][rows]}


def test_ranking_intervals_cover_the_population_value() -> None:
    p = population()
    judged = {"query_id": p["q"], "item_id": p["item"], "relevance": p["rel"]}
    full = [rk.per_query(rk.from_tables(tables(p, np.arange(len(p["q"])), s), judged),
                         [rk.Measure("ap"), rk.Measure("ndcg", 10)]) for s in ("cand", "base")]
    true_map = full[0][0].mean
    true_delta = full[0][1].mean - full[1][1].mean
    policy = {"version": 1, "name": "validity", "task": "ranking", "bootstrap": {"resamples": 400, "seed": 1},
              "decision": {"multiple_testing": "none"},
              "gates": [{"metric": "ap", "min": 0}, {"metric": "ndcg", "k": 10, "max_drop": 1}]}
    rng = np.random.default_rng(1)
    covered = np.zeros(2, int)
    for rep in range(REPS):
        queries = np.sort(rng.choice(POPULATION, SAMPLE, replace=False))
        rows = (queries[:, None] * ITEMS + np.arange(ITEMS)).ravel()
        sample_judged = {"query_id": p["q"][rows], "item_id": p["item"][rows], "relevance": p["rel"][rows]}
        report = gate.check({**policy, "bootstrap": {"resamples": 400, "seed": rep}}, tables(p, rows, "cand"),
                            tables(p, rows, "base"), qrels=sample_judged)
        ap, ndcg = report.gates
        covered[0] += ap.candidate.ci[0] <= true_map <= ap.candidate.ci[1]
        covered[1] += ndcg.delta.ci[0] <= true_delta <= ndcg.delta.ci[1]
    rates = covered / REPS
    assert ((0.89 <= rates) & (rates <= 0.99)).all(), rates
