"""Ranking evaluation: per-query measures equal to trec_eval's, for ``task: ranking``.

The query is the unit: a run and its judgements become one query-major :class:`Rankings` (built once),
then :func:`per_query` gives each measure's value per judged query, computed once; a bootstrap resample
of queries is a weighted mean of these values.

>>> import gate.ranking as rk
>>> rankings = rk.from_tables({"query_id": ["q1", "q1", "q2"], "item_id": ["a", "b", "c"],
...                            "score": [0.9, 0.2, 0.5]},
...                           {"query_id": ["q1", "q2"], "item_id": ["b", "d"], "relevance": [1, 2]})
>>> ap, ndcg = rk.per_query(rankings, [rk.Measure("ap"), rk.Measure("ndcg", k=10)])
>>> ap.query_ids.tolist(), ap.values.tolist()
(['q1', 'q2'], [0.5, 0.0])

Modules: :mod:`~gate.ranking.runs` (tables to :class:`Rankings`), :mod:`~gate.ranking.trec` (TREC files),
:mod:`~gate.ranking.positions` (relevance, gains, ties per ranked position), :mod:`~gate.ranking.measures`
(the measures and the rules for empty and missing queries).
"""

import importlib
from typing import Any

_HOMES = {
    "options": ("MEASURES", "Measure", "RankingOptions"),
    "measures": ("PerQuery", "QueryCounts", "per_query"),
    "runs": ("JUDGEMENT_COLUMNS", "RUN_COLUMNS", "Rankings", "from_arrays", "from_tables"),
    "trec": ("TrecColumns", "from_trec", "read_qrels", "read_run"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """The public names load their module (numpy) on first use: importing ``gate.ranking.policy``
    to read a policy stays light."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'gate.ranking' has no attribute {name!r}")
    return getattr(importlib.import_module(f"gate.ranking.{_MODULE_OF[name]}"), name)


__all__ = [
    "JUDGEMENT_COLUMNS", "MEASURES", "Measure", "PerQuery", "QueryCounts", "RUN_COLUMNS", "RankingOptions",
    "Rankings", "TrecColumns", "from_arrays", "from_tables", "from_trec", "per_query",
    "read_qrels", "read_run",
]
