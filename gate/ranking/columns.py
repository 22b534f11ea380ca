"""Input columns of a run or of judgements, checked and normalised into numpy arrays.

Ids (query, item) are integers or text; every other type (floats, booleans, None, a mix of integers and
text) is an input error, because ``1.0`` vs ``1`` vs ``"1"`` would silently fail to match. Scores and
relevance values are finite numbers. Each problem is a one-line :class:`~gate.errors.InputError` that
names the source, the row (tables) or line (files) and the fix.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from gate.errors import InputError, clip

Column = Sequence | np.ndarray        # one column's values: a Python sequence or a numpy array


@dataclass(frozen=True, eq=False)
class Origin:
    """Where the rows of a table came from, for messages: ``source`` names the file or table and
    ``lines`` (when read from a file) maps row ``i`` to its 1-based line number."""

    source: str
    lines: np.ndarray | None = None
    first_line: int | None = None     # without ``lines``: row i is line ``first_line + i`` (no array built)

    def where(self, row: int) -> str:
        """``"line N"`` for a file row, ``"row N"`` (1-based) for a table row."""
        if self.lines is not None:
            return f"line {int(self.lines[row])}"
        return f"line {self.first_line + row}" if self.first_line is not None else f"row {row + 1}"

    def take(self, mask: np.ndarray) -> Origin:
        """The origin of the rows ``mask`` keeps (their lines; a table's rows are renumbered)."""
        if self.lines is not None:
            return Origin(self.source, self.lines[mask])
        if self.first_line is not None:
            return Origin(self.source, np.flatnonzero(mask) + self.first_line)
        return Origin(self.source)


def id_column(values: Column, column: str, origin: Origin) -> np.ndarray:
    """``values`` as an int64 array (integer ids) or a numpy unicode array (text ids)."""
    arr = _one_dimensional(values, column, origin)
    if arr.dtype.kind == "u" and len(arr) and arr.max() > np.iinfo(np.int64).max:
        return arr.astype(str)                # beyond int64: compared as their digits
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "U":
        return arr
    if len(arr) == 0:
        return np.zeros(0, np.int64)          # no rows: the kind is taken from the other table
    if arr.dtype.kind == "O":
        return _ids_from_objects(arr.tolist(), column, origin)
    raise InputError(f"column '{clip(column)}' holds {arr.dtype} values, not ids", source=origin.source,
                     fix="ids must be integers or text")


def _ids_from_objects(items: list, column: str, origin: Origin) -> np.ndarray:
    """Ids given as Python objects: all text or all integers (not bool), else the first odd row.
    The types are checked once per distinct type, not per cell; only a bad column is walked row by row."""
    types = set(map(type, items))
    if all(issubclass(t, str) for t in types):
        return np.array(items, dtype=str)
    if all(_is_integer_type(t) for t in types):
        return np.array(items, dtype=np.int64)
    kind = str if isinstance(items[0], str) else Integral
    row = next(i for i, v in enumerate(items)
               if not isinstance(v, kind) or isinstance(v, (bool, np.bool_)))
    raise InputError(f"'{clip(column)}' is {clip(repr(items[row]))}, not an id", source=origin.source,
                     where=origin.where(row),
                     fix="ids must be all integers or all text in one column")


def _is_integer_type(t: type) -> bool:
    """An integer type that is not a boolean (``True`` is no id)."""
    return issubclass(t, Integral) and not issubclass(t, (bool, np.bool_))


def _is_number_type(t: type) -> bool:
    """A real number type that is not a boolean."""
    return issubclass(t, Real) and not issubclass(t, (bool, np.bool_))


def number_column(values: Column, column: str, origin: Origin) -> np.ndarray:
    """``values`` as a float64 array of finite numbers (not text, not booleans, not NaN/inf)."""
    arr = _one_dimensional(values, column, origin)
    if arr.dtype.kind == "O":
        items = arr.tolist()
        row = None if all(_is_number_type(t) for t in set(map(type, items))) else next(
            i for i, v in enumerate(items) if not _is_number_type(type(v)))
        if row is not None:
            raise InputError(f"'{clip(column)}' is {clip(repr(arr[row]))}, not a number",
                             source=origin.source, where=origin.where(row), fix="give a finite number")
        arr = arr.astype(np.float64)
    if arr.dtype.kind not in "iuf":
        raise InputError(f"column '{clip(column)}' holds {arr.dtype} values, not numbers",
                         source=origin.source, fix="give finite numbers")
    arr = arr.astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.isfinite(arr))
    if len(bad):
        raise InputError(f"'{clip(column)}' is {arr[bad[0]]}", source=origin.source,
                         where=origin.where(int(bad[0])), fix="give a finite number (no NaN or infinity)")
    return arr


def _one_dimensional(values: Column, column: str, origin: Origin) -> np.ndarray:
    """``values`` as a 1-d array; Python lists stay objects, so a mix of types is seen per row
    (``np.asarray([1, "a"])`` would quietly turn the integer into text)."""
    arr = np.array(values, dtype=object) if isinstance(values, (list, tuple)) else np.asarray(values)
    if arr.ndim != 1:
        raise InputError(f"column '{clip(column)}' is not one-dimensional (shape {arr.shape})",
                         source=origin.source, fix="give one value per row")
    return arr


def same_lengths(columns: dict[str, np.ndarray], origin: Origin) -> int:
    """The common length of ``columns``; different lengths are an input error."""
    lengths = {name: len(col) for name, col in columns.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"'{clip(k)}' {v}" for k, v in lengths.items())
        raise InputError(f"columns have different lengths ({shown})", source=origin.source,
                         fix="give one value per row in every column")
    return next(iter(lengths.values()), 0)


def runs_of_equal(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal neighbouring ids starts, and its id (rows are usually grouped by query,
    so there are as many runs as queries)."""
    starts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    starts = np.concatenate(([0], starts)) if len(ids) else starts
    return starts, ids[starts]


def factorize(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(uniques, codes)``: the sorted distinct ids and each row's index into them.

    Only the first id of each run of equal ids is sorted: the cost is that of the number of runs, not
    of the rows (ungrouped input degrades to a full sort).
    """
    starts, heads = runs_of_equal(ids)
    uniques, inverse = np.unique(heads, return_inverse=True)
    return uniques, np.repeat(inverse, np.diff(np.append(starts, len(ids)))).astype(np.int64)


HASH_BLOCK = 1 << 16          # ids hashed per block (bounds the temporary memory)


def item_keys(ids: np.ndarray) -> np.ndarray:
    """A uint64 key per id for matching: an integer id itself, a text id a hash of its code points.

    Equal ids have equal keys (whatever the array's width: padding adds 0); distinct text ids almost
    surely differ (code points times fixed odd 64-bit multipliers, summed: ids differing in one character
    never collide). Callers compare the ids behind equal keys and match exactly on a collision, so a
    collision costs time, not correctness.
    """
    if ids.dtype.kind != "U":
        return ids.view(np.uint64)
    width = ids.dtype.itemsize // 4
    chars = ids.view(np.uint32).reshape(len(ids), width)
    weights = _multipliers(width)
    out = np.empty(len(ids), np.uint64)
    for lo in range(0, len(ids), HASH_BLOCK):
        out[lo:lo + HASH_BLOCK] = chars[lo:lo + HASH_BLOCK] @ weights
    return out


@functools.lru_cache(maxsize=8)
def _multipliers(width: int) -> np.ndarray:
    """Odd multipliers by character position, the same at a position whatever the width (splitmix64 of
    the position), so the same text in arrays of different widths gets the same key."""
    z = (np.arange(1, width + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return (z ^ (z >> np.uint64(31))) | np.uint64(1)


def as_text(ids: np.ndarray) -> np.ndarray:
    """Item ids as text, the form trec_eval compares (integer ids by their decimal digits)."""
    return ids if ids.dtype.kind == "U" else ids.astype(str)
