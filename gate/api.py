"""The public Python API: load a policy, gate files, tables or arrays, get the :class:`Report`.

The CLI is a client of these functions, so a notebook, a pytest test and ``model-gate check`` give
the same Report (and, through the renderers, the same bytes) for the same inputs and seed.

Parameter names follow ``scipy.stats.bootstrap`` and scikit-learn where they have one:
``n_resamples`` and ``confidence_level`` override the policy's ``bootstrap.resamples`` and
``bootstrap.confidence``; ``y_true``, ``y_pred``, ``y_score``, ``sample_weight``, ``labels`` and
``pos_label`` mean what they mean in ``sklearn.metrics``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, Union

import numpy as np

from gate import engines, memory, progress
from gate.data.align import EvalSet, build_evalset
from gate.data.readers import Table, read_table
from gate.data.sources import is_in_memory, table_from_memory
from gate.engine import evaluate
from gate.errors import InputError, PolicyError, UsageError
from gate.inference.planning import Plan, plan_report
from gate.policy.load import BARS, Policy, build_policy
from gate.policy.load import load_policy as _load_policy_file
from gate.report.model import Report, RunTiming

PathLike = Union[str, "os.PathLike[str]"]
Source = Any   # a path, a pandas DataFrame, a pyarrow Table, or a mapping of column name -> values
ARRAYS_POLICY_NAME = "arrays"


def load_policy(policy: PathLike | Mapping[str, Any] | Policy) -> Policy:
    """A validated, typed Policy from a YAML file path or from the mapping a YAML file would hold
    (a Policy is returned as it is). Raises :class:`gate.PolicyError` with a one-line cause."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Mapping):
        try:    # a plain, private copy, as YAML would give: non-JSON values are refused here
            text = json.dumps(policy, sort_keys=True, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"the policy mapping holds a value YAML cannot ({exc})", source="<policy>",
                              fix="use plain str, int, float, bool, list and dict values") from None
        return build_policy(json.loads(text), source="<policy>", sha256=hashlib.sha256(text.encode()).hexdigest())
    return _load_policy_file(policy)


def check(policy: PathLike | Mapping[str, Any] | Policy, candidate: Source, baseline: Source | None = None, *,
          seed: int | None = None, n_resamples: int | None = None, confidence_level: float | None = None,
          command: Sequence[str] = (), engine: str | None = None,
          qrels: Source | None = None) -> Report:
    """Evaluate every gate of ``policy`` on the candidate's (and baseline's) predictions.

    ``candidate``/``baseline``: a file path (.csv, .csv.gz, .jsonl, .parquet), a pandas DataFrame, a
    pyarrow Table or a mapping of column name → values, with the columns the policy's ``data:``
    section names. Or, through an engine (docs/scale.md): ``"parquet:DIR_OR_GLOB"``,
    ``"duckdb:FILE?table=NAME"``, ``"spark:TABLE"``, a DuckDB relation or a Spark DataFrame;
    ``engine`` is ``"duckdb"``, ``"spark"`` or ``"local"`` (None: DuckDB for engine sources, local
    for the rest; a query on a DuckDB database file is a relation of ``duckdb.connect(FILE)``).
    ``task: ranking`` also reads
    TREC run files, and ``qrels`` (a table or a TREC qrels file) overrides the policy's
    ``data.qrels`` (see :mod:`gate.ranking.check`). ``task: multilabel`` reads wide or long tables
    (see :mod:`gate.multilabel.check`). Both read files and in-memory tables, not engine sources.
    Raises :class:`gate.GateError` (exit code 2 in the CLI) on a bad policy or input.
    The Report's ``timing`` is this call's start and duration (``SOURCE_DATE_EPOCH``: that instant, 0 s).
    """
    started, clock = time.time(), time.perf_counter()
    source_date_epoch = _source_date_epoch()
    pol = _with_overrides(load_policy(policy), seed, n_resamples, confidence_level)
    if qrels is not None and pol.task != "ranking":
        raise UsageError("qrels applies only to task: ranking", source="arguments", fix="remove --qrels / qrels=")
    if baseline is None and pol.needs_baseline and pol.decision.require_baseline:
        first = next(g for g in pol.gates if g.needs_baseline)
        raise InputError(f"{first.path} ({first.metric} {first.bar_kind}) compares with a baseline, "
                         "but no baseline was given", source=pol.path,
                         fix="pass --baseline FILE (baseline= in Python), or set decision.require_baseline: false")
    if pol.task == "multilabel":
        _files_only(pol, candidate, baseline, engine)
        from gate.multilabel.check import check_multilabel
        with progress.stage("multilabel"):
            report = check_multilabel(pol, candidate, baseline, command=command)
    elif pol.task == "ranking":
        _files_only(pol, candidate, baseline, engine)
        from gate.ranking.check import check_ranking
        with progress.stage("ranking"):
            report = check_ranking(pol, candidate, baseline, qrels=qrels, command=command)
    else:
        if engines.wanted(engine, candidate, baseline):
            evalset = engines.engine_evalset_of(pol, candidate, baseline, engine)
        else:
            evalset = _read_and_align(pol, candidate, baseline)
        with progress.stage("resampling"):
            report = evaluate(pol, evalset, command=command)
    timing = RunTiming.measured(started, time.perf_counter() - clock, source_date_epoch)
    return dataclasses.replace(report, timing=timing)


def _files_only(pol: Policy, candidate: Source, baseline: Source | None, engine: str | None) -> None:
    """``task: multilabel`` and ``task: ranking`` read files and in-memory tables: an engine source
    or ``--engine`` other than ``local`` is a usage error, not a file that is not found."""
    if engines.wanted(engine, candidate, baseline):
        raise UsageError(f"task: {pol.task} reads files and in-memory tables only, not engine sources", source="arguments",
                         fix="export the predictions to a .csv/.jsonl/.parquet file, or pass a DataFrame")


def _read_and_align(pol: Policy, candidate: Source, baseline: Source | None) -> EvalSet:
    """Read both sources and align them. Freed memory is given back (:func:`gate.memory.release`)
    after reading (the reading threads' heaps are not the aligning thread's) and, once the tables
    (file texts, pyarrow columns) are dropped, before the bootstrap: the aligned arrays are all it needs."""
    with progress.stage("reading"):
        tables = _read_all([("<candidate>", candidate)] + ([("<baseline>", baseline)] if baseline is not None else []))
    memory.release()        # the reading threads' temporaries (decoded text, parser buffers)
    with progress.stage("aligning"):
        evalset = build_evalset(pol, tables[0], tables[1] if baseline is not None else None)
    del tables
    memory.release()        # what reading and aligning freed, before the bootstrap's tables
    return evalset


def _source_date_epoch() -> str | None:
    """``SOURCE_DATE_EPOCH`` (reproducible builds: the Unix time to use instead of the clock), or
    None when unset or empty. Anything but a non-negative integer is a :class:`UsageError`, as the
    specification asks (a silently ignored value would give a different junit.xml on every run)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise UsageError(f"SOURCE_DATE_EPOCH is {raw[:40]!r}, not a Unix time", source="environment",
                         fix="set it to whole seconds since 1970-01-01 UTC (e.g. $(git log -1 --format=%ct)), or unset it")
    return raw


def plan(policy: PathLike | Mapping[str, Any] | Policy, candidate: Source, baseline: Source | None = None, *,
         power: float = 0.8, seed: int | None = None, n_resamples: int | None = None) -> Plan:
    """Power and sample size of every gate (what ``model-gate plan`` prints): one :func:`check`, then
    per gate the examples that decide it with ``power`` at the observed effect and the true values it
    passes and fails from at the current size (:mod:`gate.inference.planning`)."""
    if not 0.0 < power < 1.0:
        raise UsageError(f"power must be strictly between 0 and 1 (got {power})", source="arguments")
    return plan_report(check(policy, candidate, baseline, seed=seed, n_resamples=n_resamples), power)


def check_arrays(policy: PathLike | Mapping[str, Any] | Sequence[Mapping[str, Any]] | Policy, y_true: Any,
                 y_pred: Any = None, y_score: Any = None, *, baseline_pred: Any = None, baseline_score: Any = None,
                 sample_weight: Any = None, labels: Sequence[Any] | None = None, pos_label: Any = None,
                 seed: int | None = None, n_resamples: int | None = None,
                 confidence_level: float | None = None) -> Report:
    """Gate arrays shaped like scikit-learn's metric arguments.

    ``policy`` is a policy (path, mapping or Policy), or just its gates: one gate mapping such as
    ``{"metric": "recall", "min": 0.9}`` or a list of them, in which case the task is binary for at
    most two labels (``pos_label`` as in scikit-learn: default 1) and multiclass otherwise.
    ``y_score``: binary, the positive class's score (1-D); multiclass, ``(n, n_classes)`` in
    ``labels`` order (the sorted labels by default). ``baseline_pred``/``baseline_score`` are the
    baseline model's predictions on the same examples: its gates are paired.
    """
    y_true = list(np.asarray(y_true).tolist())
    labels = _labels(labels, y_true, y_pred, baseline_pred)
    pol = _arrays_policy(policy, labels, pos_label)
    cand = _arrays_table("<candidate>", pol, labels, y_true, y_pred, y_score, sample_weight)
    base = None
    if baseline_pred is not None or baseline_score is not None:
        base = _arrays_table("<baseline>", pol, labels, y_true, baseline_pred, baseline_score, sample_weight)
    return check(pol, cand, base, seed=seed, n_resamples=n_resamples, confidence_level=confidence_level)


def _with_overrides(policy: Policy, seed: int | None, n_resamples: int | None,
                    confidence_level: float | None) -> Policy:
    """The policy with ``bootstrap`` fields replaced, validated by the same schema as the YAML."""
    changes: dict[str, Any] = {k: v for k, v in (("seed", seed), ("resamples", n_resamples), ("confidence", confidence_level))
               if v is not None}
    if not changes:
        return policy
    probe = {"version": 1, "name": "x", "task": "multiclass", "gates": [{"metric": "accuracy", "min": 0}],
             "bootstrap": {**dataclasses.asdict(policy.bootstrap), **changes}}
    build_policy(probe, source="arguments")          # the schema's ranges apply to the overrides too
    return dataclasses.replace(policy, bootstrap=dataclasses.replace(policy.bootstrap, **changes))


def _read_all(sources: list[tuple[str, Source]]) -> list[Table]:
    from gate.resampling.stats import parallel_map

    def read(item: tuple[str, Source]) -> Table:
        name, source = item
        if isinstance(source, Table):
            return source
        if isinstance(source, (str, os.PathLike)):
            return read_table(source)
        if is_in_memory(source):
            return table_from_memory(source, name)
        raise UsageError(f"{name[1:-1]} is a {type(source).__name__}", source="arguments",
                         fix="pass a file path, a pandas DataFrame, a pyarrow Table or a mapping of columns")

    if not _parallel_reads():
        # pure-Python parsing holds the GIL: two threads would not be faster, only hold both files'
        # intermediate strings at once (W1 at 10^6 rows: 0.50-0.53 KB per row in threads, 0.48 in turn)
        return [read(item) for item in sources]
    return parallel_map(read, sources)     # the first bad source's error wins, as when read in turn


def _parallel_reads() -> bool:
    """Whether the files are parsed by code that releases the GIL (the compiled CSV scanner, or
    pyarrow, which the readers import for that anyway), so two files read in parallel threads: the
    hash, the mapping's checks and the scan of one file overlap the other's."""
    from gate.data.readers import scanner_module
    if scanner_module() is not None:
        return True
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _labels(labels: Sequence[Any] | None, *columns: Any) -> list[Any]:
    """``labels`` as given, else the sorted distinct values of the label and prediction arrays."""
    if labels is not None:
        return list(np.asarray(labels).tolist())
    values = set()
    for column in columns:
        if column is not None:
            values.update(np.asarray(column).tolist())
    try:
        return sorted(values)
    except TypeError:
        raise UsageError("labels mix types that cannot be sorted", source="arguments",
                         fix="pass labels=[...] in the order you want") from None


def _arrays_policy(policy: Any, labels: list[Any], pos_label: Any) -> Policy:
    one_gate = isinstance(policy, Mapping) and any(b in policy for b in BARS)
    gates = [policy] if one_gate else policy
    if isinstance(policy, (Policy, str, os.PathLike)) or (isinstance(policy, Mapping) and not one_gate):
        return load_policy(policy)
    task = "binary" if len(labels) <= 2 else "multiclass"
    doc: dict[str, Any] = {"version": 1, "name": ARRAYS_POLICY_NAME, "task": task,
                           "classes": [str(c) for c in labels], "gates": list(gates)}
    if task == "binary":
        positive = 1 if pos_label is None else pos_label
        if positive not in labels:
            raise UsageError(f"pos_label={positive!r} is not one of the labels {labels!r}", source="arguments",
                             fix="pass pos_label= naming the positive class")
        doc["positive_class"] = str(positive)
    return load_policy(doc)


def _arrays_table(name: str, policy: Policy, labels: list[Any], y_true: list[Any], y_pred: Any,
                  y_score: Any, sample_weight: Any) -> Table:
    data = policy.data
    columns: dict[str, Any] = {data.id: list(range(len(y_true))), data.label: y_true}
    if y_pred is not None:
        columns[data.prediction] = np.asarray(y_pred)
    if y_score is not None:
        scores = np.asarray(y_score, dtype=float)
        if scores.ndim == 1:
            columns[data.score] = scores
        elif scores.ndim == 2 and scores.shape[1] == len(labels):
            columns.update({f"{data.score_prefix}{c}": scores[:, j] for j, c in enumerate(labels)})
        else:
            raise UsageError(f"{name[1:-1]} scores have shape {scores.shape}; expected (n,) or (n, {len(labels)})",
                             source="arguments", fix="one score column per label, in labels order")
    if sample_weight is not None:
        columns[data.weight] = np.asarray(sample_weight, dtype=float)
    return table_from_memory(columns, name)
