"""Gating data beyond one process: Parquet datasets, DuckDB tables and queries, Spark tables and
DataFrames. The engine groups rows into cells and pairs by id (:mod:`gate.engines.sql`, one sqlglot
implementation printed per dialect); model-gate aligns the cells and bootstraps them exactly as it
does a file's rows (:mod:`gate.engines.cells`). See docs/scale.md.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from gate import progress
from gate.data.limits import Limit
from gate.errors import UsageError, clip

if TYPE_CHECKING:       # the engine modules import sqlglot: only when the engine path runs
    from gate.data.align import EvalSet
    from gate.engines.sources import EngineSource
    from gate.policy.load import Policy

__all__ = ["engine_evalset_of", "is_engine_source", "wanted"]

LOCAL = "local"
MAX_CELLS = Limit("MODEL_GATE_MAX_ENGINE_CELLS", 1_000_000, "count", "engine cells")
"""Distinct (label, predictions, scores, weight, slices) combinations an engine may return."""
SCORE_BINS = Limit("MODEL_GATE_ENGINE_SCORE_BINS", 1000, "count", "score bins")
"""Quantile bins per score column when the exact cells are over :data:`MAX_CELLS` (docs/scale.md)."""
DUCKDB_MEMORY = Limit("MODEL_GATE_DUCKDB_MEMORY", 0, "bytes", "DuckDB memory", unset="DuckDB's own memory limit")
"""DuckDB's ``memory_limit`` (it spills its joins to a temporary directory beyond it); 0: DuckDB's default."""
SCHEMES = ("parquet:", "duckdb:", "spark:")


def is_engine_source(source: object) -> bool:
    """A spec string with an engine scheme, a DuckDB relation, a Spark DataFrame or an EngineSource."""
    if isinstance(source, str):
        return source.startswith(SCHEMES)
    kind = type(source)
    return (kind.__name__ in ("EngineSource", "DuckDBPyRelation")
            or (kind.__name__ == "DataFrame" and kind.__module__.startswith("pyspark.")))


def wanted(engine: str | None, *sources: object) -> bool:
    """Whether the engine path runs: an engine was asked for, or a source is an engine's."""
    if engine not in (None, LOCAL):
        return True
    engine_sources = [s for s in sources if s is not None and is_engine_source(s)]
    if engine == LOCAL and engine_sources:
        src = engine_sources[0]
        shown = src if isinstance(src, str) else type(src).__name__
        raise UsageError(f"--engine local reads files, not {clip(shown)}", source="arguments",
                         fix="drop --engine local (DuckDB is the default engine), or pass a file")
    return bool(engine_sources)


def engine_evalset_of(policy: Policy, candidate: Any, baseline: Any, engine: str | None) -> EvalSet:
    """The EvalSet of the candidate/baseline through ``engine`` (None: DuckDB unless a source is Spark's)."""
    try:
        from gate.engines.cells import engine_evalset
        from gate.engines.sources import open_engine, pick_engine
        from gate.engines.sql import BASELINE_VIEW, CANDIDATE_VIEW
    except ImportError as exc:
        raise UsageError(f"the engine path needs the Python package '{exc.name}', which is not installed",
                         source="arguments", fix="pip install 'model-gate[duckdb]' (or [spark])") from None

    cand = _as_source(candidate, "candidate")
    base = None if baseline is None else _as_source(baseline, "baseline")
    name = pick_engine(engine, [s for s in (cand, base) if s is not None])
    views = {CANDIDATE_VIEW: cand} | ({BASELINE_VIEW: base} if base is not None else {})
    with progress.stage(f"aggregating in the engine ({name})"):
        return engine_evalset(policy, open_engine(name, views), cand, base)


PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")


def _as_source(source: Any, role: str) -> EngineSource:
    """A spec, relation or DataFrame as it is; a Parquet file or a directory path as ``parquet:PATH``
    (what ``--engine duckdb --candidate data/`` means). Other files are the local path's."""
    from gate.engines.sources import engine_source
    if is_engine_source(source):
        return engine_source(source, role)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if os.path.isdir(path) or path.lower().endswith(PARQUET_SUFFIXES) or any(ch in path for ch in "*?["):
            return engine_source(f"parquet:{path}", role)
        raise UsageError(f"the engine path reads Parquet datasets, tables and queries, not '{clip(path)}'",
                         source="arguments", fix="drop --engine to read CSV / JSON Lines files locally")
    raise UsageError(f"the engine path cannot read a {type(source).__name__}", source="arguments",
                     fix="pass a parquet:/duckdb:/spark: source, a DuckDB relation or a Spark DataFrame")
