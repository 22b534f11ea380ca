"""TREC run and qrels files, read into :class:`~gate.ranking.runs.Rankings`.

Formats (fields separated by ASCII whitespace, as trec_eval's ``isspace``):

- run: ``qid Q0 docid rank score tag``. The second, rank and tag fields are not read: trec_eval ignores
  the rank (``get_trec_results.c``) and orders by score, then docid descending.
- qrels: ``qid 0 docid rel``, ``rel`` an integer (negative: judged as "unjudged in pool", never
  relevant; ``get_qrels.c``, ``form_res_rels.c``).

Blank lines and lines whose first field starts with ``#`` are skipped. Everything else is checked,
each problem an :class:`~gate.errors.InputError` naming the file, the line and the fix: a wrong number of
fields (trec_eval tolerates extra run fields; a gate does not guess), a score that is not an ASCII
decimal number (NaN and infinity included), a relevance that is not an ASCII integer, a NUL byte, text
that is not UTF-8, a (qid, docid) pair listed twice.

The file is tokenised with numpy (no Python loop per line): about a second per million lines.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gate.errors import InputError, clip
from gate.ranking.columns import Origin
from gate.ranking.runs import Rankings, from_arrays

RUN_FIELDS = ("query", "Q0", "docid", "rank", "score", "tag")
QRELS_FIELDS = ("query", "0", "docid", "relevance")
BLOCK_CELLS = 1 << 22           # bytes copied per block when taking a field out of the file
MAX_FIELD_BYTES = 4096          # a longer field is an input error, not a 4 GB array

_WHITESPACE = np.zeros(256, bool)
_WHITESPACE[list(b" \t\n\r\v\f")] = True
_DECIMAL_BYTES = np.zeros(256, bool)
_DECIMAL_BYTES[list(b"0123456789+-.eE")] = True
_INTEGER_BYTES = np.zeros(256, bool)
_INTEGER_BYTES[list(b"0123456789+-")] = True
_DECIMAL = re.compile(rb"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
DECIMAL = re.compile(_DECIMAL.pattern.decode("ascii"))     # the same rule for text cells (gate.ranking.inputs)
_INTEGER = re.compile(rb"[+-]?[0-9]+")


def from_trec(run: str | Path, qrels: str | Path) -> Rankings:
    """:class:`Rankings` from a TREC run file and a TREC qrels file."""
    r, q = read_run(run), read_qrels(qrels)
    return from_arrays(r.query, r.item, r.value, q.query, q.item, q.value, run_origin=r.origin,
                       judgements_origin=q.origin, names=(("query", "docid", "score"), ("query", "docid", "relevance")))


@dataclass(frozen=True, eq=False)
class TrecColumns:
    """The three fields read from a TREC file: query ids, docids (text) and scores or relevance, with
    the ``origin`` (file name and each row's line number) for later messages."""

    query: np.ndarray
    item: np.ndarray
    value: np.ndarray
    origin: Origin


def read_run(path: str | Path, data: bytes | None = None) -> TrecColumns:
    """The ``qid``, ``docid`` and ``score`` fields of a run file (rank, Q0 and tag are not read);
    ``data``: the file's bytes when the caller has read them already."""
    table = _Fields.read(path, RUN_FIELDS, data)
    return TrecColumns(table.text(0), table.text(2), table.number(4, _DECIMAL_BYTES, _DECIMAL, float), table.origin)


def read_qrels(path: str | Path, data: bytes | None = None) -> TrecColumns:
    """The ``qid``, ``docid`` and integer ``rel`` fields of a qrels file (``data`` as for :func:`read_run`)."""
    table = _Fields.read(path, QRELS_FIELDS, data)
    return TrecColumns(table.text(0), table.text(2), table.number(3, _INTEGER_BYTES, _INTEGER, int), table.origin)


@dataclass(frozen=True, eq=False)
class _Fields:
    """A whitespace-separated file as token boundaries: ``starts[r, f]`` / ``ends[r, f]`` are the byte
    range of field f on data row r (rows = lines that are not blank or comments)."""

    buf: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    origin: Origin
    names: tuple[str, ...]

    @classmethod
    def read(cls, path: str | Path, names: tuple[str, ...], data: bytes | None = None) -> _Fields:
        source = str(path)
        try:
            data = Path(path).read_bytes() if data is None else data
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror or exc})", source=source,
                             fix="check the path and its permissions") from None
        buf = np.frombuffer(data, np.uint8)
        _check_no_nul(buf, source)
        starts, ends = _tokens(buf)
        # tokens per line: those starting before the line's newline, minus those of earlier lines
        before_end = np.searchsorted(starts, np.append(np.flatnonzero(buf == 10), len(buf)))
        counts = np.diff(before_end, prepend=0)
        first = before_end - counts
        data_line = np.flatnonzero(counts > 0)
        data_line = data_line[buf[starts[first[data_line]]] != ord("#")]          # not a comment
        _check_counts(counts[data_line], data_line + 1, names, source)
        token = first[data_line][:, None] + np.arange(len(names))
        return cls(buf, starts[token], ends[token], Origin(source, data_line + 1), names)

    def raw(self, field: int) -> np.ndarray:
        """Field ``field`` of every row as bytes (``S``), copied out in blocks of rows."""
        s, lengths = self.starts[:, field], self.ends[:, field] - self.starts[:, field]
        width = int(lengths.max(initial=1))
        if width > MAX_FIELD_BYTES:
            row = int(np.argmax(lengths > MAX_FIELD_BYTES))
            raise InputError(f"{self.names[field]} is longer than {MAX_FIELD_BYTES} bytes", source=self.origin.source,
                             where=self.origin.where(row), fix="check that the file is a TREC run or qrels file")
        out = np.empty(len(s), dtype=f"S{width}")
        col = np.arange(width)
        step = max(1, BLOCK_CELLS // width)
        for lo in range(0, len(s), step):
            idx = np.minimum(s[lo:lo + step, None] + col, len(self.buf) - 1)
            cells = np.where(col < lengths[lo:lo + step, None], self.buf[idx], 0).astype(np.uint8)
            out[lo:lo + step] = cells.view(f"S{width}").ravel()
        return out

    def text(self, field: int) -> np.ndarray:
        """Field ``field`` as text (numpy unicode); not UTF-8 is an input error naming the line."""
        raw = self.raw(field)
        try:
            return raw.astype(str) if _ascii(raw) else np.char.decode(raw, "utf-8")
        except UnicodeDecodeError:
            row = next(i for i, v in enumerate(raw.tolist()) if not _decodes(v))
            raise InputError(f"{self.names[field]} is not UTF-8 text", source=self.origin.source,
                             where=self.origin.where(row), fix="write the file as UTF-8") from None

    def number(self, field: int, allowed: np.ndarray, pattern: re.Pattern, kind: type) -> np.ndarray:
        """Field ``field`` as float64 (``kind`` float) or int64 (``kind`` int), every token checked:
        only ASCII digits, signs, ``.`` and exponents, a finite value."""
        raw = self.raw(field)
        cells = raw.view(np.uint8).reshape(len(raw), -1) if len(raw) else np.zeros((0, 1), np.uint8)
        clean = (allowed[cells] | (cells == 0)).all(axis=1)
        try:
            values = raw.astype(np.float64 if kind is float else np.int64) if clean.all() else None
        except (ValueError, OverflowError):
            values = None
        if values is not None and (kind is int or np.isfinite(values).all()):
            return values.astype(np.float64)
        row = next((i for i, v in enumerate(raw.tolist()) if not _valid(v, pattern, kind)), 0)
        shown = raw[row].decode("utf-8", "replace")
        want = "a decimal number" if kind is float else "an integer"
        raise InputError(f"{self.names[field]} '{clip(shown)}' is not {want}", source=self.origin.source,
                         where=self.origin.where(row),
                         fix=f"write {want} in ASCII digits" + (" (no NaN or infinity)" if kind is float else ""))


def _tokens(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte ranges ``[start, end)`` of the whitespace-separated tokens."""
    edge = np.diff(_WHITESPACE[buf].view(np.int8), prepend=1, append=1)   # -1: a token starts, +1: it ended
    return np.flatnonzero(edge[:-1] == -1), np.flatnonzero(edge[1:] == 1) + 1


def _check_no_nul(buf: np.ndarray, source: str) -> None:
    nul = np.flatnonzero(buf == 0)
    if len(nul):
        line = int((buf[:nul[0]] == 10).sum()) + 1
        raise InputError("contains a NUL byte", source=source, where=f"line {line}",
                         fix="write the file as plain text")


def _check_counts(counts: np.ndarray, lines: np.ndarray, names: tuple[str, ...], source: str) -> None:
    bad = np.flatnonzero(counts != len(names))
    if len(bad):
        i = int(bad[0])
        raise InputError(f"has {int(counts[i])} fields, expected {len(names)}", source=source,
                         where=f"line {int(lines[i])}",
                         fix="write '" + " ".join(names) + "' separated by spaces, one entry per line")


def _ascii(raw: np.ndarray) -> bool:
    return not len(raw) or bool((raw.view(np.uint8) < 128).all())


def _valid(token: bytes, pattern: re.Pattern, kind: type) -> bool:
    """``token`` spells a finite ASCII decimal (``kind`` float) or an int64 integer (``kind`` int)."""
    if not pattern.fullmatch(token):
        return False
    return math.isfinite(float(token)) if kind is float else -2 ** 63 <= int(token) < 2 ** 63


def _decodes(value: bytes) -> bool:
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
