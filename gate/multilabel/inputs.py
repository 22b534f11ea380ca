"""A multilabel check's inputs: one table per model read into an ``N × L`` example matrix.

Rules (each violation a one-line :class:`~gate.errors.InputError` naming the file, the row/column and
the fix):

- wide (``data.layout: wide``): one row per example with a unique ``id``; label ``L`` is the column
  ``label_<L>`` (0/1), with ``score_<L>`` (in [0, 1]) and/or ``prediction_<L>`` (0/1). Without
  ``data.labels`` the labels are every ``label_<L>`` column, in the file's column order; a
  ``score_<L>`` or ``prediction_<L>`` without its ``label_<L>`` is an error (a label the truth does
  not cover).
- long (``data.layout: long``): one row per (example, label) with ``id``, ``label``, ``y`` (0/1) and
  ``score`` and/or ``prediction``; a repeated (id, label) and an example without a row for some label
  are errors. Examples come in sorted id order, labels in ``data.labels`` order or sorted.
- predictions: ``data.threshold`` gives ``score >= threshold`` (then no prediction columns may be
  given, which would be a second answer); otherwise the prediction columns, when there are any.
- ``data.weight`` (default ``weight``), when the table has it: non-negative example weights, as in
  classification. ``data.slices``: one text value per example (long: per row, the same for each of
  an example's rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gate.data.align import _cell_text, _id_column, _numeric, _require_column, _slice_values, _weights
from gate.data.readers import Table, read_table
from gate.data.sources import is_in_memory, table_from_memory
from gate.errors import InputError, UsageError, clip
from gate.multilabel.policy import MultilabelData
from gate.report.model import Artifact


@dataclass(frozen=True, eq=False)
class Examples:
    """One model's examples: ``ids`` (text, unique), ``truth`` and ``pred`` (``N × L`` 0/1, ``pred``
    None without predictions), ``scores`` (``N × L`` or None), ``weight`` (None: unit weights) and
    each slice column's values."""

    role: str
    labels: tuple[str, ...]
    ids: np.ndarray
    truth: np.ndarray
    pred: np.ndarray | None
    scores: np.ndarray | None
    weight: np.ndarray | None
    slices: dict[str, np.ndarray]
    artifact: Artifact

    def take(self, rows: np.ndarray) -> Examples:
        """The examples at ``rows`` (in that order)."""
        pick = lambda a: None if a is None else a[rows]  # noqa: E731
        return Examples(self.role, self.labels, self.ids[rows], self.truth[rows], pick(self.pred), pick(self.scores),
                        pick(self.weight), {k: v[rows] for k, v in self.slices.items()}, self.artifact)


def read_examples(source: Any, role: str, data: MultilabelData, slices: Sequence[str]) -> Examples:
    """``source`` (a path, DataFrame, pyarrow Table or mapping of columns) as :class:`Examples`."""
    table = _table(source, f"<{role}>")
    artifact = Artifact(role, table.source, table.sha256, table.format, table.n_rows, table.n_rows)
    read = _read_long if data.layout == "long" else _read_wide
    return read(table, role, data, tuple(slices), artifact)


def _table(source: Any, name: str) -> Table:
    if isinstance(source, Table):
        return source
    if is_in_memory(source):
        return table_from_memory(source, name)
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        return read_table(source)
    raise UsageError(f"{name[1:-1]} is a {type(source).__name__}", source="arguments",
                     fix="pass a file path, a pandas DataFrame, a pyarrow Table or a mapping of columns")


def _read_wide(t: Table, role: str, data: MultilabelData, slices: tuple[str, ...], artifact: Artifact) -> Examples:
    _require_column(t, data.id, role)
    ids = _id_column(t, data.id).all_texts()
    labels = _wide_labels(t, data)
    rows = np.arange(t.n_rows)
    truth = np.column_stack([_binary(t, data.label_prefix + lab, rows, "label") for lab in labels])
    score_cols = [data.score_prefix + lab for lab in labels]
    pred_cols = [data.prediction_prefix + lab for lab in labels]
    scores = _matrix(t, score_cols, rows, _score) if any(c in t.columns for c in score_cols) else None
    pred = _matrix(t, pred_cols, rows, lambda t, c, r: _binary(t, c, r, "prediction")) \
        if any(c in t.columns for c in pred_cols) else None
    pred = _thresholded(t, data, scores, pred)
    return Examples(role, labels, ids.astype(str), truth, pred, scores, _weight(t, data, rows),
                    {s: _slice(t, s, rows) for s in slices}, artifact)


def _wide_labels(t: Table, data: MultilabelData) -> tuple[str, ...]:
    """``data.labels``, else every ``label_<L>`` column; a score or prediction column of a label
    without its truth column is an error."""
    found = [c[len(data.label_prefix):] for c in t.columns if c.startswith(data.label_prefix)
             and len(c) > len(data.label_prefix)]
    labels = data.labels if data.labels is not None else tuple(found)
    if not labels:
        raise InputError(f"has no '{data.label_prefix}<label>' column", source=t.source,
                         fix=f"add one 0/1 column per label ({data.label_prefix}<label>), or set data.layout: long")
    for prefix in (data.score_prefix, data.prediction_prefix):
        for column in t.columns:
            label = column[len(prefix):]
            if column.startswith(prefix) and label and data.label_prefix + label not in t.columns:
                raise InputError(f"column '{clip(column)}' has no truth column '{clip(data.label_prefix + label)}'",
                                 source=t.source, fix=f"add {clip(data.label_prefix + label)} (0/1), or drop the column")
    for label in labels:
        if data.label_prefix + label not in t.columns:
            raise InputError(f"has no column '{clip(data.label_prefix + label)}' for label '{clip(label)}' of "
                             "data.labels", source=t.source, fix="add the 0/1 column, or remove the label from data.labels")
    return labels


def _matrix(t: Table, columns: list[str], rows: np.ndarray, read: Any) -> np.ndarray:
    for column in columns:
        if column not in t.columns:
            raise InputError(f"has some but not all of the label columns: no '{clip(column)}'", source=t.source,
                             fix="give every label the same score/prediction columns")
    return np.column_stack([read(t, c, rows) for c in columns])


def _binary(t: Table, column: str, rows: np.ndarray, noun: str) -> np.ndarray:
    """A 0/1 column (``1``, ``0``, ``1.0``, ``true``/``false`` from JSON); anything else names its row."""
    values = t.columns[column]
    if t.format != "csv":
        values = [int(v) if isinstance(v, bool) else v for v in values]
        t = Table(t.source, t.format, {column: values}, t.n_rows, t.sha256, t.lines, t.types)
    x = _numeric(t, column, rows, noun)
    bad = np.flatnonzero((x != 0) & (x != 1))
    if bad.size:
        row = int(rows[bad[0]])
        raise InputError(f"{noun} {clip(t.columns[column][row])} is not 0 or 1", source=t.source,
                         where=t.where(row, column), fix=f"{noun} columns hold 1 (the label applies) or 0")
    return x.astype(np.int8)


def _score(t: Table, column: str, rows: np.ndarray) -> np.ndarray:
    x = _numeric(t, column, rows, "score")
    bad = np.flatnonzero((x < 0) | (x > 1))
    if bad.size:
        row = int(rows[bad[0]])
        raise InputError(f"score {x[bad[0]]:g} is outside [0, 1]", source=t.source, where=t.where(row, column),
                         fix="scores are each label's probability; squash raw margins with a sigmoid")
    return x


def _thresholded(t: Table, data: MultilabelData, scores: np.ndarray | None, pred: np.ndarray | None) -> np.ndarray | None:
    if data.threshold is None:
        return pred
    if scores is None:
        raise InputError("data.threshold needs scores, but the table has none", source=t.source,
                         fix="add the score columns, or remove data.threshold")
    if pred is not None:
        raise InputError("has prediction columns and data.threshold derives predictions too", source=t.source,
                         fix="drop the prediction columns or data.threshold")
    return (scores >= data.threshold).astype(np.int8)


def _weight(t: Table, data: MultilabelData, rows: np.ndarray) -> np.ndarray | None:
    return _weights(t, data.weight, rows) if data.weight in t.columns else None


def _slice(t: Table, column: str, rows: np.ndarray) -> np.ndarray:
    _require_column(t, column, "")
    return np.asarray(_slice_values(t, column, rows), dtype=str)


def _read_long(t: Table, role: str, data: MultilabelData, slices: tuple[str, ...], artifact: Artifact) -> Examples:
    for column in (data.id, data.label, data.y):
        _require_column(t, column, role)
    rows = np.arange(t.n_rows)
    ids = np.array([_cell_text(v) for v in t.columns[data.id]], dtype=str)
    names = np.array([_cell_text(v) for v in t.columns[data.label]], dtype=str)
    empty = np.flatnonzero((ids == "") | (names == ""))
    if empty.size:
        column = data.id if ids[empty[0]] == "" else data.label
        raise InputError("is empty", source=t.source, where=t.where(int(empty[0]), column),
                         fix="every row names its example and its label")
    labels = _long_labels(data, names)
    code = {lab: j for j, lab in enumerate(labels)}
    col = np.array([code.get(n, -1) for n in names.tolist()])
    if np.any(col < 0):
        row = int(np.flatnonzero(col < 0)[0])
        raise InputError(f"label '{clip(names[row])}' is not in data.labels", source=t.source,
                         where=t.where(row, data.label), fix="add it to data.labels or drop its rows")
    uniq, first, example = np.unique(ids, return_index=True, return_inverse=True)
    cell = example * len(labels) + col
    _check_cells(t, data, cell, uniq, labels)
    order = np.argsort(cell, kind="stable")

    def grid(values: np.ndarray) -> np.ndarray:
        return values[order].reshape(uniq.size, len(labels))

    truth = grid(_binary(t, data.y, rows, "label"))
    scores = grid(_score(t, data.score, rows)) if data.score in t.columns else None
    pred = grid(_binary(t, data.prediction, rows, "prediction")) if data.prediction in t.columns else None
    pred = _thresholded(t, data, scores, pred)
    weight = _weight(t, data, rows)
    return Examples(role, labels, uniq, truth, pred, scores, None if weight is None else _per_example(
        t, data.weight, weight, example, first), {s: _per_example(t, s, _slice(t, s, rows), example, first)
                                                   for s in slices}, artifact)


def _long_labels(data: MultilabelData, names: np.ndarray) -> tuple[str, ...]:
    return data.labels if data.labels is not None else tuple(sorted(set(names.tolist())))


def _check_cells(t: Table, data: MultilabelData, cell: np.ndarray, ids: np.ndarray, labels: tuple[str, ...]) -> None:
    """Each (example, label) exactly once."""
    order = np.argsort(cell, kind="stable")
    repeated = np.flatnonzero(cell[order][1:] == cell[order][:-1])
    if repeated.size:
        row = int(order[repeated[0] + 1])
        raise InputError(f"(id, label) = ('{clip(ids[cell[row] // len(labels)])}', '{clip(labels[cell[row] % len(labels)])}') "
                         "appears twice", source=t.source, where=t.where(row),
                         fix="give each example one row per label")
    if cell.size != ids.size * len(labels):
        missing = int(np.setdiff1d(np.arange(ids.size * len(labels)), cell)[0])
        raise InputError(f"example '{clip(ids[missing // len(labels)])}' has no row for label "
                         f"'{clip(labels[missing % len(labels)])}'", source=t.source, where=f"column '{data.label}'",
                         fix="give each example one row per label (y = 0 where it does not apply)")


def _per_example(t: Table, column: str, values: np.ndarray, example: np.ndarray, first: np.ndarray) -> np.ndarray:
    """A per-row column that must hold one value per example (its first row's)."""
    per = values[first]
    bad = np.flatnonzero(values != per[example])
    if bad.size:
        row = int(bad[0])
        raise InputError(f"differs from the example's first row ('{clip(per[example[row]])}')", source=t.source,
                         where=t.where(row, column), fix=f"give each example one {column} value")
    return per
