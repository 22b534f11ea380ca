"""Alignment: raw tables → typed arrays over the policy's classes, candidate and baseline joined.

Rules (SPEC §2):

- Labels and predictions are compared as text (``1`` in JSON and ``"1"`` in CSV are one class), but
  a JSON column mixing numbers and strings for the same text is rejected as ambiguous.
- A row whose label is empty/null is *unlabeled*: it counts toward ``label_coverage`` and is excluded
  from every metric.
- Binary tasks: class index 1 is ``positive_class``. Predictions come from ``data.threshold`` when it
  is set (positive when ``score >= threshold``), else from the prediction column, else from
  ``score >= 0.5`` (with a report warning). Without a ``score`` column, ``score_<positive class>``
  (as written from ``predict_proba``) is the score. Multiclass: the prediction column, else the arg-max score
  (the first class on ties).
- Pairing ``auto``: the same id set → paired (baseline rows re-ordered to the candidate's); disjoint →
  independent; partial overlap → error with the counts. ``paired`` demands the same set,
  ``independent`` accepts any two sets, ``intersect`` keeps the rows of the shared ids (exactly as
  if both files had been cut down to them) and warns with the rows each side dropped.
- Labels, predictions, ids, class names and slice values are compared in NFC form; classes (or slice
  values) that differ only by invisible characters are an input error. Ids, labels, predictions and
  slices must be plain scalars (text, integers, floats, booleans): a Parquet timestamp, binary or
  nested column is refused by name and type. Distinct classes and slice values are capped
  (:mod:`gate.data.limits`).
- Scores and weights written as text must be ASCII decimal numbers (``[+-]digits[.digits][e±digits]``);
  ``0_5``, Arabic-Indic or fullwidth digits are not numbers, ``nan``/``inf`` are non-finite and
  refused. Positive weights must lie in [1e-60, 1e60], so that no weighted sum or product
  overflows or underflows.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gate.data.limits import MAX_CLASSES, MAX_SLICE_VALUES, Limit
from gate.data.readers import (
    ArrowColumn,
    FieldCells,
    Table,
    TextCells,
    TextColumn,
    arrow_numbers,
    field_numbers,
    string_buffers,
)
from gate.errors import InputError, clip, missing_column, show
from gate.metrics.catalog import METRICS
from gate.policy.load import (
    Policy,
    canonical_label,
    invisible_twins,
    lookalike_fix,
    lookalike_problem,
)
from gate.report.model import Artifact, Note

PROBABILITY_SUM_TOLERANCE = 0.01


@dataclass(frozen=True)
class Side:
    """One model's labeled predictions, in evaluation order.

    ``y``/``pred`` are class indices, ``scores`` is ``(n,)`` (binary: positive-class score) or
    ``(n, K)`` (multiclass) or None, ``weight`` is None for unit weights. ``ids`` serve pairing only:
    while aligning, the rows' 0-based positions in the file (their id texts are ``all_ids``); once
    aligned they are blank (:func:`_drop_ids`).
    """

    role: str
    artifact: Artifact
    ids: np.ndarray
    y: np.ndarray
    pred: np.ndarray
    scores: np.ndarray | None
    weight: np.ndarray | None
    slices: dict[str, np.ndarray]
    n_rows: int
    n_labeled: int
    all_ids: Ids | None = field(default=None, repr=False, compare=False)   # every row's id (for pairing)
    cluster: np.ndarray | None = None   # data.cluster: each labeled row's cluster as text (None: no clusters)
    cluster_rows: np.ndarray | None = None   # data.cluster: (labeled rows, rows) per cluster, all rows counted
    # examples per row (the engine path's cells: a row is that many identical examples, in a row);
    # None: one each. Every sum over examples goes through gate.resampling.counted
    counts: np.ndarray | None = None
    # the engine path's quantile bins of the scores (their number), when the exact cells were too many:
    # each score is its bin's lower edge (gate/engines/bins.py); None: the scores are exact
    score_bins: int | None = None
    # with binned scores and a calibration gate: each cell's score sums, smallest and largest score
    cell_scores: CellScores | None = None


@dataclass(frozen=True)
class CellScores:
    """Per cell of the engine path's binned scores (binary: one score column): the sum of its rows'
    scores and of their squares, exact to 2^-52 per row (gate/engines/sql.py, ``score_sums``), and
    its smallest and largest score. The calibration metrics take a cell's mean score from them and
    bound what the spread inside the cell can change (gate/metrics/binned.py)."""

    total: np.ndarray
    squares: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def take(self, rows: np.ndarray) -> CellScores:
        """The cells ``rows`` (a boolean mask or indices), in that order."""
        return CellScores(self.total[rows], self.squares[rows], self.low[rows], self.high[rows])


@dataclass(frozen=True)
class Ids:
    """Every row's id of one file, in file order (text, NFC, stripped, non-empty and distinct:
    checked). Either ``arrow``, the pyarrow string array the reader holds, when its strings are
    the ids as they are (then ``order`` is its sort indices, from the duplicate check, or ``cells``
    its bytes for the compiled scanner, which checked and hashes plain ASCII ids instead), or
    ``cells``, the compiled scanner's column of a CSV file read without pyarrow (plain ASCII ids,
    checked on the bytes), or ``texts``, an object array of ``str``: 10^7 ids kept as Arrow or as
    the file's bytes cost no Python string each."""

    texts: np.ndarray | None = None
    arrow: Any = None
    order: Any = None
    cells: FieldCells | None = None

    @property
    def size(self) -> int:
        return len(self.cells if self.cells is not None else self.arrow) if self.texts is None else self.texts.size

    def text(self, row: int) -> str:
        """The id of one row (0-based position in the file)."""
        if self.cells is not None:
            return self.cells.cell(int(row))
        return self.arrow[int(row)].as_py() if self.texts is None else self.texts[row]

    def all_texts(self) -> np.ndarray:
        """Every id as an object array of ``str`` (built from ``arrow`` or ``cells`` on each call: for the
        per-row paths and the messages, not for large files' fast paths)."""
        if self.cells is not None:
            return np.array(self.cells.cells(), dtype=object)
        return self.arrow.to_numpy(zero_copy_only=False).astype(object) if self.texts is None else self.texts


@dataclass(frozen=True)
class EvalSet:
    task: str
    classes: tuple[str, ...]
    candidate: Side
    baseline: Side | None
    pairing: str                    # "paired" | "independent" | "none"
    warnings: list[Note] = field(default_factory=list)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def build_evalset(policy: Policy, candidate: Table, baseline: Table | None) -> EvalSet:
    """Check both tables against the policy and join them. Raises InputError on any problem."""
    needs_scores = any(METRICS[g.metric].family in ("ranking", "probability") for g in policy.gates)
    slices = sorted({g.slice for g in policy.gates if g.slice} | set(policy.data.slices))
    warnings: list[Note] = []
    mode = policy.bootstrap.pairing
    if baseline is not None:
        warnings += _same_data_warning(candidate, baseline)
        if mode == "intersect":
            candidate, baseline = _intersect(policy.data.id, candidate, baseline, warnings)
            mode = "paired"
    checked: Checked = set()
    classes = _classes(policy, [t for t in (candidate, baseline) if t is not None], checked)
    cand = _side("candidate", policy, candidate, classes, needs_scores, slices, baseline is not None, warnings,
                 checked)
    if baseline is None:
        return EvalSet(policy.task, classes, _drop_ids(cand), None, "none", warnings)
    base = _side("baseline", policy, baseline, classes, needs_scores, slices, True, warnings, checked,
                 cand.all_ids)
    pairing, joined = _pairing(mode, candidate, baseline, cand, base)
    if pairing == "paired":
        base = _reorder_like(cand, base, candidate, baseline, classes, joined)
    return EvalSet(policy.task, classes, _drop_ids(cand), _drop_ids(base), pairing, warnings)


def _drop_ids(side: Side) -> Side:
    """The side without its ids, once pairing is decided (nothing after alignment reads them): ``ids``
    becomes blank text without memory, as on the engine path."""
    return replace(side, all_ids=None, ids=np.broadcast_to(np.array("", dtype=object), side.ids.shape))


def _same_data_warning(candidate: Table, baseline: Table) -> list[Note]:
    """The same file (or two identical ones) as candidate and baseline is allowed, but every
    comparison is then the model with itself: worth a warning, not an error."""
    if not candidate.sha256 or candidate.sha256 != baseline.sha256:
        return []
    return [Note("same_data", {"candidate": candidate.source, "baseline": baseline.source})]


def _intersect(col: str, ct: Table, bt: Table, warnings: list[Note]) -> tuple[Table, Table]:
    """``pairing: intersect``: both tables cut down to the rows whose id the other file holds too
    (ids must still be non-empty and unique within each file), in their own order, so everything
    after this sees what it would see for two pre-intersected files. The rows dropped on each side
    go into a report warning. No shared id at all is an error: that is independent traffic."""
    for t, role in ((ct, "candidate"), (bt, "baseline")):
        _require_column(t, col, role)
    c_ids, b_ids = _id_column(ct, col), _id_column(bt, col)
    c_keep, b_keep = _member(c_ids, b_ids), _member(b_ids, c_ids)
    shared = int(np.count_nonzero(c_keep))
    if shared == 0:
        raise intersect_without_shared(c_ids.size, b_ids.size, f"{ct.source} + {bt.source}")
    dropped = (ct.n_rows - shared, bt.n_rows - shared)
    if any(dropped):
        warnings.append(intersect_warning(shared, dropped[0], ct.n_rows, dropped[1], bt.n_rows))
    return (ct.subset(np.flatnonzero(c_keep)) if dropped[0] else ct,
            bt.subset(np.flatnonzero(b_keep)) if dropped[1] else bt)


def _member(ids: Ids, other: Ids) -> np.ndarray:
    """Whether each id is among ``other`` (both distinct text ids)."""
    order = _id_positions(ids, other)
    if order is not None:
        return order >= 0
    pool = set(other.all_texts().tolist())
    return np.fromiter((v in pool for v in ids.all_texts().tolist()), dtype=bool, count=ids.size)


def _classes(policy: Policy, tables: list[Table], checked: Checked | None = None) -> tuple[str, ...]:
    """The class universe, fixed once for every resample: the policy's, else derived from the data
    (at most :data:`MAX_CLASSES`, with no two that differ only by invisible characters)."""
    if policy.classes is not None:
        classes = policy.classes
    else:
        seen: set[str] = set()
        for t in tables:
            for col in (policy.data.label, policy.data.prediction):
                if col in t.columns:
                    _check_plain_values(t, col, checked)
                enc = _encoded(t, col)
                values = enc[1] if enc is not None else t.columns.get(col, ())
                seen.update(_text(v) for v in values if not _empty(v))
            prefix = policy.data.score_prefix
            if policy.task == "multiclass":
                seen.update(c[len(prefix):] for c in t.columns if c.startswith(prefix) and len(c) > len(prefix))
        _check_groups(seen | ({str(policy.positive_class)} if policy.task == "binary" else set()),
                      MAX_CLASSES if policy.task == "multiclass" else None, tables[0].source, policy.data.label,
                      "distinct classes in the labels and predictions", "labels")
        if policy.task == "binary":
            negatives = sorted(seen - {policy.positive_class})
            if len(negatives) > 1:
                shown = ", ".join(clip(c, 20) for c in sorted(seen)[:6])
                raise InputError(f"a binary policy, but the labels/predictions hold {len(seen)} classes ({shown})",
                                 source=tables[0].source, where=f"column '{policy.data.label}'",
                                 fix="use task: multiclass, or map the labels to two classes")
            negative = negatives[0] if negatives else f"not {policy.positive_class}"
            return (negative, str(policy.positive_class))
        classes = tuple(sorted(seen))
        if len(classes) < 2:
            raise InputError("found fewer than two classes in the labels and predictions",
                             source=tables[0].source, fix="list them in the policy's classes:")
    if policy.task == "binary":
        pos = str(policy.positive_class)
        return tuple(c for c in classes if c != pos) + (pos,)
    return tuple(classes)


def _check_groups(names: set[str], limit: Limit | None, source: str, col: str, what: str, members: str) -> None:
    """A set of classes or slice values (``what`` names them for the message, ``members`` their
    values): at most ``limit`` of them (None: no limit), and no two that render the same (that
    differ only by invisible characters)."""
    if limit is not None and len(names) > limit.value():
        raise InputError(f"has {len(names):,} {what}, more than the limit of {limit.shown(limit.value())}",
                         source=source, where=f"column '{col}'",
                         fix=f"check that the column is the one meant; to allow more, {limit.fix()}")
    twins = invisible_twins(sorted(names))
    if twins:
        raise InputError(lookalike_problem(twins), source=source, where=f"column '{col}'",
                         fix=lookalike_fix(members))


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
Checked = set[tuple[int, str]]   # (id of a Table, column) pairs whose values were found plain
_MAX_PLAIN_INT = 10 ** 100     # as for JSON and the policy: longer integers are no id or label


def _check_plain_values(t: Table, col: str, checked: Checked | None = None) -> None:
    """Ids, labels, predictions and slice values are compared as text, so they must be plain scalars.
    A Parquet (or in-memory) timestamp, date, binary, decimal, list, struct or map column would
    become Python reprs that never equal the other file's text: refused, naming the type. So is an
    in-memory integer of more than 100 digits (its text is refused by Python past 4300). CSV and
    JSON Lines cells are plain by construction. Checked once per column of one
    :func:`build_evalset` (``checked``: the (table, column) pairs already checked)."""
    key = (id(t), col)
    if t.format in ("csv", "jsonl") or (checked is not None and key in checked) or isinstance(t.columns[col], ArrowColumn):
        return      # (an ArrowColumn is a string, int64-or-narrower or floating column: plain)
    values = t.columns[col]
    kinds = {type(v) for v in values}
    row = None
    if kinds - _PLAIN_TYPES:
        row = next(i for i, v in enumerate(values) if type(v) not in _PLAIN_TYPES)
        kind = (f"Parquet type {t.types[col]}" if t.types and col in t.types
                else f"{type(values[row]).__name__} values (first at {t.where(row)})")
    elif int in kinds and not t.types:
        row = next((i for i, v in enumerate(values) if type(v) is int and not -_MAX_PLAIN_INT < v < _MAX_PLAIN_INT),
                   None)
        kind = f"an integer of more than 100 digits at {t.where(row)}" if row is not None else ""
    if row is not None:
        raise InputError(f"has {clip(kind, 80)}, which cannot be matched as text", source=t.source,
                         where=f"column '{col}'",
                         fix="ids, labels, predictions and slices must be strings, integers, floats or booleans; "
                             "cast the column to string before writing the file")
    if checked is not None:
        checked.add(key)


def _side(role: str, policy: Policy, t: Table, classes: tuple[str, ...], needs_scores: bool,
          slices: list[str], need_ids: bool, warnings: list[Note], checked: Checked | None = None,
          like: Ids | None = None) -> Side:
    """One table as a Side (``like``: the candidate's ids, when this is its baseline)."""
    spec = policy.data
    for col in [spec.label] + slices + ([spec.id] if need_ids else []) + ([spec.cluster] if spec.cluster else []):
        _require_column(t, col, role)
    for key in ("prediction", "score", "weight"):
        if key in spec.explicit:
            _require_column(t, getattr(spec, key), role)
    labels = t.columns[spec.label]
    for col in [spec.label, spec.prediction] + slices:
        if col in t.columns:
            _check_plain_values(t, col, checked)
    _check_mixed_types(t, spec.label)
    enc = _encoded(t, spec.label)
    if enc is not None:
        labeled = ~np.array([_empty(v) for v in enc[1]] or [True], dtype=bool)[enc[0]]
    else:
        labeled = np.array([not _empty(v) for v in labels], dtype=bool)
    rows = np.arange(labeled.size) if labeled.all() else np.flatnonzero(labeled)
    if rows.size == 0:
        raise InputError("no row has a label", source=t.source, where=f"column '{spec.label}'",
                         fix="labels may arrive late, but a gate needs at least some labeled rows")
    index = {c: i for i, c in enumerate(classes)}
    y = _class_codes(t, spec.label, rows, index, classes)
    scores = _scores(policy, t, rows, classes, needs_scores or spec.prediction not in t.columns)
    if scores is not None and any(METRICS[g.metric].family == "probability" for g in policy.gates):
        _check_probability_rows(policy, t, rows, classes, scores)
    pred = _predictions(policy, t, rows, index, classes, scores, role, warnings)
    weight = _weights(t, spec.weight, rows) if spec.weight in t.columns else None
    ids = _id_column(t, spec.id, checked, like) if need_ids else None
    slice_values = {s: _slice_values(t, s, rows) for s in slices}
    artifact = Artifact(role=role, path=t.source, sha256=t.sha256, format=t.format,
                        rows=t.n_rows, labeled_rows=int(rows.size))
    texts = _cluster_texts(t, spec.cluster, checked) if spec.cluster else None
    return Side(role, artifact, rows, y, pred, scores, weight, slice_values, t.n_rows, int(rows.size), ids,
                cluster=None if texts is None else _cluster_values(t, spec.cluster or "", rows, texts),
                cluster_rows=None if texts is None else _cluster_rows(texts, labeled))


def _cluster_rows(texts: np.ndarray, labeled: np.ndarray) -> np.ndarray:
    """``(2, clusters)``: labeled rows and all rows of each cluster, over every row of the file
    (``texts``: each row's cluster; what label_coverage resamples), clusters in sorted order of their
    text. An unlabeled row with no cluster is a cluster of its own (a labeled one was refused by
    :func:`_cluster_values`)."""
    named = texts != ""
    names, code = np.unique(texts[named], return_inverse=True)
    lab = np.bincount(code.ravel(), weights=labeled[named], minlength=names.size)
    rows = np.bincount(code.ravel(), minlength=names.size).astype(np.float64)
    loose = np.count_nonzero(~named)
    return np.stack([np.concatenate([lab, np.zeros(loose)]), np.concatenate([rows, np.ones(loose)])])


def _cluster_texts(t: Table, col: str, checked: Checked | None = None) -> np.ndarray:
    """The cluster column's text on every row ("" where empty), each distinct value converted once."""
    _check_plain_values(t, col, checked)
    fast = _fast_slices(t, col, np.arange(t.n_rows))
    if fast is not None:
        return fast[0]
    values = list(t.columns[col])
    text_of = {v: _cell_text(v) for v in set(values)}      # plain scalars: hashable (checked above)
    return np.array([text_of[v] for v in values], dtype=object)


def _cluster_values(t: Table, col: str, rows: np.ndarray, texts: np.ndarray) -> np.ndarray:
    """The labeled rows' clusters (``data.cluster``) as text, compared like ids and slices. Any
    number of distinct clusters; an empty cell is refused: a row of no cluster cannot be resampled
    with the others of its cluster, and "" is no cluster of its own."""
    values = texts[rows]
    empty = np.flatnonzero(values == "")
    if empty.size:
        raise InputError("the cluster is empty", source=t.source, where=t.where(int(rows[empty[0]]), col),
                         fix="give every labeled row its cluster (session, user, patient ...), "
                             "or a cluster of its own (e.g. its id)")
    return values


def _id_column(t: Table, col: str, checked: Checked | None = None, like: Ids | None = None) -> Ids:
    """Every row's id as text (NFC, stripped), checked to be a plain value, non-empty and unique:
    the pyarrow column itself when its strings are the ids (:func:`_fast_ids`; ``like``, another
    file's ids, spares the duplicate check when they are the same array), else Python strings."""
    _check_plain_values(t, col, checked)
    fast = _fast_ids(t, col, like)
    if fast is not None:
        return fast
    ids = np.array([_cell_text(v) for v in t.columns[col]], dtype=object)   # None, NaN, blank → "" (refused)
    _check_ids(t, col, ids)
    return Ids(texts=ids)


def _slice_values(t: Table, col: str, rows: np.ndarray) -> np.ndarray:
    """The labeled rows' values of one slice column as text (empty → ""), at most
    :data:`MAX_SLICE_VALUES` distinct ones (each becomes a gate) and no invisible-character twins."""
    fast = _fast_slices(t, col, rows)
    if fast is not None:
        values, distinct = fast
    else:
        values = np.array([_cell_text(t.columns[col][r]) for r in rows], dtype=object)
        distinct = set(values.tolist())
    _check_groups(distinct, MAX_SLICE_VALUES, t.source, col, "distinct slice values", "slice values")
    return values


def _require_column(t: Table, col: str, role: str) -> None:
    if col not in t.columns:
        raise missing_column(col, t.columns, t.source,
                             f"add the column to the {role} file or map it in the policy's data: section")


def _check_mixed_types(t: Table, col: str) -> None:
    """JSON/Parquet: a column holding both 1 and "1" is ambiguous. A typed Parquet column read as an
    :class:`~gate.data.readers.ArrowColumn` holds one Python type by construction (skipped)."""
    if t.format == "csv" or isinstance(t.columns[col], ArrowColumn):
        return
    kinds: dict[str, tuple[type, int]] = {}
    for i, v in enumerate(t.columns[col]):
        if _empty(v):
            continue
        text = _text(v)
        prev = kinds.setdefault(text, (type(v), i))
        if prev[0] is not type(v):
            raise InputError(f"mixes label types: {show(t.columns[col][prev[1]])} at "
                             f"{t.where(prev[1])} and {show(v)} at {t.where(i)}",
                             source=t.source, where=f"column '{col}'",
                             fix="write every label with one type (all strings or all numbers)")


def _class_codes(t: Table, col: str, rows: np.ndarray, index: dict[str, int],
                 classes: tuple[str, ...]) -> np.ndarray:
    fast = _fast_codes(t, col, rows, index)
    if fast is not None:
        return fast
    values = t.columns[col]
    codes = np.empty(rows.size, dtype=np.int64)
    for k, r in enumerate(rows):
        code = index.get(_text(values[r]))
        if code is None:
            raise InputError(f"label {show(_text(values[r]))} is not one of the classes "
                             f"({', '.join(clip(c, 20) for c in classes[:8])})",
                             source=t.source, where=t.where(int(r), col),
                             fix="fix the label or add the class to the policy's classes:")
        codes[k] = code
    return codes


def _scores(policy: Policy, t: Table, rows: np.ndarray, classes: tuple[str, ...],
            wanted: bool) -> np.ndarray | None:
    spec = policy.data
    if policy.task == "binary":
        column = spec.score
        if column not in t.columns and "score" not in spec.explicit:
            column = f"{spec.score_prefix}{classes[1]}"   # predict_proba-style score_<positive class>
        if column not in t.columns:
            if wanted and "score" not in spec.explicit and spec.prediction not in t.columns:
                raise InputError(f"has neither a '{spec.prediction}' nor a '{spec.score}' column",
                                 source=t.source, fix="add predictions or scores, or map them in data:")
            return None
        return _numeric(t, column, rows)
    cols = [f"{spec.score_prefix}{c}" for c in classes]
    present = [c for c in cols if c in t.columns]
    extra = sorted(c for c in t.columns if c.startswith(spec.score_prefix) and c not in cols)
    if not present and not extra:
        return None
    if extra:
        raise InputError(f"score column '{clip(extra[0])}' names a class that is not declared "
                         f"({', '.join(clip(c, 20) for c in classes[:8])})", source=t.source,
                         fix="score columns must match the policy's classes exactly")
    missing = [c for c in cols if c not in t.columns]
    if missing:
        raise InputError(f"has scores for {len(present)} of {len(cols)} classes; missing '{missing[0]}'",
                         source=t.source, fix="write one score column per declared class")
    if cols and all(isinstance(t.columns[c], FieldCells) for c in cols):     # one pass over the file, the same array
        block = field_numbers([t.columns[c] for c in cols], rows)
        if block is not None:
            return block
    # (classes x rows), then the transpose copied in C order: 2x faster than np.column_stack at 20 x 10^6
    return np.ascontiguousarray(np.vstack([_numeric(t, c, rows) for c in cols]).T)


# ASCII decimal numbers only: float() also takes "0_5", Arabic-Indic or fullwidth digits and
# surrounding Unicode spaces. NaN and infinity are recognised so that they get their own message.
_NUMBER_TEXT = r"[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*"
_NUMBER = re.compile(_NUMBER_TEXT, re.ASCII)
_NON_FINITE = re.compile(r"[ \t]*[+-]?(?:nan|inf|infinity)[ \t]*", re.ASCII | re.IGNORECASE)


def parse_number(v: object) -> float:
    """A score or weight as a float: a text cell must match ``[+-]digits[.digits][e[+-]digits]`` in
    ASCII (spaces and tabs around it allowed) or be a NaN/infinity spelling; a number is taken as
    is (an integer too large for a float is infinite). Booleans, None and anything else raise
    ValueError. The result may be non-finite: the caller refuses that with its own message."""
    if isinstance(v, str):
        if _NUMBER.fullmatch(v) or _NON_FINITE.fullmatch(v):
            return float(v)
        raise ValueError(v)
    if isinstance(v, bool) or v is None:
        raise ValueError(v)
    try:
        return float(v)  # type: ignore[arg-type]  # any cell: what float() refuses raises TypeError, below
    except OverflowError:
        return math.inf
    except TypeError:
        raise ValueError(v) from None


def _numeric(t: Table, col: str, rows: np.ndarray, noun: str = "score") -> np.ndarray:
    fast = _fast_numeric(t, col, rows)
    if fast is not None:
        return fast
    values = t.columns[col]
    out = np.empty(rows.size, dtype=np.float64)
    for k, r in enumerate(rows):
        v = values[r]
        try:
            x = parse_number(v)
        except ValueError:
            raise InputError(f"{show(v)} is not a number", source=t.source, where=t.where(int(r), col),
                             fix=f"{noun}s must be finite numbers") from None
        if not math.isfinite(x):
            raise InputError(f"{noun} is {show(v)}", source=t.source, where=t.where(int(r), col),
                             fix=f"{noun}s must be finite numbers (no NaN or infinity)")
        out[k] = x
    return out


def _predictions(policy: Policy, t: Table, rows: np.ndarray, index: dict[str, int],
                 classes: tuple[str, ...], scores: np.ndarray | None, role: str,
                 warnings: list[Note]) -> np.ndarray:
    spec = policy.data
    if policy.task == "binary" and scores is not None and (spec.threshold is not None
                                                           or spec.prediction not in t.columns):
        threshold = 0.5 if spec.threshold is None else spec.threshold
        if spec.threshold is None:
            msg = Note("default_threshold", {"role": role})
            if msg not in warnings:
                warnings.append(msg)
        return (scores >= threshold).astype(np.int64)
    if spec.prediction in t.columns:
        fast = _fast_codes(t, spec.prediction, rows, index, allow_empty=False)
        if fast is not None:
            return fast
        values = t.columns[spec.prediction]
        codes = np.empty(rows.size, dtype=np.int64)
        for k, r in enumerate(rows):
            code = index.get(_text(values[r])) if not _empty(values[r]) else None
            if code is None:
                shown = "empty" if _empty(values[r]) else show(_text(values[r]))
                raise InputError(f"prediction {shown} is not one of the classes "
                                 f"({', '.join(clip(c, 20) for c in classes[:8])})", source=t.source,
                                 where=t.where(int(r), spec.prediction), fix="every labeled row needs a prediction")
            codes[k] = code
        return codes
    if scores is None:
        raise InputError(f"has no '{spec.prediction}' column and no scores to derive predictions from",
                         source=t.source, fix="add a prediction column or score columns")
    return np.argmax(scores, axis=1).astype(np.int64)


MIN_WEIGHT, MAX_WEIGHT = 1e-60, 1e60   # sums of 10^15 of them, and their 4th powers (MCC), stay finite


def _weights(t: Table, col: str, rows: np.ndarray) -> np.ndarray:
    """Non-negative weights, not all zero, each positive one in [MIN_WEIGHT, MAX_WEIGHT]: the
    metrics multiply up to four weighted sums (MCC's denominator), which must neither overflow
    (1e308 each) nor underflow to zero."""
    w = _numeric(t, col, rows, "weight")
    bad = np.flatnonzero(w < 0)
    if bad.size:
        raise InputError(f"weight {w[bad[0]]} is negative", source=t.source,
                         where=t.where(int(rows[bad[0]]), col), fix="weights must be >= 0")
    bad = np.flatnonzero((w > MAX_WEIGHT) | ((w > 0) & (w < MIN_WEIGHT)))
    if bad.size:
        raise InputError(f"weight {w[bad[0]]:g} is outside the supported range (0, or {MIN_WEIGHT:g} to "
                         f"{MAX_WEIGHT:g})", source=t.source, where=t.where(int(rows[bad[0]]), col),
                         fix="rescale the weights, e.g. divide them by their mean; only their ratios matter")
    if not np.any(w > 0):
        raise InputError("every weight is zero", source=t.source, where=f"column '{col}'",
                         fix="give the examples that count a positive weight (or drop data.weight: unit weights)")
    return w


def _check_ids(t: Table, col: str, ids: np.ndarray) -> None:
    """Every id non-empty and distinct; the first row that is not names itself (and, for a repeat,
    the id's first row). All-ASCII ids that pass are passed by sorting their bytes
    (:func:`_distinct_ascii`: a byte per character, where a set of 10^6 ids costs ~50 MB while it
    grows); any other case, and any failure, is found row by row with a set of the ids seen (the
    first row of a repeat is only looked up for the message)."""
    if _distinct_ascii(ids):
        return
    seen: set[str] = set()
    for i, v in enumerate(ids):
        if v == "":
            raise InputError("id is empty", source=t.source, where=t.where(i, col), fix="every row needs an id")
        if v in seen:
            j = ids.tolist().index(v)
            raise InputError(f"id {show(v)} appears twice ({t.where(j)} and {t.where(i)})",
                             source=t.source, where=f"column '{col}'", fix="ids must be unique per file")
        seen.add(v)


def _distinct_ascii(ids: np.ndarray) -> bool:
    """Whether the ids (``str``) are all ASCII, non-empty and distinct, by sorting them as bytes; False
    also when that cannot tell (a non-ASCII id; a NUL, which numpy's fixed-width bytes drop at the end)."""
    try:
        ordered = np.asarray(ids, dtype="S")
    except (UnicodeEncodeError, TypeError, ValueError):
        return False
    ordered.sort()
    return ordered.size == 0 or (ordered[0] != b"" and not bool(np.any(ordered[1:] == ordered[:-1])))


FAST_JOIN_MIN_ROWS = 10_000


def _pairing(mode: str, ct: Table, bt: Table, cand: Side, base: Side) -> tuple[str, np.ndarray | None]:
    """``paired``, ``independent`` (``pairing: independent``, or ``auto`` with no id in common) or a
    one-line InputError; with it, the baseline position of each candidate row when the fast join
    matched every row (:func:`_reorder_like` reuses it), else None. Ids are distinct within each
    file (checked), so the join's counts are the sets' sizes: the ids shared are the candidate ids
    found, and the sets are equal iff every candidate id is found and the counts match."""
    if mode == "independent":
        return "independent", None
    c_all, b_all = cand.all_ids, base.all_ids
    assert c_all is not None and b_all is not None      # with a baseline, both sides keep every row's id
    order = _id_positions(c_all, b_all) if min(c_all.size, b_all.size) >= FAST_JOIN_MIN_ROWS else None
    if order is not None:
        shared = int(np.count_nonzero(order >= 0))
        same = shared == c_all.size == b_all.size
    else:
        c_ids, b_ids = set(c_all.all_texts().tolist()), set(b_all.all_texts().tolist())
        shared, same = len(c_ids & b_ids), c_ids == b_ids
    if same:
        return "paired", order
    if mode == "auto" and shared == 0:
        return "independent", None
    raise pairing_mismatch(mode, c_all.size, b_all.size, shared, f"{ct.source} + {bt.source}")


def intersect_without_shared(c_ids: int, b_ids: int, source: str) -> InputError:
    """``pairing: intersect`` with no id in common: that is independent traffic (the file path's
    and the engine path's message)."""
    return InputError(f"candidate has {c_ids:,} ids, baseline {b_ids:,}, and they share none: "
                      "pairing: intersect needs shared ids", source=source,
                      fix="set bootstrap.pairing: independent for disjoint traffic, such as a canary's")


def intersect_warning(shared: int, c_dropped: int, c_rows: int, b_dropped: int, b_rows: int) -> Note:
    """The report warning of ``pairing: intersect`` when it dropped rows on either side."""
    return Note("intersect", {"shared": shared, "candidate_dropped": c_dropped, "candidate_rows": c_rows,
                              "baseline_dropped": b_dropped, "baseline_rows": b_rows})


def pairing_mismatch(mode: str, c_ids: int, b_ids: int, shared: int, source: str) -> InputError:
    """Id sets that are neither equal (paired) nor, under ``auto``, disjoint (independent)."""
    why = ("pairing: paired needs the same id set" if mode == "paired" else
           "pairing needs the same id set (paired) or disjoint sets (independent, e.g. canary traffic)")
    # independent would treat the shared examples as two samples: intersect pairs them
    fix = ("evaluate both models on the same examples, or set bootstrap.pairing: independent" if shared == 0 else
           f"set bootstrap.pairing: intersect to compare the models on the {shared} shared ids, "
           "or evaluate both models on the same examples")
    return InputError(f"candidate has {c_ids} ids, baseline {b_ids}, and they share {shared}: {why}",
                      source=source, fix=fix)


def _reorder_like(cand: Side, base: Side, ct: Table, bt: Table, classes: tuple[str, ...] = (),
                  joined: np.ndarray | None = None) -> Side:
    """Put the baseline's labeled rows in the candidate's order; the candidate's labels are the truth.
    ``joined``: :func:`_pairing`'s join of every row (then no id is compared again)."""
    assert cand.all_ids is not None and base.all_ids is not None      # paired: every row's id is kept
    order: Any = _labeled_order(cand, base, joined)
    if np.any(order < 0) or base.ids.size != cand.ids.size:
        c_texts, b_texts = cand.all_ids.all_texts()[cand.ids], base.all_ids.all_texts()[base.ids]
        missing = c_texts[order < 0][0] if np.any(order < 0) else next(iter(set(b_texts) - set(c_texts)))
        raise InputError(f"id {show(missing)} is labeled in one file but not in the other",
                         source=f"{ct.source} + {bt.source}", fix="give paired files the same labels")
    if order.size < 2 or bool(np.all(order[1:] > order[:-1])):
        order = slice(None)          # an increasing permutation is the identity: the baseline as it is, no copies
    y_base = base.y[order]
    clash = np.flatnonzero(y_base != cand.y)
    if clash.size:
        i = int(clash[0])
        c_label, b_label = ((show(classes[cand.y[i]]), show(classes[y_base[i]])) if classes
                            else (f"index {cand.y[i]}", f"index {y_base[i]}"))
        raise InputError(f"id {show(_id_text(cand, i))} has label {c_label} in the candidate but "
                         f"{b_label} in the baseline", source=f"{ct.source} + {bt.source}",
                         fix="paired files must carry the same ground truth")
    cluster = None if base.cluster is None else base.cluster[order]
    if cluster is not None and cand.cluster is not None:
        _same_clusters(cand, cluster, ct, bt)
    return Side(base.role, base.artifact, base.ids[order], y_base, base.pred[order],
                None if base.scores is None else base.scores[order],
                None if base.weight is None else base.weight[order],
                {k: v[order] for k, v in base.slices.items()}, base.n_rows, base.n_labeled, base.all_ids,
                cluster=cluster)


def _labeled_order(cand: Side, base: Side, joined: np.ndarray | None) -> np.ndarray:
    """For each labeled candidate row, the position of its id among the baseline's labeled rows (-1:
    not there). From ``joined`` (every candidate row's baseline row) by an inverse permutation, no
    id compared; else by joining the labeled rows' id texts (a dict below
    :data:`FAST_JOIN_MIN_ROWS` or when the fast join cannot compare them)."""
    assert cand.all_ids is not None and base.all_ids is not None
    if joined is not None:
        if cand.ids.size == cand.all_ids.size and base.ids.size == base.all_ids.size:
            return joined            # every row labeled: labeled rows = all rows
        rank = np.full(base.all_ids.size, -1, dtype=np.int64)
        rank[base.ids] = np.arange(base.ids.size)
        return rank[joined[cand.ids]]
    c_texts, b_texts = cand.all_ids.all_texts()[cand.ids], base.all_ids.all_texts()[base.ids]
    order = _fast_order(c_texts, b_texts) if cand.ids.size >= FAST_JOIN_MIN_ROWS else None
    if order is None or np.any(order < 0) or b_texts.size != c_texts.size:
        pos = {v: i for i, v in enumerate(b_texts)}
        order = np.array([pos.get(v, -1) for v in c_texts], dtype=np.int64)
    return order


def _id_text(side: Side, i: int) -> str:
    """The id of a side's ``i``-th (labeled, aligned) row."""
    assert side.all_ids is not None
    return side.all_ids.text(int(side.ids[i]))


def _same_clusters(cand: Side, base_cluster: np.ndarray, ct: Table, bt: Table) -> None:
    """Paired rows resample together, so a shared id must be in the same cluster on both sides."""
    assert cand.cluster is not None
    clash = np.flatnonzero(cand.cluster != base_cluster)
    if clash.size:
        i = int(clash[0])
        raise InputError(f"id {show(_id_text(cand, i))} is in cluster {show(cand.cluster[i])} in the candidate but "
                         f"{show(base_cluster[i])} in the baseline", source=f"{ct.source} + {bt.source}",
                         fix="paired files must put each id in the same cluster (the rows of one user, session, ... together)")


def _check_probability_rows(policy: Policy, t: Table, rows: np.ndarray, classes: tuple[str, ...],
                            scores: np.ndarray) -> None:
    """Probability metrics (brier, log_loss, ece) need scores in [0, 1] (rows summing to 1 for
    multiclass, within 0.01), checked while the file's rows are known: the message names the row (and
    line) of the file, or an engine cell's values, and the score column. After alignment a side is
    in the candidate's order (a paired baseline) and holds cells, not rows, so its index names no
    row of the file."""
    multi = scores.ndim == 2
    bad = np.flatnonzero(np.any((scores < 0) | (scores > 1), axis=1) if multi else (scores < 0) | (scores > 1))
    if bad.size:
        i = int(bad[0])
        k = int(np.flatnonzero((scores[i] < 0) | (scores[i] > 1))[0]) if multi else 0
        column = f"{policy.data.score_prefix}{classes[k]}" if multi else _binary_score_column(policy, t, classes)
        raise outside_unit(float(scores[i, k] if multi else scores[i]), t.source, t.where(int(rows[i]), column))
    if multi and policy.task == "multiclass":
        sums = scores.sum(axis=1)
        off = np.flatnonzero(np.abs(sums - 1.0) > PROBABILITY_SUM_TOLERANCE)
        if off.size:
            raise InputError(f"class probabilities sum to {sums[off[0]]:.4f}, not 1", source=t.source,
                             where=t.where(int(rows[int(off[0])])),
                             fix="score columns must be the probabilities of the declared classes")


def outside_unit(score: float, source: str, where: str) -> InputError:
    """A probability metric's score outside [0, 1] (or NaN), at ``where`` of ``source``."""
    return InputError(f"score {score:g} is outside [0, 1]", source=source, where=where,
                      fix="brier, log_loss and ece need probabilities, not raw scores")


def _binary_score_column(policy: Policy, t: Table, classes: tuple[str, ...]) -> str:
    """The column :func:`_scores` reads a binary side's scores from."""
    spec = policy.data
    if spec.score in t.columns or "score" in spec.explicit:
        return spec.score
    return f"{spec.score_prefix}{classes[1]}"



# ---------------------------------------------------------------------------------------------
# vectorised fast paths. Each returns None (or False) whenever the input is not a plain pyarrow text
# column or anything is off, and the per-row loops above then run unchanged, so every error message
# comes from exactly the same code as before.


def _arrow(t: Table, col: str):
    column = t.columns.get(col)
    return getattr(column, "arrow", None)


def _encoded(t: Table, col: str) -> tuple[np.ndarray, list[str | None]] | None:
    """(per-row index into the distinct values, the distinct values) of a text column (pyarrow's or
    :class:`~gate.data.readers.TextCells` or :class:`~gate.data.readers.FieldCells`) or a string or
    integer Parquet column (:meth:`gate.data.readers.TextColumn.encoded`; an integer as its decimal
    text, which is what ``_text`` makes of it, a null as None); None for other columns."""
    column = t.columns.get(col)
    return column.encoded() if isinstance(column, (TextColumn, ArrowColumn, TextCells, FieldCells)) else None


def _fast_codes(t: Table, col: str, rows: np.ndarray, index: dict[str, int], allow_empty: bool = True) -> np.ndarray | None:
    enc = _encoded(t, col)
    if enc is None:
        return None
    idx, values = enc
    lookup = np.array([-1 if (_empty(v) and not allow_empty) else index.get(_text(v), -1) for v in values] or [-1],
                      dtype=np.int64)
    codes = lookup[_at_rows(idx, rows)]
    return None if np.any(codes < 0) else codes


def _at_rows(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``, without the copy when ``rows`` is every row in order (every row labeled:
    ``_side`` then makes them an ``arange``, whose last element says so)."""
    return values if _every_row(rows, values.size) else values[rows]


def _every_row(rows: np.ndarray, n: int) -> bool:
    """Whether increasing distinct ``rows`` (the labeled rows) are all ``n`` rows."""
    return rows.size == n and (n == 0 or rows[-1] == n - 1)


def _fast_numeric(t: Table, col: str, rows: np.ndarray) -> np.ndarray | None:
    column = t.columns.get(col)
    if isinstance(column, TextCells):
        return _cell_numbers(column, rows)
    if isinstance(column, FieldCells):
        return column.numbers(rows)     # _cell_numbers' rules, on the file's bytes (gate/data/_csvscan.c)
    numbers = getattr(column, "numbers", None)     # a numeric Parquet column, no nulls
    if numbers is not None:
        out = numbers[rows]
        return out if np.all(np.isfinite(out)) else None
    arr = _arrow(t, col)
    if arr is None or arr.null_count:
        return None
    compiled = arrow_numbers(arr, rows)
    if compiled is not NotImplemented:
        return compiled
    import pyarrow as pa
    import pyarrow.compute as pc
    try:
        picked = arr if _every_row(rows, len(arr)) else arr.take(pa.array(rows))
        # pyarrow's parser is not the ASCII grammar: cells outside it take the per-row loop
        if not pc.all(pc.match_substring_regex(picked, f"^{_NUMBER_TEXT}$")).as_py():
            return None
        out = np.asarray(pc.cast(picked, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError, TypeError):
        return None
    return out if np.all(np.isfinite(out)) else None


_NUMBER_CHARS = b"0123456789+-.eE \t"


def _cell_numbers(cells: TextCells, rows: np.ndarray) -> np.ndarray | None:
    """The picked CSV cells as floats, in bulk, when each is a finite ASCII decimal number; else None.
    A text of only the characters of :data:`_NUMBER_CHARS` is in float()'s grammar exactly when it
    is in :data:`_NUMBER`'s (the same digits, point, exponent and sign, with spaces and tabs as the
    only whitespace at either end; no ``_``, letters of ``inf``/``nan`` or other whitespace), so
    float() of each cell is :func:`parse_number` of it. A cell with any other character, one
    float() refuses, or an infinite value (``1e400``) returns None: the per-row loop names it."""
    picked = cells if _every_row(rows, len(cells)) else [cells[r] for r in rows.tolist()]
    text = "".join(picked)
    if not text.isascii() or text.encode("ascii").translate(None, _NUMBER_CHARS):
        return None
    try:
        out = np.fromiter(map(float, picked), dtype=np.float64, count=len(picked))
    except ValueError:
        return None
    return out if np.all(np.isfinite(out)) else None


def _fast_ids(t: Table, col: str, like: Ids | None = None) -> Ids | None:
    """The pyarrow (or :class:`~gate.data.readers.TextCells`, :class:`~gate.data.readers.FieldCells`)
    id column as :class:`Ids` when no value needs stripping or rewriting, none is empty and all are
    distinct (what ``_check_ids`` demands), with its sort order (plain ASCII ids with the compiled
    scanner: checked by hashing, no sort; 10^7 shuffled ids join ~2x faster); else None. When
    ``like`` holds the same strings in the same order, they were checked there already."""
    column = t.columns.get(col)
    if isinstance(column, TextCells):
        return _cell_ids(column, like)
    if isinstance(column, FieldCells):     # plain ASCII ids checked on the bytes, others as str
        if like is not None and like.cells is not None and like.cells.same(column):
            return Ids(cells=column)      # like's ids, in like's order: checked there
        return Ids(cells=column) if column.plain_ids() else _cell_ids(column.cells(), like)
    arr = _arrow(t, col)
    if arr is None or arr.null_count:
        return None
    if like is not None and like.arrow is not None and like.arrow.equals(arr):
        return Ids(arrow=arr, order=like.order, cells=like.cells)
    cells = FieldCells.of_arrow(arr)      # plain ASCII ids checked and joined by hashing (the scanner)
    if cells is not None and cells.plain_ids():
        return Ids(arrow=arr, cells=cells)
    if not _plain_ids(arr):
        return None
    import pyarrow.compute as pc
    order = pc.sort_indices(arr)
    return None if _has_duplicates(arr, order) else Ids(arrow=arr, order=order)


def _cell_ids(cells: list[str], like: Ids | None) -> Ids | None:
    """CSV id cells as :class:`Ids` (``like``'s own, when they are its texts) when each is its own
    id text and all are distinct: none is empty or has whitespace at either end (``str.strip``
    leaves it as it is), every non-ASCII one is NFC and none is an integral float (``"5.00"``:
    ``_text`` makes it ``"5"``); else None (``_check_ids`` then names the id)."""
    if like is not None and like.texts is not None and like.texts.size == len(cells) and like.texts.tolist() == cells:
        return like
    if "" in cells or list(map(str.strip, cells)) != cells:
        return None
    joined = "\n".join(cells)
    if not joined.isascii() and not all(unicodedata.is_normalized("NFC", v) for v in cells if not v.isascii()):
        return None
    if "." in joined and _INTEGRAL_LINE.search(joined):   # (a cell holding a LF only errs to None)
        return None
    return Ids(texts=np.array(cells, dtype=object)) if len(set(cells)) == len(cells) else None


_INTEGRAL_ID = r"[+-]?[0-9]+\.0+"    # an integral float, which ``_text`` rewrites ("5.00" -> "5")
_INTEGRAL_LINE = re.compile(f"^{_INTEGRAL_ID}$", re.ASCII | re.MULTILINE)
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True      # the ASCII characters str.isspace() knows


def _plain_ids(arr: Any) -> bool:
    """Whether every string is its own id text: non-empty, no whitespace at either end, NFC, and
    not an integral float (``"5.00"``: ``_text`` makes it ``"5"``). All-ASCII ids are checked on
    the array's bytes (first and last byte of each string, any ``.`` at all), others by pyarrow."""
    import pyarrow.compute as pc
    if pc.all(pc.string_is_ascii(arr)).as_py():
        offsets, data = string_buffers(arr)
        starts, ends = offsets[:-1], offsets[1:]
        if np.any(ends <= starts):
            return False
        if np.any(_ASCII_SPACE[data[starts]]) or np.any(_ASCII_SPACE[data[ends - 1]]):
            return False
        dotted = bool(np.any(data[offsets[0]:offsets[-1]] == ord(".")))
        return not (dotted and pc.any(pc.match_substring_regex(arr, f"^{_INTEGRAL_ID}$")).as_py())
    edges = set(pc.unique(pc.utf8_slice_codeunits(arr, 0, 1)).to_pylist())
    edges |= set(pc.unique(pc.utf8_slice_codeunits(arr, -1)).to_pylist())
    if "" in edges or any(c.isspace() or _text(c) != c for c in edges):
        return False
    return (not pc.any(pc.match_substring_regex(arr, f"^{_INTEGRAL_ID}$")).as_py()
            and pc.all(pc.equal(pc.utf8_normalize(arr, "NFC"), arr)).as_py())


def _has_duplicates(arr, order) -> bool:
    """Whether two values of a string array (no nulls) are equal, byte for byte: sorted (``order``:
    its sort indices), two neighbours are equal. Sorting 10^7 ids costs ~0.8 s of CPU, hashing them
    (``pc.unique``) ~3 s; the order is kept on the :class:`Ids` for :func:`_sorted_join`."""
    import pyarrow.compute as pc
    if len(arr) < 2:
        return False
    ordered = arr.take(order)
    return bool(pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(arr) - 1))).as_py())


def _id_positions(c: Ids, b: Ids) -> np.ndarray | None:
    """Position of every candidate id among the baseline's (-1 when absent; both distinct). For
    two pyarrow id columns: none to compute when they are the same array, a sort join when they
    hold the same set, else pyarrow's hash join; other ids through :func:`_fast_order`, none to
    compute either when both sides hold the same texts (:func:`_cell_ids` shares them)."""
    if c.cells is not None and b.cells is not None:
        return c.cells.join(b.cells)
    if c.arrow is None or b.arrow is None:
        if c.texts is not None and c.texts is b.texts:
            return np.arange(c.size, dtype=np.int64)
        return _fast_order(c.all_texts(), b.all_texts())
    if c.arrow.equals(b.arrow):
        return np.arange(c.size, dtype=np.int64)
    order = _sorted_join(c, b)
    if order is not None:
        return order
    import pyarrow.compute as pc
    found = pc.index_in(c.arrow, value_set=b.arrow)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _sorted_join(c: Ids, b: Ids) -> np.ndarray | None:
    """For two pyarrow id columns (distinct ids, checked): the baseline position of every candidate
    row when both hold the same id set, by sorting both; None otherwise."""
    ca, ba = c.arrow, b.arrow
    if len(ca) != len(ba):
        return None
    import pyarrow.compute as pc
    ci, bi = (s.order if s.order is not None else pc.sort_indices(s.arrow) for s in (c, b))
    if not pc.all(pc.equal(ca.take(ci), ba.take(bi))).as_py():
        return None
    order = np.empty(len(ca), dtype=np.int64)
    order[ci.to_numpy()] = bi.to_numpy()
    return order


def _fast_slices(t: Table, col: str, rows: np.ndarray) -> tuple[np.ndarray, set[str]] | None:
    """The labeled rows' slice texts and the set of distinct ones, from the dictionary encoding."""
    enc = _encoded(t, col)
    if enc is None:
        return None
    idx, values = enc
    texts = np.array([_cell_text(v) for v in values] or [""], dtype=object)
    codes = _at_rows(idx, rows)
    used = np.flatnonzero(np.bincount(codes, minlength=texts.size))
    return texts[codes], set(texts[used].tolist())


HASH_JOIN_MIN = 200_000     # ids (both sides) from which _fast_order joins with pyarrow when it can


def _fast_order(cand_ids: np.ndarray, base_ids: np.ndarray) -> np.ndarray | None:
    """Position of every candidate id among the baseline's ids (-1 when absent): a pyarrow hash join,
    or, without pyarrow (the core install), a numpy sort join. Baseline ids are distinct (checked).
    None when the ids cannot be compared that way (the per-row join then runs). Below
    :data:`HASH_JOIN_MIN` ids the sort join is used even with pyarrow installed: the same positions,
    without importing pyarrow (~0.1 s) for the typical CI run's file that the csv module read."""
    if cand_ids.size + base_ids.size < HASH_JOIN_MIN:
        return _sort_order(cand_ids, base_ids)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return _sort_order(cand_ids, base_ids)
    try:
        c, b = pa.array(cand_ids, type=pa.string()), pa.array(base_ids, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    found = pc.index_in(c, value_set=b)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _sort_order(cand_ids: np.ndarray, base_ids: np.ndarray) -> np.ndarray | None:
    """:func:`_fast_order` in numpy: sort the baseline's ids once, binary-search every candidate id,
    on fixed-width copies (:func:`_fixed_width`; None when an id cannot be one, and the per-row join
    runs). Two files listing the same ids in the same order (paired exports) need no sort: every
    baseline id is distinct, so position i is the candidate's i-th."""
    c, b = _fixed_width(cand_ids), _fixed_width(base_ids)
    if c is None or b is None:
        return None
    if c.dtype.kind != b.dtype.kind:        # ASCII on one side only: both as text
        c, b = c.astype(str), b.astype(str)
    if b.size == 0:
        return np.full(c.size, -1, dtype=np.int64)
    if c.shape == b.shape and bool(np.all(c == b)):     # the same ids in the same order: no sort
        return np.arange(c.size, dtype=np.int64)
    by_id = np.argsort(b, kind="stable")
    at = np.minimum(np.searchsorted(b[by_id], c), b.size - 1)
    order = by_id[at].astype(np.int64)
    order[b[order] != c] = -1
    return order


def _fixed_width(ids: np.ndarray) -> np.ndarray | None:
    """The ids (``str``) as a numpy array of fixed-width strings, which sorts and compares as their
    text: bytes (``S``, a byte per character) when all are ASCII, else ``U`` (four). None for an id
    that is not text or ends in a NUL (fixed-width strings drop trailing NULs: the total length tells)."""
    if not all(isinstance(v, str) for v in ids):
        return None
    length = sum(map(len, ids))
    try:
        fixed = np.asarray(ids, dtype="S")
    except UnicodeEncodeError:
        fixed = np.asarray(ids, dtype=str)
    return fixed if int(np.char.str_len(fixed).sum()) == length else None


def _empty(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "") or (isinstance(v, float) and math.isnan(v))


def _text(v: object) -> str:
    """Labels, predictions, ids and slice values compared as text (see ``canonical_label``)."""
    if isinstance(v, str):
        return canonical_label(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _cell_text(v: object) -> str:
    """An id or slice value as text; missing ones (None, NaN, blank) are "" (an empty id is refused)."""
    return "" if _empty(v) else _text(v)
