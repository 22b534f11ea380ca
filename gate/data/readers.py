"""Artifact readers: one prediction file → a :class:`Table` of raw column values.

Readers only parse; they never interpret labels or scores (that is :mod:`gate.data.align`). Formats are
chosen by extension: ``.csv``, ``.csv.gz``, ``.jsonl``/``.ndjson`` (optionally ``.gz``), ``.parquet``
(needs the ``parquet`` extra). CSV is comma-separated, UTF-8 (a BOM is accepted), RFC 4180 quoting
(quoted fields may contain commas and newlines). JSON Lines are split on ``\n`` only (``\r\n`` too),
never on the other Unicode line breaks a JSON string may hold. Column names are NFC-normalised.
Every problem is an :class:`InputError` that names the file and the row or line.

Only regular files are read (a FIFO or a device could block or never end), and no file, compressed
or not, may exceed :data:`gate.data.limits.MAX_BYTES` (``MODEL_GATE_MAX_BYTES``): gzip is decompressed as
a stream that stops at the limit.
"""

from __future__ import annotations

import array
import codecs
import csv
import gzip
import hashlib
import io
import json
import mmap
import os
import re
import stat
import unicodedata
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from gate import accel
from gate.data.limits import MAX_BYTES, Limit
from gate.data.parquet_footer import FooterSizes, read_footer_sizes
from gate.errors import GateError, InputError, clip

csv.field_size_limit(2**31 - 1)  # a very long field is the data's business, not a parser limit

FORMATS = {".csv": "csv", ".csv.gz": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".jsonl.gz": "jsonl", ".ndjson.gz": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class Table:
    """Raw columns of one artifact. ``columns[name][i]`` is the value of data row ``i`` (0-based):
    a ``str`` for CSV, any JSON scalar (or None when the key is absent) for JSON Lines, a Python
    scalar for Parquet. ``lines[i]`` is the 1-based file line where row ``i`` starts (None for
    Parquet). ``types`` names each column's Parquet type (None for the text formats)."""

    source: str
    format: str
    columns: dict[str, Any]          # name -> a list or a LazyColumn (a Sequence of values)
    n_rows: int
    sha256: str
    lines: Sequence[int] | None = None
    types: dict[str, str] | None = None

    def where(self, row: int, column: str | None = None) -> str:
        """Human reference to a row, e.g. ``row 7 (line 8), column 'score'``."""
        text = f"row {row + 1}"
        if self.lines is not None:
            text += f" (line {self.lines[row]})"
        if column is not None:
            text += f", column '{column}'"
        return text

    def subset(self, rows: Any) -> Table:
        """The rows at the given 0-based positions (in that order), with their original line
        numbers, so messages about the subset still point into the file. numpy is imported here,
        not at the top: ``model-gate validate`` reads the policy through this module without it."""
        import numpy as np

        rows = np.asarray(rows, dtype=np.int64)
        picked = rows.tolist()
        columns = {name: (TextColumn(col.arrow.take(rows)) if isinstance(col, TextColumn)
                          else ArrowColumn(col.values.take(rows)) if isinstance(col, ArrowColumn)
                          else TextCells([col[r] for r in picked]) if isinstance(col, (TextCells, FieldCells))
                          else [col[r] for r in picked]) for name, col in self.columns.items()}
        lines = None if self.lines is None else [self.lines[r] for r in picked]
        return Table(self.source, self.format, columns, len(picked), self.sha256, lines, self.types)


def read_table(path: str | os.PathLike[str]) -> Table:
    """Read one artifact. Raises InputError for anything unreadable, malformed or over the limits."""
    path = Path(path)
    source = str(path)
    kind = detect_format(path)
    gzipped = path.name.lower().endswith(".gz")
    if kind == "csv" and not gzipped:       # a large plain CSV is mapped, not copied (read_file)
        mapped = read_file(path, DATA_FILE, map_from=FAST_CSV_MIN_BYTES)
        digest = hashlib.sha256(mapped).hexdigest()
        table = _read_csv(mapped, source, split=len(mapped) >= FAST_CSV_MIN_BYTES)
    else:
        raw = read_file_bytes(path, DATA_FILE)
        digest = hashlib.sha256(raw).hexdigest()
        raw = _gunzip(raw, source) if gzipped else raw
        if kind == "parquet":
            table = _read_parquet(raw, source)
        elif kind == "csv":
            table = _read_csv(raw, source, split=len(raw) >= FAST_CSV_MIN_BYTES)
        else:
            table = _read_jsonl(_decode(raw, source), source)
    table.sha256 = digest
    if table.n_rows == 0:
        raise InputError("has a header but no data rows" if table.columns else "is empty",
                         source=source, fix="export the predictions again; an empty set can't pass a gate")
    return table


def detect_format(path: Path) -> str:
    name = path.name.lower()
    for ext in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(ext):
            return FORMATS[ext]
    raise InputError(f"unknown file type '{clip(path.suffix or path.name)}'", source=str(path),
                     fix="use .csv, .csv.gz, .jsonl, .jsonl.gz or .parquet")


# ---------------------------------------------------------------------------------------------
# reading a file safely: regular files only, within a size limit


@dataclass(frozen=True)
class FileKind:
    """What a file is for, for the messages about it: the error class, the noun of the directory
    message, the fix when the path does not exist, and the size limit."""

    error: type[GateError]
    noun: str
    directory_fix: str
    missing_fix: str
    limit: Limit


DATA_FILE = FileKind(InputError, "a file", "pass the path of the predictions file", "check the path", MAX_BYTES)

_NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def read_file_bytes(path: Path, kind: FileKind) -> bytes:
    """The bytes of a regular file of at most ``kind.limit`` bytes (:func:`read_file`, unmapped)."""
    data = read_file(path, kind)
    assert isinstance(data, bytes)
    return data


def read_file(path: Path, kind: FileKind, map_from: int | None = None) -> bytes | mmap.mmap:
    """The bytes of a regular file of at most ``kind.limit`` bytes. The path is stat-ed before it is
    opened, so a FIFO (which would block until a writer comes), a device (``/dev/zero`` never ends)
    or a socket is refused at once; the open itself is non-blocking and the descriptor re-checked,
    so a path swapped for a FIFO in between cannot block either. A file that grows past the limit
    while it is read is refused too.

    With ``map_from``, a file of at least that many bytes (and within the limit) is mapped read-only
    instead (an ``mmap``, which slices to ``bytes``): its pages are the page cache's, so it costs
    no copy (at 10^7 rows the copy of a 230 MB file cost more CPU than scanning it, bench/README.md).
    The rule of a mapping: a file that another process truncates while it is being read ends the
    process (SIGBUS), as it does for every program that maps its input. Where the file cannot be
    mapped it is read."""
    source = str(path)
    limit = kind.limit.value()
    try:
        _check_regular(os.stat(path).st_mode, kind, source)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            _check_regular(info.st_mode, kind, source)
            mapped = _mapped(handle, info.st_size) if map_from is not None and map_from <= info.st_size <= limit else None
            data = mapped if mapped is not None else handle.read(limit + 1)
    except FileNotFoundError:
        raise kind.error("file not found", source=source, fix=kind.missing_fix) from None
    except PermissionError:
        raise kind.error("permission denied", source=source, fix="make the file readable") from None
    except ValueError:   # a NUL character in the path
        raise kind.error("the path contains a NUL character", source=source, fix="check the path") from None
    except OSError as exc:
        raise kind.error(f"cannot read the file ({exc.strerror})", source=source,
                         fix="check the path and its permissions") from None
    if len(data) > limit:
        raise kind.error(f"is larger than the size limit of {kind.limit.shown(limit)}", source=source,
                         fix=kind.limit.fix())
    return data


def _mapped(handle: io.BufferedReader, size: int) -> mmap.mmap | None:
    """The open file mapped read-only (all ``size`` bytes), or None where it cannot be mapped."""
    try:
        return mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ)
    except (OSError, ValueError, OverflowError):
        return None


def _check_regular(mode: int, kind: FileKind, source: str) -> None:
    if stat.S_ISDIR(mode):
        raise kind.error(f"is a directory, not {kind.noun}", source=source, fix=kind.directory_fix)
    if not stat.S_ISREG(mode):
        what = next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")
        raise kind.error(f"is {what}, not a regular file", source=source,
                         fix="write the data to a file first; pipes and devices are not read")


def _gunzip(raw: bytes, source: str) -> bytes:
    """Decompress as a stream and stop one byte past :data:`MAX_BYTES`: a gzip bomb is refused
    after reading at most the limit, not after filling the memory."""
    limit = MAX_BYTES.value()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        problem = "is not gzip data" if raw[:2] != b"\x1f\x8b" else f"is a damaged gzip file ({exc})"
        raise InputError(problem, source=source,
                         fix="compress it with gzip, or drop the .gz extension if it is plain text") from None
    if len(data) > limit:
        raise InputError(f"decompresses to more than the size limit of {MAX_BYTES.shown(limit)}", source=source,
                         fix=MAX_BYTES.fix())
    return data


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"is not UTF-8 text (bad byte at line {line})", source=source,
                         fix="save the file as UTF-8") from None


def column_name(name: str) -> str:
    """A column name as matched against the policy's (whose strings are NFC too): its NFC form."""
    return unicodedata.normalize("NFC", name)


FAST_CSV_MIN_BYTES = 1 << 20   # smaller files always take the csv-module path (same result)


class LazyColumn(Sequence):
    """A read-only column that builds its list of values on first element access (``_build``), so a
    column nobody reads costs nothing; compares equal to a list of the same values."""

    _values: list | None = None

    def __len__(self) -> int:
        raise NotImplementedError

    def _build(self) -> list:
        raise NotImplementedError

    def _list(self) -> list:
        if self._values is None:
            self._values = self._build()
        return self._values

    def __getitem__(self, i):
        return self._list()[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, LazyColumn)) else NotImplemented


class TextCells(list):
    """A CSV column read without pyarrow by :func:`_split_csv`: its cells, a ``list`` of ``str``
    exactly as the csv module returns them, plus their dictionary encoding, built on first use for
    the vectorised paths of :mod:`gate.data.align` (which also know that every cell is a ``str``)."""

    _encoded: tuple[Any, list] | None = None

    def encoded(self) -> tuple[Any, list]:
        """(per-cell index into the distinct cells as an int32 array, like pyarrow's dictionary
        indices, the distinct cells in order of first appearance), as :meth:`TextColumn.encoded`
        gives it (a cell is never None here)."""
        if self._encoded is None:
            import numpy as np
            index = {cell: i for i, cell in enumerate(dict.fromkeys(self))}
            codes = np.fromiter(map(index.__getitem__, self), dtype=np.int32, count=len(self))
            self._encoded = (codes, list(index))
        return self._encoded


def string_buffers(arr: Any) -> tuple[Any, Any]:
    """(the ``len + 1`` offsets, the data bytes) of a pyarrow string or large_string array, as numpy
    views without copies (the offsets of a sliced array start at its offset)."""
    import numpy as np
    import pyarrow as pa
    width = np.dtype(np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    _, offsets, data = arr.buffers()
    at = np.frombuffer(offsets, dtype=width, count=len(arr) + 1, offset=arr.offset * width.itemsize)
    return at, (np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else np.zeros(1, np.uint8))


class FieldCells(LazyColumn):
    """A CSV column read without pyarrow by :func:`_scan_csv` (the compiled scanner,
    :mod:`gate.data._csvscan`): the file's bytes and the start offset of every field, so a column
    costs no ``str`` until it is read. On first element access its cells are the same ``str`` as
    :class:`TextCells` holds (:meth:`cells`); :meth:`encoded` is :meth:`TextCells.encoded` of them,
    computed on the bytes (a ``str`` per distinct cell);
    :meth:`numbers` converts the cells to floats straight from the bytes, as
    :func:`gate.data.align._cell_numbers` does from the ``str``."""

    _encoded: tuple[Any, list] | None = None

    def __init__(self, scanner: Any, raw: bytes | mmap.mmap, starts: Any, column: int, width: int, n_rows: int) -> None:
        self.scanner, self.raw, self.starts = scanner, raw, starts
        self.column, self.width, self.n_rows = column, width, n_rows

    @staticmethod
    def of_arrow(arr: Any) -> FieldCells | None:
        """A pyarrow string array (int32 offsets, no nulls) as cells for the scanner's id checks and
        join (width 0: ``raw`` its value bytes, ``starts`` its own ``len + 1`` offsets); None without
        the compiled scanner or for another type."""
        import pyarrow as pa
        scanner = scanner_module()
        if scanner is None or not pa.types.is_string(arr.type) or arr.null_count:
            return None
        offsets, data = string_buffers(arr)
        return FieldCells(scanner, data, offsets, 0, 0, len(arr))

    def __len__(self) -> int:
        return self.n_rows

    def _build(self) -> list:
        return self.scanner.strings(self.raw, self.starts, self.column, self.width)

    def cells(self) -> list[str]:
        """The cells as a list of ``str`` (built once)."""
        return self._list()

    def encoded(self) -> tuple[Any, list]:
        """As :meth:`TextCells.encoded`, from the bytes (a ``str`` for each distinct cell only)."""
        if self._encoded is None:
            import numpy as np
            codes, distinct = self.scanner.encode(self.raw, self.starts, self.column, self.width)
            self._encoded = (np.frombuffer(codes, dtype=np.int32), distinct)
        return self._encoded

    def cell(self, row: int) -> str:
        """One row's cell (for a message), without building the column's strings."""
        if self._values is not None:
            return self._values[row]
        if self.width == 0:        # a pyarrow string array's offsets
            return bytes(self.raw[int(self.starts[row]):int(self.starts[row + 1])]).decode("utf-8")
        k = row * self.width + self.column
        start, end = int(self.starts[k]), min(int(self.starts[k + 1]) - 1, len(self.raw))
        return self.raw[start:end].decode("utf-8").removesuffix("\r")

    def plain_ids(self) -> bool:
        """Whether every cell is its own id text, ASCII, and all are distinct (decided on the bytes:
        :func:`gate.data._csvscan.plain_ids`); False sends the column to the ``str`` checks."""
        return bool(self.scanner.plain_ids(self.raw, self.starts, self.column, self.width))

    def same(self, other: FieldCells) -> bool:
        """Whether ``other`` holds the same cells in the same order."""
        return bool(self.scanner.same(self.raw, self.starts, self.column, self.width,
                                      other.raw, other.starts, other.column, other.width))

    def join(self, other: FieldCells) -> Any:
        """For each cell, the row of the equal cell of ``other`` (int64, -1 when none; ``other``'s
        cells distinct: :meth:`plain_ids`)."""
        import numpy as np
        at = self.scanner.join(self.raw, self.starts, self.column, self.width,
                               other.raw, other.starts, other.column, other.width)
        return np.frombuffer(at, dtype=np.int64)

    def numbers(self, rows: Any) -> Any:
        """The cells at ``rows`` (increasing int64 positions) as a float64 array when each is a finite
        ASCII decimal number (the rules of :func:`gate.data.align._cell_numbers`: float() of each cell,
        bit for bit); else None."""
        return field_numbers([self], rows)


def field_numbers(columns: Sequence[FieldCells], rows: Any) -> Any:
    """:meth:`FieldCells.numbers` of columns of one file, as the columns of a C-order float64 array of
    ``len(rows)`` x ``len(columns)`` (one column: 1-d), in one pass over the file; None when a cell is
    not a finite ASCII decimal number (or the columns are not of one file)."""
    import numpy as np
    first = columns[0]
    if not all(c.raw is first.raw and c.starts is first.starts for c in columns):
        return None
    n = first.n_rows
    every = rows.size == n and (n == 0 or rows[-1] == n - 1)
    picked = None if every else np.ascontiguousarray(rows, dtype=np.int64)
    which = first.column if len(columns) == 1 else tuple(c.column for c in columns)
    out = first.scanner.numbers(first.raw, first.starts, which, first.width, picked)
    if out is None:
        return None
    values = np.frombuffer(out, dtype=np.float64)
    return values if len(columns) == 1 else values.reshape(rows.size, len(columns))


def arrow_numbers(arr: Any, rows: Any) -> Any:
    """float() of the cells at ``rows`` (increasing int64 positions, or every row) of a pyarrow string
    array without nulls, by the compiled scanner under :func:`gate.data.align._cell_numbers`' rules, as a
    float64 array; None when a cell is not a finite ASCII decimal number; NotImplemented when the
    scanner is not built or the array is not a plain ``string`` array (the caller's path then runs)."""
    import numpy as np
    import pyarrow as pa
    scanner = scanner_module()
    if scanner is None or arr.type != pa.string() or arr.null_count:
        return NotImplemented
    offsets, data = string_buffers(arr)
    n = len(arr)
    every = rows.size == n and (n == 0 or rows[-1] == n - 1)
    out = scanner.text_numbers(data, np.ascontiguousarray(offsets), None if every else np.ascontiguousarray(rows, dtype=np.int64))
    return None if out is None else np.frombuffer(out, dtype=np.float64)


class _TextEncoded(LazyColumn):
    """A column with ``arrow``, its values as a pyarrow string array (None when they have no such
    text), and their dictionary encoding, built on first use like the value list."""

    arrow: Any = None
    _encoded: tuple[Any, list] | None = None

    def encoded(self) -> tuple[Any, list] | None:
        """(per-row index into the distinct values as an integer array, the distinct values, a null
        as None) by pyarrow's dictionary encoding; None without ``arrow``."""
        if self._encoded is None and self.arrow is not None:
            import numpy as np
            import pyarrow.compute as pc
            enc = pc.dictionary_encode(self.arrow, null_encoding="encode")
            self._encoded = (np.asarray(enc.indices.to_numpy(zero_copy_only=False)), enc.dictionary.to_pylist())
        return self._encoded


class TextColumn(_TextEncoded):
    """A CSV column parsed by pyarrow: a read-only sequence of ``str`` like the csv-module path's
    lists (materialised on first element access), plus ``arrow`` (a ``pyarrow.StringArray``) for the
    vectorised paths of :mod:`gate.data.align`."""

    def __init__(self, arrow: Any) -> None:
        self.arrow = arrow

    def __len__(self) -> int:
        return len(self.arrow)

    def _build(self) -> list:
        return self.arrow.to_pylist()


class ArrowColumn(_TextEncoded):
    """A Parquet column kept as its pyarrow array: on first element access the same Python scalars
    as ``to_pylist()`` (what the reader returned before), and for :mod:`gate.data.align`'s vectorised
    paths ``arrow``, the values as text where that text is exactly what the per-row paths compare
    (string columns as they are; integer columns cast to decimal text, which is ``str(v)``; None
    for other types), and ``numbers``, a float64 array for an integer or floating column without
    nulls (None otherwise; ``float(v)`` of each value, exactly)."""

    def __init__(self, values: Any) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        self.values = values
        kind = values.type
        text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        self.arrow = values if text else pc.cast(values, pa.string()) if pa.types.is_integer(kind) else None
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
        self.numbers = (np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
                        if numeric and values.null_count == 0 else None)

    def __len__(self) -> int:
        return len(self.values)

    def _build(self) -> list:
        return self.values.to_pylist()


def _parquet_column(values: Any) -> Sequence:
    """A string, integer or floating Parquet column as an :class:`ArrowColumn`; any other type as
    its list of Python scalars (gate.data.align's checks name the types it refuses)."""
    import pyarrow as pa

    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind) \
            or pa.types.is_floating(kind):
        return ArrowColumn(values)
    return values.to_pylist()


class SparseColumn(LazyColumn):
    """A JSON Lines key: the rows that have it and their values; every other row is None. Kept
    sparse until read, so a file whose lines each bring new keys stays linear in its size."""

    def __init__(self, n_rows: int) -> None:
        self.n_rows = n_rows
        self.rows: list[int] = []
        self.values: list[Any] = []

    def __len__(self) -> int:
        return self.n_rows

    def _build(self) -> list:
        if len(self.rows) == self.n_rows:     # in every row: the rows are 0, 1, ... in order
            return self.values
        dense: list[Any] = [None] * self.n_rows
        for r, v in zip(self.rows, self.values):
            dense[r] = v
        return dense


CSV_BLOCK_BYTES = (1 << 31) - 1   # pyarrow's largest block: a file below it is parsed as one block, one chunk


def _read_csv_fast(raw: bytes, source: str) -> Table | None:
    """pyarrow's CSV reader for large, plain files, on the file's bytes (no decoding to ``str`` and
    encoding back), in one block (at 10^7 rows its default 1 MB blocks cost ~3x the CPU, and
    concatenating their chunks copies every column): every column as text, exactly what the csv module would return after
    :func:`_decode`. Only taken when the result cannot differ: no quote characters (so no quoting
    rules to disagree on), no NUL, no lone CR, and one data row per line (no blank lines), so
    ``lines[i]`` is ``i + 2``. pyarrow checks that every cell is UTF-8 (the header is decoded here;
    a leading BOM is dropped, as ``utf-8-sig`` does). Anything else (or pyarrow missing or raising)
    returns None and :func:`_decode` and the csv-module path run, with their exact error messages."""
    if len(raw) < FAST_CSV_MIN_BYTES or b'"' in raw or b"\x00" in raw:
        return None
    try:
        import pyarrow as pa
        from pyarrow import csv as pacsv
    except ImportError:
        return None
    if b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n"):
        return None
    start = len(codecs.BOM_UTF8) if raw[:len(codecs.BOM_UTF8)] == codecs.BOM_UTF8 else 0
    newline = raw.find(b"\n", start)
    if newline <= start:
        return None
    try:
        first = raw[start:newline].decode("utf-8")
    except UnicodeDecodeError:
        return None
    header = [column_name(h.strip()) for h in first.rstrip("\r").split(",")]
    if len(header) < 2 or len(set(header)) != len(header) or "" in header:
        return None
    body = memoryview(raw)[newline + 1:]
    n_lines = raw.count(b"\n", newline + 1) + (0 if raw.endswith(b"\n") or len(body) == 0 else 1)
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True,
                                           block_size=min(len(body) + 1, CSV_BLOCK_BYTES)),
            parse_options=pacsv.ParseOptions(quote_char=False, escape_char=False, newlines_in_values=False,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=True))
    except Exception:   # noqa: BLE001 - any parse problem (or a byte that is not UTF-8): the slow path reports it
        return None
    if table.num_rows != n_lines or table.num_rows == 0:
        return None
    columns = {name: TextColumn(_one_array(table.column(i))) for i, name in enumerate(header)}
    return Table(source, "csv", columns, table.num_rows, "", range(2, table.num_rows + 2))


def _one_array(column: Any) -> Any:
    """A pyarrow ChunkedArray as one array: its only chunk as it is (no copy), else concatenated."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _is_ascii(raw: bytes | mmap.mmap) -> bool:
    """Whether every byte is below 128 (of a mapped file too, without copying it)."""
    if isinstance(raw, bytes):
        return raw.isascii()
    import numpy as np
    return len(raw) == 0 or int(np.frombuffer(raw, dtype=np.uint8).max()) < 128


def _read_csv(raw: bytes | mmap.mmap, source: str, split: bool = False) -> Table:
    """The csv module's reading of a file's bytes (small files, and whatever the fast paths decline);
    ``split`` (a large file): first the fast paths, which return the same table when they apply:
    :func:`_scan_csv` on the bytes (when the compiled scanner was built: faster than pyarrow's reader
    at 10^6 and 10^7 rows, bench/README.md), then pyarrow's (:func:`_read_csv_fast`), then
    :func:`_split_csv` on the decoded text. The csv module reads the text as a stream
    (:class:`io.TextIOWrapper`: the same lines as a ``StringIO`` of the decoded text, whose buffer would
    cost 4 bytes per character)."""
    scanner = scanner_module() if split else None
    # the bad byte's line, before any row is parsed (an ASCII file has none: decoded only if split needs it)
    text = None if _is_ascii(raw) else _decode(raw[:], source)
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw[:nul].count(b"\n") + 1
        raise InputError(f"contains a NUL byte at line {line}; this is not a text CSV", source=source,
                         fix="export the predictions as plain CSV")
    if scanner is not None:
        text = None                    # (its 1-4 bytes per character are not held while scanning)
        table = _scan_csv(raw, source, scanner)
        if table is not None:
            return table
    raw = raw[:]                       # a mapped file's bytes (a bytes object is its own slice)
    table = _read_csv_fast(raw, source) if split else None
    if table is not None:
        return table
    if split:
        table = _split_csv(text if text is not None else _decode(raw, source), source)
        if table is not None:
            return table
    del text
    return _csv_module(raw, source)


_SCANNER: dict = {}   # {"module": gate.data._csvscan} once imported (gate.accel.load)


def scanner_module() -> Any:
    """The compiled CSV scanner (:mod:`gate.data._csvscan`), or None when the install had no C
    compiler or with ``MODEL_GATE_ACCEL=numpy``."""
    return accel.load("gate.data._csvscan", _SCANNER)


def _scan_csv(raw: bytes | mmap.mmap, source: str, scanner: Any) -> Table | None:
    """:func:`_split_csv`'s table (of :class:`FieldCells`) by the compiled scanner, on the file's bytes
    (valid UTF-8 without NUL: the caller checked): the header line as :func:`_split_csv` reads it (a
    leading BOM dropped, a CRLF read as LF, the same message on a header problem), the data lines by
    :func:`gate.data._csvscan.scan`, which declines (None) exactly where :func:`_split_csv` does."""
    import numpy as np

    start = len(codecs.BOM_UTF8) if raw[:len(codecs.BOM_UTF8)] == codecs.BOM_UTF8 else 0
    newline = raw.find(b"\n", start)
    if newline < 0:
        return None                              # no data line
    first = raw[start:newline]
    first = first[:-1] if first.endswith(b"\r") else first
    if not first or b'"' in first or b"\r" in first:
        return None                              # an empty header line, a quote or a lone CR
    fields = first.decode("utf-8").split(",")
    width = len(fields)
    starts = scanner.scan(raw, newline + 1, width)
    if starts is None:
        return None
    header = [column_name(h.strip()) for h in fields]
    _check_header(header, source)
    offsets = np.frombuffer(starts, dtype=np.uint32)
    n_rows = (offsets.size - 1) // width
    columns = {name: FieldCells(scanner, raw, offsets, j, width, n_rows) for j, name in enumerate(header)}
    return Table(source, "csv", columns, n_rows, "", range(2, n_rows + 2))


def _split_csv(text: str, source: str) -> Table | None:
    """The csv module's table of a plain decoded file (no NUL), by ``str.split`` (for large files
    when pyarrow is absent or declines: 2-3x faster, and its TextCells align in bulk): taken only when the file has no quote character
    (so no quoting rules), no CR other than in CRLF (read as LF, as the csv module does), no blank
    line (the csv module skips those, and the line numbers then shift) and every line has the
    header's number of commas. Then each row is its line split on commas, exactly, and data row
    ``i`` starts on line ``i + 2``. The header is checked as on the csv-module path (same message);
    anything else returns None, and the csv module reads the file, with its exact messages."""
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    shape = _plain_shape(text)
    if shape is None:
        return None
    fields, n_rows = shape
    header = [column_name(h.strip()) for h in fields]
    _check_header(header, source)
    width = len(header)
    cells = text[text.index("\n") + 1:].replace("\n", ",").split(",")   # (a final LF: one "" more)
    columns = {name: TextCells(cells[j:n_rows * width:width]) for j, name in enumerate(header)}
    return Table(source, "csv", columns, n_rows, "", range(2, n_rows + 2))


def _plain_shape(text: str) -> tuple[list[str], int] | None:
    """(the header line's fields, the number of data lines) of LF-separated text (a final LF ends
    the last line) when it has a data line, no line is empty and every line has as many commas as
    the header; else None."""
    lines = text.removesuffix("\n").split("\n")
    fields = lines[0].split(",")
    if len(lines) < 2 or "" in lines or set(map(str.count, lines, repeat(","))) != {len(fields) - 1}:
        return None
    return fields, len(lines) - 1


def _csv_module(raw: bytes, source: str) -> Table:
    """The csv module's reading of a file without NUL: every message about its rows. A file whose
    rows are one per line from line 2 keeps its line numbers as a ``range`` (no int per row), as the
    fast paths do."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"malformed CSV header ({exc})", source=source) from None
    if header is None or header == []:
        return Table(source, "csv", {}, 0, "", [])
    header = [column_name(h.strip()) for h in header]
    _check_header(header, source)
    columns: list[list[str]] = [[] for _ in header]
    lines = array.array("q")
    width = len(header)
    start = reader.line_num + 1
    try:
        for row in reader:
            if not row:               # blank line
                start = reader.line_num + 1
                continue
            if len(row) != width:
                raise InputError(f"line {start} has {len(row)} fields but the header has {width}",
                                 source=source, fix="check for unquoted commas or missing fields")
            for col, value in zip(columns, row):
                col.append(value)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV near line {reader.line_num} ({exc})", source=source,
                         fix="check the quoting") from None
    return Table(source, "csv", dict(zip(header, columns)), len(lines), "", _line_numbers(lines))


def _line_numbers(lines: array.array) -> Sequence[int]:
    """The rows' increasing line numbers as a ``range`` when they follow each other (one row per
    line), else as a list."""
    if not lines or lines[-1] - lines[0] == len(lines) - 1:
        return range(lines[0], lines[0] + len(lines)) if lines else []
    return lines.tolist()


def _check_header(header: list[str], source: str) -> None:
    if len(header) == 1:
        for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in header[0]:
                raise InputError(f"the header looks {name}-separated ('{clip(header[0])}')", source=source,
                                 fix="model-gate reads comma-separated CSV; re-export with commas")
    for i, name in enumerate(header):
        if name == "":
            raise InputError(f"header column {i + 1} has no name", source=source, fix="name every column")
    _check_unique(header, source, "the header")


def _check_unique(names: Sequence[str], source: str, container: str) -> None:
    """Column names must be distinct (CSV headers, Parquet schemas, JSON keys after NFC)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"column '{clip(name)}' appears twice in {container}", source=source,
                             fix="give every column a distinct name")
        seen.add(name)


MAX_NUMBER_DIGITS = 100   # a JSON integer this long is no score, label or weight (and int() would refuse 4300)
MAX_FLAT_BRACKETS = 64    # a line with more '{'/'[' outside strings is refused before json parses it
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.?)*(?:"|\Z)', re.DOTALL)   # linear: the tail always matches
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _LongNumber(str):
    """A JSON integer of more than :data:`MAX_NUMBER_DIGITS` digits, kept as its text until the
    reader names its key in the error."""


class _LineProblem(Exception):
    """A problem in one JSON line, raised from inside the parse hooks; the caller adds the line."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem, self.fix = problem, fix


def _read_jsonl(text: str, source: str) -> Table:
    """One flat JSON object per line; a key missing from a line is None there."""
    columns: dict[str, SparseColumn] = {}
    lines: list[int] = []
    for lineno, obj in _json_objects(text, source):
        row = len(lines)
        for key, value in obj.items():
            if isinstance(value, (dict, list, _LongNumber)):
                raise InputError(_non_scalar(lineno, key, value), source=source,
                                 fix="use flat scalar values" if not isinstance(value, _LongNumber)
                                 else "write long ids as JSON strings; no score or weight is that long")
            col = columns.get(key)
            if col is None:
                col = columns[key] = SparseColumn(0)
            col.rows.append(row)
            col.values.append(value)
        lines.append(lineno)
    for col in columns.values():
        col.n_rows = len(lines)
    names = [column_name(k) for k in columns]
    _check_unique(names, source, "the keys (after Unicode NFC normalisation)")
    return Table(source, "jsonl", dict(zip(names, columns.values())), len(lines), "", lines)


def _non_scalar(lineno: int, key: str, value: object) -> str:
    if isinstance(value, _LongNumber):
        return f"line {lineno}, key '{clip(key)}' holds a number of {len(value):,} digits (at most {MAX_NUMBER_DIGITS})"
    return f"line {lineno}, key '{clip(key)}' holds a nested {type(value).__name__}"


def _json_objects(text: str, source: str) -> Iterator[tuple[int, dict]]:
    """Split on ``\n`` only (a trailing ``\r`` is dropped): U+2028, U+0085 and the other breaks
    ``str.splitlines`` knows are valid inside JSON strings. Blank lines are skipped."""
    for lineno, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip(" \t\r"):
            continue
        try:
            obj = _parse_line(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {lineno} is not valid JSON ({exc.msg})", source=source,
                             fix="write one JSON object per line") from None
        except _LineProblem as exc:
            raise InputError(f"line {lineno}{exc.problem}", source=source, fix=exc.fix) from None
        if not isinstance(obj, dict):
            raise InputError(f"line {lineno} is a JSON {type(obj).__name__}, not an object", source=source,
                             fix="write one JSON object per line")
        if "\\u" in line and _SURROGATE_ESCAPE.search(line):
            _check_surrogates(obj, lineno, source)
        yield lineno, obj


def _parse_line(line: str) -> Any:
    """``json.loads`` for one line that cannot recurse deeply (a line with more than
    :data:`MAX_FLAT_BRACKETS` brackets outside strings is refused unparsed), that refuses
    duplicate keys, and that keeps over-long integers as text instead of converting them."""
    if line.count("{") + line.count("[") > 1:
        structure = _JSON_STRING.sub("", line)
        opened = structure.count("{") + structure.count("[")
        if opened > MAX_FLAT_BRACKETS:
            raise _LineProblem(f" nests {opened:,} JSON objects or arrays; model-gate reads one flat object "
                               "per line", "use flat scalar values")
    return _DECODER.decode(line)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        key = ""
        for k, _ in pairs:          # the first key seen twice
            if k in seen:
                key = k
                break
            seen.add(k)
        raise _LineProblem(f", key '{clip(key)}' appears twice in one object",
                           "give every key once; JSON readers disagree on which value wins")
    return obj


def _parse_int(text: str) -> int | _LongNumber:
    digits = len(text) - (text[0] == "-")
    return int(text) if digits <= MAX_NUMBER_DIGITS else _LongNumber(text)


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_int=_parse_int)   # built once: cheaper


def _check_surrogates(obj: dict, lineno: int, source: str) -> None:
    """A ``\\ud800`` escape without its pair decodes to a lone surrogate, which no UTF-8 report
    can hold."""
    for key, value in obj.items():
        for text in (key, value):
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise InputError(f"line {lineno}, key '{clip(key)}' holds an unpaired UTF-16 surrogate "
                                     f"escape", source=source,
                                     fix="write the text as UTF-8 (or as a valid \\ud83d\\ude00 pair)") from None


def _read_parquet(raw: bytes, source: str) -> Table:
    """Every column as Python scalars (string and numeric columns as :class:`ArrowColumn`, which
    also hands gate.data.align their arrays), with its Parquet type kept for the messages of
    :mod:`gate.data.align`. The uncompressed size the file declares is held to :data:`MAX_BYTES`
    before anything is decompressed."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet needs pyarrow", source=source,
                         fix="pip install 'model-gate[parquet]'") from None
    try:
        _check_parquet_size(read_footer_sizes(raw), source)
        table = pq.ParquetFile(pa.BufferReader(raw)).read()
        names = [column_name(n) for n in table.column_names]
        _check_unique(names, source, "the Parquet schema")
        columns = {name: _parquet_column(table.column(i).combine_chunks()) for i, name in enumerate(names)}
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for corrupt files
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise InputError(f"is not a readable Parquet file ({clip(first, 300)})", source=source) from None
    types = {name: str(table.schema.field(i).type) for i, name in enumerate(names)}
    return Table(source, "parquet", columns, table.num_rows, "", None, types)


PARQUET_CELL_BYTES = 8   # a decoded cell takes at least this much, however well it compressed


def _check_parquet_size(footer: FooterSizes, source: str) -> None:
    """The data a Parquet file decodes to, held to :data:`MAX_BYTES` before anything is decoded:
    per row group, the uncompressed size it declares (:attr:`RowGroupSize.declared_bytes`) and
    :data:`PARQUET_CELL_BYTES` per cell, whichever is larger (a run-length or dictionary-encoded
    column of 10^9 equal values is a few KB on disk, and its uncompressed pages are too). The row
    groups must add up to the rows the footer declares: one that claims 10^10 rows in a 3-row file
    is corrupt, and pyarrow would allocate for the claim."""
    declared = sum(group.num_rows for group in footer.row_groups)
    if declared != footer.num_rows or any(group.num_rows < 0 for group in footer.row_groups):
        raise InputError(f"is not a readable Parquet file (its row groups hold {declared:,} rows, its footer "
                         f"declares {footer.num_rows:,})", source=source,
                         fix="write the file again with pyarrow, pandas or Spark")
    limit = MAX_BYTES.value()
    total = sum(max(group.declared_bytes, PARQUET_CELL_BYTES * group.num_rows * len(group.column_sizes))
                for group in footer.row_groups)
    if total > limit:
        columns = max((len(group.column_sizes) for group in footer.row_groups), default=0)
        raise InputError(f"holds more data than the size limit of {MAX_BYTES.shown(limit)} once decoded "
                         f"({footer.num_rows:,} rows × {columns:,} columns)", source=source,
                         fix=MAX_BYTES.fix())
