"""Property-based tests (hypothesis): readers, the policy loader and the metrics.

- Readers and the policy loader never raise anything but :class:`gate.errors.GateError` (the CLI turns
  that into one line and exit 2; anything else would be a traceback), whose message is one line that
  names the file; what they accept is consistent (a column per name, a value per row; a policy with
  gates).
- Metrics: ranges, symmetries, permutation invariance, invariance of ranking metrics under strictly
  increasing score transforms, agreement with scikit-learn, the percentile interval contains the point
  estimate, and a candidate identical to its baseline has delta 0 with interval [0, 0].
"""

from __future__ import annotations

import atexit
import csv
import gzip
import io
import json
import shutil
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gate.data import readers
from gate.data.align import EvalSet, Side
from gate.engine import evaluate
from gate.errors import GateError, PolicyError
from gate.metrics import point_estimate
from gate.policy.load import build_policy, parse_yaml
from gate.report.model import Artifact

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TMP = Path(tempfile.mkdtemp(prefix="mg-props-"))
atexit.register(shutil.rmtree, TMP, True)

# ---------------------------------------------------------------------------------------------
# readers


def _read(raw: bytes, name: str):
    """Read ``raw`` as file ``name``: either a consistent table (every column holds one value per
    row, distinct NFC names) or a one-line GateError that names the file."""
    path = TMP / name
    path.write_bytes(raw)
    try:
        table = readers.read_table(path)
    except GateError as err:
        _assert_one_line_naming(err, str(path))
        return None
    assert all(len(values) == table.n_rows for values in table.columns.values())
    assert all(unicodedata.is_normalized("NFC", column) for column in table.columns)
    return table


def _assert_one_line_naming(err: GateError, source: str) -> None:
    message = err.message
    assert message.startswith(source + ": ") and "\n" not in message and "\r" not in message, message
    assert len(message) > len(source) + 2


@FAST
@given(st.binary(max_size=3000), st.sampled_from(["a.csv", "a.jsonl", "a.csv.gz", "a.ndjson"]))
@example(b"\xef\xbb\xbf", "a.csv")
@example(b'"', "a.csv")
@example(b"a\r\rb", "a.csv")
@example(b"\x1f\x8b\x08\x00", "a.csv.gz")
def test_random_bytes_never_crash_a_reader(raw: bytes, name: str) -> None:
    _read(raw, name)


CELL = st.text(alphabet=st.sampled_from(list('ab1 ,"\n\r\t;') + ["é", "\ufeff", "\x00"]), max_size=6)


@FAST
@given(st.lists(st.lists(CELL, min_size=1, max_size=4), min_size=1, max_size=8), st.booleans())
def test_random_csv_text_never_crashes_and_well_formed_csv_round_trips(rows: list[list[str]], quote_all: bool) -> None:
    # RFC 4180 line endings: csv.writer then quotes every field holding a CR or LF. (With "\n" it leaves a
    # lone CR unquoted, which any CSV reader, ours included, takes as a line break: not well-formed.)
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(rows)
    text = buf.getvalue()
    table = _read(text.encode("utf-8"), "r.csv")
    if table is None:
        return
    header = [h.strip() for h in rows[0]]
    assert list(table.columns) == header
    # every data row comes back exactly, in order (csv.writer quotes a lone empty field, so no row is blank)
    body = rows[1:]
    assert table.n_rows == len(body)
    for j, name in enumerate(header):
        assert list(table.columns[name]) == [r[j] for r in body]


JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=False),
                        st.text(max_size=5))
JSON_VALUE = st.recursive(JSON_SCALAR, lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
                          max_leaves=4)


@FAST
@given(st.lists(st.one_of(st.dictionaries(st.sampled_from(["id", "label", "score", "x"]), JSON_VALUE, max_size=4),
                          JSON_VALUE), min_size=0, max_size=6))
def test_random_json_lines_never_crash(objs: list) -> None:
    text = "\n".join(json.dumps(o) for o in objs)
    table = _read(text.encode(), "r.jsonl")
    if table is not None:
        assert table.n_rows == sum(isinstance(o, dict) for o in objs) == len(objs)
    zipped = _read(gzip.compress(text.encode()), "r.jsonl.gz")     # the same rows (or a refusal) compressed
    assert (zipped is None) == (table is None)
    if table is not None and zipped is not None:
        assert zipped.columns == table.columns and zipped.n_rows == table.n_rows


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["0", "1", "0.25", "x", " a", "b ", "", "1e3", "é"]), min_size=3, max_size=3),
                min_size=1, max_size=30), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_fast_csv_path_reads_exactly_what_the_csv_module_reads(rows, newline, trailing) -> None:
    """The pyarrow fast path (large plain files) must return the same table as the csv module."""
    fast = readers._read_csv_fast
    pytest.importorskip("pyarrow")
    text = newline.join(["id,label,score"] + [",".join(r) for r in rows]) + (newline if trailing else "")
    old = readers.FAST_CSV_MIN_BYTES
    readers.FAST_CSV_MIN_BYTES = 0
    try:
        quick = fast(text.encode(), "t.csv")
    finally:
        readers.FAST_CSV_MIN_BYTES = old
    if quick is None:
        return
    readers.FAST_CSV_MIN_BYTES, saved = 1 << 62, readers.FAST_CSV_MIN_BYTES
    try:
        slow = readers._read_csv(text.encode(), "t.csv")
    finally:
        readers.FAST_CSV_MIN_BYTES = saved
    assert list(quick.columns) == list(slow.columns) and quick.n_rows == slow.n_rows
    for name in slow.columns:
        assert list(quick.columns[name]) == list(slow.columns[name])
    assert list(quick.lines) == list(slow.lines)


# ---------------------------------------------------------------------------------------------
# the policy loader

VALID = {"version": 1, "name": "p", "task": "binary", "positive_class": "1",
         "bootstrap": {"resamples": 200, "confidence": 0.9, "method": "bca", "seed": 3},
         "decision": {"inconclusive": "warn", "multiple_testing": "holm"},
         "data": {"threshold": 0.5, "slices": ["region"]},
         "gates": [{"metric": "recall", "min": 0.5}, {"metric": "f1", "max_drop": 0.02, "slice": "region"}]}
KEYS = ["version", "name", "task", "positive_class", "classes", "data", "bootstrap", "decision", "gates",
        "metric", "min", "max", "max_drop", "max_relative_drop", "min_gain", "class", "average", "slice",
        "severity", "min_support", "beta", "adjusted", "at_recall", "interpolation", "predicted", "normalize",
        "resamples", "confidence", "method", "seed", "pairing", "stratify", "inconclusive", "multiple_testing",
        "threshold", "slices", "label", "score_prefix", "recall", "roc_auc", "fbeta", "confusion", "*", "1"]
ANY = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-5, 10**7), st.floats(allow_nan=True),
                             st.sampled_from(KEYS), st.text(max_size=4)),
                   lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3),
                                                                                inner, max_size=4),
                   max_leaves=12)


def _load(doc) -> None:
    """Either a policy with at least one gate or a one-line PolicyError naming p.yml."""
    try:
        policy = build_policy(doc, source="p.yml")
    except PolicyError as err:
        _assert_one_line_naming(err, "p.yml")
        return
    assert policy.gates and isinstance(policy.name, str)


@FAST
@given(st.text(max_size=300))
@example("a: !!python/object:os.system x")
@example("? [a, b]\n: 1")
@example("gates: &a [*a]")
@example("version: 1\nname: x\ntask: binary\ngates: [{metric: recall, min: .nan}]")
def test_random_yaml_text_gives_a_policy_or_a_policy_error(text: str) -> None:
    try:
        doc = parse_yaml(text, "p.yml")
    except PolicyError as err:
        _assert_one_line_naming(err, "p.yml")
        return
    _load(doc)


@FAST
@given(ANY)
def test_random_documents_give_a_policy_or_a_policy_error(doc) -> None:
    _load(doc)


@FAST
@given(st.lists(st.tuples(st.lists(st.sampled_from(KEYS + [0, 1]), min_size=1, max_size=3), ANY), min_size=1, max_size=3))
def test_mutated_valid_policies_give_a_policy_or_a_policy_error(mutations) -> None:
    doc = json.loads(json.dumps(VALID))
    for path, value in mutations:
        node = doc
        for key in path[:-1]:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                node = node[key]
        last = path[-1]
        if isinstance(node, dict):
            node[last] = value
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            node[last] = value
    _load(doc)
    _load(yaml.safe_load(yaml.safe_dump(doc)))


# ---------------------------------------------------------------------------------------------
# metrics

RANKING = ("average_precision", "pr_auc", "roc_auc")
CONFUSION = ("recall", "precision", "f1", "balanced_accuracy", "accuracy", "specificity", "mcc", "cohen_kappa")


@st.composite
def binary_data(draw, min_size: int = 4, max_size: int = 60):
    n = draw(st.integers(min_size, max_size))
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)), dtype=np.int64)
    assume(0 < y.sum() < n)
    levels = draw(st.integers(2, 25))
    scores = np.array(draw(st.lists(st.integers(0, levels), min_size=n, max_size=n)), dtype=np.float64) / levels
    threshold = draw(st.integers(0, levels)) / levels
    return y, scores, (scores >= threshold).astype(np.int64)


def _pe(metric: str, y, pred, scores=None, **kw) -> tuple[float, bool]:
    ci = None if metric in ("balanced_accuracy", "accuracy", "mcc", "cohen_kappa") else 1
    return point_estimate(metric, y, pred, n_classes=2, scores=scores, class_index=ci, **kw)


@FAST
@given(binary_data())
def test_metric_ranges_and_scikit_learn_agreement(data) -> None:
    from sklearn import metrics as skm
    y, s, pred = data
    ref = {"recall": skm.recall_score(y, pred, zero_division=0), "precision": skm.precision_score(y, pred, zero_division=0),
           "f1": skm.f1_score(y, pred, zero_division=0), "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
           "accuracy": skm.accuracy_score(y, pred), "average_precision": skm.average_precision_score(y, s),
           "roc_auc": skm.roc_auc_score(y, s), "mcc": skm.matthews_corrcoef(y, pred)}
    prec, rec, _ = skm.precision_recall_curve(y, s)
    ref["pr_auc"] = skm.auc(rec, prec)
    for metric, expected in ref.items():
        value, undefined = _pe(metric, y, pred, s)
        if metric != "mcc":
            assert 0.0 <= value <= 1.0 or undefined, (metric, value)
        else:
            assert -1.0 <= value <= 1.0
        if not undefined:
            assert value == pytest.approx(expected, abs=1e-12), metric


@FAST
@given(binary_data(), st.randoms(use_true_random=False))
def test_metrics_are_invariant_to_the_order_of_examples(data, rnd) -> None:
    y, s, pred = data
    perm = np.array(rnd.sample(range(y.size), y.size))
    for metric in CONFUSION + RANKING:
        a = _pe(metric, y, pred, s)
        b = _pe(metric, y[perm], pred[perm], s[perm])
        assert a[1] == b[1] and a[0] == pytest.approx(b[0], abs=1e-12), metric


@FAST
@given(binary_data(), st.lists(st.floats(0.001, 100.0), min_size=26, max_size=26), st.floats(-50, 50))
def test_strictly_increasing_score_transforms_leave_ranking_metrics_unchanged(data, gaps, start) -> None:
    """Scores live on a grid k/levels; map grid point k to an arbitrary strictly increasing value."""
    y, s, pred = data
    levels = np.unique(s)
    new_values = start + np.cumsum(np.asarray(gaps)[: levels.size])
    assume(np.all(np.diff(new_values) > 0))
    t = new_values[np.searchsorted(levels, s)]
    for metric in RANKING:
        assert _pe(metric, y, pred, s)[0] == pytest.approx(_pe(metric, y, pred, t)[0], abs=1e-12), metric


@FAST
@given(binary_data())
def test_metric_symmetries(data) -> None:
    y, s, pred = data
    # ROC-AUC of the reversed ranking is the complement (ties count one half either way)
    assert _pe("roc_auc", y, pred, -s)[0] == pytest.approx(1.0 - _pe("roc_auc", y, pred, s)[0], abs=1e-12)
    # F1 and accuracy are symmetric in (truth, prediction); precision and recall swap
    assert _pe("f1", y, pred)[0] == pytest.approx(_pe("f1", pred, y)[0], abs=1e-12)
    assert _pe("accuracy", y, pred)[0] == pytest.approx(_pe("accuracy", pred, y)[0], abs=1e-12)
    if 0 < pred.sum() < pred.size:
        assert _pe("precision", y, pred)[0] == pytest.approx(_pe("recall", pred, y)[0], abs=1e-12)
    # balanced accuracy, mcc and kappa do not care which class is called positive
    for metric in ("balanced_accuracy", "mcc", "cohen_kappa"):
        assert _pe(metric, y, pred)[0] == pytest.approx(_pe(metric, 1 - y, 1 - pred)[0], abs=1e-12), metric
    # the negative class's ROC-AUC with negated scores equals the positive class's
    neg_auc = point_estimate("roc_auc", y, pred, n_classes=2, scores=s, class_index=0)[0]
    assert neg_auc == pytest.approx(_pe("roc_auc", y, pred, s)[0], abs=1e-12)


def _side(role: str, y, pred, scores) -> Side:
    art = Artifact(role, f"<{role}>", "", "memory", y.size, y.size)
    ids = np.arange(y.size)
    return Side(role, art, ids, y, pred, scores, None, {}, y.size, y.size)


def _policy(gates: list[dict], method: str = "percentile") -> object:
    return build_policy({"version": 1, "name": "p", "task": "binary", "positive_class": "1", "classes": ["0", "1"],
                         "bootstrap": {"resamples": 200, "method": method, "seed": 1},
                         "decision": {"multiple_testing": "none"}, "gates": gates}, source="<p>")


GATED = ("recall", "f1", "balanced_accuracy", "average_precision", "pr_auc", "roc_auc")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(binary_data(min_size=20, max_size=120), st.integers(0, 2**31 - 1))
def test_percentile_interval_contains_the_point_estimate(data, seed) -> None:
    y, s, pred = data
    assume(min(y.sum(), y.size - y.sum()) >= 5)
    es = EvalSet("binary", ("0", "1"), _side("candidate", y, pred, s), None, "none")
    report = evaluate(_policy([{"metric": m, "min": 0.5} for m in GATED]), es, seed=seed)
    for g in report.gates:
        if g.candidate.value is None or g.candidate.ci is None:
            continue
        lo, hi = g.candidate.ci
        assert lo - 1e-12 <= g.candidate.value <= hi + 1e-12, (g.id, g.candidate)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(binary_data(min_size=8, max_size=80), st.sampled_from(["percentile", "basic", "bca"]), st.integers(0, 1000))
def test_a_candidate_identical_to_its_baseline_has_delta_zero(data, method, seed) -> None:
    y, s, pred = data
    es = EvalSet("binary", ("0", "1"), _side("candidate", y, pred, s), _side("baseline", y, pred.copy(), s.copy()),
                 "paired")
    report = evaluate(_policy([{"metric": m, "max_drop": 0} for m in GATED], method), es, seed=seed)
    for g in report.gates:
        if g.delta is None or g.delta.value is None:
            continue
        assert g.delta.value == 0.0
        assert g.status != "fail"
        if g.interval_method == "newcombe":       # a score interval keeps the width the trials leave
            assert g.delta.ci is not None and g.delta.ci[0] <= 0.0 <= g.delta.ci[1], (g.id, g.delta)
            continue
        assert g.delta.ci is None or tuple(g.delta.ci) == (0.0, 0.0), (g.id, g.delta)
        assert g.status == "inconclusive", (g.id, g.reason)    # [0, 0] is degenerate: it must not pass
