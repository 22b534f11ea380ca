"""The compiled CSV scanner (gate/data/_csvscan.c) equals the split path, the csv module and float().

- ``_scan_csv`` (large plain files of the core install, when the scanner was built) declines exactly where
  ``_split_csv`` declines, and otherwise returns the csv module's table (or its header message), on random
  and hostile texts;
- ``FieldCells.numbers`` gives ``parse_number``'s doubles bit for bit (signed zeros, subnormals, 17- and
  30-digit mantissas, huge exponents) and declines exactly where ``_cell_numbers`` declines;
- end to end (pyarrow hidden), ``build_evalset`` on files read by the scanner equals the split path's and
  the csv module's (the same arrays to the bit, or the same message).

An install without a C compiler has no scanner: this module is skipped there, and the split path
(tests/test_readers_split.py) is what that install runs.
"""

from __future__ import annotations

import gzip
import hashlib
import mmap
import os
import struct

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gate.data import readers
from gate.data.align import _cell_numbers, build_evalset
from gate.data.readers import FieldCells, TextCells, read_table
from gate.errors import GateError
from gate.policy.load import build_policy, parse_yaml
from tests.helpers.imports import hide_module, hide_pyarrow
from tests.test_readers_split import (
    HOSTILE_CELLS,
    NUMBER_CHARS,
    NUMBER_EDGES,
    POLICY,
    _assert_same_evalset,
    _assert_same_table,
    _csv_module,
    _file,
    _parsed,
    _rows,
    _split,
    _table_or_message,
)

scanner = pytest.importorskip("gate.data._csvscan", reason="the CSV scanner was not built (no C compiler at install time)")


@pytest.fixture(autouse=True)
def _scanner_on(monkeypatch):
    """The scanner in use whatever MODEL_GATE_ACCEL says outside, and loaded afresh."""
    monkeypatch.delenv("MODEL_GATE_ACCEL", raising=False)
    monkeypatch.setattr(readers, "_SCANNER", {})


def _scan(data: bytes, source: str = "t.csv"):
    """The scan path as _read_csv takes it, on a file's bytes (valid UTF-8 without NUL)."""
    return readers._scan_csv(data, source, scanner)


def _same_outcome(data: bytes) -> None:
    """scan declines exactly when split declines; when it applies it is the csv module's table or message."""
    text = data.decode("utf-8")
    quick = _table_or_message(_scan, data)
    split = _table_or_message(_split, text, "t.csv")
    assert (quick is None) == (split is None), (data, quick, split)
    if quick is None:
        return
    slow = _table_or_message(_csv_module, text, "t.csv")
    if isinstance(quick, str) or isinstance(slow, str):
        assert quick == slow == split
    else:
        _assert_same_table(quick, slow)
        _assert_same_table(quick, split)
        assert all(isinstance(col, FieldCells) for col in quick.columns.values())
        assert quick.lines == range(2, quick.n_rows + 2)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(st.sampled_from(HOSTILE_CELLS), min_size=w, max_size=w),
                                                    min_size=1, max_size=12)),
       st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans())
def test_scan_is_the_split_path_on_rectangular_files(rows, newline, trailing, bom):
    text = newline.join(",".join(r) for r in rows) + (newline if trailing else "")
    _same_outcome(("\ufeff" if bom else "").encode() + text.encode())


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab,\n\r\" \t\u2028\x85é;\ufeff", min_size=0, max_size=40))
def test_scan_is_the_split_path_on_any_text(text):
    """Ragged rows, blank lines, lines of only CR, lone CRs, quotes, BOMs, no data line."""
    _same_outcome(text.encode())


@pytest.mark.parametrize("data", [
    b"", b"a", b"a\n", b"a\r\n", b"a\n\n", b"a\nb", b"a\nb\n", b"a\nb\r", b"a\nb\r\n", b"a\n\r\n", b"a\n\rb\n",
    b"\xef\xbb\xbf\na\n", b"\r\na\n", b"a,b\n,\n", b"a,b\n,\n,", b"a,b\n,\n,,\n", b"a,b\r\n1,2\r\n3,4", b"a\rb\n1\n",
    b'a\n"1"\n', b"a;b\n1;2\n", b"a,a\n1,2\n", b"a, \n1,2\n", b"a,b\n1,2\n\n", b"a\n1\n2\n\n3\n",
])
def test_scan_edge_files(data):
    _same_outcome(data)


def test_scan_declines_on_a_nul_and_returns_offsets():
    assert scanner.scan(b"a\n1\x00\n", 2, 1) is None
    starts = np.frombuffer(scanner.scan(b"a,b\n1,22\r\n3,4", 4, 2), dtype=np.uint32)
    assert starts.tolist() == [4, 6, 10, 12, 14]           # no final LF: the sentinel is len + 1 (13 + 1)
    starts = np.frombuffer(scanner.scan(b"a,b\n1,22\r\n3,4\n", 4, 2), dtype=np.uint32)
    assert starts.tolist() == [4, 6, 10, 12, 14]           # a final LF: len (14)
    assert scanner.strings(b"a,b\n1,22\r\n3,4\n", starts, 1, 2) == ["22", "4"]
    with pytest.raises(ValueError):
        scanner.strings(b"a,b\n1,2\n", starts, 2, 2)


def _read_three(monkeypatch, path):
    """read_table without pyarrow: the scanner, the split path, the csv module (a message on error)."""
    with monkeypatch.context() as m:
        hide_pyarrow(m)
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 0)
        scanned = _table_or_message(read_table, path)
        m.setenv("MODEL_GATE_ACCEL", "numpy")
        split = _table_or_message(read_table, path)
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 1 << 62)
        slow = _table_or_message(read_table, path)
    return scanned, split, slow


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbfid,label\nr1,1\nr2,0\n",          # BOM
    b"id,label\r\nr1,1\r\nr2,0",                   # CRLF, no final line break
    b"id,label\nr1,1\n\nr2,0\n",                    # blank line
    b"id,label\nr1,1\rr2,0\n",                      # lone CR
    b'id,label\n"r,1",1\n"r\n2",0\n',               # quoted comma and line break
    b"id,label\nr1,1,9\n",                          # ragged row
    b"id,id\nr1,1\n",                               # duplicate column
    b"id;label\nr1;1\n",                            # semicolon-separated
    b"id,label\n",                                  # header only
    b"",                                            # empty
    b"id,label\nr1,\x001\n",                        # NUL
    b"id,label\nr1,\xff\n",                         # not UTF-8
    b"id,label\n\xc3\xa9,\xe2\x80\xa8\n\xe2\x82,1\n",   # not UTF-8 after valid non-ASCII cells
    "id,label\nr\u2028,1\nx\x85y,0\né,1\n".encode(),
    b"id , label \n r1 , 1 \n",                     # padded header and cells
])
@pytest.mark.parametrize("gz", [False, True])
def test_read_table_by_the_scanner_is_the_split_path_and_the_csv_module(tmp_path, monkeypatch, data, gz):
    path = tmp_path / ("t.csv.gz" if gz else "t.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    scanned, split, slow = _read_three(monkeypatch, path)
    if isinstance(slow, str):
        assert scanned == split == slow
    else:
        _assert_same_table(scanned, slow)
        _assert_same_table(split, slow)


def test_a_plain_file_takes_the_scan_path_and_subsets_like_text_cells(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("id,label,score\r\n" + "".join(f"r{i},{i % 2},0.{i}\r\n" for i in range(50)), encoding="utf-8")
    scanned, split, _ = _read_three(monkeypatch, path)
    assert all(isinstance(col, FieldCells) for col in scanned.columns.values())
    assert all(isinstance(col, TextCells) for col in split.columns.values())
    assert scanned.columns["score"][7] == "0.7" and scanned.where(7) == "row 8 (line 9)"
    rows = [9, 3, 3, 0]
    sub, sub_split = scanned.subset(rows), split.subset(rows)
    assert all(isinstance(col, TextCells) for col in sub.columns.values())
    _assert_same_table(sub, sub_split)
    assert list(sub.lines) == [11, 5, 5, 2]


def test_a_large_plain_file_is_mapped_and_read_as_its_bytes(tmp_path, monkeypatch):
    """From FAST_CSV_MIN_BYTES a plain CSV is mapped (read_file), not copied; the table is the one
    read from the bytes, and a gzip file or a smaller one is read."""
    data = "id,label,score\n" + "".join(f"r{i},{i % 2},0.{i}\n" for i in range(300))
    path = tmp_path / "t.csv"
    path.write_text(data, encoding="utf-8")
    assert isinstance(readers.read_file(path, readers.DATA_FILE, map_from=len(data)), mmap.mmap)
    assert readers.read_file(path, readers.DATA_FILE, map_from=len(data) + 1) == data.encode()
    assert readers.read_file_bytes(path, readers.DATA_FILE) == data.encode()
    with monkeypatch.context() as m:
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 1000)
        mapped = read_table(path)
    assert all(isinstance(col, FieldCells) and isinstance(col.raw, mmap.mmap) for col in mapped.columns.values())
    assert mapped.sha256 == hashlib.sha256(data.encode()).hexdigest()
    _assert_same_table(mapped, readers._read_csv(data.encode(), str(path), split=True))


def _bits(values) -> list[bytes]:
    return [struct.pack("<d", v) for v in values]


def _field_cells(cells: list[str], newline: str = "\n") -> tuple[FieldCells, TextCells]:
    """The cells as the second of three columns and as the last of two (which ends in the CR of a CRLF)."""
    data = ("x,v,z" + newline + "".join(f"a,{c},b{newline}" for c in cells)).encode()
    table = _scan(data)
    assert table is not None
    last = _scan(("x,v" + newline + "".join(f"a,{c}{newline}" for c in cells)).encode())
    assert last is not None
    return table.columns["v"], last.columns["v"]


# cells a CSV line can hold (a cell with a comma, quote, CR or LF is no cell of the scanned file)
PLAIN_NUMBER_CHARS = NUMBER_CHARS.replace("\n", "")
DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=40)
EXACT_EDGES = ["-0", "-0.0", "+0", "0e999999999999999999999", "-0e-5", "-1e-400", "1e99999999999999999999",
               "1e-99999999999999999999", "4.9e-324", "5e-324", "2.2250738585072011e-308", "2.2250738585072014e-308",
               "0.10000000000000001", "0.30000000000000004", "9007199254740993", "9007199254740992.5",
               "123456789012345e22", "123456789012345e-22", "1234567890123456e22", "999999999999999e22", "1e22",
               "1e23", "1e-22", "1e-23", "0.000000000000000000000001", "000000000000000000001.5", "1." + "0" * 40,
               "0." + "0" * 21 + "1", "123456789012345678901234567890.123456789e-5", "1.7976931348623157e308",
               "1.7976931348623158e308", "1.7976931348623159e308", "\t 3.25 \t", "1 2", "1e+", "1e-", ".e1", "1.e1",
               "-.5", "+.5e-1", "1e1.5", "1ee1", "e", "E5", "+", "-", ".", "", " ", "\t"]


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.sampled_from(NUMBER_EDGES + EXACT_EDGES), st.text(alphabet=PLAIN_NUMBER_CHARS, max_size=14),
                 st.floats(allow_nan=False, allow_infinity=False).map(repr),
                 st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:.9g}"),
                 st.tuples(st.integers(-10**30, 10**30), st.integers(-340, 340)).map(lambda t: f"{t[0]}e{t[1]}"),
                 st.tuples(st.sampled_from(["", "-", "+"]), DIGITS, st.sampled_from(["", "."]), DIGITS,
                           st.sampled_from(["", "e", "E-", "e+"]), st.integers(0, 400).map(str),
                           st.sampled_from(["", " ", "\t "])).map(lambda t: "".join(t[:6]).join([t[6], t[6]]))),
       st.sampled_from(["\n", "\r\n"]))
def test_numbers_are_parse_numbers_doubles(cell, newline):
    assume("," not in cell and '"' not in cell and "\r" not in cell and "\n" not in cell and cell.strip("\r") != "")
    expected = _parsed(cell)
    for column in _field_cells([cell], newline):
        got = column.numbers(np.arange(1))
        assert (got is None) == (expected is None), (cell, got, expected)
        assert (got is None) == (_cell_numbers(TextCells([cell]), np.arange(1)) is None)
        if got is not None:
            assert _bits(got) == _bits([expected]), (cell, got, expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([c for c in NUMBER_EDGES + EXACT_EDGES if "\n" not in c and c.strip() != ""]
                                + ["0.5", "1", "2e-3"] * 8), min_size=1, max_size=20),
       st.data(), st.sampled_from(["\n", "\r\n"]))
def test_numbers_of_picked_rows(cells, data, newline):
    """Increasing distinct rows (the labeled rows, as align picks them) through FieldCells.numbers, and any
    rows (repeated, in any order) through the scanner itself."""
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, len(cells) - 1), min_size=1))), dtype=np.int64)
    expected = [_parsed(cells[r]) for r in rows]
    anyhow = np.array(data.draw(st.lists(st.integers(0, len(cells) - 1), max_size=len(cells) + 2)), dtype=np.int64)
    for column in _field_cells(cells, newline):
        got = column.numbers(rows)
        assert (got is None) == (None in expected)
        assert (got is None) == (_cell_numbers(TextCells(cells), rows) is None)
        if got is not None:
            assert got.shape == rows.shape and _bits(got) == _bits(expected)
        out = scanner.numbers(column.raw, column.starts, column.column, column.width, anyhow)
        wanted = [_parsed(cells[r]) for r in anyhow]
        assert (out is None) == (None in wanted)
        if out is not None:
            assert _bits(np.frombuffer(out, dtype=np.float64)) == _bits(wanted)


def test_numbers_refuse_bad_rows():
    column, _ = _field_cells(["1", "2"])
    with pytest.raises(IndexError):
        column.numbers(np.array([0, 2], dtype=np.int64))
    with pytest.raises(TypeError):
        scanner.numbers(column.raw, column.starts, 1, 3, np.array([0], dtype=np.int32))


def _evalset_or_message(policy, cand, base):
    try:
        return build_evalset(policy, read_table(cand), read_table(base))
    except GateError as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["auto", "intersect"]), st.booleans(), st.booleans(), st.booleans(),
       st.sampled_from(["\n", "\r\n"]))
def test_alignment_by_the_scanner_equals_the_split_path_and_the_row_loops(tmp_path_factory, data, pairing, hostile,
                                                                         shuffle, drop, newline):
    n = data.draw(st.integers(4, 12))
    cand_rows = _rows(data.draw, n, hostile)
    base_rows = [(r[0], r[1], data.draw(st.sampled_from(["0.25", "0.5", ".75", "1.", " 0.1 ", "-0", "+0.3"])), r[3], r[4])
                 for r in cand_rows]
    if shuffle:
        base_rows = data.draw(st.permutations(base_rows))
    if drop:
        base_rows = base_rows[1:]
    d = tmp_path_factory.mktemp("scan")
    (d / "c.csv").write_bytes(_file(cand_rows).replace("\n", newline).encode())
    (d / "b.csv").write_bytes(_file(base_rows).replace("\n", newline).encode())
    policy = build_policy(parse_yaml(POLICY.replace("PAIRING", pairing), "p.yml"), source="p.yml")
    with pytest.MonkeyPatch.context() as m:
        hide_pyarrow(m)
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 0)
        assert isinstance(read_table(d / "c.csv").columns["id"], FieldCells)
        scanned = _evalset_or_message(policy, d / "c.csv", d / "b.csv")
        m.setenv("MODEL_GATE_ACCEL", "numpy")
        split = _evalset_or_message(policy, d / "c.csv", d / "b.csv")
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 1 << 62)
        slow = _evalset_or_message(policy, d / "c.csv", d / "b.csv")
    if not hostile and not (drop and pairing == "auto"):
        assert not isinstance(slow, tuple), slow
    _assert_same_evalset(scanned, slow)
    _assert_same_evalset(split, slow)


def test_a_hidden_scanner_is_the_split_path(tmp_path, monkeypatch):
    """An install without a C compiler: the scanner's import fails and the split path reads the file."""
    path = tmp_path / "t.csv"
    path.write_text("id,score\n" + "".join(f"r{i},0.{i}\n" for i in range(20)), encoding="utf-8")
    with monkeypatch.context() as m:
        hide_pyarrow(m)
        hide_module(m, "gate.data._csvscan")
        m.setattr(readers, "_SCANNER", {})
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 0)
        assert readers.scanner_module() is None
        table = read_table(path)
    assert all(isinstance(col, TextCells) for col in table.columns.values())


def test_numbers_of_several_columns_are_their_columns_side_by_side():
    """field_numbers (the multiclass scores in one pass) is column_stack of each column's numbers."""
    cells = [[f"{(i * 37 + j) % 101 / 7:.6g}" if (i + j) % 3 else f"{i}.{j}e-{i % 30}" for j in range(5)] for i in range(60)]
    data = ("a,b,c,d,e\r\n" + "".join(",".join(r) + "\r\n" for r in cells)).encode()
    table = _scan(data)
    columns = [table.columns[name] for name in "ecab"]
    for rows in (np.arange(60), np.array([0, 5, 59]), np.array([], dtype=np.int64)):
        block = readers.field_numbers(columns, rows)
        each = np.column_stack([c.numbers(rows) for c in columns])
        assert block.shape == each.shape and block.flags.c_contiguous and block.tobytes() == each.tobytes()
    bad = _scan(data.replace(b"\r\n3", b"\r\nx", 1))
    assert readers.field_numbers([bad.columns[name] for name in "ecab"], np.arange(60)) is None
    assert readers.field_numbers([bad.columns[name] for name in "ecb"], np.arange(60)) is not None
    assert readers.field_numbers([columns[0], bad.columns["b"]], np.arange(60)) is None     # two files


MULTICLASS = """version: 1
name: t
task: multiclass
classes: [a, b, c]
bootstrap: {resamples: 200, seed: 1, pairing: auto}
gates:
  - {metric: recall, class: "*", min: 0.1}
"""
MULTI_SCORES = ["0.25", "0.5", ".75", "1.", " 0.1 ", "-0", "+0.3", "1e-3", "1e400", "nan", "1_0", "", "0x1p-1"]


@settings(max_examples=40, deadline=None)
@given(st.data(), st.booleans(), st.sampled_from(["\n", "\r\n"]))
def test_multiclass_scores_by_the_scanner_equal_the_split_path_and_the_row_loops(tmp_path_factory, data, hostile,
                                                                                  newline):
    n = data.draw(st.integers(3, 10))
    scores = (lambda: data.draw(st.sampled_from(MULTI_SCORES))) if hostile else (lambda: "0.3")
    lines = ["id,label,score_a,score_b,score_c"] + [f"k{i},{'abc'[i % 3]},{scores()},{scores()},0.{i}" for i in range(n)]
    d = tmp_path_factory.mktemp("multi")
    for name in ("c.csv", "b.csv"):
        (d / name).write_bytes((newline.join(lines) + newline).encode())
    policy = build_policy(parse_yaml(MULTICLASS, "p.yml"), source="p.yml")
    with pytest.MonkeyPatch.context() as m:
        hide_pyarrow(m)
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 0)
        scanned = _evalset_or_message(policy, d / "c.csv", d / "b.csv")
        m.setenv("MODEL_GATE_ACCEL", "numpy")
        split = _evalset_or_message(policy, d / "c.csv", d / "b.csv")
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 1 << 62)
        slow = _evalset_or_message(policy, d / "c.csv", d / "b.csv")
    if not hostile:
        assert not isinstance(slow, tuple), slow
    for fast in (scanned, split):
        if isinstance(slow, tuple) or isinstance(fast, tuple):
            assert fast == slow
            continue
        for role in ("candidate", "baseline"):
            a, b = getattr(fast, role), getattr(slow, role)
            assert a.scores.tobytes() == b.scores.tobytes() and a.scores.shape == b.scores.shape
            assert np.array_equal(a.y, b.y) and np.array_equal(a.ids, b.ids)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([c for c in HOSTILE_CELLS if not any(ch in c for ch in ',"\r\n')] + ["a", "ab", "é", ""]),
                min_size=1, max_size=40),
       st.sampled_from(["\n", "\r\n"]))
def test_encoded_cells_are_text_cells_encoded(cells, newline):
    """The scanner's dictionary encoding (on the bytes) is TextCells.encoded of the same str, middle
    column and last column (a CRLF's CR dropped) alike."""
    for column in _field_cells(cells, newline):
        codes, distinct = column.encoded()
        want_codes, want_distinct = TextCells(column.cells()).encoded()
        assert distinct == want_distinct and codes.dtype == want_codes.dtype
        assert np.array_equal(codes, want_codes)


def test_encoding_many_distinct_cells_grows_its_table():
    """Past the first table's 512 values (and several doublings), with long cells, repeats and a cell
    that is a prefix of another."""
    rng = np.random.default_rng(4)
    pool = [f"v{i}" * (1 + i % 5) for i in range(5000)] + ["v1v1", "v1"]
    cells = [pool[i] for i in rng.integers(0, len(pool), 20_000)]
    for column in _field_cells(cells):
        codes, distinct = column.encoded()
        want_codes, want_distinct = TextCells(cells).encoded()
        assert distinct == want_distinct and np.array_equal(codes, want_codes)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(NUMBER_EDGES + EXACT_EDGES + HOSTILE_CELLS),
                          st.floats(allow_nan=False, allow_infinity=False).map(repr)), min_size=1, max_size=30),
       st.integers(0, 3), st.data())
def test_arrow_cells_convert_as_the_regex_and_cast_path(cells, skip, data):
    """pyarrow's CSV columns (string arrays, sliced too) convert by the scanner to float() of each cell
    (parse_number), bit for bit, and decline exactly where a cell is refused or not finite; the scores
    aligned are those of the regular expression and pyarrow's cast (with the per-row loop behind them)."""
    pa = pytest.importorskip("pyarrow")
    from gate.data import align
    arr = pa.array(["0"] * skip + cells).slice(skip)
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, len(cells) - 1), min_size=1))), dtype=np.int64)
    table = readers.Table("t.csv", "csv", {"v": readers.TextColumn(arr)}, len(cells), "", range(2, len(cells) + 2))
    for picked in (np.arange(len(cells)), rows):
        compiled = readers.arrow_numbers(arr, picked)
        values = [_parsed(cells[r]) for r in picked.tolist()]
        if all(v is not None for v in values):
            assert compiled is not None and _bits(compiled) == _bits(values), (cells, picked)
        else:
            assert compiled is None, (cells, picked)
        with_scanner = _table_or_message(align._numeric, table, "v", picked)
        os.environ["MODEL_GATE_ACCEL"] = "numpy"        # (the autouse fixture removed it before the test)
        try:
            without = _table_or_message(align._numeric, table, "v", picked)
        finally:
            del os.environ["MODEL_GATE_ACCEL"]
        assert type(with_scanner) is type(without)
        assert with_scanner == without if isinstance(without, str) else _bits(with_scanner) == _bits(without)


ID_CELLS = [c for c in HOSTILE_CELLS if not any(ch in c for ch in ',"\r\n')] + [
    "a", "b", "x1", "5.00", "-5.0", "+5.0", "5.", ".0", "5.01", "05.0", "1e5", "a.0", "x\x0bx", "\x0bx", "x\x1f"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ID_CELLS), min_size=1, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_plain_ids_on_the_bytes_accept_what_cell_ids_accepts(cells, newline):
    """The scanner's id check says yes only where _cell_ids does (then the ids are ASCII), and yes
    wherever _cell_ids does on ASCII ids: repeats, empty cells, whitespace at either end and integral
    floats refused, middle column and last column (a CRLF's CR dropped) alike."""
    from gate.data.align import _cell_ids
    accepted = _cell_ids(list(cells), None) is not None
    for column in _field_cells(cells, newline):
        plain = column.plain_ids()
        assert plain == (accepted and all(c.isascii() for c in cells)), cells
        assert [column.cell(r) for r in range(len(cells))] == cells


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abx01.", min_size=1, max_size=6), min_size=1, max_size=30, unique=True),
       st.lists(st.text(alphabet="abx01.", min_size=1, max_size=6), min_size=1, max_size=30, unique=True))
def test_join_finds_each_id_among_the_other_columns(a, b):
    """join gives each id's row among the other file's (distinct) ids, -1 for none: the dict join."""
    left, right = _field_cells(a)[0], _field_cells(b, "\r\n")[1]
    want = [dict(zip(b, range(len(b)))).get(v, -1) for v in a]
    assert right.plain_ids() == all(not _integral(v) for v in b)
    assert right.join(left).tolist() == [dict(zip(a, range(len(a)))).get(v, -1) for v in b]
    assert left.join(right).tolist() == want


def _integral(v: str) -> bool:
    import re
    return re.fullmatch(r"[+-]?[0-9]+\.0+", v) is not None


def test_same_compares_two_columns_cell_by_cell():
    """same: equal cells in the same order only (a reordered, shorter or one-cell-different column is not)."""
    a = _field_cells(["x1", "x2", "x3"])[0]
    assert a.same(_field_cells(["x1", "x2", "x3"], "\r\n")[1])
    for other in (["x1", "x3", "x2"], ["x1", "x2"], ["x1", "x2", "x4"], ["x1", "x2", "x3", "x4"], ["x1", "x2", "x33"]):
        assert not a.same(_field_cells(other)[0]), other


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab1. \t\u00e9", max_size=4), max_size=30), st.integers(0, 5),
       st.lists(st.text(alphabet="ab1.", max_size=3), max_size=30))
def test_arrow_cells_check_and_join_as_the_csv_cells_do(values, cut, others):
    """A pyarrow string array (sliced too) as scanner cells (width 0): plain_ids is what _cell_ids
    accepts for ASCII ids, join finds each id's row in another array, strings and cell decode it."""
    pa = pytest.importorskip("pyarrow")
    arr = pa.array(values, type=pa.string()).slice(min(cut, len(values)))
    cells = FieldCells.of_arrow(arr)
    got = arr.to_pylist()
    assert cells.cells() == got and [cells.cell(i) for i in range(len(got))] == got
    plain = all(v.isascii() for v in got) and _cell_ids_accepts(got)
    assert FieldCells.of_arrow(arr).plain_ids() == plain
    distinct = list(dict.fromkeys(others))
    other = FieldCells.of_arrow(pa.array(distinct, type=pa.string()))
    want = [distinct.index(v) if v in distinct else -1 for v in got]
    assert FieldCells.of_arrow(arr).join(other).tolist() == want
    assert FieldCells.of_arrow(arr).same(FieldCells.of_arrow(pa.array(got, type=pa.string()))) is True


def _cell_ids_accepts(cells: list[str]) -> bool:
    from gate.data.align import _cell_ids
    return _cell_ids(cells, None) is not None


def test_arrow_offsets_are_checked():
    """Offsets that fall outside the bytes or go backwards are refused, not read."""
    data = np.frombuffer(b"abcdef", dtype=np.uint8)
    for offsets in ([0, 2, 9], [0, 4, 2], [-1, 2]):
        with pytest.raises(ValueError, match="offsets"):
            scanner.plain_ids(data, np.array(offsets, dtype=np.int32), 0, 0)
    assert scanner.strings(data, np.array([0, 2, 6], dtype=np.int32), 0, 0) == ["ab", "cdef"]
