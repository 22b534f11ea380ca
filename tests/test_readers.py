"""Every artifact format reads to the same data; CSV edge cases that are valid must work."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from gate.api import check
from gate.data.readers import read_table
from gate.policy.load import load_policy

ROOT = Path(__file__).resolve().parents[1]
MULTI = ROOT / "examples/multiclass"


def test_jsonl_and_csv_give_the_same_report():
    policy = load_policy(ROOT / "policies/multiclass.yml")
    from_csv = check(policy, MULTI / "candidate.csv", MULTI / "baseline.csv")
    from_jsonl = check(policy, MULTI / "candidate.jsonl", MULTI / "baseline.csv")
    a, b = from_csv.to_dict(), from_jsonl.to_dict()
    for report in (a, b):
        report["data"]["artifacts"] = []
    assert a["gates"] == b["gates"] and a["verdict"] == b["verdict"]


def test_gzip_and_parquet_read_like_csv(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    source = ROOT / "examples/affairs/candidate.csv"
    csv_table = read_table(source)
    gz = tmp_path / "c.csv.gz"
    gz.write_bytes(gzip.compress(source.read_bytes()))
    gz_table = read_table(gz)
    assert gz_table.columns == csv_table.columns and gz_table.format == "csv"
    columns = {k: [None if v == "" else v for v in vals] for k, vals in csv_table.columns.items()}
    pq.write_table(pa.table(columns), tmp_path / "c.parquet")
    pq_table = read_table(tmp_path / "c.parquet")
    assert pq_table.n_rows == csv_table.n_rows and pq_table.columns["request_id"] == csv_table.columns["request_id"]
    policy = load_policy(ROOT / "policies/affairs.yml")
    base = ROOT / "examples/affairs/baseline.csv"
    gates_csv = [g.to_dict() for g in check(policy, source, base).gates]
    gates_pq = [g.to_dict() for g in check(policy, tmp_path / "c.parquet", base).gates]
    assert gates_csv == gates_pq


def test_bom_and_quoted_newlines_are_valid_csv(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(b"\xef\xbb\xbfid,label,note\n1,a,\"two\nlines, and a comma\"\n2,b,plain\n")
    t = read_table(p)
    assert list(t.columns) == ["id", "label", "note"]
    assert t.columns["note"] == ["two\nlines, and a comma", "plain"]
    assert t.lines == [2, 4] and t.where(1, "label") == "row 2 (line 4), column 'label'"


def test_jsonl_missing_keys_are_null_and_blank_lines_skipped(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps({"id": 1, "label": "a"}) + "\n\n" + json.dumps({"id": 2, "score": 0.5}) + "\n")
    t = read_table(p)
    assert t.columns == {"id": [1, 2], "label": ["a", None], "score": [None, 0.5]}
    assert t.lines == [1, 3]


def test_unlabeled_rows_count_toward_label_coverage():
    report = check(load_policy(ROOT / "policies/affairs.yml"), ROOT / "examples/affairs/candidate.csv",
                       ROOT / "examples/affairs/baseline.csv")
    rows = read_table(ROOT / "examples/affairs/candidate.csv")
    unlabeled = sum(1 for v in rows.columns["y_true"] if v.strip() == "")
    assert unlabeled > 0
    assert report.data.n_candidate == rows.n_rows - unlabeled
    assert np.isclose(report.data.label_coverage, (rows.n_rows - unlabeled) / rows.n_rows)


def test_integer_labels_written_as_floats_match_integer_classes(tmp_path):
    """pandas writes an int column with an empty cell as 1.0/0.0; those are classes 1 and 0."""
    from gate.policy.load import build_policy
    policy = build_policy({"version": 1, "name": "f", "task": "binary", "positive_class": 1,
                           "bootstrap": {"resamples": 200},
                           "gates": [{"metric": "recall", "min": 0.1}]}, source="p")
    p = tmp_path / "c.csv"
    p.write_text("id,label,prediction\n1,1.0,1.0\n2,0.0,0.0\n3,,1.0\n4,1.0,0.0\n")
    report = check(policy, p, None)
    assert report.data.classes == ("0", "1") and report.data.n_candidate == 3
    assert report.gates[0].candidate.value == 0.5


def test_binary_scores_from_predict_proba_columns(tmp_path):
    from gate.policy.load import build_policy
    policy = build_policy({"version": 1, "name": "f", "task": "binary", "positive_class": "spam",
                           "bootstrap": {"resamples": 200},
                           "gates": [{"metric": "roc_auc", "min": 0.1}]}, source="p")
    p = tmp_path / "c.csv"
    p.write_text("id,label,score_ham,score_spam\n1,spam,0.2,0.8\n2,ham,0.7,0.3\n3,spam,0.6,0.4\n4,ham,0.9,0.1\n")
    report = check(policy, p, None)
    assert report.gates[0].candidate.value == 1.0
    assert report.data.classes == ("ham", "spam")
