"""Parquet string and numeric columns reach gate.data.align as pyarrow arrays (gate.data.readers.ArrowColumn),
so alignment takes the vectorised paths instead of per-row loops (issue 13: 10^7 rows). The result
must be what the per-row loops give: the same EvalSet arrays, or the same error message, for every
case below; the loops run on the very same Table with its columns materialised as plain lists."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from gate.data.align import build_evalset  # noqa: E402
from gate.data.readers import ArrowColumn, read_table  # noqa: E402
from gate.policy.load import load_policy  # noqa: E402
from tests.helpers.evalsets import ALIGN_POLICY, assert_same_outcome  # noqa: E402

POLICY = ALIGN_POLICY
N = 400


def columns(case: str, seed: int) -> dict[str, pa.Array]:
    """One side's columns: string ids, labels, float64 scores and a string slice, varied by ``case``."""
    y = (np.random.default_rng(0).random(N) < 0.3).astype(np.int64)     # the same ground truth on both sides
    score = np.clip(0.3 * y + np.random.default_rng(seed).random(N) * 0.7, 0, 1)
    ids = [f"x{i}" for i in range(N)]
    labels: list = [str(v) for v in y]
    cols = {"id": pa.array(ids), "label": pa.array(labels), "score": pa.array(score),
            "seg": pa.array(["a" if i % 3 else "b" for i in range(N)])}
    if case == "int_labels_with_nulls":
        cols["label"] = pa.array([None if i % 7 == 0 else int(v) for i, v in enumerate(y)], type=pa.int64())
    elif case in ("string_labels_with_nulls", "shuffled_string_labels_with_nulls"):
        cols["label"] = pa.array([None if i % 5 == 0 else str(v) for i, v in enumerate(y)])
    elif case == "int_ids":
        cols["id"] = pa.array(np.arange(N, dtype=np.int64) * 3 - 50)
    elif case == "float32_scores":
        cols["score"] = pa.array(score.astype(np.float32))
    elif case == "int_scores":
        cols["score"] = pa.array((score > 0.5).astype(np.int32))
    elif case == "nan_score" and seed == 1:
        cols["score"] = pa.array(np.where(np.arange(N) == 6, np.nan, score))
    elif case == "null_score" and seed == 1:
        cols["score"] = pa.array([None if i == 8 else float(v) for i, v in enumerate(score)])
    elif case == "bad_label" and seed == 1:
        cols["label"] = pa.array(["7" if i == 9 else v for i, v in enumerate(labels)])
    elif case == "dup_id" and seed == 1:
        cols["id"] = pa.array(["x1" if i == 3 else v for i, v in enumerate(ids)])
    elif case == "null_id" and seed == 1:
        cols["id"] = pa.array([None if i == 2 else v for i, v in enumerate(ids)])
    elif case == "padded_id" and seed == 1:
        cols["id"] = pa.array([" x2" if i == 2 else v for i, v in enumerate(ids)])
    elif case == "float_text_id" and seed == 1:
        cols["id"] = pa.array(["7.00" if i == 7 else v for i, v in enumerate(ids)])
    elif case in ("non_ascii_id", "shuffled_non_ascii_id"):     # the Python checks (NFC), not the scanner's
        cols["id"] = pa.array(["é" + v if i % 9 == 0 else v for i, v in enumerate(ids)])
    elif case == "tab_id" and seed == 1:
        cols["id"] = pa.array(["x3\t" if i == 3 else v for i, v in enumerate(ids)])
    elif case == "shuffled_dup_id" and seed == 2:        # the baseline: every id found, one twice
        cols["id"] = pa.array(["x1" if i == 3 else v for i, v in enumerate(ids)])
    elif case in ("other_id", "shuffled_other_id") and seed == 2:
        cols["id"] = pa.array(["y5" if i == 5 else v for i, v in enumerate(ids)])
    elif case == "shuffled_label_clash" and seed == 2:
        cols["label"] = pa.array([str(1 - int(v)) if i == 10 else v for i, v in enumerate(labels)])
    elif case == "null_slice":
        cols["seg"] = pa.array([None if i % 4 == 0 else "a" for i in range(N)])
    elif case == "prediction_with_null" and seed == 1:
        cols["pred"] = pa.array([None if i == 5 else str(int(v > 0.5)) for i, v in enumerate(score)])
    return cols


def as_lists(table):
    """The same Table with every column a plain list: gate.data.align's per-row paths."""
    return dataclasses.replace(table, columns={k: list(v) for k, v in table.columns.items()})


def outcome(policy, cand, base):
    try:
        return build_evalset(policy, cand, base)
    except Exception as exc:   # noqa: BLE001 - the message is what we compare
        return type(exc).__name__, str(exc)


CASES = ["ok", "int_labels_with_nulls", "string_labels_with_nulls", "int_ids", "float32_scores", "int_scores",
         "nan_score", "null_score", "bad_label", "dup_id", "null_id", "padded_id", "null_slice",
         "prediction_with_null", "shuffled", "shuffled_string_labels_with_nulls", "float_text_id", "tab_id",
         "other_id", "shuffled_label_clash", "shuffled_dup_id", "shuffled_other_id", "non_ascii_id",
         "shuffled_non_ascii_id"]


@pytest.mark.parametrize("scanner", ["scanner", "pyarrow"])
@pytest.mark.parametrize("case", CASES)
def test_parquet_alignment_matches_the_row_loops(tmp_path, monkeypatch, case, scanner):
    """With the compiled scanner, plain ASCII ids are checked and joined by hashing on the arrays'
    bytes (readers.FieldCells.of_arrow); without it, by pyarrow's sort: the same outcome either way."""
    import gate.data.align
    from gate.data import readers
    monkeypatch.setattr(gate.data.align, "FAST_JOIN_MIN_ROWS", 0)     # the sorted join of the Arrow ids too
    monkeypatch.setattr(readers, "_SCANNER", {})
    if scanner == "scanner":
        pytest.importorskip("gate.data._csvscan", reason="the CSV scanner was not built (no C compiler)")
        monkeypatch.delenv("MODEL_GATE_ACCEL", raising=False)
    else:
        monkeypatch.setenv("MODEL_GATE_ACCEL", "numpy")
    text = POLICY.replace("data: {slices: [seg]}", "data: {slices: [seg], prediction: pred}") \
        if case == "prediction_with_null" else POLICY
    (tmp_path / "p.yml").write_text(text, encoding="utf-8")
    policy = load_policy(str(tmp_path / "p.yml"))
    tables = []
    for role, seed in (("c", 1), ("b", 2)):
        cols = columns(case, seed)
        if case == "prediction_with_null" and "pred" not in cols:
            cols["pred"] = pa.array(["0"] * N)
        table = pa.table(cols)
        if case.startswith("shuffled") and role == "b":     # the baseline's rows in another order
            table = table.take(pa.array(np.random.default_rng(3).permutation(N)))
        pq.write_table(table, tmp_path / f"{role}.parquet")
        tables.append(read_table(tmp_path / f"{role}.parquet"))
    assert isinstance(tables[0].columns["label"], ArrowColumn)       # the fast path is really taken
    if case not in ("int_ids", "null_id"):        # (no string ids; a null id)
        assert (readers.FieldCells.of_arrow(tables[0].columns["id"].arrow) is not None) == (scanner == "scanner")
    fast, slow = outcome(policy, *tables), outcome(policy, *map(as_lists, tables))
    assert_same_outcome(fast, slow)
    if not isinstance(slow, tuple):
        for role in ("candidate", "baseline"):
            assert [getattr(getattr(fast, role), a).dtype for a in ("ids", "y", "pred", "scores")] == \
                [getattr(getattr(slow, role), a).dtype for a in ("ids", "y", "pred", "scores")], role


def test_arrow_columns_read_back_as_the_python_scalars(tmp_path):
    """Element access gives what ``to_pylist()`` gave before (messages, subsets, JSON Lines-like use);
    a boolean or timestamp column stays a plain list (align refuses or compares it per row)."""
    values = {"s": pa.array(["a", None, "c"]), "i": pa.array([1, None, -3], type=pa.int16()),
              "f": pa.array([0.5, float("nan"), None]), "b": pa.array([True, False, None]),
              "t": pa.array([0, 1, 2], type=pa.timestamp("s"))}
    pq.write_table(pa.table(values), tmp_path / "x.parquet")
    t = read_table(tmp_path / "x.parquet")
    for name, arr in values.items():
        got = list(t.columns[name])
        want = arr.to_pylist()
        assert got[:1] == want[:1] and got[2:] == want[2:] and (got[1] is None) == (want[1] is None), name
    assert {n for n, c in t.columns.items() if isinstance(c, ArrowColumn)} == {"s", "i", "f"}
    assert t.columns["i"].arrow.to_pylist() == ["1", None, "-3"] and t.columns["i"].numbers is None
    assert t.columns["f"].arrow is None
