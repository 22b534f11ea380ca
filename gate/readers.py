"""Artifact readers: one prediction file → a :class:`Table` of raw column values.

Readers only parse; they never interpret labels or scores (that is :mod:`gate.align`). Formats are
chosen by extension: ``.csv``, ``.csv.gz``, ``.jsonl``/``.ndjson`` (optionally ``.gz``), ``.parquet``
(needs the ``parquet`` extra). CSV is comma-separated, UTF-8 (a BOM is accepted), RFC 4180 quoting
(quoted fields may contain commas and newlines). Every problem is an :class:`InputError` that names the
file and the row or line.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from gate.errors import InputError

csv.field_size_limit(2**31 - 1)  # a very long field is the data's business, not a parser limit

FORMATS = {".csv": "csv", ".csv.gz": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
           ".jsonl.gz": "jsonl", ".ndjson.gz": "jsonl", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class Table:
    """Raw columns of one artifact. ``columns[name][i]`` is the value of data row ``i`` (0-based):
    a ``str`` for CSV, any JSON scalar (or None when the key is absent) for JSON Lines, a Python
    scalar for Parquet. ``lines[i]`` is the 1-based file line where row ``i`` starts (None for
    Parquet)."""

    source: str
    format: str
    columns: dict[str, list[Any]]
    n_rows: int
    sha256: str
    lines: Sequence[int] | None = None

    def where(self, row: int, column: str | None = None) -> str:
        """Human reference to a row, e.g. ``row 7 (line 8), column 'score'``."""
        text = f"row {row + 1}"
        if self.lines is not None:
            text += f" (line {self.lines[row]})"
        if column is not None:
            text += f", column '{column}'"
        return text


def read_table(path: str | Path) -> Table:
    """Read one artifact. Raises InputError for anything unreadable or malformed."""
    path = Path(path)
    source = str(path)
    kind = detect_format(path)
    raw = _read_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    if path.name.lower().endswith(".gz"):
        raw = _gunzip(raw, source)
    if kind == "parquet":
        table = _read_parquet(raw, source)
    else:
        text = _decode(raw, source)
        table = _read_csv(text, source) if kind == "csv" else _read_jsonl(text, source)
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
    raise InputError(f"unknown file type '{path.suffix or path.name}'", source=str(path),
                     fix="use .csv, .csv.gz, .jsonl, .jsonl.gz or .parquet")


def _read_bytes(path: Path) -> bytes:
    source = str(path)
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise InputError("is a directory, not a file", source=source,
                         fix="pass the path of the predictions file") from None
    except FileNotFoundError:
        raise InputError("file not found", source=source, fix="check the path") from None
    except PermissionError:
        raise InputError("permission denied", source=source, fix="make the file readable") from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", source=source) from None


def _gunzip(raw: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        problem = "is not gzip data" if raw[:2] != b"\x1f\x8b" else f"is a damaged gzip file ({exc})"
        raise InputError(problem, source=source,
                         fix="compress it with gzip, or drop the .gz extension if it is plain text") from None


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputError(f"is not UTF-8 text (bad byte at line {line})", source=source,
                         fix="save the file as UTF-8") from None


FAST_CSV_MIN_BYTES = 1 << 20   # smaller files always take the csv-module path (same result)


class TextColumn(Sequence):
    """A CSV column parsed by pyarrow: a read-only sequence of ``str`` like the csv-module path's
    lists (materialised on first element access), plus ``arrow`` (a ``pyarrow.StringArray``) for the
    vectorised paths of :mod:`gate.align`."""

    def __init__(self, arrow: Any) -> None:
        self.arrow = arrow
        self._values: list[str] | None = None

    def __len__(self) -> int:
        return len(self.arrow)

    def _list(self) -> list[str]:
        if self._values is None:
            self._values = self.arrow.to_pylist()
        return self._values

    def __getitem__(self, i):  # type: ignore[override]
        return self._list()[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, TextColumn)) else NotImplemented


def _read_csv_fast(text: str, source: str) -> Table | None:
    """pyarrow's multithreaded CSV reader for large, plain files: every column as text, exactly what
    the csv module would return. Only taken when the result cannot differ: no quote characters (so
    no quoting rules to disagree on), no lone CR, and one data row per line (no blank lines), so
    ``lines[i]`` is ``i + 2``. Anything else (or pyarrow missing or raising) returns None and the
    csv-module path runs, with its exact error messages."""
    if len(text) < FAST_CSV_MIN_BYTES or '"' in text or "\x00" in text:
        return None
    try:
        import pyarrow as pa
        from pyarrow import csv as pacsv
    except ImportError:
        return None
    if text.count("\r") != text.count("\r\n"):
        return None
    newline = text.find("\n")
    if newline <= 0:
        return None
    header = [h.strip() for h in text[:newline].rstrip("\r").split(",")]
    if len(header) < 2 or len(set(header)) != len(header) or "" in header:
        return None
    body = text[newline + 1:]
    n_lines = body.count("\n") + (0 if body.endswith("\n") or body == "" else 1)
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pacsv.ParseOptions(quote_char=False, escape_char=False, newlines_in_values=False,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                 check_utf8=False))
    except Exception:   # noqa: BLE001 - any parse problem: the csv module reports it precisely
        return None
    if table.num_rows != n_lines or table.num_rows == 0:
        return None
    columns = {name: TextColumn(table.column(i).combine_chunks()) for i, name in enumerate(header)}
    return Table(source, "csv", columns, table.num_rows, "", range(2, table.num_rows + 2))


def _read_csv(text: str, source: str) -> Table:
    fast = _read_csv_fast(text, source)
    if fast is not None:
        return fast
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise InputError(f"contains a NUL byte at line {line}; this is not a text CSV", source=source,
                         fix="export the predictions as plain CSV")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"malformed CSV header ({exc})", source=source) from None
    if header is None or header == []:
        return Table(source, "csv", {}, 0, "", [])
    header = [h.strip() for h in header]
    _check_header(header, source)
    columns: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
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
    return Table(source, "csv", dict(zip(header, columns)), len(lines), "", lines)


def _check_header(header: list[str], source: str) -> None:
    if len(header) == 1:
        for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in header[0]:
                raise InputError(f"the header looks {name}-separated ('{_clip(header[0])}')", source=source,
                                 fix="model-gate reads comma-separated CSV; re-export with commas")
    seen: set[str] = set()
    for i, name in enumerate(header):
        if name == "":
            raise InputError(f"header column {i + 1} has no name", source=source, fix="name every column")
        if name in seen:
            raise InputError(f"column '{_clip(name)}' appears twice in the header", source=source,
                             fix="give every column a distinct name")
        seen.add(name)


def _read_jsonl(text: str, source: str) -> Table:
    columns: dict[str, list[Any]] = {}
    lines: list[int] = []
    for lineno, obj in _json_objects(text, source):
        row = len(lines)
        for key in obj:
            if key not in columns:
                columns[key] = [None] * row
        for key, col in columns.items():
            value = obj.get(key)
            if isinstance(value, (dict, list)):
                raise InputError(f"line {lineno}, key '{_clip(key)}' holds a nested {type(value).__name__}",
                                 source=source, fix="use flat scalar values")
            col.append(value)
        lines.append(lineno)
    return Table(source, "jsonl", columns, len(lines), "", lines)


def _json_objects(text: str, source: str) -> Iterator[tuple[int, dict]]:
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {lineno} is not valid JSON ({exc.msg})", source=source,
                             fix="write one JSON object per line") from None
        if not isinstance(obj, dict):
            raise InputError(f"line {lineno} is a JSON {type(obj).__name__}, not an object", source=source,
                             fix="write one JSON object per line")
        yield lineno, obj


def _read_parquet(raw: bytes, source: str) -> Table:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("reading Parquet needs pyarrow", source=source,
                         fix="pip install 'model-gate[parquet]'") from None
    try:
        table = pq.read_table(pa.BufferReader(raw))
    except Exception as exc:  # pyarrow raises many types for corrupt files
        raise InputError(f"is not a readable Parquet file ({str(exc).splitlines()[0]})", source=source) from None
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    return Table(source, "parquet", columns, table.num_rows, "", None)


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
