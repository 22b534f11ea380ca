"""In-memory prediction sources: a pandas DataFrame, a pyarrow Table or a mapping of columns → the
same raw :class:`~gate.data.readers.Table` a file reader returns, so alignment and everything after it
cannot tell a notebook's data from a file's.

Values are taken as Python scalars (numpy scalars and arrays through ``tolist()``); a float NaN or
None in the label column marks an unlabeled row, exactly as an empty CSV cell does. The artifact's
``sha256`` is a digest of the column names and values, so the same data gives the same report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeGuard

from gate.data.readers import Table
from gate.errors import InputError

MEMORY_FORMAT = "memory"


def is_in_memory(source: object) -> bool:
    """A DataFrame, a pyarrow Table or a mapping of columns (anything else is taken as a path)."""
    return isinstance(source, Mapping) or _is_dataframe(source) or _is_arrow_table(source)


def table_from_memory(source: object, name: str) -> Table:
    """The raw Table of an in-memory source; ``name`` (e.g. ``"<candidate>"``) stands for its path
    in messages and reports. Raises InputError for ragged or non-tabular input."""
    columns = _columns(source, name)
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        shown = ", ".join(f"{k!r}: {len(v)}" for k, v in columns.items())
        raise InputError(f"columns have different lengths ({shown})", source=name,
                         fix="give every column one value per example")
    n_rows = lengths.pop() if lengths else 0
    if n_rows == 0:
        raise InputError("has no rows" if columns else "has no columns", source=name,
                         fix="pass the predictions of at least one example")
    return Table(name, MEMORY_FORMAT, columns, n_rows, _digest(columns), None)


def _columns(source: object, name: str) -> dict[str, list[Any]]:
    if _is_arrow_table(source):
        return {str(k): list(v) for k, v in source.to_pydict().items()}
    if _is_dataframe(source):
        return {str(k): _values(source[k], name, str(k)) for k in source.columns}
    assert isinstance(source, Mapping)
    return {str(k): _values(v, name, str(k)) for k, v in source.items()}


def _values(column: Any, name: str, key: str) -> list[Any]:
    """One column as a list of Python scalars; 2-D arrays and scalars are refused."""
    if hasattr(column, "to_numpy") and not hasattr(column, "tolist"):
        column = column.to_numpy()
    if hasattr(column, "tolist"):
        if getattr(column, "ndim", 1) != 1:
            raise InputError(f"column '{key}' is {column.ndim}-dimensional", source=name,
                             fix="pass one 1-D array per column (score_<class> columns for multiclass scores)")
        values = column.tolist()
    elif isinstance(column, Sequence) and not isinstance(column, (str, bytes)):
        values = list(column)
    else:
        raise InputError(f"column '{key}' is a {type(column).__name__}, not a sequence of values",
                         source=name, fix="pass a list or 1-D array per column")
    return values


def _digest(columns: Mapping[str, list[Any]]) -> str:
    """sha256 of the columns in name order: stable across runs and processes."""
    h = hashlib.sha256()
    for key in sorted(columns):
        h.update(json.dumps(key).encode())
        h.update(json.dumps(columns[key], default=repr, allow_nan=True).encode())
    return h.hexdigest()


class _DataFrame(Protocol):
    """What is read of a pandas-like DataFrame (recognised by its ``columns`` and ``iloc``)."""

    @property
    def columns(self) -> Any: ...

    def __getitem__(self, key: Any) -> Any: ...


class _ArrowTable(Protocol):
    """What is read of a pyarrow Table (recognised by its ``column_names`` and ``to_pydict``)."""

    def to_pydict(self) -> dict[Any, Any]: ...


def _is_dataframe(x: object) -> TypeGuard[_DataFrame]:
    return hasattr(x, "columns") and hasattr(x, "iloc")


def _is_arrow_table(x: object) -> TypeGuard[_ArrowTable]:
    return hasattr(x, "column_names") and hasattr(x, "to_pydict")
