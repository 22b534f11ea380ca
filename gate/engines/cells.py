"""The engine path: counts per distinct combination of values come back from the engine, and the
same alignment and bootstrap as for files run on them.

1. The engine checks ids and pairs by id (:func:`_pairing`): the counts of shared, candidate-only and
   baseline-only ids decide paired / independent / error exactly as :mod:`gate.data.align` does for files.
2. It groups the rows by every column a gate reads — label, predictions, the scores a gate needs,
   weight, slices; for paired data the candidate's and the baseline's columns over the join by id —
   and returns ``COUNT(*)`` per group: a *cell table*, one row per distinct combination. Nothing is
   approximated: a row is its cell's values, so the cells are the data. At most :data:`MAX_CELLS`
   cells come back. More (continuous scores gated by a ranking metric at scale) are grouped again
   with each side's scores in quantile bins (:mod:`gate.engines.bins`) when every gate on the scores
   has a binned error bound, which the decision then accounts for (:mod:`gate.inference.binned`);
   otherwise, or when even the binned cells are too many, it is an input error that says so.
3. :func:`gate.data.align.build_evalset` checks and encodes the cell tables (every alignment rule and
   message of the file path), then the cells are put in *canonical order* — sorted by their encoded
   values — and keep their counts (``Side.counts``): the statistics take them as they are, and give
   exactly what the same rows written out in that order give, so the report depends neither on the
   engine, nor on the partitioning, nor on the row order, and memory grows with the cells, not the rows.

Without scores in any gate (and predictions given), score columns are not fetched: the report then
has no PR/ROC curves or reliability bins (a file run on the same data has them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gate.data.align import (
    CellScores,
    EvalSet,
    Side,
    _cluster_texts,
    _empty,
    _require_column,
    _text,
    build_evalset,
    intersect_warning,
    intersect_without_shared,
    outside_unit,
    pairing_mismatch,
)
from gate.data.readers import Table
from gate.engines import MAX_CELLS, SCORE_BINS, sql
from gate.engines.bins import bins_wanted, score_edges, unbinnable, wants_sums
from gate.engines.sources import Engine, EngineSource
from gate.errors import InputError, show
from gate.metrics.catalog import METRICS
from gate.metrics.compiler import ece_edges
from gate.policy.load import Policy
from gate.report.model import Note


@dataclass
class CellTable(Table):
    """A cell table: row ``i`` stands for ``counts[i]`` rows of the source with these values."""

    counts: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    keys: tuple[str, ...] = ()     # the value columns, for messages
    bins: int | None = None        # the score column's bins (edges) when its scores were binned
    sums: CellScores | None = None  # the binned score column's sums, smallest and largest value per cell
    summed: str = ""               # ... and its name

    def where(self, row: int, column: str | None = None) -> str:
        """``the 12 rows with label='a', prediction='b'`` (a cell is no row number of the source)."""
        values = ", ".join(f"{k}={show(self.columns[k][row], 30)}" for k in self.keys if k in self.columns)
        text = f"the {int(self.counts[row]):,} rows with {values}"
        return text + (f", column '{column}'" if column is not None else "")


@dataclass(frozen=True)
class _Columns:
    """The source columns fetched for one side, in query order; ``edges``: the bin edges of a
    binned score column (empty: every value as it is); ``sums``: the score columns whose sums,
    smallest and largest value each cell carries (:func:`gate.engines.sql.score_sums`)."""

    names: tuple[str, ...]
    edges: Mapping[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)
    sums: tuple[str, ...] = ()

    @property
    def bins(self) -> int | None:
        return next((len(e) for e in self.edges.values()), None)

    @property
    def width(self) -> int:
        """The values of one side in a cell row: its columns, then its sums."""
        return len(self.names) + sql.SUMS * len(self.sums)


class _TooManyCells(InputError):
    """The exact cells are over the limit (caught once, to try binned scores)."""


def engine_evalset(policy: Policy, engine: Engine, cand: EngineSource, base: EngineSource | None) -> EvalSet:
    """The EvalSet of two engine sources (views ``sql.CANDIDATE_VIEW`` / ``sql.BASELINE_VIEW`` of
    ``engine``), identical to what the file path builds from the same rows in canonical order; over
    the cell limit, the same with the scores in quantile bins where every score gate has a bound."""
    sides = [(sql.CANDIDATE_VIEW, cand)] + ([(sql.BASELINE_VIEW, base)] if base is not None else [])
    shown = cand.shown if base is None else f"{cand.shown} + {base.shown}"
    try:
        if _scores_over_the_limit(policy, engine, sides):
            raise _TooManyCells("", source=shown)
        return _evalset(policy, engine, cand, base, False)
    except _TooManyCells as exc:
        k = bins_wanted()
        try:
            return _evalset(policy, engine, cand, base, True)
        except _TooManyCells:
            raise _too_many_cells(exc.source or cand.shown, binned=k) from None


def _scores_over_the_limit(policy: Policy, engine: Engine, sides: list[tuple[str, EngineSource]]) -> bool:
    """Whether a side's score column alone has more distinct values than the cell limit (so the
    exact cells cannot fit, and fetching a limit's worth of them first would only cost memory).
    Asked only when the scores could be binned; one ``COUNT(DISTINCT)`` per side."""
    for view, source in sides:
        scores = _score_columns(policy, engine.columns(view))
        if unbinnable(policy, tuple(scores)) is not None:
            return False
        for column in scores:
            if int(engine.rows(sql.distinct_count(view, column), source.shown)[0][0]) > MAX_CELLS.value():
                return True
    return False


def _evalset(policy: Policy, engine: Engine, cand: EngineSource, base: EngineSource | None, binned: bool) -> EvalSet:
    spec = policy.data
    c_cols = _fetched(policy, engine, sql.CANDIDATE_VIEW, cand, "candidate", base is not None, binned)
    if base is None:
        table = _side_table(engine, cand, c_cols, sql.CANDIDATE_VIEW, None, "")
        es = build_evalset(_for_cells(policy, c_cols, None, "auto"), table, None)
        return _expand(es, [table], spec.label, None, spec.cluster)
    b_cols = _fetched(policy, engine, sql.BASELINE_VIEW, base, "baseline", True, binned)
    integer = all(engine.is_integer(v, spec.id) for v in (sql.CANDIDATE_VIEW, sql.BASELINE_VIEW))
    for view, source in ((sql.CANDIDATE_VIEW, cand), (sql.BASELINE_VIEW, base)):
        _check_ids(engine, view, source, spec.id, integer)
    joint, pairing, warning = _joined_cells(policy, engine, cand, base, c_cols, b_cols, integer)
    aligned = _for_cells(policy, c_cols, b_cols, pairing)
    n_c = c_cols.width
    if pairing == "independent":
        if joint is None:         # pairing: independent, or too many joint cells to tell
            ct = _side_table(engine, cand, c_cols, sql.CANDIDATE_VIEW, spec.id, "c")
            bt = _side_table(engine, base, b_cols, sql.BASELINE_VIEW, spec.id, "b")
        else:                     # disjoint ids: each side's cells are the rows only it holds
            ct = _cell_table(cand, c_cols, [r[2:2 + n_c] + r[-1:] for r in joint if r[0]], spec.id, "c")
            bt = _cell_table(base, b_cols, [r[2 + n_c:] for r in joint if r[1]], spec.id, "b")
        return _expand(build_evalset(aligned, ct, bt), [ct, bt], spec.label, None, spec.cluster)
    assert joint is not None
    both = [r[2:] for r in joint if r[0] and r[1]]
    ct = _cell_table(cand, c_cols, [r[:n_c] + r[-1:] for r in both], spec.id)
    bt = _cell_table(base, b_cols, [r[n_c:] for r in both], spec.id)
    _check_paired_labels(policy, engine, ct, bt, c_cols, b_cols, integer)
    _check_paired_clusters(policy, engine, ct, bt, c_cols, b_cols, integer)
    es = build_evalset(aligned, ct, bt)
    if warning:
        es.warnings.insert(1 if es.warnings and es.warnings[0].code == "same_data" else 0,
                           warning)
    return _expand(es, [ct, bt], spec.label, ct.counts, spec.cluster)


def _side_table(engine: Engine, source: EngineSource, cols: _Columns, view: str, id_name: str | None,
                prefix: str) -> CellTable:
    """One side's cells, grouped on its own (no baseline, or independent pairing)."""
    query = sql.cells(cols.names, _limit(), view=view, edges=cols.edges, sums=cols.sums)
    return _cell_table(source, cols, _cells(engine, source, query), id_name, prefix)


def _joined_cells(policy: Policy, engine: Engine, cand: EngineSource, base: EngineSource, c_cols: _Columns,
                  b_cols: _Columns, integer: bool) -> tuple[list[tuple] | None, str, Note | None]:
    """``(rows of the full outer join's cells or None, pairing, warning)``. One pass gives both the
    cells and the pairing counts; over the cell limit, the pairing counts alone decide first (a
    partial overlap is reported as such, and disjoint ids are grouped side by side)."""
    if policy.bootstrap.pairing == "independent":
        return None, "independent", None
    shown = f"{cand.shown} + {base.shown}"
    query = sql.cells(c_cols.names, _limit(), id_column=policy.data.id, base_columns=b_cols.names, integer=integer,
                      edges=c_cols.edges, base_edges=b_cols.edges, sums=c_cols.sums, base_sums=b_cols.sums)
    rows = engine.rows(query, shown)
    if len(rows) < _limit():
        counts: dict[tuple[bool, bool], int] = {}
        for r in rows:
            counts[(bool(r[0]), bool(r[1]))] = counts.get((bool(r[0]), bool(r[1])), 0) + int(r[-1])
        pairing, warning = _decide_pairing(policy, counts, shown)
        return sorted(rows, key=_canonical_key), pairing, warning
    counts = {(bool(a), bool(b)): int(n) for a, b, n in engine.rows(sql.pairing_counts(policy.data.id, integer), shown)}
    pairing, warning = _decide_pairing(policy, counts, shown)
    if pairing == "independent":
        return None, pairing, warning
    raise _too_many_cells(shown)


def _limit() -> int:
    return MAX_CELLS.value() + 1     # one more: to tell "at the limit" from "over it"


def _fetched(policy: Policy, engine: Engine, view: str, source: EngineSource, role: str, need_ids: bool,
             binned: bool = False) -> _Columns:
    """The columns the gates read, checked against the source's schema with the file path's messages;
    ``binned``: with the score column's quantile bin edges (:mod:`gate.engines.bins`), or the
    too-many-cells error saying why the scores cannot be binned."""
    spec = policy.data
    schema = engine.columns(view)
    probe = Table(source.shown, source.format, {c: [] for c in schema}, 0, "")
    required = [spec.label, *sorted(set(spec.slices) | {g.slice for g in policy.gates if g.slice})]
    required += [spec.id] if need_ids else []
    required += [getattr(spec, k) for k in ("prediction", "score", "weight") if k in spec.explicit]
    required += [spec.cluster] if spec.cluster else []      # per-cluster cells: what the cluster bootstrap draws
    for col in required:
        _require_column(probe, col, role)
    names = [spec.label] + [c for c in (spec.prediction, spec.weight) if c in schema]
    names += _score_columns(policy, schema)
    names += [c for c in required if c not in names and c != spec.id]
    columns = _Columns(tuple(dict.fromkeys(names)))
    return _binned(policy, engine, view, source, columns, schema) if binned else columns


def _binned(policy: Policy, engine: Engine, view: str, source: EngineSource, columns: _Columns,
            schema: Sequence[str]) -> _Columns:
    """``columns`` with the quantile bin edges of the score column (binary tasks: one), the
    threshold among them when predictions come from the scores (so they stay exact), and with a
    calibration gate the cells' score sums (the ECE bins' boundaries among the edges with an ECE gate)."""
    scores = tuple(_score_columns(policy, schema))
    why = unbinnable(policy, scores)
    if why is not None:
        raise _too_many_cells(source.shown, reason=why)
    spec = policy.data
    from_scores = spec.prediction not in schema or spec.threshold is not None
    threshold = (0.5 if spec.threshold is None else spec.threshold) if from_scores else None
    extra = ece_edges() if any(g.metric == "ece" for g in policy.gates) else ()
    edges = {c: score_edges(engine, view, source, c, bins_wanted(), threshold, extra) for c in scores}
    return dataclasses.replace(columns, edges=edges, sums=scores if wants_sums(policy) else ())


def _score_columns(policy: Policy, schema: Sequence[str]) -> list[str]:
    """The score columns, when a gate reads scores or predictions come from them (else none: a
    continuous score would make every row its own cell)."""
    spec = policy.data
    needs = any(METRICS[g.metric].family in ("ranking", "probability") for g in policy.gates)
    from_scores = spec.prediction not in schema or (policy.task == "binary" and spec.threshold is not None)
    if not (needs or from_scores):
        return []
    if policy.task == "binary":
        for col in (spec.score, f"{spec.score_prefix}{policy.positive_class}"):
            if col in schema and (col == spec.score or "score" not in spec.explicit):
                return [col]
        return []
    return [c for c in schema if c.startswith(spec.score_prefix) and len(c) > len(spec.score_prefix)]


def _for_cells(policy: Policy, c_cols: _Columns, b_cols: _Columns | None, pairing: str) -> Policy:
    """The policy that aligns the cell tables: the pairing the engine decided (cells carry
    synthetic ids), and no demand for an explicit score column that was deliberately not fetched."""
    explicit = policy.data.explicit
    fetched = set(c_cols.names) & (set(b_cols.names) if b_cols is not None else set(c_cols.names))
    if "score" in explicit and policy.data.score not in fetched:
        explicit = explicit - {"score"}
    return dataclasses.replace(policy, data=dataclasses.replace(policy.data, explicit=explicit),
                               bootstrap=dataclasses.replace(policy.bootstrap, pairing=pairing))


def _cells(engine: Engine, source: EngineSource, query: Any, shown: str | None = None) -> list[tuple]:
    """The cell rows (values..., count), in a canonical order (by type name and repr of the values,
    so that a message naming "the first" bad cell names the same one whatever the engine)."""
    rows = engine.rows(query, shown or source.shown)
    if len(rows) > MAX_CELLS.value():
        raise _TooManyCells("", source=shown or source.shown)
    return sorted(rows, key=_canonical_key)


def _too_many_cells(source: str, reason: str | None = None, binned: int | None = None) -> InputError:
    """Over the cell limit: the exact cells (``reason``: why the scores cannot be binned; None: the
    first, exact attempt, caught to bin), or the cells of scores in ``binned`` bins."""
    many = f"has more than {MAX_CELLS.shown(MAX_CELLS.value())} distinct combinations of the columns the gates read"
    if binned is not None:
        fewer = max(binned // 4, 2)
        return InputError(f"{many}, even with the scores in {binned:,} quantile bins", source=source,
                          fix=f"set fewer bins with {SCORE_BINS.env}, e.g. {SCORE_BINS.env}={fewer}, "
                              f"or {MAX_CELLS.fix()}")
    if reason is None:
        return _TooManyCells(many, source=source)
    return InputError(f"{many} (continuous scores make one per row), and the scores cannot be binned: {reason}",
                      source=source, fix="round the scores in a query (ROUND(score, 3)), gate these metrics through "
                                         f"the file path, or {MAX_CELLS.fix()}")


def _canonical_key(row: tuple) -> tuple:
    return tuple((type(v).__name__, repr(v)) for v in row)


def _cell_table(source: EngineSource, cols: _Columns, rows: list[tuple], id_name: str | None = None,
                id_prefix: str = "") -> CellTable:
    """A Table of cells (each row: the values of ``cols.names``, their sums, the count), with
    synthetic ids ``<prefix><i>`` in column ``id_name`` when given (the source's ids are not fetched)."""
    names = cols.names
    columns: dict[str, Any] = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    counts = np.array([r[-1] for r in rows], dtype=np.int64)
    digest = _digest(names, rows)
    if id_name is not None:
        columns[id_name] = [f"{id_prefix}{i}" for i in range(len(rows))]
    sums = _cell_scores([r[len(names):len(names) + sql.SUMS] for r in rows]) if cols.sums else None
    return CellTable(source.shown, source.format, columns, len(rows), digest, None, None, counts, tuple(names),
                     cols.bins, sums, cols.sums[0] if cols.sums else "")


def _cell_scores(values: list[tuple]) -> CellScores:
    """The cells' (Σ⌊s·2^52⌋, Σ⌊s²·2^52⌋, min s, max s) as doubles: an integer sum is rounded once
    (correctly, by Python) and scaled by 2^-52 exactly; a missing one (no score in [0, 1]) is NaN."""
    def scaled(v: Any) -> float:
        return math.nan if v is None else math.ldexp(float(int(v)), -52)

    def plain(v: Any) -> float:
        return math.nan if v is None else float(v)

    return CellScores(np.array([scaled(v[0]) for v in values], dtype=np.float64),
                      np.array([scaled(v[1]) for v in values], dtype=np.float64),
                      np.array([plain(v[2]) for v in values], dtype=np.float64),
                      np.array([plain(v[3]) for v in values], dtype=np.float64))


def _digest(names: Sequence[str], rows: list[tuple]) -> str:
    """sha256 of one side's cells merged by value (column names, then each value tuple and its
    count, sorted): the same for the same data whatever the engine, the partitioning or the order."""
    merged: dict[str, int] = {}
    for r in rows:
        key = json.dumps([[type(v).__name__, v] for v in r[:len(names)]], default=repr, allow_nan=True)
        merged[key] = merged.get(key, 0) + int(r[-1])
    h = hashlib.sha256(json.dumps(list(names)).encode())
    for key in sorted(merged):
        h.update(f"{key}\t{merged[key]}\n".encode())
    return h.hexdigest()


def _decide_pairing(policy: Policy, counts: dict[tuple[bool, bool], int], where: str) -> tuple[str, Note | None]:
    """``(pairing, warning)`` from the rows per (id in candidate, id in baseline), with the file
    path's rules and messages (gate.data.align)."""
    mode = policy.bootstrap.pairing
    shared, c_only, b_only = counts.get((True, True), 0), counts.get((True, False), 0), counts.get((False, True), 0)
    c_ids, b_ids = shared + c_only, shared + b_only
    if mode == "intersect":
        if shared == 0:
            raise intersect_without_shared(c_ids, b_ids, where)
        warning = intersect_warning(shared, c_only, c_ids, b_only, b_ids) if c_only or b_only else None
        return "paired", warning
    if not c_only and not b_only:
        return "paired", None
    if mode == "auto" and shared == 0:
        return "independent", None
    raise pairing_mismatch(mode, c_ids, b_ids, shared, where)


def _check_ids(engine: Engine, view: str, source: EngineSource, column: str, integer: bool) -> None:
    """Ids non-empty and unique within one source (the file path's rule)."""
    rows, distinct, empty = engine.rows(sql.id_check(view, column, integer), source.shown)[0]
    if empty:
        raise InputError(f"id is empty in {int(empty):,} rows", source=source.shown, where=f"column '{column}'",
                         fix="every row needs an id")
    if distinct != rows:
        value, times = engine.rows(sql.duplicate_id(view, column, integer), source.shown)[0]
        raise InputError(f"id {show(value)} appears {int(times):,} times", source=source.shown,
                         where=f"column '{column}'", fix="ids must be unique per file")


def _check_paired_labels(policy: Policy, engine: Engine, ct: CellTable, bt: CellTable, c_cols: _Columns,
                         b_cols: _Columns, integer: bool) -> None:
    """Paired cells carry both labels: they must agree (as text), as the file path demands, and the
    message names a real id (fetched from the engine for the first disagreeing cell)."""
    label = policy.data.label
    for i, (c, b) in enumerate(zip(ct.columns[label], bt.columns[label])):
        if _empty(c) and _empty(b):
            continue
        if _empty(c) != _empty(b) or _text(c) != _text(b):
            example = _example_id(engine, policy, ct, bt, c_cols, b_cols, i, integer)
            where = f"{ct.source} + {bt.source}"
            if _empty(c) != _empty(b):
                raise InputError(f"id {show(example)} is labeled in one file but not in the other", source=where,
                                 fix="give paired files the same labels")
            raise InputError(f"id {show(example)} has label {show(_text(c))} in the candidate but {show(_text(b))} "
                             "in the baseline", source=where, fix="paired files must carry the same ground truth")


def _check_paired_clusters(policy: Policy, engine: Engine, ct: CellTable, bt: CellTable, c_cols: _Columns,
                           b_cols: _Columns, integer: bool) -> None:
    """``data.cluster`` on paired cells: a shared id must be in the same cluster on both sides (the
    file path's rule and message, naming a real id looked up in the engine)."""
    col = policy.data.cluster
    if not col:
        return
    label = policy.data.label
    for i, (c, b) in enumerate(zip(ct.columns[col], bt.columns[col])):
        # an empty cluster on a labeled row is the alignment's own error ("the cluster is empty")
        if _empty(ct.columns[label][i]) or _empty(c) or _empty(b) or _text(c) == _text(b):
            continue
        example = _example_id(engine, policy, ct, bt, c_cols, b_cols, i, integer)
        raise InputError(f"id {show(example)} is in cluster {show(_text(c))} in the candidate but {show(_text(b))} "
                         "in the baseline",
                         source=f"{ct.source} + {bt.source}",
                         fix="paired files must put each id in the same cluster (the rows of one user, session, ... together)")


def _example_id(engine: Engine, policy: Policy, ct: CellTable, bt: CellTable, c_cols: _Columns,
                b_cols: _Columns, i: int, integer: bool) -> str:
    """An id of cell ``i`` (its values looked up in the engine); ``"?"`` if the lookup fails."""
    cand = {n: ct.columns[n][i] for n in c_cols.names}
    base = {n: bt.columns[n][i] for n in b_cols.names}
    try:
        found = engine.rows(sql.example_id(policy.data.id, cand, base, integer), ct.source)
    except InputError:
        return "?"
    return str(found[0][0]) if found else "?"


# ---------------------------------------------------------------------------------------------
# cells in canonical order, with their counts


def _labeled(table: CellTable, label: str) -> np.ndarray:
    """Which cells are labeled, in table order (the rows :func:`build_evalset` keeps)."""
    return np.array([not _empty(v) for v in table.columns[label]], dtype=bool)


def _expand(es: EvalSet, tables: list[CellTable], label: str, joint: np.ndarray | None,
            cluster: str | None = None) -> EvalSet:
    """Every side's cell arrays with their counts, cells sorted by their encoded values (candidate
    first, then the baseline's for paired data); n_rows count the unlabeled rows too.
    ``joint``: paired data (one cell per pair of rows, both sides in the same order)."""
    sides = [es.candidate] + ([es.baseline] if es.baseline is not None else [])
    labeled = [_labeled(table, label) for table in tables]
    for table, mask in zip(tables, labeled):
        _check_cell_scores(table, mask)
    if joint is not None:
        counts = tables[0].counts[labeled[0]]
        order = _canonical_order(sides, counts.size)
        new = [_repeat(side, tables[k], order, counts[order], labeled[k], cluster) for k, side in enumerate(sides)]
    else:
        new = []
        for side, table, mask in zip(sides, tables, labeled):
            counts = table.counts[mask]
            order = _canonical_order([side], counts.size)
            new.append(_repeat(side, table, order, counts[order], mask, cluster))
    return EvalSet(es.task, es.classes, new[0], new[1] if len(new) > 1 else None, es.pairing, es.warnings)


def _check_cell_scores(table: CellTable, labeled: np.ndarray) -> None:
    """A calibration gate's scores in [0, 1], checked on each ``labeled`` cell's smallest and largest
    score (its binned value, the bin's lower edge, says nothing of the rest): the file path's message."""
    if table.sums is None:
        return
    bad = labeled & ~((table.sums.low >= 0) & (table.sums.high <= 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        low, high = float(table.sums.low[i]), float(table.sums.high[i])
        score = low if low < 0 else high
        raise outside_unit(score, table.source, table.where(i, table.summed))


def _canonical_order(sides: list[Side], n: int) -> np.ndarray:
    """Cells sorted by (y, prediction, scores, weight, slices) of each side in turn."""
    keys: list[np.ndarray] = []
    for side in sides:
        keys += [side.y, side.pred]
        if side.scores is not None:
            keys += list(side.scores.T) if side.scores.ndim == 2 else [side.scores]
        if side.weight is not None:
            keys.append(side.weight)
        for name in sorted(side.slices):
            keys.append(np.unique(side.slices[name].astype(str), return_inverse=True)[1].ravel())
    if not keys or n == 0:
        return np.arange(n)
    return np.lexsort(keys[::-1])


def _repeat(side: Side, table: CellTable, order: np.ndarray, counts: np.ndarray, labeled: np.ndarray,
            cluster: str | None) -> Side:
    """The side's ``labeled`` cells in canonical ``order``, each row carrying its count (``Side.counts``): the
    statistics take the cells as they are (memory bounded by the number of cells, not of rows) and
    give what the same rows written out one per row, in this order, give."""
    n_rows, n_labeled = int(table.counts.sum()), int(counts.sum())
    artifact = dataclasses.replace(side.artifact, rows=n_rows, labeled_rows=n_labeled)
    no_ids = np.broadcast_to(np.array("", dtype=object), (order.size,))   # ids are paired already; no memory
    return Side(side.role, artifact, no_ids, side.y[order], side.pred[order],
                None if side.scores is None else side.scores[order],
                None if side.weight is None else side.weight[order],
                {k: v[order] for k, v in side.slices.items()}, n_rows, n_labeled,
                cluster=None if side.cluster is None else side.cluster[order],
                cluster_rows=None if cluster is None else _cluster_rows(table, labeled, cluster),
                counts=counts.astype(np.int64), score_bins=table.bins,
                cell_scores=None if table.sums is None else table.sums.take(labeled).take(order))


def _cluster_rows(table: CellTable, labeled_cells: np.ndarray, cluster: str) -> np.ndarray:
    """``(2, clusters)``: the labeled rows and all rows of each cluster, summed over the cells
    (unlabeled ones too; ``labeled_cells`` says which are labeled), clusters in sorted order of their
    text, then every row without a cluster as a cluster of its own: what
    :func:`gate.data.align._cluster_rows` gives for the rows."""
    texts = _cluster_texts(table, cluster)
    labeled = labeled_cells.astype(np.float64)
    named = texts != ""
    names, code = np.unique(texts[named], return_inverse=True)
    counts = table.counts.astype(np.float64)
    lab = np.bincount(code.ravel(), weights=(labeled * counts)[named], minlength=names.size)
    rows = np.bincount(code.ravel(), weights=counts[named], minlength=names.size)
    loose = int(table.counts[~named].sum())
    return np.stack([np.concatenate([lab, np.zeros(loose)]), np.concatenate([rows, np.ones(loose)])])
