"""Large plain CSV runs and judgements read straight into typed columns by pyarrow (``task: ranking``).

:func:`gate.data.readers.read_table` decodes a file to text and hands every column over as text, which at
10^7 rows costs seconds per file, and a ranking check then parses the numbers again. For a plain ``.csv``
file of at least :data:`FAST_BYTES`, :func:`read_fast` parses the number columns (score, relevance) as
float64 and every other column as text in one multithreaded pyarrow pass. It is taken only when the
result cannot differ from the :func:`~gate.data.readers.read_table` path: no quote character, no NUL byte, no
lone CR, no byte-order mark, a header of distinct non-empty names that holds every number column, one data
row per line (so row i is line i + 2), UTF-8 text, and every number cell a number pyarrow reads (an empty
cell is null). Anything else returns None and the caller reads the file with read_table, whose messages
name the exact row. Size limits and the regular-file check are read_table's (:func:`read_file_bytes`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from gate.data.readers import DATA_FILE, Table, TextColumn, column_name, read_file_bytes

FAST_BYTES = 1 << 20


class NumberColumn(TextColumn):
    """A CSV column pyarrow parsed as float64 (``arrow``; null for an empty cell). As a sequence it
    gives Python floats, None for an empty cell."""

    def numbers(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, present): float64 with NaN where a cell is empty, and which cells are not."""
        present = ~np.asarray(self.arrow.is_null().to_numpy(zero_copy_only=False), bool)
        return self.arrow.to_numpy(zero_copy_only=False).astype(np.float64), present


def read_fast(path: Path, numbers: tuple[str, ...]) -> Table | None:
    """The Table of ``path`` with the columns ``numbers`` as :class:`NumberColumn` and the others as
    text (:class:`~gate.data.readers.TextColumn`), or None when the fast path does not apply (see above)."""
    if not str(path).lower().endswith(".csv") or not path.is_file() or path.stat().st_size < FAST_BYTES:
        return None
    raw = read_file_bytes(path, DATA_FILE)
    header = _header(raw, numbers)
    if header is None:
        return None
    table = _parse(raw, header, numbers)
    if table is None or table.num_rows != raw.count(b"\n", len(header[1])) + (0 if raw.endswith(b"\n") else 1):
        return None
    columns: dict[str, Any] = {name: (NumberColumn if name in numbers else TextColumn)(table.column(i).combine_chunks())
                               for i, name in enumerate(header[0])}
    return Table(str(path), "csv", columns, table.num_rows, hashlib.sha256(raw).hexdigest(),
                 range(2, table.num_rows + 2))


def _header(raw: bytes, numbers: tuple[str, ...]) -> tuple[list[str], bytes] | None:
    """(column names, the header line's bytes) when the file qualifies, else None."""
    if b'"' in raw or b"\x00" in raw or raw.startswith(b"\xef\xbb\xbf") or (b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n")):
        return None
    line = raw[:raw.find(b"\n") + 1]
    try:
        names = [column_name(h.strip()) for h in line.decode("utf-8").rstrip("\r\n").split(",")]
    except UnicodeDecodeError:
        return None
    if len(set(names)) != len(names) or "" in names or not set(numbers) <= set(names):
        return None
    return names, line


def _parse(raw: bytes, header: tuple[list[str], bytes], numbers: tuple[str, ...]) -> Any:
    """The pyarrow table of the rows after the header, or None (no pyarrow: the core install)."""
    try:
        import pyarrow as pa
        from pyarrow import csv as pacsv
    except ImportError:
        return None
    names = [f"c{i}" for i in range(len(header[0]))]
    types = {n: (pa.float64() if name in numbers else pa.string()) for n, name in zip(names, header[0])}
    try:
        return pacsv.read_csv(
            pa.py_buffer(raw[len(header[1]):]),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=True),
            parse_options=pacsv.ParseOptions(quote_char=False, escape_char=False, newlines_in_values=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                 null_values=[""], check_utf8=True))
    except Exception:   # noqa: BLE001 - any parse problem: read_table reports it precisely
        return None
