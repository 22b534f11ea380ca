"""The CSV path of the core install (no pyarrow) equals the csv module and the per-row loops.

- ``_split_csv`` (large plain files read by ``str.split``) returns exactly the csv module's table, or
  declines, on random and hostile texts; a header problem raises the csv-module path's message;
- ``_cell_numbers`` (scores and weights of :class:`TextCells` in bulk) gives ``parse_number``'s doubles bit
  for bit and declines exactly where ``parse_number`` refuses a cell or gives a non-finite value;
- ``_cell_ids`` accepts exactly the id cells that are their own id text and distinct;
- end to end (pyarrow hidden), ``build_evalset`` on files read by the split path equals the csv-module
  path and the row loops (the same arrays to the bit, or the same message).
"""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.data import readers
from gate.data.align import _cell_ids, _cell_numbers, _cell_text, build_evalset, parse_number
from gate.data.readers import TextCells, read_table
from gate.errors import GateError, InputError
from gate.policy.load import build_policy, parse_yaml
from tests.helpers.imports import hide_module, hide_pyarrow

HOSTILE_CELLS = ["0", "1", " 1", "1 ", "0.25", "", " ", "\t", "x", "é", "e\u0301", "\u00a0a", "a\u2028b", "\x85",
                 "\x0c", "\x1c", ";", "|", "\ufeff", "5.0", "1e400", "nan", "a\rb", '"q"', 'a"b']
# what float() may meet in a score cell: the grammar's characters, the letters of nan/inf/hex, '_', other
# digits and whitespace
NUMBER_CHARS = "0123456789+-.eE \t_xXpPnaifINFty\u0660\uff11\u00a0\n\x0b"
NUMBER_EDGES = ["1e400", "-1e400", "-0", "-0.0", "nan", "NaN", "inf", "-Infinity", "infinity", " 1.5 ", "\t2\t",
                "+1", "1_000", "0x1p3", "0x10", "1.", ".5", ".", "", " ", "1e", "e5", "--1", "+-1", "1e+5", "1E-05",
                "\u0661", "\uff11", "\u00a01", "1\n", "4.9e-324", "2.4703282292062328e-324", "2.4703282292062329e-324",
                "1.7976931348623157e308", "1.7976931348623159e308", "0.1000000000000000055511151231257827",
                "123456789012345678901234567890", "0." + "0" * 300 + "1", "9" * 400]


def _split(text: str, source: str):
    """The split path as read_table takes it: on the file's bytes decoded (a leading BOM dropped)."""
    return readers._split_csv(readers._decode(text.encode(), source), source)


def _csv_module(text: str, source: str):
    """The csv module's path, which reads the file's bytes as a stream."""
    return readers._csv_module(text.encode(), source)


def _table_or_message(fn, *args):
    try:
        return fn(*args)
    except InputError as exc:
        return str(exc)


def _assert_same_table(quick, slow) -> None:
    assert list(quick.columns) == list(slow.columns) and quick.n_rows == slow.n_rows
    for name in slow.columns:
        assert list(quick.columns[name]) == list(slow.columns[name]), name
    assert list(quick.lines) == list(slow.lines)


def _plain(rows: list[list[str]]) -> bool:
    """Whether the split path must apply: no quote or CR in a cell, no empty line (the header's
    line once decoding drops a leading BOM)."""
    cells = [c for r in rows for c in r]
    lines = [",".join(rows[0]).removeprefix("\ufeff")] + [",".join(r) for r in rows[1:]]
    return not any('"' in c or "\r" in c for c in cells) and all(line != "" for line in lines)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(st.sampled_from(HOSTILE_CELLS), min_size=w, max_size=w),
                                                    min_size=2, max_size=12)),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_split_reader_returns_the_csv_modules_table_on_rectangular_files(rows, newline, trailing):
    """Rectangular files of hostile cells: whenever no cell holds a quote or a CR and no line is empty, the split
    path applies and returns exactly the csv module's table (or raises its header message)."""
    text = newline.join(",".join(r) for r in rows) + (newline if trailing else "")
    quick = _table_or_message(_split, text, "t.csv")
    slow = _table_or_message(_csv_module, text, "t.csv")
    assert (quick is not None) == _plain(rows)
    if quick is None:
        return
    if isinstance(quick, str) or isinstance(slow, str):
        assert quick == slow
    else:
        _assert_same_table(quick, slow)
        assert all(isinstance(col, TextCells) for col in quick.columns.values())


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab,\n\r\" \t\u2028\x85é;", min_size=0, max_size=40))
def test_split_reader_returns_the_csv_modules_table_or_declines_on_any_text(text):
    """Arbitrary texts (ragged rows, blank lines, lone CRs, quotes): the split path declines or agrees."""
    quick = _table_or_message(_split, text, "t.csv")
    if quick is None:
        return
    slow = _table_or_message(_csv_module, text, "t.csv")
    if isinstance(quick, str) or isinstance(slow, str):
        assert quick == slow
    else:
        _assert_same_table(quick, slow)


def _core_install(m) -> None:
    """Reading as the core install without a C compiler does: no pyarrow and no compiled scanner
    (tests/test_readers_scan.py compares the scanner with this path)."""
    hide_pyarrow(m)
    hide_module(m, "gate.data._csvscan")
    m.setattr(readers, "_SCANNER", {})


def _read_both(monkeypatch, path):
    """read_table without pyarrow: the split path at any size, and the csv module (a message on error)."""
    with monkeypatch.context() as m:
        _core_install(m)
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 0)
        quick = _table_or_message(read_table, path)
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 1 << 62)
        slow = _table_or_message(read_table, path)
    return quick, slow


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbfid,label\nr1,1\nr2,0\n",          # BOM
    b"id,label\r\nr1,1\r\nr2,0",                   # CRLF, no final line break
    b"id,label\nr1,1\n\nr2,0\n",                    # blank line: the csv module skips it (line numbers shift)
    b"id,label\nr1,1\rr2,0\n",                      # lone CR
    b'id,label\n"r,1",1\n"r\n2",0\n',               # quoted comma and line break
    b"id,label\nr1,1,9\n",                          # ragged row
    b"id,label\nr1\n",                              # short row
    b"id,id\nr1,1\n",                               # duplicate column
    b"id,\nr1,1\n",                                 # unnamed column
    b"id;label\nr1;1\n",                            # semicolon-separated
    b"id,label\n",                                  # header only
    b"",                                            # empty
    b"id,label\nr1,\x001\n",                        # NUL
    b"id,label\nr1,\xff\n",                         # not UTF-8
    "id,label\nr\u2028,1\nx\x85y,0\n".encode(),      # Unicode line breaks inside cells
    b"id , label \n r1 , 1 \n",                     # padded header and cells
])
@pytest.mark.parametrize("gz", [False, True])
def test_read_table_without_pyarrow_is_the_csv_module(tmp_path, monkeypatch, data, gz):
    path = tmp_path / ("t.csv.gz" if gz else "t.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    quick, slow = _read_both(monkeypatch, path)
    if isinstance(slow, str):
        assert quick == slow
    else:
        _assert_same_table(quick, slow)


def test_a_plain_file_takes_the_split_path(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("id,label,score\n" + "".join(f"r{i},{i % 2},0.{i}\n" for i in range(50)), encoding="utf-8")
    quick, _ = _read_both(monkeypatch, path)
    assert all(isinstance(col, TextCells) for col in quick.columns.values())
    assert quick.columns["score"][7] == "0.7" and quick.where(7) == "row 8 (line 9)"


def _parsed(cell: str) -> float | None:
    """parse_number of one cell, None where the row loop raises (not a number, or not finite)."""
    try:
        x = parse_number(cell)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _bits(values) -> bytes:
    return np.asarray(values, dtype=np.float64).tobytes()


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.sampled_from(NUMBER_EDGES), st.text(alphabet=NUMBER_CHARS, max_size=12),
                 st.floats(allow_nan=False, allow_infinity=False).map(repr),
                 st.tuples(st.integers(-10**30, 10**30), st.integers(-330, 330)).map(lambda t: f"{t[0]}e{t[1]}")))
def test_cell_numbers_are_parse_numbers_doubles(cell):
    expected = _parsed(cell)
    got = _cell_numbers(TextCells([cell]), np.arange(1))
    assert (got is None) == (expected is None), (cell, got, expected)
    if got is not None:
        assert _bits(got) == _bits([expected])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(NUMBER_EDGES + ["0.5", "1", "2e-3"] * 8), min_size=1, max_size=20), st.data())
def test_cell_numbers_of_picked_rows(cells, data):
    rows = np.array(sorted(data.draw(st.sets(st.integers(0, len(cells) - 1), min_size=1))), dtype=np.int64)
    expected = [_parsed(cells[r]) for r in rows]
    got = _cell_numbers(TextCells(cells), rows)
    assert (got is None) == (None in expected)
    if got is not None:
        assert _bits(got) == _bits(expected)


IDS = ["r1", "r2", "r3", " r1", "r1 ", "r1\t", "", " ", "5", "5.0", "5.00", "-3.0", "+3.0", "5.01", "5.", "e\u0301", "\u00e9",
       "x\u00a0", "\u2003y", "\u3000", "a.0b", "1.0\u2028"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(IDS), min_size=1, max_size=8))
def test_cell_ids_are_exactly_the_ids_that_need_no_rewriting(cells):
    """Accepted exactly when every id is its own text (``_cell_text``), none is empty and none repeats:
    then the per-row ``_check_ids`` passes and gives the same texts."""
    own = all(_cell_text(v) == v != "" for v in cells) and len(set(cells)) == len(cells)
    ids = _cell_ids(TextCells(cells), None)
    assert (ids is not None) == own, cells
    if ids is not None:
        assert ids.texts is not None and ids.texts.tolist() == cells


def test_cell_ids_reuse_the_candidates_when_they_are_the_same():
    cand = _cell_ids(TextCells(["a", "b", "c"]), None)
    assert _cell_ids(TextCells(["a", "b", "c"]), cand) is cand
    other = _cell_ids(TextCells(["a", "c", "b"]), cand)
    assert other is not None and other is not cand and other.texts.tolist() == ["a", "c", "b"]


POLICY = """version: 1
name: t
task: binary
positive_class: "1"
data: {slices: [seg], weight: w}
bootstrap: {resamples: 200, seed: 1, pairing: PAIRING}
gates:
  - {metric: average_precision, max_drop: 0.1}
  - {metric: recall, slice: seg, min: 0.1}
"""

LABELS = ["0", "1", " 1 ", "1.0", "", "0.00", "2"]
SCORES = ["0.25", "0.5", ".75", "1.", " 0.1 ", "-0", "+0.3", "1e-3", "1e400", "nan", "1_0", "0x1p-1", "\u0660.5", ""]
WEIGHTS = ["1", "2.5", "0", "1e-70", "-1", "x"]
SEGS = ["a", "b", " a", "", "é", "e\u0301"]
ID_CELLS = ["k{}", " k{}", "k{}.0", "7.00", "", "k0"]


def _file(rows: list[tuple[str, str, str, str, str]]) -> str:
    return "id,label,score,w,seg\n" + "".join(",".join(r) + "\n" for r in rows)


def _evalset_or_message(policy, cand, base):
    try:
        return build_evalset(policy, read_table(cand), read_table(base))
    except GateError as exc:
        return type(exc).__name__, str(exc)


def _same_array(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if a.dtype.kind == "f":
        return a.shape == b.shape and a.tobytes() == b.tobytes()
    return np.array_equal(a, b)


def _assert_same_evalset(fast, slow) -> None:
    if isinstance(slow, tuple) or isinstance(fast, tuple):
        assert fast == slow
        return
    assert (fast.classes, fast.pairing, fast.warnings) == (slow.classes, slow.pairing, slow.warnings)
    for role in ("candidate", "baseline"):
        a, b = getattr(fast, role), getattr(slow, role)
        for attr in ("ids", "y", "pred", "scores", "weight"):
            assert _same_array(getattr(a, attr), getattr(b, attr)), (role, attr)
        assert _same_array(a.slices["seg"], b.slices["seg"])
        assert (a.n_rows, a.n_labeled, a.artifact) == (b.n_rows, b.n_labeled, b.artifact)


def _rows(draw, n: int, hostile: bool) -> list[tuple[str, str, str, str, str]]:
    """n rows, clean unless ``hostile`` (then any cell may be one of the hostile lists)."""
    pick = (lambda xs, clean: draw(st.sampled_from(xs))) if hostile else (lambda xs, clean: clean)
    return [(pick(ID_CELLS, "k{}").format(i), pick(LABELS, str(i % 2)), pick(SCORES, f"0.{i + 1}"),
             pick(WEIGHTS, "1"), pick(SEGS, "ab"[i % 2])) for i in range(n)]


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from(["auto", "intersect"]), st.booleans(), st.booleans(), st.booleans())
def test_alignment_without_pyarrow_equals_the_row_loops(tmp_path_factory, data, pairing, hostile, shuffle, drop):
    """Candidate and baseline (the baseline maybe shuffled or one row short) with clean or hostile cells:
    the split path with the vectorised alignment gives what the csv module and the row loops give."""
    n = data.draw(st.integers(4, 12))
    cand_rows = _rows(data.draw, n, hostile)
    base_rows = [(r[0], r[1], data.draw(st.sampled_from(SCORES[:7])), r[3], r[4]) for r in cand_rows]
    if shuffle:
        base_rows = data.draw(st.permutations(base_rows))
    if drop:
        base_rows = base_rows[1:]
    d = tmp_path_factory.mktemp("split")
    (d / "c.csv").write_text(_file(cand_rows), encoding="utf-8")
    (d / "b.csv").write_text(_file(base_rows), encoding="utf-8")
    policy = build_policy(parse_yaml(POLICY.replace("PAIRING", pairing), "p.yml"), source="p.yml")
    with pytest.MonkeyPatch.context() as m:
        _core_install(m)
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 0)
        fast = _evalset_or_message(policy, d / "c.csv", d / "b.csv")
        m.setattr(readers, "FAST_CSV_MIN_BYTES", 1 << 62)
        slow = _evalset_or_message(policy, d / "c.csv", d / "b.csv")
    if not hostile and not (drop and pairing == "auto"):     # (auto refuses a partial overlap)
        assert not isinstance(slow, tuple), slow
    _assert_same_evalset(fast, slow)
