"""A ranking check's inputs, read into columns: runs (tables or TREC run files) and judgements (a table,
a TREC qrels file, or a ``relevance`` column inline in each run), plus the query attributes gates slice on.

Rules:

- A path ending in a table suffix (``.csv``, ``.csv.gz``, ``.jsonl``, ``.parquet``, ...) is a table read
  by :func:`gate.data.readers.read_table`, with the policy's ``data:`` column names; any other path is a TREC
  file (run: ``qid Q0 docid rank score tag``; qrels: ``qid 0 docid rel``). DataFrames, pyarrow Tables and
  mappings of columns are tables too.
- Ids are integers or text; when one input has integer ids and another text ids, the integers are
  compared as their decimal text (a CSV's ``"7"`` and a Parquet file's ``7`` are the same query).
- Inline judgements (no judgements file): each run's rows with a relevance value are its judgements; a
  row with an empty score is judged but not retrieved (it counts in R and the ideal DCG), a row with an
  empty relevance is retrieved but unjudged. Each run then carries its own judgements.
- A query attribute (``slice:``) is read from the judgements table when it has the column, else from the
  candidate's run table; it must hold one value per query (a second value is an input error naming the row).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gate.data.readers import DATA_FILE, FORMATS, Table, TextColumn, read_file_bytes, read_table, string_buffers
from gate.data.sources import is_in_memory, table_from_memory
from gate.errors import InputError, UsageError, clip, missing_column
from gate.ranking.columns import Origin, id_column, number_column
from gate.ranking.fast_csv import NumberColumn, read_fast
from gate.ranking.policy import RankingData
from gate.ranking.trec import DECIMAL as _DECIMAL
from gate.ranking.trec import TrecColumns, read_qrels, read_run
from gate.report.model import Artifact

_NON_FINITE = ("nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity")


@dataclass(frozen=True, eq=False)
class Columns:
    """Three aligned columns of a run (query, item, score) or of judgements (query, item, relevance)."""

    query: np.ndarray
    item: np.ndarray
    value: np.ndarray
    origin: Origin

    @classmethod
    def of_trec(cls, t: TrecColumns) -> Columns:
        return cls(t.query, t.item, t.value, t.origin)

    def take(self, mask: np.ndarray) -> Columns:
        return Columns(self.query[mask], self.item[mask], self.value[mask], self.origin.take(mask))

    def with_text_ids(self) -> Columns:
        """The same rows with integer ids written as text (see the module docstring)."""
        as_text = [c if c.dtype.kind == "U" else c.astype(str) for c in (self.query, self.item)]
        return Columns(as_text[0], as_text[1], self.value, self.origin)


@dataclass(frozen=True, eq=False)
class Input:
    """One input as read: its columns, the raw table (None for a TREC file) and its report artifact."""

    columns: Columns
    table: Table | None
    artifact: Artifact
    judged: Columns | None = None       # a run's inline judgements


def is_table(source: Any) -> bool:
    """A table (in memory, or a path with a table suffix), as opposed to a TREC file."""
    if is_in_memory(source) or isinstance(source, Table):
        return True
    return str(source).lower().endswith(tuple(FORMATS))


def read_judgements(source: Any, data: RankingData) -> Input:
    """The judgements: a table with ``data.query_id``, ``data.item_id`` and ``data.relevance``, or a
    TREC qrels file."""
    if not is_table(source):
        raw, artifact = _trec_bytes(source, "judgements")
        cols = Columns.of_trec(read_qrels(str(source), raw))
        return Input(cols, None, _rows(artifact, len(cols.query)))
    table = _table(source, "<judgements>", (data.relevance,))
    origin = _origin(table)
    cols = Columns(_ids(table, data.query_id, origin), _ids(table, data.item_id, origin),
                   _numbers(table, data.relevance, origin, empty_ok=False)[0], origin)
    return Input(cols, table, _artifact(table, "judgements"))


def read_run_input(source: Any, role: str, data: RankingData, inline: bool) -> Input:
    """One run (``role`` candidate or baseline). ``inline``: no judgements file was given, so the run
    table's ``data.relevance`` column holds the judgements."""
    if not is_table(source):
        if inline:
            raise InputError("is a TREC run file, and no judgements were given", source=str(source),
                             fix="pass --qrels FILE (qrels= in Python) or set data.qrels in the policy")
        raw, artifact = _trec_bytes(source, role)
        cols = Columns.of_trec(read_run(str(source), raw))
        return Input(cols, None, _rows(artifact, len(cols.query)))
    table = _table(source, f"<{role}>", (data.score, data.relevance) if inline else (data.score,))
    origin = _origin(table)
    query, item = _ids(table, data.query_id, origin), _ids(table, data.item_id, origin)
    score, retrieved = _numbers(table, data.score, origin, empty_ok=inline)
    run = Columns(query, item, score, origin)
    if not inline:
        return Input(run, table, _artifact(table, role))
    if data.relevance not in table.columns:
        _missing_column(table, data.relevance, "name the relevance column data.relevance, or pass --qrels FILE")
    relevance, judged = _numbers(table, data.relevance, origin, empty_ok=True)
    judgements = Columns(query, item, relevance, origin).take(judged)
    return Input(run.take(retrieved), table, _artifact(table, role), judgements)


def same_id_kinds(*inputs: Columns) -> list[Columns]:
    """The columns with ids of one kind: all as given when every input agrees, else all as text."""
    kinds = {c.dtype.kind == "U" for cols in inputs for c in (cols.query, cols.item) if len(c)}
    return list(inputs) if len(kinds) <= 1 else [cols.with_text_ids() for cols in inputs]


def query_attribute(column: str, judgements: Input, candidate: Input, data: RankingData) -> dict[Any, str]:
    """Each query's value of the attribute ``column`` (text; see the module docstring)."""
    table = next((i.table for i in (judgements, candidate) if i.table is not None and column in i.table.columns), None)
    if table is None:
        shown = judgements.artifact.path if judgements.table is not None else candidate.artifact.path
        raise InputError(f"has no column '{clip(column)}' to slice queries by", source=shown,
                         fix="add the query attribute to the judgements or candidate table (a TREC file has none)")
    origin = _origin(table)
    queries = _ids(table, data.query_id, origin)
    values = np.array(["" if v is None else str(v) for v in table.columns[column]], dtype=str)
    uniques, first, codes = np.unique(queries, return_index=True, return_inverse=True)
    bad = np.flatnonzero(values != values[first][codes])
    if len(bad):
        row = int(bad[0])
        raise InputError(f"query '{clip(queries[row])}' has {column} '{clip(values[row])}' here but "
                         f"'{clip(values[first][codes][row])}' on an earlier row", source=table.source,
                         where=origin.where(row), fix=f"give each query one {column} value")
    return dict(zip(uniques.tolist(), values[first].tolist()))


# ---------------------------------------------------------------------------------------------


def _table(source: Any, name: str, numbers: tuple[str, ...] = ()) -> Table:
    """The table of ``source``; a large plain CSV file is parsed with ``numbers`` as number columns
    (:mod:`gate.ranking.fast_csv`), anything else by :func:`gate.data.readers.read_table`."""
    if isinstance(source, Table):
        return source
    if is_in_memory(source):
        return table_from_memory(source, name)
    if isinstance(source, (str, os.PathLike)):
        return read_fast(Path(source), numbers) or read_table(source)
    raise UsageError(f"{name[1:-1]} is a {type(source).__name__}", source="arguments",
                     fix="pass a file path, a pandas DataFrame, a pyarrow Table or a mapping of columns")


def _trec_bytes(source: Any, role: str) -> tuple[bytes, Artifact]:
    if not isinstance(source, (str, os.PathLike)):
        raise UsageError(f"{role} is a {type(source).__name__}", source="arguments",
                         fix="pass a file path, a pandas DataFrame, a pyarrow Table or a mapping of columns")
    raw = read_file_bytes(Path(source), DATA_FILE)
    return raw, Artifact(role, str(source), hashlib.sha256(raw).hexdigest(), "trec", 0, 0)


def _rows(artifact: Artifact, rows: int) -> Artifact:
    return Artifact(artifact.role, artifact.path, artifact.sha256, artifact.format, rows, rows)


def _artifact(table: Table, role: str) -> Artifact:
    return Artifact(role, table.source, table.sha256, table.format, table.n_rows, table.n_rows)


def _origin(table: Table) -> Origin:
    lines = table.lines
    if isinstance(lines, range) and lines.step == 1:   # the fast CSV path: line i + 2 (no array of lines)
        return Origin(table.source, first_line=lines.start)
    if isinstance(lines, range):
        return Origin(table.source, np.arange(lines.start, lines.stop, lines.step))
    return Origin(table.source, None if lines is None else np.asarray(lines))


def _missing_column(table: Table, name: str, fix: str) -> None:
    raise missing_column(name, table.columns, table.source, fix)


def _column(table: Table, name: str) -> Any:
    if name not in table.columns:
        _missing_column(table, name, "name the query, item, score and relevance columns in the policy's data:")
    return table.columns[name]


def _ids(table: Table, name: str, origin: Origin) -> np.ndarray:
    """An id column: integers or non-empty text (see :func:`gate.ranking.columns.id_column`). A CSV
    column whose every cell is an integer written plainly (no sign, leading zero or space: its text is
    the integer's decimal form) becomes int64, which compares and ties exactly as the text would."""
    col = _column(table, name)
    values = _arrow_ids(col.arrow) if isinstance(col, TextColumn) else list(col)
    ids = id_column(values, name, origin)
    if ids.dtype.kind == "U":
        empty = np.flatnonzero(ids == "")
        if len(empty):
            raise InputError(f"'{clip(name)}' is empty", source=origin.source, where=origin.where(int(empty[0])),
                             fix="give every row an id")
    return ids


def _arrow_ids(arrow: Any) -> np.ndarray:
    """A pyarrow string column as int64 when its text round-trips (see :func:`_ids`), else as text."""
    import pyarrow as pa
    import pyarrow.compute as pc
    try:
        ints = pc.cast(arrow, pa.int64())
        plain = _plain_integers if arrow.type == pa.string() and ints.null_count == 0 else _round_trips
        if plain(arrow, ints):
            return ints.to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    return arrow.to_numpy(zero_copy_only=False).astype(str)


_POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)


def _plain_integers(arrow: Any, ints: Any) -> bool:
    """Whether every cell of ``arrow`` (a string array without nulls) is the decimal form of its value
    in ``ints`` (its int64 cast), without writing the integers back as text.

    pyarrow reads an int64 from an optional ``-`` and decimal digits, or from ``0x`` and hex digits: when
    no byte is above ``'9'`` there is no hex cell, and each cell is then at least as long as its value's
    decimal form, as long only without a leading zero or a ``-0``. So the rule holds exactly when the
    total text length equals the total length of the decimal forms. Edge cases left to the exact
    comparison (:func:`_round_trips`): -2**63, whose absolute value overflows, and any byte above ``'9'``."""
    values = ints.to_numpy(zero_copy_only=False)
    if len(values) == 0 or values.min() == np.iinfo(np.int64).min:
        return _round_trips(arrow, ints)
    offsets, data = string_buffers(arrow)
    data = data[offsets[0]:offsets[-1]]
    if len(data) and data.max() > ord("9"):
        return _round_trips(arrow, ints)
    digits = np.searchsorted(_POWERS_OF_TEN, np.abs(values), side="right").sum() + len(values) + (values < 0).sum()
    return int(offsets[-1] - offsets[0]) == int(digits)


def _round_trips(arrow: Any, ints: Any) -> bool:
    """Whether the int64 cast ``ints`` written as text gives ``arrow`` back, cell by cell (in pyarrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    return bool(pc.all(pc.equal(pc.cast(ints, pa.string()), arrow)).as_py())


def _arrow_numbers(arrow: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """A pyarrow string column as float64 and which cells are not empty (empty: NaN), or None when
    pyarrow cannot parse a cell (the slow path then names its row)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    empty = pc.equal(arrow, "")
    try:
        floats = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), arrow), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return floats.to_numpy(zero_copy_only=False), ~empty.to_numpy(zero_copy_only=False)


def _numbers(table: Table, name: str, origin: Origin, empty_ok: bool) -> tuple[np.ndarray, np.ndarray]:
    """A number column (text cells parsed as decimals) and which rows hold a value; with ``empty_ok``
    an empty cell (``""`` or null) is NaN and marked absent, else an input error."""
    col = _column(table, name)
    fast = col.numbers() if isinstance(col, NumberColumn) else (
        _arrow_numbers(col.arrow) if isinstance(col, TextColumn) else None)
    if fast is not None:
        values, present = fast
    else:
        values = col.arrow.to_numpy(zero_copy_only=False) if isinstance(col, TextColumn) else np.array(list(col), object)
        present = _present(values)
    if not empty_ok and not present.all():
        row = int(np.argmin(present))
        raise InputError(f"'{clip(name)}' is empty", source=origin.source, where=origin.where(row),
                         fix="give every row a finite number")
    if present.all():                       # the usual case: no copies of the rows and lines
        return number_column(_parsed(values, name, origin), name, origin), present
    out = np.full(len(values), np.nan)
    kept = values[present]
    kept_origin = origin.take(present)
    out[present] = number_column(_parsed(kept, name, kept_origin), name, kept_origin)
    return out, present


def _present(values: np.ndarray) -> np.ndarray:
    """Which cells hold a value: not None and not ``""`` (numpy compares an object array cell by cell
    in C; a numeric array has every cell)."""
    if values.dtype != object:
        return np.ones(len(values), bool)
    empty: Any = None                      # np.not_equal's stubs take no None
    return np.asarray(np.not_equal(values, empty) & np.not_equal(values, ""), bool)


def _parsed(values: np.ndarray, name: str, origin: Origin) -> np.ndarray:
    """Text cells as floats: ASCII decimals (as in TREC files; ``1_0`` or ``٠.٥`` are no numbers), and
    NaN or infinity, which :func:`number_column` then names by row; any other text is an input error
    naming its row. Other cells (booleans too) are left for number_column."""
    if values.dtype != object or not any(issubclass(t, str) for t in set(map(type, values.tolist()))):
        return values
    for i, v in enumerate(values.tolist()):
        if isinstance(v, str) and not (_DECIMAL.fullmatch(v) or v.lower() in _NON_FINITE):
            raise InputError(f"'{clip(name)}' is {clip(repr(v))}, not a number", source=origin.source,
                             where=origin.where(i), fix="give a finite number")
    return np.array([float(v) if isinstance(v, str) else v for v in values.tolist()], object)
