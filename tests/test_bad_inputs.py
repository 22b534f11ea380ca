"""The bad-input catalogue: every way a user can hand model-gate a broken policy or artifact.

Each case writes its files into an empty working directory (so messages name short relative paths),
runs ``model-gate`` in-process through :func:`gate.cli.main.main`, and asserts the exact one-line
message on stderr, the exit code, and that no traceback was printed. A few cases are *valid* inputs
that look suspicious (a BOM, quoted newlines, a very long field in an unused column): they must read
correctly. ``docs/errors.md`` is generated from this table by ``python -m validation.errors_doc``;
the last test fails when it is out of date.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gate.cli.main import main
from tests.helpers.inputs import binary_csv, ml_long, ml_policy, ml_wide, policy

ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------------------------
# building blocks


MULTI_HEAD = 'version: 1\nname: t\ntask: multiclass\nclasses: [a, b, c]\nbootstrap: {resamples: 200, seed: 1}\n'


def multi_csv(n: int = 30, score_cols: tuple[str, ...] = ("a", "b", "c"), probs=None) -> str:
    header = "id,label,prediction," + ",".join(f"score_{c}" for c in score_cols)
    rows = [header]
    for i in range(n):
        label = "abc"[i % 3]
        p = probs(i) if probs else [0.8 if c == label else 0.1 for c in score_cols]
        rows.append(f"r{i},{label},{label}," + ",".join(f"{x:.2f}" for x in p))
    return "\n".join(rows) + "\n"


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


RANK_HEAD = "version: 1\nname: t\ntask: ranking\nbootstrap: {resamples: 200, seed: 1}\n"
RANK_GATES = "  - {metric: ndcg, k: 10, min: 0.1}\n"
RANK_RUN = "q1 Q0 d1 1 0.9 x\nq1 Q0 d2 2 0.5 x\n"
RANK_QRELS = "q1 0 d1 1\nq1 0 d2 0\n"
RANK_CHECK = ["check", "--policy", "policy.yml", "--candidate", "run.txt"]
CHECK = ["check", "--policy", "policy.yml", "--candidate", "cand.csv"]
CHECK_B = CHECK + ["--baseline", "base.csv"]
P = "model-gate: error: policy.yml: "
C = "model-gate: error: cand.csv: "
OUT = "model-gate: error: command line: "
R_FIX = "(not a valid model-gate report: pass the report.json that model-gate check --out-dir wrote, unmodified)"


@dataclass
class Case:
    id: str
    what: str                       # the input problem, for docs/errors.md
    files: dict[str, str | bytes | None]   # None → a directory
    args: list[str]
    exit: int
    message: str | None             # exact stderr line; None when the input is valid
    check: Callable[[str, Path], None] | None = None   # extra assertions on (stdout, workdir)
    setup: Callable[[Path], None] | None = None
    group: str = "policy"
    env: dict[str, str] = field(default_factory=dict)   # environment variables set for the run
    needs_pyarrow: bool = False                         # skipped on the core install


def _bin(**kw) -> dict[str, str]:
    return {"policy.yml": policy(**kw), "cand.csv": binary_csv()}


def _schema(extra: str, gates: str | None = None) -> dict[str, str]:
    return {"policy.yml": policy(gates, extra=extra) if gates else policy(extra=extra), "cand.csv": binary_csv()}


def _gate(text: str) -> dict[str, str]:
    return {"policy.yml": policy(text), "cand.csv": binary_csv(), "base.csv": binary_csv()}


def _data(cand: str | bytes | None, *, pol: str | None = None, name: str = "cand.csv", base: str | None = None,
          ) -> dict[str, str | bytes | None]:
    files: dict[str, str | bytes | None] = {"policy.yml": pol or policy(), name: cand}
    if base is not None:
        files["base.csv"] = base
    return files


def _report(stdout: str) -> dict:
    return json.loads(stdout)


def _reads_like_plain(stdout: str, _: Path) -> None:
    rep = _report(stdout)
    assert rep["data"]["n_candidate"] == 40 and rep["gates"][0]["status"] == "pass"
    assert rep["gates"][0]["candidate"]["value"] == 0.6


def _quoted_newline_read(stdout: str, _: Path) -> None:
    rep = _report(stdout)
    assert rep["data"]["n_candidate"] == 4
    assert rep["gates"][0]["candidate"]["value"] == 0.5        # 1 of the 2 positives predicted


def _zero_positives(stdout: str, _: Path) -> None:
    rep = _report(stdout)
    gate = rep["gates"][0]
    assert gate["status"] == "inconclusive" and gate["reason"] == "undefined"
    assert "no true examples" in gate["message"]


def _one_row_slice(stdout: str, _: Path) -> None:
    rep = _report(stdout)
    lonely = [g for g in rep["gates"] if g["slice"] == {"region": "x"}]
    assert len(lonely) == 1 and lonely[0]["status"] == "inconclusive" and lonely[0]["n"] == 1


def _unreadable(path: Path) -> None:
    os.chmod(path / "cand.csv", 0)
    os.chmod(path / "policy.yml", 0o644)


JSON = ["--format", "json"]
L = "\n"

# -- hostile-input building blocks (readers, policy, alignment) ------------------------------------

DIGITS_5000 = "9" * 5000
J_CHECK = ["check", "--policy", "policy.yml", "--candidate", "cand.jsonl"]
PQ_CHECK = ["check", "--policy", "policy.yml", "--candidate", "cand.parquet"]
PQ = "model-gate: error: cand.parquet: "
JL = "model-gate: error: cand.jsonl: "
MULTI_ACC = MULTI_HEAD.replace("classes: [a, b, c]\n", "") + "gates:\n  - metric: accuracy\n    min: 0.1\n"


def _jsonl_rows(n: int = 40, **override) -> list[dict]:
    """Binary rows as dicts; ``override[i]`` replaces keys of row i."""
    rows = [{"id": f"r{i}", "label": str(i % 2), "score": (i % 10) / 10} for i in range(n)]
    for i, change in override.items():
        rows[int(i[1:])].update(change)
    return rows


def _labels_csv(labels: list[str], n: int = 30) -> str:
    """Multiclass rows cycling through ``labels`` (prediction = label)."""
    return "id,label,prediction\n" + "".join(f"r{i},{labels[i % len(labels)]},{labels[i % len(labels)]}\n"
                                             for i in range(n))


def _fifo(name: str) -> Callable[[Path], None]:
    """A named pipe nobody writes to: opening it for reading would block forever."""
    def make(path: Path) -> None:
        (path / name).unlink(missing_ok=True)
        os.mkfifo(path / name)
    return make


def _to_dev_zero(path: Path) -> None:
    os.symlink("/dev/zero", path / "cand.csv")


def _parquet(columns: Callable[[], dict], **write) -> Callable[[Path], None]:
    """Write cand.parquet from ``columns()`` (built inside the test, where pyarrow is importable)."""
    def make(path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        pq.write_table(pa.table(columns()), path / "cand.parquet", **write)
    return make


def _fixture(name: str, as_name: str) -> Callable[[Path], None]:
    """Copy ``tests/fixtures/<name>`` into the case directory as ``as_name``."""
    def make(path: Path) -> None:
        shutil.copyfile(Path(__file__).parent / "fixtures" / name, path / as_name)
    return make


def _pq_columns(**extra):
    def build() -> dict:
        cols = {"id": [f"r{i}" for i in range(40)], "label": [str(i % 2) for i in range(40)],
                "score": [(i % 10) / 10 for i in range(40)]}
        cols.update({k: v() if callable(v) else v for k, v in extra.items()})
        return cols
    return build


def _timestamps() -> list:
    import datetime
    return [datetime.datetime(2024, 1, 1) + datetime.timedelta(seconds=i) for i in range(40)]


def _dictionary_labels():
    import pyarrow as pa
    return pa.array([str(i % 2) for i in range(40)]).dictionary_encode()


def _class_support(expected: dict[str, int]) -> Callable[[str, Path], None]:
    def check(stdout: str, _: Path) -> None:
        assert _report(stdout)["data"]["class_support"] == expected
    return check


def _rows_read(n: int) -> Callable[[str, Path], None]:
    def check(stdout: str, _: Path) -> None:
        rep = _report(stdout)
        assert rep["data"]["n_candidate"] == n and rep["gates"][0]["status"] == "pass"
    return check


def _warns(text: str, n_candidate: int) -> Callable[[str, Path], None]:
    def check(stdout: str, _: Path) -> None:
        rep = _report(stdout)
        assert text in rep["warnings"] and rep["data"]["n_candidate"] == n_candidate, rep["warnings"]
        assert rep["data"]["pairing"] == "paired"
    return check


def _bomb() -> bytes:
    return gzip.compress(b"id,label,score\n" + b"0" * (8 << 20), compresslevel=9)   # 8 KiB -> 8 MiB



CASES: list[Case] = [
    # -- the policy file itself ----------------------------------------------------------------
    Case("yaml-malformed", "malformed YAML (unclosed flow sequence)",
         {"policy.yml": "version: 1\nname: [t\ntask: binary\n", "cand.csv": binary_csv()}, CHECK, 2,
         P + "line 3, column 5: invalid YAML: expected ',' or ']', but got ':' (fix the YAML syntax)"),
    Case("yaml-tab-indent", "YAML indented with a tab", {"policy.yml": "version: 1\nname: t\n\ttask: binary\n",
                                                         "cand.csv": binary_csv()}, CHECK, 2,
         P + "line 3, column 1: invalid YAML: found character '\\t' that cannot start any token (fix the YAML syntax)"),
    Case("yaml-duplicate-key", "a key given twice", {"policy.yml": policy(extra="name: u\n"), "cand.csv": binary_csv()},
         CHECK, 2,
         P + "line 6, column 1: invalid YAML: duplicate key 'name' (fix the YAML syntax)"),
    Case("yaml-recursive-alias", "an alias inside its own anchor (found by hypothesis; was a traceback)",
         {"policy.yml": "gates: &a [*a]\n", "cand.csv": binary_csv()}, CHECK, 2,
         P + "a YAML alias refers to a value that contains it (the policy would be infinite) "
         "(check YAML anchors and aliases (*name))"),
    Case("yaml-alias-bomb", "aliases that expand to a billion values",
         {"policy.yml": "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
             f"{k}: &{k} [{', '.join(['*' + p] * 10)}]\n" for p, k in zip("abcdefgh", "bcdefghi")),
          "cand.csv": binary_csv()}, CHECK, 2,
         P + "the policy expands to more than 100,000 values (check YAML anchors and aliases (*name))"),
    Case("yaml-complex-key", "a list used as a mapping key (found by hypothesis; was a traceback)",
         {"policy.yml": "? [a, b]\n: 1\n", "cand.csv": binary_csv()}, CHECK, 2,
         P + "line 1, column 3: invalid YAML: a mapping key must be a plain value, not a list or mapping "
         "(fix the YAML syntax)"),
    Case("yaml-deep-nesting", "nesting 5,000 levels deep",
         {"policy.yml": "x: " + "[" * 5000 + "]" * 5000 + "\n", "cand.csv": binary_csv()}, CHECK, 2,
         P + "invalid YAML: nested too deeply (fix the YAML syntax)"),
    Case("policy-empty", "empty policy file", {"policy.yml": "", "cand.csv": binary_csv()}, CHECK, 2,
         P + 'the policy is empty (start from one of the examples in policies/)'),
    Case("policy-not-mapping", "policy is a YAML list", {"policy.yml": "- version: 1\n", "cand.csv": binary_csv()},
         CHECK, 2,
         P + 'the policy must be a mapping of fields, got list (start from one of the examples in policies/)'),
    Case("policy-missing", "policy file does not exist", {"cand.csv": binary_csv()}, CHECK, 2,
         P + 'file not found (check the --policy path)'),
    Case("policy-directory", "policy path is a directory", {"policy.yml": None, "cand.csv": binary_csv()}, CHECK, 2,
         P + 'is a directory, not a policy file (pass the path of a YAML file)'),
    Case("policy-not-utf8", "policy is not UTF-8", {"policy.yml": b"version: 1\nname: \xff\n", "cand.csv": binary_csv()},
         CHECK, 2,
         P + 'not UTF-8 text (byte 17) (save the policy as UTF-8)'),
    # -- schema: top level ---------------------------------------------------------------------
    Case("schema-missing-gates", "required field missing",
         {"policy.yml": "version: 1\nname: t\ntask: binary\npositive_class: '1'\n", "cand.csv": binary_csv()},
         CHECK, 2,
         P + "top level: missing required field 'gates'"),
    Case("schema-version", "version is not 1", {"policy.yml": policy().replace("version: 1", "version: 2"),
                                                "cand.csv": binary_csv()}, CHECK, 2,
         P + 'version: must be 1 (got 2)'),
    Case("schema-name-empty", "name is empty", {"policy.yml": policy().replace("name: t", "name: ''"),
                                                "cand.csv": binary_csv()}, CHECK, 2,
         P + 'name: must not be empty'),
    Case("schema-task", "unknown task", {"policy.yml": policy().replace("task: binary", "task: regression"),
                                         "cand.csv": binary_csv()}, CHECK, 2,
         P + "task: must be one of binary, multiclass, ranking, multilabel (got 'regression')"),
    Case("schema-unknown-field", "misspelt top-level field (did-you-mean)", _schema("decisions: {}\n"), CHECK, 2,
         P + "top level: unknown field 'decisions'; did you mean 'decision'?"),
    Case("schema-positive-class-type", "positive_class is a list", {
        "policy.yml": policy().replace('positive_class: "1"', "positive_class: [1]"), "cand.csv": binary_csv()},
        CHECK, 2,
         P + 'positive_class: must be a string or an integer (got list [1])'),
    Case("schema-classes-one", "classes has one item", _schema("classes: ['1']\n"), CHECK, 2,
         P + 'classes: must have at least 2 items'),
    Case("schema-classes-duplicate", "classes repeats a name", _schema("classes: ['0', '0']\n"), CHECK, 2,
         P + 'classes: items must be distinct'),
    Case("schema-data-unknown", "misspelt data field (did-you-mean)", _schema("data: {lable: y}\n"), CHECK, 2,
         P + "data: unknown field 'lable'; did you mean 'label'?"),
    Case("schema-data-threshold", "data.threshold outside [0, 1]", _schema("data: {threshold: 1.5}\n"), CHECK, 2,
         P + 'data.threshold: must be between 0 and 1 (got 1.5)'),
    Case("schema-data-slices", "data.slices is not a list", _schema("data: {slices: region}\n"), CHECK, 2,
         P + "data.slices: must be a list (got string 'region')"),
    Case("schema-data-empty-column", "data.label is empty", _schema("data: {label: ''}\n"), CHECK, 2,
         P + 'data.label: must not be empty'),
    Case("schema-name-long", "name longer than 200 characters", {"policy.yml": policy().replace("name: t", "name: " + "n" * 201),
                                                                   "cand.csv": binary_csv()}, CHECK, 2,
         P + 'name: must be at most 200 characters'),
    Case("schema-data-id-type", "data.id is a number", _schema("data: {id: 7}\n"), CHECK, 2,
         P + 'data.id: must be a string (got integer 7)'),
    Case("schema-data-weight-empty", "data.weight is empty", _schema("data: {weight: ''}\n"), CHECK, 2,
         P + 'data.weight: must not be empty'),
    Case("schema-data-prefix-type", "data.score_prefix is a list", _schema("data: {score_prefix: [p]}\n"), CHECK, 2,
         P + 'data.score_prefix: must be a string (got list ["p"])'),
    Case("schema-resamples-low", "bootstrap.resamples < 100",
         {"policy.yml": policy().replace("resamples: 200", "resamples: 50"), "cand.csv": binary_csv()}, CHECK, 2,
         P + 'bootstrap.resamples: must be between 100 and 1000000 (got 50)'),
    Case("schema-resamples-type", "bootstrap.resamples is text",
         {"policy.yml": policy().replace("resamples: 200", "resamples: many"), "cand.csv": binary_csv()},
         CHECK, 2,
         P + "bootstrap.resamples: must be an integer (got string 'many')"),
    Case("schema-confidence-1", "bootstrap.confidence = 1", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, confidence: 1.0}"), "cand.csv": binary_csv()},
        CHECK, 2,
         P + 'bootstrap.confidence: must be strictly between 0 and 1 (got 1.0)'),
    Case("schema-confidence-0", "bootstrap.confidence = 0", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, confidence: 0}"), "cand.csv": binary_csv()},
        CHECK, 2,
         P + 'bootstrap.confidence: must be strictly between 0 and 1 (got 0)'),
    Case("schema-confidence-percent", "bootstrap.confidence written as a percentage", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, confidence: 95}"), "cand.csv": binary_csv()},
        CHECK, 2,
         P + 'bootstrap.confidence: must be strictly between 0 and 1 (got 95)'),
    Case("schema-method", "unknown bootstrap.method", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, method: studentized}"), "cand.csv": binary_csv()},
        CHECK, 2,
         P + "bootstrap.method: must be one of percentile, basic, bca (got 'studentized')"),
    Case("schema-seed", "negative bootstrap.seed", {
        "policy.yml": policy().replace("seed: 1}", "seed: -1}"), "cand.csv": binary_csv()}, CHECK, 2,
         P + 'bootstrap.seed: must be between 0 and 2**63 - 1 (got -1)'),
    Case("schema-pairing", "unknown bootstrap.pairing", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, pairing: sometimes}"), "cand.csv": binary_csv()},
        CHECK, 2,
         P + "bootstrap.pairing: must be one of auto, paired, independent, intersect (got 'sometimes')"),
    Case("schema-stratify", "bootstrap.stratify is text", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, stratify: 'yes'}"), "cand.csv": binary_csv()},
        CHECK, 2,
         P + "bootstrap.stratify: must be true or false (got string 'yes')"),
    Case("schema-sampling", "unknown bootstrap.sampling", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, sampling: cluster}"), "cand.csv": binary_csv()},
        CHECK, 2, P + "bootstrap.sampling: must be one of iid, stratified (got 'cluster')"),
    Case("sampling-stratify-clash", "deprecated stratify: true contradicts sampling: iid", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, sampling: iid, stratify: true}"), "cand.csv": binary_csv()},
        CHECK, 2, P + "bootstrap.stratify: true contradicts sampling: iid (remove the deprecated "
                      "stratify; keep sampling)"),
    Case("cost-not-numbers", "expected_cost with a cost that is not a number", {
        "policy.yml": policy("  - metric: expected_cost\n    costs: {fn: high, fp: 5}\n    max: 1\n"),
        "cand.csv": binary_csv()},
        CHECK, 2, P + "gates[0].costs: must be a mapping of numbers with keys fn, fp, tn, tp (binary) or a list of "
                      'rows of numbers (multiclass), got {"fn": "high", "fp": 5}'),
    Case("cost-matrix-shape", "a multiclass cost matrix with a row missing", {
        "policy.yml": policy("  - metric: expected_cost\n    costs: [[0, 1, 2], [1, 0, 2]]\n    max: 1\n",
                             head=MULTI_HEAD), "cand.csv": multi_csv()},
        CHECK, 2, P + "gates[0].costs: must be 3 × 3 (one row and column per class in classes:), got 2 rows of 3, 3"),
    Case("flip-comparative-bar", "a flip gate with a comparative bar", {
        "policy.yml": policy("  - metric: churn\n    max_drop: 0.1\n"), "cand.csv": binary_csv(), "base.csv": binary_csv()},
        CHECK + ["--baseline", "base.csv"], 2,
        P + "gates[0].max_drop: 'churn' takes only min or max: it already compares with the baseline "
            "(write max: <the largest acceptable share>)"),
    Case("schema-bootstrap-unknown", "misspelt bootstrap field", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, resample: 500}"), "cand.csv": binary_csv()},
        CHECK, 2,
         P + "bootstrap: unknown field 'resample'; did you mean 'resamples'?"),
    Case("schema-inconclusive", "unknown decision.inconclusive", _schema("decision: {inconclusive: ignore}\n"),
         CHECK, 2,
         P + "decision.inconclusive: must be one of fail, warn, pass (got 'ignore')"),
    Case("schema-multiple-testing", "unknown decision.multiple_testing",
         _schema("decision: {multiple_testing: fdr}\n"), CHECK, 2,
         P + "decision.multiple_testing: must be one of none, bonferroni, holm (got 'fdr')"),
    Case("schema-require-baseline", "decision.require_baseline is text",
         _schema("decision: {require_baseline: 'no'}\n"), CHECK, 2,
         P + "decision.require_baseline: must be true or false (got string 'no')"),
    Case("schema-max-undefined", "decision.max_undefined_fraction > 1",
         _schema("decision: {max_undefined_fraction: 2}\n"), CHECK, 2,
         P + 'decision.max_undefined_fraction: must be between 0 and 1 (got 2)'),
    Case("schema-gates-empty", "gates is an empty list", {"policy.yml": policy("  []\n").replace("gates:\n  []", "gates: []"),
                                                          "cand.csv": binary_csv()}, CHECK, 2,
         P + 'gates: must have at least 1 item'),
    # -- schema and semantics: gates -----------------------------------------------------------
    Case("gate-no-metric", "a gate without metric", _gate("  - min: 0.5\n"), CHECK, 2,
         P + "gates[0]: missing required field 'metric'"),
    Case("gate-unknown-metric", "unknown metric (did-you-mean)", _gate("  - metric: recal\n    min: 0.5\n"), CHECK, 2,
         P + "gates[0].metric: unknown metric 'recal' (did you mean 'recall'?)"),
    Case("gate-unknown-field", "misspelt gate field (did-you-mean)",
         _gate("  - metric: recall\n    min: 0.5\n    min_suport: 30\n"), CHECK, 2,
         P + "gates[0]: unknown field 'min_suport'; did you mean 'min_support'?"),
    Case("gate-two-bars", "two bars on one gate", _gate("  - metric: recall\n    min: 0.5\n    max_drop: 0.1\n"),
         CHECK, 2,
         P + 'gates[0]: give exactly one bar (min, max, max_drop, max_relative_drop, min_gain); found min and max_drop'),
    Case("gate-no-bar", "a gate without a bar", _gate("  - metric: recall\n"), CHECK, 2,
         P + 'gates[0]: give exactly one bar (min, max, max_drop, max_relative_drop, min_gain); found none'),
    Case("gate-bar-type", "a bar that is not a number", _gate("  - metric: recall\n    min: high\n"), CHECK, 2,
         P + "gates[0].min: must be a number (got string 'high')"),
    Case("gate-max-drop-negative", "negative max_drop", _gate("  - metric: recall\n    max_drop: -0.1\n"),
         CHECK_B, 2,
         P + 'gates[0].max_drop: must be >= 0 (got -0.1)'),
    Case("gate-relative-drop", "max_relative_drop > 1", _gate("  - metric: recall\n    max_relative_drop: 5\n"),
         CHECK_B, 2,
         P + 'gates[0].max_relative_drop: must be between 0 and 1 (got 5)'),
    Case("gate-severity", "unknown severity", _gate("  - metric: recall\n    min: 0.5\n    severity: fatal\n"),
         CHECK, 2,
         P + "gates[0].severity: must be one of error, warning (got 'fatal')"),
    Case("gate-min-support", "negative min_support", _gate("  - metric: recall\n    min: 0.5\n    min_support: -1\n"),
         CHECK, 2,
         P + 'gates[0].min_support: must be >= 0 (got -1)'),
    Case("gate-average", "unknown average", _gate("  - metric: recall\n    average: sample\n    min: 0.5\n"),
         CHECK, 2,
         P + "gates[0].average: must be one of macro, micro, weighted, samples (got 'sample')"),
    Case("gate-average-not-allowed", "average on a metric without averages",
         _gate("  - metric: accuracy\n    average: macro\n    min: 0.5\n"), CHECK, 2,
         P + "gates[0].average: 'macro' is not available for 'accuracy' (allowed: none)"),
    Case("gate-param-not-applicable", "beta on recall", _gate("  - metric: recall\n    beta: 2\n    min: 0.5\n"),
         CHECK, 2,
         P + "gates[0].beta: does not apply to metric 'recall' (remove it)"),
    Case("gate-param-missing", "fbeta without beta", _gate("  - metric: fbeta\n    min: 0.5\n"), CHECK, 2,
         P + "gates[0]: metric 'fbeta' needs 'beta'"),
    Case("gate-beta-zero", "beta = 0", _gate("  - metric: fbeta\n    beta: 0\n    min: 0.5\n"), CHECK, 2,
         P + 'gates[0].beta: must be > 0 (got 0)'),
    Case("gate-at-recall", "at_recall > 1",
         _gate("  - metric: precision_at_recall\n    at_recall: 2\n    min: 0.5\n"), CHECK, 2,
         P + 'gates[0].at_recall: must be between 0 and 1 (got 2)'),
    Case("gate-interpolation", "unknown interpolation",
         _gate("  - metric: interpolated_ap\n    interpolation: voc12\n    min: 0.5\n"), CHECK, 2,
         P + "gates[0].interpolation: must be one of voc11, coco101 (got 'voc12')"),
    Case("gate-name-empty", "gate name is empty", _gate("  - metric: recall\n    name: ''\n    min: 0.5\n"), CHECK, 2,
         P + 'gates[0].name: must not be empty'),
    Case("gate-class-type", "gate class is a list", _gate("  - metric: recall\n    class: [a]\n    min: 0.5\n"), CHECK, 2,
         P + 'gates[0].class: must be a string or an integer (got list ["a"])'),
    Case("gate-predicted-type", "confusion predicted is a mapping",
         _gate("  - metric: confusion\n    class: '1'\n    predicted: {a: 1}\n    max: 5\n"), CHECK, 2,
         P + 'gates[0].predicted: must be a string or an integer (got mapping {"a": 1})'),
    Case("gate-max-type", "max is text", _gate("  - metric: fpr\n    max: low\n"), CHECK, 2,
         P + "gates[0].max: must be a number (got string 'low')"),
    Case("gate-min-gain-type", "min_gain is true", _gate("  - metric: recall\n    min_gain: true\n"), CHECK_B, 2,
         P + 'gates[0].min_gain: must be a number (got boolean true)'),
    Case("gate-adjusted-type", "adjusted is text", _gate("  - metric: balanced_accuracy\n    adjusted: 'yes'\n    min: 0.5\n"),
         CHECK, 2,
         P + "gates[0].adjusted: must be true or false (got string 'yes')"),
    Case("gate-normalize", "unknown normalize",
         _gate("  - metric: confusion\n    class: '1'\n    predicted: '0'\n    normalize: rows\n    max: 5\n"), CHECK, 2,
         P + "gates[0].normalize: must be one of none, true, pred, all (got 'rows')"),
    Case("gate-at-precision", "at_precision below 0",
         _gate("  - metric: recall_at_precision\n    at_precision: -0.5\n    min: 0.5\n"), CHECK, 2,
         P + 'gates[0].at_precision: must be between 0 and 1 (got -0.5)'),
    Case("gate-slice-empty", "slice is empty", _gate("  - metric: recall\n    slice: ''\n    min: 0.5\n"), CHECK, 2,
         P + 'gates[0].slice: must not be empty'),
    Case("gate-not-mapping", "a gate that is a plain string", _gate("  - recall >= 0.5\n"), CHECK, 2,
         P + "gates[0]: must be a mapping (got string 'recall >= 0.5')"),
    Case("gate-matrix-with-class", "whole-matrix metric with a class",
         _gate("  - metric: accuracy\n    class: '1'\n    min: 0.5\n"), CHECK, 2,
         P + "gates[0].class: 'accuracy' is a whole-matrix metric; it takes no class (remove class:)"),
    Case("gate-class-and-average", "both class and average",
         _gate("  - metric: recall\n    class: '1'\n    average: macro\n    min: 0.5\n"), CHECK, 2,
         P + 'gates[0]: give either class or average, not both'),
    Case("gate-label-coverage-drop", "label_coverage with a comparative bar",
         _gate("  - metric: label_coverage\n    max_drop: 0.1\n"), CHECK_B, 2,
         P + "gates[0]: 'label_coverage' takes only min or max, with no class or slice"),
    Case("gate-class-not-declared", "gate class not among the policy's classes",
         {"policy.yml": policy("  - metric: recall\n    class: cat\n    min: 0.5\n", extra="classes: ['0', '1']\n"),
          "cand.csv": binary_csv()}, CHECK, 2,
         P + "gates[0].class: 'cat' is not one of the policy's classes (0, 1)"),
    Case("gate-slice-undeclared", "slice not listed in data.slices",
         {"policy.yml": policy("  - metric: recall\n    slice: device\n    min: 0.5\n", extra="data: {slices: [region]}\n"),
          "cand.csv": binary_csv()}, CHECK, 2,
         P + "gates[0].slice: 'device' is not listed in data.slices (region) (add it to data.slices)"),
    Case("multiclass-needs-class", "multiclass per-class metric without class/average",
         {"policy.yml": MULTI_HEAD + "gates:\n  - metric: recall\n    min: 0.5\n", "cand.csv": multi_csv()},
         CHECK, 2,
         P + 'gates[0]: multiclass \'recall\' needs class: <name>, class: "*" or average (add class: or average:)'),
    Case("multiclass-positive-class", "positive_class on a multiclass policy",
         {"policy.yml": MULTI_HEAD + "positive_class: a\ngates:\n  - metric: accuracy\n    min: 0.5\n",
          "cand.csv": multi_csv()}, CHECK, 2,
         P + 'positive_class: applies only to task: binary (remove it, or use class: on each gate)'),
    Case("binary-no-positive-class", "binary policy without positive_class",
         {"policy.yml": policy(head="version: 1\nname: t\ntask: binary\n"), "cand.csv": binary_csv()}, CHECK, 2,
         P + 'positive_class: a binary policy needs positive_class (name the label of the positive class)'),
    # -- artifacts: files ----------------------------------------------------------------------
    Case("file-missing", "candidate file does not exist", {"policy.yml": policy()}, CHECK, 2,
         C + 'file not found (check the path)', group="file"),
    Case("file-directory", "candidate path is a directory", _data(None), CHECK, 2,
         C + 'is a directory, not a file (pass the path of the predictions file)', group="file"),
    Case("file-unreadable", "candidate file is not readable (chmod 000)", _data(binary_csv()), CHECK, 2,
         C + 'permission denied (make the file readable)',
         setup=_unreadable, group="file"),
    Case("file-unknown-extension", "unsupported extension", _data(binary_csv(), name="cand.txt"),
         ["check", "--policy", "policy.yml", "--candidate", "cand.txt"], 2,
         "model-gate: error: cand.txt: unknown file type '.txt' (use .csv, .csv.gz, .jsonl, .jsonl.gz or .parquet)", group="file"),
    Case("file-empty", "empty file", _data(""), CHECK, 2,
         C + "is empty (export the predictions again; an empty set can't pass a gate)", group="file"),
    Case("file-header-only", "header but no rows", _data("id,label,score\n"), CHECK, 2,
         C + "has a header but no data rows (export the predictions again; an empty set can't pass a gate)", group="file"),
    Case("file-not-gzip", ".csv.gz that is not gzip", _data(binary_csv(), name="cand.csv.gz"),
         ["check", "--policy", "policy.yml", "--candidate", "cand.csv.gz"], 2,
         'model-gate: error: cand.csv.gz: is not gzip data (compress it with gzip, or drop the .gz extension if it is plain text)', group="file"),
    Case("file-truncated-gzip", "truncated gzip", _data(gzip.compress(binary_csv().encode())[:-12], name="cand.csv.gz"),
         ["check", "--policy", "policy.yml", "--candidate", "cand.csv.gz"], 2,
         'model-gate: error: cand.csv.gz: is a damaged gzip file (Compressed file ended before the end-of-stream marker was reached) (compress it with gzip, or drop the .gz extension if it is plain text)', group="file"),
    Case("file-not-utf8", "candidate is not UTF-8 (Latin-1)", _data(binary_csv().replace("r3,", "r\xe93,").encode("latin-1")),
         CHECK, 2,
         C + 'is not UTF-8 text (bad byte at line 5) (save the file as UTF-8)', group="file"),
    Case("file-nul-byte", "binary junk (NUL byte)", _data(b"id,label,score\n\x00\x01\x02\n"), CHECK, 2,
         C + 'contains a NUL byte at line 2; this is not a text CSV (export the predictions as plain CSV)',
         group="file"),
    Case("file-bom", "UTF-8 BOM before the header: reads normally", _data("\ufeff" + binary_csv(), pol=policy("  - metric: recall\n    min: 0.1\n")),
         CHECK + JSON, 0, None, check=_reads_like_plain, group="file"),
    Case("file-parquet-corrupt", "a .parquet file that is not Parquet", _data(binary_csv(), name="cand.parquet"),
         ["check", "--policy", "policy.yml", "--candidate", "cand.parquet"], 2,
         "model-gate: error: cand.parquet: is not a readable Parquet file (Parquet magic bytes not found at the start)", group="file"),
    # -- artifacts: CSV structure --------------------------------------------------------------
    Case("csv-quoted-newline", "quoted field with a newline (valid CSV): reads correctly",
         _data('id,label,score,note\nr0,1,0.9,"two\nlines"\nr1,1,0.1,x\nr2,0,0.2,"a, b"\nr3,0,0.8,y\n'),
         CHECK + JSON, 1, None, check=_quoted_newline_read, group="csv"),
    Case("csv-semicolon", "semicolon-delimited file", _data(binary_csv().replace(",", ";")), CHECK, 2,
         C + "the header looks semicolon-separated ('id;label;score') (model-gate reads comma-separated CSV; re-export with commas)", group="csv"),
    Case("csv-ragged-row", "a row with an extra field", _data(binary_csv() + "r99,1,0.5,extra\n"), CHECK, 2,
         C + 'line 42 has 4 fields but the header has 3 (check for unquoted commas or missing fields)',
         group="csv"),
    Case("csv-unclosed-quote", "an unclosed quote", _data('id,label,score\nr0,1,"0.5\nr1,0,0.2\n'), CHECK, 2,
         C + 'malformed CSV near line 3 (unexpected end of data) (check the quoting)',
         group="csv"),
    Case("csv-duplicate-header", "a column named twice", _data("id,label,label\nr0,1,1\n"), CHECK, 2,
         C + "column 'label' appears twice in the header (give every column a distinct name)", group="csv"),
    Case("csv-empty-header-name", "a header cell without a name", _data("id,,score\nr0,1,0.5\n"), CHECK, 2,
         C + 'header column 2 has no name (name every column)',
         group="csv"),
    Case("csv-long-field-unused", "a 10^6-character field in an unused column: reads normally",
         _data(binary_csv(header="id,label,score,blob", score=lambda i: f"0.{i % 10},{'x' * (10**6 if i == 3 else 1)}"),
               pol=policy("  - metric: recall\n    min: 0.1\n")),
         CHECK + JSON, 0, None, check=_reads_like_plain, group="csv"),
    Case("csv-long-field-label", "a 10^6-character label", _data(binary_csv(label=lambda i: "y" * 10**6 if i == 5 else str(i % 2))),
         CHECK, 2,
         C + "column 'label': a binary policy, but the labels/predictions hold 3 classes (0, 1, yyyyyyyyyyyyyyyyy...) (use task: multiclass, or map the labels to two classes)", group="csv"),
    Case("csv-missing-label-column", "no label column", _data(binary_csv(header="id,y,score")), CHECK, 2,
         C + "has no column 'label' (columns: 'id', 'y', 'score') (add the column to the candidate file or map it in the policy's data: section)",
         group="csv"),
    Case("csv-missing-mapped-column", "a column mapped in data: is missing",
         _data(binary_csv(), pol=policy(extra="data: {weight: w}\n")), CHECK, 2,
         C + "has no column 'w' (columns: 'id', 'label', 'score') (add the column to the candidate file or map it in the policy's data: section)", group="csv"),
    Case("csv-no-scores", "ranking metric without a score column",
         _data(binary_csv(header="id,label,prediction", score=lambda i: str(i % 3 % 2)),
               pol=policy("  - metric: average_precision\n    min: 0.5\n")), CHECK, 2,
         C + "'average_precision' needs scores, but there is no 'score' column (add the score column(s) or map them in data:)", group="csv"),
    # -- artifacts: values ---------------------------------------------------------------------
    Case("label-not-in-classes", "a label outside the declared classes",
         _data(binary_csv(label=lambda i: "2" if i == 7 else str(i % 2)), pol=policy(extra="classes: ['0', '1']\n")),
         CHECK, 2,
         C + "row 8 (line 9), column 'label': label '2' is not one of the classes (0, 1) (fix the label or add the class to the policy's classes:)", group="values"),
    Case("prediction-not-in-classes", "a prediction outside the declared classes",
         _data(binary_csv(header="id,label,prediction", score=lambda i: "maybe" if i == 3 else str(i % 2)),
               pol=policy(extra="classes: ['0', '1']\n")), CHECK, 2,
         C + "row 4 (line 5), column 'prediction': prediction 'maybe' is not one of the classes (0, 1) (every labeled row needs a prediction)", group="values"),
    Case("labels-binary-on-multiclass", "binary policy on multiclass data",
         _data(binary_csv(label=lambda i: str(i % 3))), CHECK, 2,
         C + "column 'label': a binary policy, but the labels/predictions hold 3 classes (0, 1, 2) (use task: multiclass, or map the labels to two classes)", group="values"),
    Case("labels-none", "no row has a label", _data(binary_csv(label=lambda i: "")), CHECK, 2,
         C + "column 'label': no row has a label (labels may arrive late, but a gate needs at least some labeled rows)", group="values"),
    Case("score-nan", "a NaN score", _data(binary_csv(score=lambda i: "nan" if i == 4 else "0.5")), CHECK, 2,
         C + "row 5 (line 6), column 'score': score is 'nan' (scores must be finite numbers (no NaN or infinity))",
         group="values"),
    Case("score-inf", "an infinite score", _data(binary_csv(score=lambda i: "inf" if i == 4 else "0.5")), CHECK, 2,
         C + "row 5 (line 6), column 'score': score is 'inf' (scores must be finite numbers (no NaN or infinity))",
         group="values"),
    Case("score-text", "a score that is text", _data(binary_csv(score=lambda i: "high" if i == 4 else "0.5")),
         CHECK, 2,
         C + "row 5 (line 6), column 'score': 'high' is not a number (scores must be finite numbers)", group="values"),
    Case("score-empty", "an empty score", _data(binary_csv(score=lambda i: "" if i == 4 else "0.5")), CHECK, 2,
         C + "row 5 (line 6), column 'score': '' is not a number (scores must be finite numbers)",
         group="values"),
    Case("prob-outside-01", "brier on scores outside [0, 1]",
         _data(binary_csv(score=lambda i: "1.7" if i == 2 else "0.5"), pol=policy("  - metric: brier\n    max: 0.3\n")),
         CHECK, 2,
         C + "row 3 (line 4), column 'score': score 1.7 is outside [0, 1] (brier, log_loss and ece need probabilities, "
         "not raw scores)", group="values"),
    # a paired baseline in another row order: the message names the baseline file's row, not the
    # candidate's position it is aligned to (pb.csv's row 2 holds the bad score; it was 'labeled row 3')
    Case("prob-outside-01-baseline-order", "brier on a baseline score outside [0, 1], baseline rows in another order",
         {"policy.yml": policy("  - metric: brier\n    max_drop: 0.3\n"), "cand.csv": "id,label,score\na,1,0.9\nb,0,0.2\nc,1,0.7\n",
          "base.csv": "id,label,score\nc,1,0.7\nb,0,1.7\na,1,0.9\n"}, CHECK_B, 2,
         "model-gate: error: base.csv: row 2 (line 3), column 'score': score 1.7 is outside [0, 1] (brier, log_loss "
         "and ece need probabilities, not raw scores)", group="values"),
    Case("prob-undeclared-class", "a score column for an undeclared class",
         _data(multi_csv(score_cols=("a", "b", "c", "d"), probs=lambda i: [0.7, 0.1, 0.1, 0.1]),
               pol=MULTI_HEAD + "gates:\n  - metric: accuracy\n    min: 0.5\n"), CHECK, 2,
         C + "score column 'score_d' names a class that is not declared (a, b, c) (score columns must match the policy's classes exactly)", group="values"),
    Case("prob-missing-class", "no score column for a declared class",
         _data(multi_csv(score_cols=("a", "b"), probs=lambda i: [0.5, 0.5]),
               pol=MULTI_HEAD + "gates:\n  - metric: accuracy\n    min: 0.5\n"), CHECK, 2,
         C + "has scores for 2 of 3 classes; missing 'score_c' (write one score column per declared class)", group="values"),
    Case("prob-not-summing", "class probabilities that do not sum to 1",
         _data(multi_csv(probs=lambda i: [0.5, 0.4, 0.4]), pol=MULTI_HEAD + "gates:\n  - metric: log_loss\n    max: 1\n"),
         CHECK, 2,
         C + 'row 1 (line 2): class probabilities sum to 1.3000, not 1 (score columns must be the probabilities of the declared classes)', group="values"),
    Case("weight-negative", "a negative weight",
         _data(binary_csv(header="id,label,score,weight", score=lambda i: f"0.5,{-1 if i == 6 else 1}")), CHECK, 2,
         C + "row 7 (line 8), column 'weight': weight -1.0 is negative (weights must be >= 0)",
         group="values"),
    Case("weight-all-zero", "every weight zero",
         _data(binary_csv(header="id,label,score,weight", score=lambda i: "0.5,0")), CHECK, 2,
         C + "column 'weight': every weight is zero (give the examples that count a positive weight (or drop "
         "data.weight: unit weights))", group="values"),
    Case("jsonl-mixed-label-types", "labels 1 and \"1\" in one JSON Lines file",
         _data(jsonl([{"id": f"r{i}", "label": (1 if i < 20 else "1") if i % 2 else 0, "score": 0.5} for i in range(40)]),
               name="cand.jsonl"), ["check", "--policy", "policy.yml", "--candidate", "cand.jsonl"], 2,
         "model-gate: error: cand.jsonl: column 'label': mixes label types: 1 at row 2 (line 2) and '1' at row 22 (line 22) (write every label with one type (all strings or all numbers))",
         group="values"),
    Case("jsonl-invalid", "a line that is not JSON", _data('{"id": "r0", "label": 1}\n{"id": r1}\n', name="cand.jsonl"),
         ["check", "--policy", "policy.yml", "--candidate", "cand.jsonl"], 2,
         'model-gate: error: cand.jsonl: line 2 is not valid JSON (Expecting value) (write one JSON object per line)', group="values"),
    Case("jsonl-not-object", "a JSON line that is a list", _data('{"id": "r0", "label": 1}\n[1, 2]\n', name="cand.jsonl"),
         ["check", "--policy", "policy.yml", "--candidate", "cand.jsonl"], 2,
         'model-gate: error: cand.jsonl: line 2 is a JSON list, not an object (write one JSON object per line)', group="values"),
    Case("jsonl-nested", "a nested JSON value", _data('{"id": "r0", "label": {"v": 1}}\n', name="cand.jsonl"),
         ["check", "--policy", "policy.yml", "--candidate", "cand.jsonl"], 2,
         "model-gate: error: cand.jsonl: line 1, key 'label' holds a nested dict (use flat scalar values)", group="values"),
    Case("class-absent-from-data", "a class named by a gate but absent from the data",
         {"policy.yml": MULTI_HEAD.replace("classes: [a, b, c]\n", "") + "gates:\n  - metric: recall\n    class: d\n    min: 0.5\n",
          "cand.csv": multi_csv(score_cols=("a", "b", "c"))}, CHECK, 2,
         P + "gates[0].class: 'd' is named in the policy but absent from the data (classes found: a, b, c) (fix the class name, or list it in the policy's classes: if it is just rare)", group="values"),
    # -- candidate and baseline ----------------------------------------------------------------
    Case("baseline-missing", "comparative gate without --baseline", _gate("  - metric: recall\n    max_drop: 0.05\n"),
         CHECK, 2,
         P + 'gates[0] (recall max_drop) compares with a baseline, but no baseline was given (pass --baseline FILE (baseline= in Python), or set decision.require_baseline: false)', group="pairing"),
    Case("ids-missing-column", "no id column with a baseline", {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n"),
         "cand.csv": binary_csv().replace("id,", "key,"), "base.csv": binary_csv()}, CHECK_B, 2,
         C + "has no column 'id' (columns: 'key', 'label', 'score') (add the column to the candidate file or map it in the policy's data: section)", group="pairing"),
    Case("ids-duplicate", "an id used twice", {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n"),
         "cand.csv": binary_csv(ids=[*range(39), 5]), "base.csv": binary_csv()}, CHECK_B, 2,
         C + "column 'id': id 'r5' appears twice (row 6 (line 7) and row 40 (line 41)) (ids must be unique per file)", group="pairing"),
    Case("ids-empty", "an empty id", {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n"),
         "cand.csv": binary_csv().replace("r7,", ","), "base.csv": binary_csv()}, CHECK_B, 2,
         C + "row 8 (line 9), column 'id': id is empty (every row needs an id)", group="pairing"),
    Case("ids-partial-overlap", "candidate and baseline share only some ids",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n"), "cand.csv": binary_csv(ids=range(0, 40)),
          "base.csv": binary_csv(ids=range(20, 60))}, CHECK_B, 2,
         'model-gate: error: cand.csv + base.csv: candidate has 40 ids, baseline 40, and they share 20: pairing needs the same id set (paired) or disjoint sets (independent, e.g. canary traffic) (set bootstrap.pairing: intersect to compare the models on the 20 shared ids, or evaluate both models on the same examples)', group="pairing"),
    Case("ids-paired-disjoint", "pairing: paired with disjoint ids",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n").replace("seed: 1}", "seed: 1, pairing: paired}"),
          "cand.csv": binary_csv(ids=range(0, 40)), "base.csv": binary_csv(ids=range(40, 80))}, CHECK_B, 2,
         'model-gate: error: cand.csv + base.csv: candidate has 40 ids, baseline 40, and they share 0: pairing: paired needs the same id set (evaluate both models on the same examples, or set bootstrap.pairing: independent)',
         group="pairing"),
    Case("labels-disagree", "paired files with different ground truth",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n"), "cand.csv": binary_csv(),
          "base.csv": binary_csv(label=lambda i: str((i + (i == 9)) % 2))}, CHECK_B, 2,
         "model-gate: error: cand.csv + base.csv: id 'r9' has label '1' in the candidate but '0' in the baseline (paired files must carry the same ground truth)", group="pairing"),
    Case("cluster-differs", "data.cluster: a shared id in different clusters on the two sides",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n", extra="data: {cluster: user}\n"),
          "cand.csv": binary_csv(header="id,label,score,user", score=lambda i: f"{(i % 10) / 10:.1f},u{i // 4}"),
          "base.csv": binary_csv(header="id,label,score,user",
                                 score=lambda i: f"{(i % 10) / 10:.1f}," + ("x" if i == 9 else f"u{i // 4}"))},
         CHECK_B, 2,
         "model-gate: error: cand.csv + base.csv: id 'r9' is in cluster 'u2' in the candidate but 'x' in the baseline (paired files must put each id in the same cluster (the rows of one user, session, ... together))",
         group="pairing"),
    Case("cluster-empty", "data.cluster: a labeled row without a cluster",
         {"policy.yml": policy(extra="data: {cluster: user}\n"),
          "cand.csv": binary_csv(header="id,label,score,user",
                                 score=lambda i: f"{(i % 10) / 10:.1f}," + ("" if i == 6 else f"u{i // 4}"))},
         CHECK, 2,
         C + "row 7 (line 8), column 'user': the cluster is empty (give every labeled row its cluster (session, user, patient ...), or a cluster of its own (e.g. its id))",
         group="values"),
    Case("cluster-stratified", "data.cluster with sampling: stratified",
         {"policy.yml": policy(extra="data: {cluster: user}\n").replace("seed: 1}", "seed: 1, sampling: stratified}"),
          "cand.csv": binary_csv()}, CHECK, 2,
         P + "bootstrap.sampling: stratified keeps each class's count of rows, but data.cluster resamples whole clusters, which hold rows of several classes (use sampling: iid (the default) with data.cluster; stratified is only right for a test set drawn per class, not by cluster)"),
    # -- degenerate but valid data: a verdict, not a crash ---------------------------------------
    Case("ap-zero-positives", "average precision with zero positives: inconclusive with a reason",
         _data(binary_csv(label=lambda i: "0"), pol=policy("  - metric: average_precision\n    min: 0.5\n",
                                                           extra="classes: ['0', '1']\n")),
         CHECK + JSON, 1, None, check=_zero_positives, group="degenerate"),
    Case("ap-zero-positives-warn", "the same with decision.inconclusive: warn → exit 0",
         _data(binary_csv(label=lambda i: "0"), pol=policy("  - metric: average_precision\n    min: 0.5\n",
                                                           extra="classes: ['0', '1']\ndecision: {inconclusive: warn}\n")),
         CHECK + JSON, 0, None, check=_zero_positives, group="degenerate"),
    Case("slice-one-row", "a slice value with a single row: inconclusive, not a crash",
         _data(binary_csv(header="id,label,score,region", score=lambda i: f"0.{i % 10},{'x' if i == 1 else 'y'}"),
               pol=policy("  - metric: recall\n    slice: region\n    min: 0.1\n")),
         CHECK + JSON, 1, None, check=_one_row_slice, group="degenerate"),
    # -- hostile numbers in the policy (was: tracebacks, and NaN accepted) ----------------------
    Case("yaml-int-5000-digits", "a 5,000-digit bootstrap.seed (int() refuses > 4,300 digits; was a traceback)",
         {"policy.yml": policy().replace("seed: 1}", f"seed: {DIGITS_5000}}}"), "cand.csv": binary_csv()}, CHECK, 2,
         P + 'line 5, column 35: invalid YAML: an integer of 5,000 digits is too long (at most 100) (quote it if it is a name or label; numbers in a policy are far shorter)'),
    Case("yaml-int-5000-name", "a 5,000-digit number as the policy name",
         {"policy.yml": policy().replace("name: t", f"name: {DIGITS_5000}"), "cand.csv": binary_csv()}, CHECK, 2,
         P + 'line 2, column 7: invalid YAML: an integer of 5,000 digits is too long (at most 100) (quote it if it is a name or label; numbers in a policy are far shorter)'),
    Case("schema-seed-2-63", "bootstrap.seed of 2**63", {
        "policy.yml": policy().replace("seed: 1}", f"seed: {2**63}}}"), "cand.csv": binary_csv()}, CHECK, 2,
         P + 'bootstrap.seed: must be between 0 and 2**63 - 1 (got 9223372036854775808)'),
    Case("policy-nan-bar", "a .nan bar (passes JSON Schema bounds; was silently accepted)",
         _gate("  - metric: recall\n    min: .nan\n"), CHECK, 2, P + 'gates[0].min: must be a finite number (got .nan) (write a plain number)'),
    Case("policy-inf-max-drop", "max_drop: .inf (was a crash in the plots)",
         _gate("  - metric: recall\n    max_drop: .inf\n"), CHECK_B, 2, P + 'gates[0].max_drop: must be a finite number (got .inf) (write a plain number)'),
    Case("policy-nan-confidence", "bootstrap.confidence: .nan (was a crash in the quantiles)", {
        "policy.yml": policy().replace("seed: 1}", "seed: 1, confidence: .nan}"), "cand.csv": binary_csv()},
         CHECK, 2, P + 'bootstrap.confidence: must be a finite number (got .nan) (write a plain number)'),
    Case("policy-nan-threshold", "data.threshold: .nan", _schema("data: {threshold: .nan}\n"), CHECK, 2, P + 'data.threshold: must be a finite number (got .nan) (write a plain number)'),
    Case("policy-float-overflow", "a bar of 1.0e+400 (YAML reads infinity)",
         _gate("  - metric: recall\n    min: 1.0e+400\n"), CHECK, 2, P + 'gates[0].min: must be a finite number (got .inf) (write a plain number)'),
    Case("policy-lone-surrogate", "a \\ud800 escape in a policy string (no UTF-8 report can hold it)",
         {"policy.yml": policy().replace("name: t", 'name: "\\ud800"'), "cand.csv": binary_csv()}, CHECK, 2, P + 'name: holds an unpaired UTF-16 surrogate (a \\ud800-style escape) (write the text as UTF-8)'),
    Case("policy-classes-invisible", "classes a and a + U+200B (render identically)",
         {"policy.yml": MULTI_HEAD.replace("[a, b, c]", '[a, "a\\u200b", b]') + "gates:\n  - metric: accuracy\n    min: 0.1\n",
          "cand.csv": multi_csv()}, CHECK, 2, P + "classes: 'a' and 'a\\u200b' differ only by invisible characters (remove the invisible characters (zero-width, bidi, ...) from the labels)"),
    Case("policy-classes-nfc", "classes é and e + U+0301 (one class once NFC-normalised)",
         {"policy.yml": MULTI_HEAD.replace("[a, b, c]", '["\\u00e9", "e\\u0301", b]') + "gates:\n  - metric: accuracy\n    min: 0.1\n",
          "cand.csv": multi_csv()}, CHECK, 2, P + 'classes: items must be distinct'),
    Case("policy-classes-over-limit", "more classes listed than MODEL_GATE_MAX_CLASSES",
         {"policy.yml": MULTI_HEAD + "gates:\n  - metric: accuracy\n    min: 0.1\n", "cand.csv": multi_csv()}, CHECK, 2,
         P + 'classes: lists 3 classes, more than the limit of 2 (raise the limit with the environment variable MODEL_GATE_MAX_CLASSES, e.g. MODEL_GATE_MAX_CLASSES=8)', env={"MODEL_GATE_MAX_CLASSES": "2"}),
    Case("policy-too-large", "a policy over MODEL_GATE_MAX_POLICY_BYTES", _bin(), CHECK, 2, P + 'is larger than the size limit of 64 bytes (raise the limit with the environment variable MODEL_GATE_MAX_POLICY_BYTES, e.g. MODEL_GATE_MAX_POLICY_BYTES=256)',
         env={"MODEL_GATE_MAX_POLICY_BYTES": "64"}),
    Case("policy-fifo", "the policy is a FIFO with no writer (was a hang)", _bin(), CHECK, 2, P + 'is a named pipe (FIFO), not a regular file (write the data to a file first; pipes and devices are not read)',
         setup=_fifo("policy.yml")),
    # -- hostile files ---------------------------------------------------------------------------
    Case("file-fifo", "the candidate is a FIFO with no writer (was a hang)", _bin(), CHECK, 2, C + 'is a named pipe (FIFO), not a regular file (write the data to a file first; pipes and devices are not read)',
         setup=_fifo("cand.csv"), group="file"),
    Case("file-device", "the candidate is /dev/zero (was read forever)", {"policy.yml": policy()}, CHECK, 2, C + 'is a character device, not a regular file (write the data to a file first; pipes and devices are not read)',
         setup=_to_dev_zero, group="file"),
    Case("file-too-large", "a file over MODEL_GATE_MAX_BYTES", _bin(), CHECK, 2, C + 'is larger than the size limit of 100 bytes (raise the limit with the environment variable MODEL_GATE_MAX_BYTES, e.g. MODEL_GATE_MAX_BYTES=400)',
         env={"MODEL_GATE_MAX_BYTES": "100"}, group="file"),
    Case("file-gzip-bomb", "a gzip bomb: 8 KiB that decompress to 8 MiB, over a 1M limit (read as a stream)",
         _data(_bomb(), name="cand.csv.gz"), ["check", "--policy", "policy.yml", "--candidate", "cand.csv.gz"], 2,
         'model-gate: error: cand.csv.gz: decompresses to more than the size limit of 1 MiB (raise the limit with the environment variable MODEL_GATE_MAX_BYTES, e.g. MODEL_GATE_MAX_BYTES=4M)', env={"MODEL_GATE_MAX_BYTES": "1M"}, group="file"),
    Case("file-limit-env-invalid", "MODEL_GATE_MAX_BYTES is not a size", _bin(), CHECK, 2, "model-gate: error: environment: MODEL_GATE_MAX_BYTES must be a positive whole number of bytes (K, M, G suffixes allowed) (got 'lots') (unset it to use the default, 512 MiB)",
         env={"MODEL_GATE_MAX_BYTES": "lots"}, group="file"),
    Case("source-date-epoch-invalid", "SOURCE_DATE_EPOCH is not a Unix time (reproducible builds fix junit.xml's timestamp with it)",
         _bin(), CHECK + ["--out-dir", "out"], 2, "model-gate: error: environment: SOURCE_DATE_EPOCH is 'yesterday', not a Unix time "
         "(set it to whole seconds since 1970-01-01 UTC (e.g. $(git log -1 --format=%ct)), or unset it)",
         env={"SOURCE_DATE_EPOCH": "yesterday"}, group="cli"),
    Case("file-parquet-too-large", "Parquet that decodes to more than the limit (its declared page sizes, checked before reading)",
         {"policy.yml": policy()}, PQ_CHECK, 2,
         PQ + 'holds more data than the size limit of 64 KiB once decoded (100 rows × 4 columns) (raise the limit with the environment variable MODEL_GATE_MAX_BYTES, e.g. MODEL_GATE_MAX_BYTES=256K)',
         env={"MODEL_GATE_MAX_BYTES": "64K"},
         setup=_parquet(lambda: {"id": [f"r{i}" for i in range(100)], "label": ["1"] * 100,
                                 "score": [0.5] * 100, "blob": ["x" * 2000] * 100},
                        use_dictionary=False, compression="gzip"), group="file", needs_pyarrow=True),
    Case("file-parquet-row-group-lies", "Parquet whose row group claims 69·10⁹ rows in a 3-row file (found by "
         "scripts/fuzz: pyarrow allocated for the claim, out of memory)",
         {"policy.yml": policy()}, PQ_CHECK, 2,
         PQ + "is not a readable Parquet file (its row groups hold 69,098,993,274 rows, its footer declares 3) (write the file again with pyarrow, pandas or Spark)",
         setup=_fixture("parquet/row-group-claims-more-rows.parquet", "cand.parquet"), group="file", needs_pyarrow=True),
    Case("file-parquet-histogram-abort", "Parquet whose size statistics have a wrong-length histogram (found by "
         "scripts/fuzz: pyarrow's row-group metadata accessor aborted the process, no exception)",
         {"policy.yml": policy()}, PQ_CHECK, 2,
         PQ + "is not a readable Parquet file (Definition level histogram size mismatch, size: 2, expected: 1)",
         setup=_fixture("parquet/histogram-size-mismatch.parquet", "cand.parquet"), group="file", needs_pyarrow=True),
    # -- hostile values ----------------------------------------------------------------------------
    Case("score-underscore", "score 0_5 (Python's float() reads it as 5)",
         _data(binary_csv(score=lambda i: "0_5" if i == 4 else "0.5")), CHECK, 2, C + "row 5 (line 6), column 'score': '0_5' is not a number (scores must be finite numbers)", group="values"),
    Case("score-arabic-indic", "score ٠.٥ in Arabic-Indic digits (float() reads it)",
         _data(binary_csv(score=lambda i: "\u0660.\u0665" if i == 4 else "0.5")), CHECK, 2, C + "row 5 (line 6), column 'score': '٠.٥' is not a number (scores must be finite numbers)", group="values"),
    Case("score-fullwidth", "score ０.５ in fullwidth digits (float() reads it)",
         _data(binary_csv(score=lambda i: "\uff10.\uff15" if i == 4 else "0.5")), CHECK, 2, C + "row 5 (line 6), column 'score': '０.５' is not a number (scores must be finite numbers)", group="values"),
    Case("weight-overflow", "weights of 1e308 (their sum overflows)",
         _data(binary_csv(header="id,label,score,weight", score=lambda i: "0.5,1e308")), CHECK, 2, C + "row 1 (line 2), column 'weight': weight 1e+308 is outside the supported range (0, or 1e-60 to 1e+60) (rescale the weights, e.g. divide them by their mean; only their ratios matter)",
         group="values"),
    Case("weight-underflow", "a weight of 1e-300 (products underflow to 0)",
         _data(binary_csv(header="id,label,score,weight", score=lambda i: f"0.5,{'1e-300' if i == 3 else 1}")),
         CHECK, 2, C + "row 4 (line 5), column 'weight': weight 1e-300 is outside the supported range (0, or 1e-60 to 1e+60) (rescale the weights, e.g. divide them by their mean; only their ratios matter)", group="values"),
    Case("jsonl-int-5000-score", "a 5,000-digit integer score in JSON Lines (was a traceback)",
         _data(jsonl(_jsonl_rows()).replace('"score": 0.5', f'"score": {DIGITS_5000}', 1), name="cand.jsonl"),
         J_CHECK, 2, JL + "line 6, key 'score' holds a number of 5,000 digits (at most 100) (write long ids as JSON strings; no score or weight is that long)", group="values"),
    Case("jsonl-int-5000-id", "a 5,000-digit integer id in JSON Lines",
         _data(jsonl(_jsonl_rows()).replace('"id": "r7"', f'"id": {DIGITS_5000}'), name="cand.jsonl"),
         J_CHECK, 2, JL + "line 8, key 'id' holds a number of 5,000 digits (at most 100) (write long ids as JSON strings; no score or weight is that long)", group="values"),
    Case("jsonl-deep-nesting", "a value nested 100,000 deep (was a RecursionError)",
         _data('{"id": "r0", "label": ' + "[" * 100_000 + "]" * 100_000 + "}\n", name="cand.jsonl"),
         J_CHECK, 2, JL + 'line 1 nests 100,001 JSON objects or arrays; model-gate reads one flat object per line (use flat scalar values)', group="values"),
    Case("jsonl-duplicate-key", "a key twice in one object (was: the last value silently won)",
         _data(jsonl(_jsonl_rows()).replace('"label": "1", ', '"label": "1", "label": "0", ', 1), name="cand.jsonl"),
         J_CHECK, 2, JL + "line 2, key 'label' appears twice in one object (give every key once; JSON readers disagree on which value wins)", group="values"),
    Case("jsonl-lone-surrogate", "an unpaired \\ud800 escape in a label",
         _data(jsonl(_jsonl_rows()).replace('"label": "1"', '"label": "\\ud800"', 1), name="cand.jsonl"),
         J_CHECK, 2, JL + "line 2, key 'label' holds an unpaired UTF-16 surrogate escape (write the text as UTF-8 (or as a valid \\ud83d\\ude00 pair))", group="values"),
    Case("jsonl-line-separators", "U+2028, U+2029 and U+0085 inside JSON strings: valid, one row per \\n line",
         _data("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _jsonl_rows(
             **{f"r{i}": {"note": "a\u2028b\u2029c\x85d"} for i in range(40)})), name="cand.jsonl",
             pol=policy("  - metric: recall\n    min: 0.1\n")), J_CHECK + JSON, 0, None, check=_rows_read(40),
         group="values"),
    Case("jsonl-crlf", "CRLF line ends: valid", _data(jsonl(_jsonl_rows()).replace("\n", "\r\n"), name="cand.jsonl",
                                                      pol=policy("  - metric: recall\n    min: 0.1\n")),
         J_CHECK + JSON, 0, None, check=_rows_read(40), group="values"),
    Case("labels-nfc", "labels é and e + U+0301: one class (NFC), matching classes: [é]",
         _data(_labels_csv(["\u00e9", "e\u0301", "x"]),
               pol=MULTI_ACC.replace("task: multiclass\n", "task: multiclass\nclasses: [\u00e9, x]\n")),
         CHECK + JSON, 0, None, check=_class_support({"\u00e9": 20, "x": 10}), group="values"),
    Case("labels-invisible-twins", "labels a and a + U+200B (two classes that render the same)",
         _data(_labels_csv(["a", "a\u200b", "x"]), pol=MULTI_ACC), CHECK, 2, C + "column 'label': 'a' and 'a\\u200b' differ only by invisible characters (remove the invisible characters (zero-width, bidi, ...) from the labels)", group="values"),
    Case("labels-bidi-twins", "labels x and U+202E + x (a bidi override)",
         _data(_labels_csv(["x", "\u202ex", "y"]), pol=MULTI_ACC), CHECK, 2, C + "column 'label': 'x' and '\\u202ex' differ only by invisible characters (remove the invisible characters (zero-width, bidi, ...) from the labels)", group="values"),
    Case("label-control-characters", "a label holding a terminal escape: the message shows it escaped",
         _data(binary_csv(label=lambda i: "\x1b[2J" if i == 2 else str(i % 2)), pol=policy(extra="classes: ['0', '1']\n")),
         CHECK, 2, C + "row 3 (line 4), column 'label': label '\\x1b[2J' is not one of the classes (0, 1) (fix the label or add the class to the policy's classes:)", group="values"),
    Case("labels-over-class-limit", "more distinct labels than MODEL_GATE_MAX_CLASSES (10^6 labels took > 400 s)",
         _data(_labels_csv(["a", "b", "c", "d"]), pol=MULTI_ACC), CHECK, 2, C + "column 'label': has 4 distinct classes in the labels and predictions, more than the limit of 3 (check that the column is the one meant; to allow more, raise the limit with the environment variable MODEL_GATE_MAX_CLASSES, e.g. MODEL_GATE_MAX_CLASSES=12)",
         env={"MODEL_GATE_MAX_CLASSES": "3"}, group="values"),
    Case("slices-over-limit", "more slice values than MODEL_GATE_MAX_SLICE_VALUES",
         _data(binary_csv(header="id,label,score,region", score=lambda i: f"0.{i % 10},{'xyz'[i % 3]}"),
               pol=policy("  - metric: recall\n    slice: region\n    min: 0.1\n")), CHECK, 2, C + "column 'region': has 3 distinct slice values, more than the limit of 2 (check that the column is the one meant; to allow more, raise the limit with the environment variable MODEL_GATE_MAX_SLICE_VALUES, e.g. MODEL_GATE_MAX_SLICE_VALUES=8)",
         env={"MODEL_GATE_MAX_SLICE_VALUES": "2"}, group="values"),
    Case("slice-invisible-twins", "slice values eu and eu + U+2060",
         _data(binary_csv(header="id,label,score,region", score=lambda i: f"0.{i % 10},{['eu', 'eu' + chr(0x2060)][i % 2]}"),
               pol=policy("  - metric: recall\n    slice: region\n    min: 0.1\n")), CHECK, 2, C + "column 'region': 'eu' and 'eu\\u2060' differ only by invisible characters (remove the invisible characters (zero-width, bidi, ...) from the slice values)", group="values"),
    Case("parquet-timestamp-id", "a Parquet timestamp id column (never joins with text ids)",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n"), "base.csv": binary_csv()},
         PQ_CHECK + ["--baseline", "base.csv"], 2, PQ + "column 'id': has Parquet type timestamp[us], which cannot be matched as text (ids, labels, predictions and slices must be strings, integers, floats or booleans; cast the column to string before writing the file)", setup=_parquet(_pq_columns(id=_timestamps)),
         group="values", needs_pyarrow=True),
    Case("parquet-binary-label", "a Parquet binary label column",
         {"policy.yml": policy()}, PQ_CHECK, 2, PQ + "column 'label': has Parquet type binary, which cannot be matched as text (ids, labels, predictions and slices must be strings, integers, floats or booleans; cast the column to string before writing the file)",
         setup=_parquet(_pq_columns(label=lambda: [str(i % 2).encode() for i in range(40)])),
         group="values", needs_pyarrow=True),
    Case("parquet-list-slice", "a Parquet list column used as a slice",
         {"policy.yml": policy("  - metric: recall\n    slice: region\n    min: 0.1\n")}, PQ_CHECK, 2, PQ + "column 'region': has Parquet type list<element: string>, which cannot be matched as text (ids, labels, predictions and slices must be strings, integers, floats or booleans; cast the column to string before writing the file)",
         setup=_parquet(_pq_columns(region=lambda: [["eu"]] * 40)), group="values", needs_pyarrow=True),
    Case("parquet-struct-label", "a Parquet struct label column",
         {"policy.yml": policy()}, PQ_CHECK, 2, PQ + "column 'label': has Parquet type struct<v: int64>, which cannot be matched as text (ids, labels, predictions and slices must be strings, integers, floats or booleans; cast the column to string before writing the file)",
         setup=_parquet(_pq_columns(label=lambda: [{"v": i % 2} for i in range(40)])), group="values",
         needs_pyarrow=True),
    Case("parquet-dictionary-labels", "dictionary-encoded Parquet labels: valid",
         {"policy.yml": policy("  - metric: recall\n    min: 0.1\n")}, PQ_CHECK + JSON, 0, None,
         check=_reads_like_plain, setup=_parquet(_pq_columns(label=_dictionary_labels)), group="values",
         needs_pyarrow=True),
    # -- pairing -----------------------------------------------------------------------------------
    Case("ids-paired-partial", "pairing: paired with a partial id overlap: the fix suggests intersect",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n").replace("seed: 1}", "seed: 1, pairing: paired}"),
          "cand.csv": binary_csv(ids=range(0, 40)), "base.csv": binary_csv(ids=range(30, 70))}, CHECK_B, 2, 'model-gate: error: cand.csv + base.csv: candidate has 40 ids, baseline 40, and they share 10: pairing: paired needs the same id set (set bootstrap.pairing: intersect to compare the models on the 10 shared ids, or evaluate both models on the same examples)',
         group="pairing"),
    Case("pairing-intersect", "pairing: intersect on a partial overlap: paired on the shared ids, with a warning",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.5\n").replace("seed: 1}", "seed: 1, pairing: intersect}"),
          "cand.csv": binary_csv(ids=range(0, 40)), "base.csv": binary_csv(ids=range(20, 70))}, CHECK_B + JSON, 0, None,
         check=_warns("pairing: intersect: compared on the 20 ids both files hold; dropped 20 of 40 candidate "
                      "rows and 30 of 50 baseline rows", 20), group="pairing"),
    Case("pairing-intersect-disjoint", "pairing: intersect with no shared id",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n").replace("seed: 1}", "seed: 1, pairing: intersect}"),
          "cand.csv": binary_csv(ids=range(0, 40)), "base.csv": binary_csv(ids=range(40, 80))}, CHECK_B, 2, "model-gate: error: cand.csv + base.csv: candidate has 40 ids, baseline 40, and they share none: pairing: intersect needs shared ids (set bootstrap.pairing: independent for disjoint traffic, such as a canary's)",
         group="pairing"),
    Case("pairing-same-file", "the same file as candidate and baseline: a warning, not an error",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.5\n"), "cand.csv": binary_csv()},
         CHECK + ["--baseline", "cand.csv"] + JSON, 0, None,
         check=_warns("the candidate and the baseline are the same file (cand.csv): every comparative gate "
                      "compares the model with itself", 40), group="pairing"),
    Case("jsonl-missing-id", "a JSON Lines row without its id key (was silently the id 'None')",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n"), "base.csv": binary_csv(),
          "cand.jsonl": jsonl([{k: v for k, v in r.items() if not (k == "id" and r["id"] == "r5")} for r in _jsonl_rows()])},
         J_CHECK + ["--baseline", "base.csv"], 2, JL + "row 6 (line 6), column 'id': id is empty (every row needs an id)",
         group="pairing"),
    Case("ids-nfc-duplicate", "ids é and e + U+0301 in one file (the same id once NFC-normalised)",
         {"policy.yml": policy("  - metric: recall\n    max_drop: 0.05\n"),
          "cand.csv": binary_csv().replace("r3,", "\u00e9,").replace("r4,", "e\u0301,"), "base.csv": binary_csv()},
         CHECK_B, 2, C + "column 'id': id 'é' appears twice (row 4 (line 5) and row 5 (line 6)) (ids must be unique per file)", group="pairing"),
    # -- command line --------------------------------------------------------------------------
    Case("cli-negative-seed", "--seed below 0", _bin(), CHECK + ["--seed", "-3"], 2,
         'model-gate: error: command line: --seed must be >= 0', group="cli"),
    Case("cli-seed-5000-digits", "a 5,000-digit --seed (was echoed whole)", _bin(), CHECK + ["--seed", DIGITS_5000], 2,
         "model-gate: error: argument --seed: must be a whole number from 0 to 2**63 - 1 (got '999999999999999999999999999999999999...) (see model-gate check --help)",
         group="cli"),
    Case("cli-seed-2-63", "--seed of 2**63", _bin(), CHECK + ["--seed", str(2**63)], 2,
         "model-gate: error: argument --seed: must be a whole number from 0 to 2**63 - 1 (got '9223372036854775808') (see model-gate check --help)",
         group="cli"),
    Case("cli-unknown-option", "an unknown option", _bin(), CHECK + ["--colour"], 2,
         'model-gate: error: unrecognized arguments: --colour (see model-gate --help)', group="cli"),
    Case("cli-missing-candidate", "check without --candidate", _bin(), ["check", "--policy", "policy.yml"], 2,
         'model-gate: error: one of the arguments --candidate --candidate-query is required (see model-gate check --help)',
         group="cli"),
    # -- outputs: --out-dir, --comment-file, --dotenv (checked before any input is read) ----------
    Case("out-dir-is-file", "--out-dir names a regular file", {**_bin(), "out": "x"}, CHECK + ["--out-dir", "out"], 2,
         OUT + "--out-dir out: is a file, not a directory (pass a directory for the reports; it is created when missing)",
         group="cli"),
    Case("out-dir-is-candidate", "--out-dir names the candidate file", _bin(), CHECK + ["--out-dir", "cand.csv"], 2,
         OUT + "--out-dir cand.csv: is the --candidate file, not a directory (pass a directory for the reports; it is "
         "created when missing)", group="cli"),
    Case("out-dir-report-is-directory", "--out-dir holds a directory named report.json", _bin(),
         CHECK + ["--out-dir", "out"], 2,
         OUT + "--out-dir out: out/report.json is a directory, so report.json cannot be written there (remove that "
         "directory or choose another --out-dir)", setup=lambda p: (p / "out" / "report.json").mkdir(parents=True),
         group="cli"),
    Case("out-dir-links-to-input", "--out-dir holds report.md, a symlink to the policy", _bin(),
         CHECK + ["--out-dir", "out"], 2,
         OUT + "--out-dir out: out/report.md is the --policy file; an output never overwrites an input (choose another "
         "path for --out-dir)", setup=lambda p: ((p / "out").mkdir(), (p / "out" / "report.md").symlink_to(p / "policy.yml")),
         group="cli"),
    Case("comment-file-is-policy", "--comment-file names the policy", _bin(), CHECK + ["--comment-file", "policy.yml"], 2,
         OUT + "--comment-file policy.yml: is the --policy file; an output never overwrites an input (choose another path "
         "for --comment-file)", group="cli"),
    Case("comment-file-links-to-candidate", "--comment-file is a symlink to the candidate", _bin(),
         CHECK + ["--comment-file", "c.md"], 2,
         OUT + "--comment-file c.md: is the --candidate file; an output never overwrites an input (choose another path "
         "for --comment-file)", setup=lambda p: (p / "c.md").symlink_to("cand.csv"), group="cli"),
    Case("dotenv-is-baseline", "--dotenv names the baseline (the error's own dotenv is not written either)",
         _gate("  - metric: recall\n    max_drop: 0.05\n"), CHECK_B + ["--dotenv", "base.csv"], 2,
         OUT + "--dotenv base.csv: is the --baseline file; an output never overwrites an input (choose another path for "
         "--dotenv)", group="cli"),
    Case("comment-file-is-directory", "--comment-file names a directory", {**_bin(), "out": None},
         CHECK + ["--comment-file", "out"], 2,
         OUT + "--comment-file out: is a directory (give --comment-file a file path)", group="cli"),
    Case("outputs-collide", "--comment-file is the report.md that --out-dir writes", _bin(),
         CHECK + ["--out-dir", ".", "--comment-file", "report.md"], 2,
         OUT + "--comment-file report.md: report.md is also written by --out-dir (give each output its own path)",
         group="cli"),
    Case("comment-file-full-disk", "--comment-file /dev/full (no space left): no output is written at all", _bin(),
         CHECK + ["--out-dir", "out", "--comment-file", "/dev/full"], 2,
         "model-gate: error: /dev/full: cannot be written (No space left on device); no report was written (free some "
         "space or choose a writable --out-dir / --comment-file / --openmetrics)", group="cli"),
    Case("out-dir-unwritable", "--out-dir where no directory can be created", _bin(),
         CHECK + ["--out-dir", "/proc/self/reports"], 2,
         "model-gate: error: /proc/self/reports/report.json: cannot be written (No such file or directory); no report "
         "was written (free some space or choose a writable --out-dir / --comment-file / --openmetrics)", group="cli"),
    # -- publish --report: the file is untrusted (tests/test_publish_trust.py has the full set) ----
    Case("publish-forged-verdict", "report.json claims verdict pass, exit code 0, over a failed gate", {},
         ["publish", "--report", "report.json"], 2,
         "model-gate: error: report.json: verdict: says 'pass' but the gates make it 'fail' (1 blocking gate failed, "
         "decision.inconclusive: warn) " + R_FIX, setup=lambda p: _write_report(p, verdict="pass", exit_code=0),
         group="cli"),
    Case("publish-forged-counts", "report.json hides a failed gate from its counts", {},
         ["publish", "--report", "report.json"], 2,
         "model-gate: error: report.json: counts.fail: says 0 but the gates hold 2 " + R_FIX,
         setup=lambda p: _write_report(p, counts={"pass": 3, "fail": 0, "inconclusive": 1, "warning": 1}), group="cli"),
    Case("publish-wrong-type", "report.json with a gate's n as a string", {},
         ["publish", "--report", "report.json"], 2,
         "model-gate: error: report.json: gates[0].n: must be an integer, got a string " + R_FIX,
         setup=lambda p: _write_report(p, gate0={"n": "5000"}), group="cli"),
    Case("ranking-trec-run-without-qrels", "task: ranking, a TREC run file and no judgements",
         {"policy.yml": policy(RANK_GATES, head=RANK_HEAD), "run.txt": RANK_RUN}, RANK_CHECK, 2,
         "model-gate: error: run.txt: is a TREC run file, and no judgements were given (pass --qrels FILE "
         "(qrels= in Python) or set data.qrels in the policy)", group="ranking"),
    Case("ranking-engine-source", "task: ranking through an engine source",
         {"policy.yml": policy(RANK_GATES, head=RANK_HEAD), "run.txt": RANK_RUN},
         ["check", "--policy", "policy.yml", "--candidate", "parquet:somewhere/"], 2,
         "model-gate: error: arguments: task: ranking reads files and in-memory tables only, not engine sources "
         "(export the predictions to a .csv/.jsonl/.parquet file, or pass a DataFrame)", group="ranking"),
    Case("ranking-engine-flag", "task: ranking with --engine duckdb on files (the engine would be ignored)",
         {"policy.yml": policy(RANK_GATES, head=RANK_HEAD), "run.txt": RANK_RUN, "qrels.txt": RANK_QRELS},
         RANK_CHECK + ["--qrels", "qrels.txt", "--engine", "duckdb"], 2,
         "model-gate: error: arguments: task: ranking reads files and in-memory tables only, not engine sources "
         "(export the predictions to a .csv/.jsonl/.parquet file, or pass a DataFrame)", group="ranking"),
    Case("ranking-unknown-metric", "task: ranking, a misspelt ranking metric (did-you-mean)",
         {"policy.yml": policy("  - {metric: ndgc, k: 10, min: 0.1}\n", head=RANK_HEAD), "run.txt": RANK_RUN,
          "qrels.txt": RANK_QRELS}, RANK_CHECK + ["--qrels", "qrels.txt"], 2,
         P + "gates[0].metric: unknown ranking metric 'ndgc' (did you mean 'ndcg'?)", group="ranking"),
    Case("ranking-r-precision-k", "task: ranking, r_precision with a cutoff",
         {"policy.yml": policy("  - {metric: r_precision, k: 10, min: 0.1}\n", head=RANK_HEAD), "run.txt": RANK_RUN,
          "qrels.txt": RANK_QRELS}, RANK_CHECK + ["--qrels", "qrels.txt"], 2,
         P + "gates[0].k: r_precision takes no k (its cutoff is R, the number of relevant items; drop k)",
         group="ranking"),
    Case("ranking-trec-score", "task: ranking, a TREC run line whose score is not a number",
         {"policy.yml": policy(RANK_GATES, head=RANK_HEAD), "run.txt": RANK_RUN + "q2 Q0 d1 1 high x\n",
          "qrels.txt": RANK_QRELS}, RANK_CHECK + ["--qrels", "qrels.txt"], 2,
         "model-gate: error: run.txt: line 3: score 'high' is not a decimal number (write a decimal number in ASCII "
         "digits (no NaN or infinity))", group="ranking"),
    Case("ranking-qrels-fields", "task: ranking, a qrels line with three fields",
         {"policy.yml": policy(RANK_GATES, head=RANK_HEAD), "run.txt": RANK_RUN, "qrels.txt": "q1 0 d1 1\nq1 d2 0\n"},
         RANK_CHECK + ["--qrels", "qrels.txt"], 2,
         "model-gate: error: qrels.txt: line 2: has 3 fields, expected 4 (write 'query 0 docid relevance' separated "
         "by spaces, one entry per line)", group="ranking"),
    Case("multilabel-label-not-binary", "task: multilabel, a label_<L> cell that is not 0 or 1",
         {"policy.yml": ml_policy(), "cand.csv": ml_wide(edit=lambda i, c: c[:1] + ["2"] + c[2:] if i == 3 else c)},
         CHECK, 2, C + "row 4 (line 5), column 'label_a': label 2 is not 0 or 1 (label columns hold 1 (the label "
         "applies) or 0)", group="multilabel"),
    Case("multilabel-score-range", "task: multilabel, a score outside [0, 1]",
         {"policy.yml": ml_policy(), "cand.csv": ml_wide(edit=lambda i, c: c[:3] + ["1.5"] + c[4:] if i == 4 else c)},
         CHECK, 2, C + "row 5 (line 6), column 'score_a': score 1.5 is outside [0, 1] (scores are each label's "
         "probability; squash raw margins with a sigmoid)", group="multilabel"),
    Case("multilabel-score-nan", "task: multilabel, a NaN score",
         {"policy.yml": ml_policy(), "cand.csv": ml_wide(edit=lambda i, c: c[:4] + ["nan"] if i == 2 else c)},
         CHECK, 2, C + "row 3 (line 4), column 'score_b': score is 'nan' (scores must be finite numbers (no NaN or "
         "infinity))", group="multilabel"),
    Case("multilabel-score-without-label", "task: multilabel, a score_<L> column without its label_<L>",
         {"policy.yml": ml_policy(), "cand.csv": ml_wide(edit=lambda i, c: c + ["0.5"]).replace(
             "score_b\n", "score_b,score_c\n")},
         CHECK, 2, C + "column 'score_c' has no truth column 'label_c' (add label_c (0/1), or drop the column)",
         group="multilabel"),
    Case("multilabel-long-duplicate", "task: multilabel, a long table with an (id, label) twice",
         {"policy.yml": ml_policy(extra="data: {layout: long, threshold: 0.5}\n"), "cand.csv": ml_long(
             [("e1", "a", 1, 0.9), ("e1", "b", 0, 0.1), ("e2", "a", 0, 0.2), ("e1", "a", 1, 0.8), ("e2", "b", 1, 0.7)])},
         CHECK, 2, C + "row 4 (line 5): (id, label) = ('e1', 'a') appears twice (give each example one row per label)",
         group="multilabel"),
    Case("multilabel-long-missing", "task: multilabel, a long table without some (id, label)",
         {"policy.yml": ml_policy(extra="data: {layout: long, threshold: 0.5}\n"), "cand.csv": ml_long(
             [("e1", "a", 1, 0.9), ("e1", "b", 0, 0.1), ("e2", "a", 0, 0.2)])},
         CHECK, 2, C + "column 'label': example 'e2' has no row for label 'b' (give each example one row per label "
         "(y = 0 where it does not apply))", group="multilabel"),
    Case("multilabel-label-sets", "task: multilabel, candidate and baseline with different label sets",
         {"policy.yml": ml_policy("  - {metric: f1, average: micro, max_drop: 0.1}\n"), "cand.csv": ml_wide(),
          "base.csv": ml_wide(labels=("a", "c"))}, CHECK_B, 2,
         "model-gate: error: base.csv: has labels a, c, the candidate a, b (e.g. 'b' is only in one) (give both "
         "models the same label set (or list it in data.labels))", group="multilabel"),
    Case("multilabel-truth-differs", "task: multilabel, paired files that disagree on an example's truth",
         {"policy.yml": ml_policy("  - {metric: f1, average: micro, max_drop: 0.1}\n"), "cand.csv": ml_wide(),
          "base.csv": ml_wide(edit=lambda i, c: c[:1] + [str(1 - int(c[1]))] + c[2:] if i == 5 else c)}, CHECK_B, 2,
         "model-gate: error: base.csv: example 'e5' has label 'a' = 0, the candidate 1 (evaluate both models on the "
         "same labelled examples)", group="multilabel"),
    Case("multilabel-partial-overlap", "task: multilabel, candidate and baseline ids that partly overlap",
         {"policy.yml": ml_policy("  - {metric: f1, average: micro, max_drop: 0.1}\n"), "cand.csv": ml_wide(),
          "base.csv": ml_wide(edit=lambda i, c: ["x" + c[0]] + c[1:] if i < 3 else c)}, CHECK_B, 2,
         P + "candidate has 12 ids, baseline 12, and they share 9: pairing needs the same id set (paired) or "
         "disjoint sets (independent, e.g. canary traffic) (set bootstrap.pairing: intersect to compare the models "
         "on the 9 shared ids, or evaluate both models on the same examples)", group="multilabel"),
    Case("multilabel-cluster", "task: multilabel with data.cluster (not available there)",
         {"policy.yml": ml_policy(extra="data: {threshold: 0.5, cluster: user}\n"), "cand.csv": ml_wide()}, CHECK, 2,
         P + "data.cluster: is not available for task: multilabel: its bootstrap resamples single "
         "examples (all their labels together) (remove it (the intervals then assume independent examples))",
         group="multilabel"),
    Case("multilabel-metric-task", "task: multilabel, a metric of another task",
         {"policy.yml": ml_policy("  - {metric: roc_auc, min: 0.1}\n"), "cand.csv": ml_wide()}, CHECK, 2,
         P + "gates[0].metric: 'roc_auc' is not available for task: multilabel (use one of precision, recall, "
         "f1, fbeta, jaccard, hamming_loss, subset_accuracy, label_ranking_average_precision, coverage_error)",
         group="multilabel"),
    Case("multilabel-needs-scope", "task: multilabel, a per-label metric without class or average",
         {"policy.yml": ml_policy("  - {metric: precision, min: 0.1}\n"), "cand.csv": ml_wide()}, CHECK, 2,
         P + "gates[0]: multilabel 'precision' needs class: <label>, class: \"*\" or average (micro, macro, weighted, "
         "samples) (add class: or average:)", group="multilabel"),
    Case("multilabel-example-metric-class", "task: multilabel, class: on a metric over every label",
         {"policy.yml": ml_policy("  - {metric: hamming_loss, class: a, max: 0.1}\n"), "cand.csv": ml_wide()}, CHECK, 2,
         P + "gates[0].class: 'hamming_loss' is computed over every label; it takes no class (remove class:)",
         group="multilabel"),
    Case("multilabel-samples-elsewhere", "average: samples in a binary policy",
         {"policy.yml": policy("  - {metric: f1, average: samples, min: 0.1}\n"), "cand.csv": binary_csv()}, CHECK, 2,
         P + "gates[0].average: samples applies only to task: multilabel (use micro, macro or weighted)",
         group="multilabel"),
    Case("multilabel-no-predictions", "task: multilabel, scores only and no data.threshold",
         {"policy.yml": ml_policy(extra=""), "cand.csv": ml_wide()}, CHECK, 2,
         C + "'f1' needs predictions, but there are none (add the prediction_<label> columns, or set data.threshold "
         "to predict score >= threshold)", group="multilabel"),
    Case("multilabel-no-scores", "task: multilabel, coverage_error without score columns",
         {"policy.yml": ml_policy("  - {metric: coverage_error, max: 2}\n", extra=""),
          "cand.csv": "id,label_a,prediction_a\ne1,1,1\ne2,0,0\n"}, CHECK, 2,
         C + "'coverage_error' needs scores, but there are none (add the score_<label> columns (long: score))",
         group="multilabel"),
    Case("multilabel-threshold-and-predictions", "task: multilabel, prediction columns and data.threshold",
         {"policy.yml": ml_policy(), "cand.csv": "id,label_a,score_a,prediction_a\ne1,1,0.9,1\ne2,0,0.1,0\n"},
         CHECK, 2, C + "has prediction columns and data.threshold derives predictions too (drop the prediction "
         "columns or data.threshold)", group="multilabel"),
    Case("multilabel-absent-label", "task: multilabel, class: names a label the data lacks",
         {"policy.yml": ml_policy("  - {metric: recall, class: z, min: 0.1}\n"), "cand.csv": ml_wide()}, CHECK, 2,
         P + "gates[0].class: label 'z' is named in the policy but absent from the data (labels found: a, b) (fix the "
         "label name)", group="multilabel"),
    Case("multilabel-engine-source", "task: multilabel through an engine source",
         {"policy.yml": ml_policy(), "cand.csv": ml_wide()},
         ["check", "--policy", "policy.yml", "--candidate", "parquet:somewhere/"], 2,
         "model-gate: error: arguments: task: multilabel reads files and in-memory tables only, not engine sources "
         "(export the predictions to a .csv/.jsonl/.parquet file, or pass a DataFrame)", group="multilabel"),
    Case("publish-nan", "report.json with a NaN literal", {}, ["publish", "--report", "report.json"], 2,
         "model-gate: error: report.json: gates[0].candidate.value: holds the JSON extension literal NaN (a report "
         "holds only finite numbers; undefined values are null) " + R_FIX,
         setup=lambda p: _write_report(p, gate0={"candidate": {"value": float("nan"), "ci": [0.8, 0.9]}}), group="cli"),
]


def _write_report(path: Path, *, gate0: dict | None = None, **top) -> None:
    """report.json of the shared binary report with top-level fields and gate 0's fields replaced."""
    sys.path.insert(0, str(ROOT))
    from tests.report_factory import binary_report
    doc = binary_report().to_dict()
    doc.update(top)
    doc["gates"][0].update(gate0 or {})
    (path / "report.json").write_text(json.dumps(doc), encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# running a case


def materialise(case: Case, workdir: Path) -> None:
    for name, content in case.files.items():
        path = workdir / name
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.setup:
        case.setup(workdir)


def run_case(case: Case, workdir: Path, capsys) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(workdir)
    try:
        code = main(case.args)
    finally:
        os.chdir(old)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _still_readable(path: Path) -> bool:
    try:
        path.read_bytes()
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Fail instead of hanging (a FIFO case must not block on open): SIGALRM interrupts a blocked
    system call and the handler's exception ends the case."""
    def expire(signum, frame):
        raise TimeoutError(f"the case ran for more than {seconds} s (a hang)")
    if not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _params(cases: list[Case]) -> list:
    """The cases as pytest params; a publish case plants a broken report.json on purpose."""
    return [pytest.param(c, id=c.id, marks=[pytest.mark.invalid_report] if "--report" in c.args else [])
            for c in cases]


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_input(case: Case, tmp_path: Path, capsys, monkeypatch) -> None:
    if case.id == "file-parquet-corrupt" or case.needs_pyarrow:
        pytest.importorskip("pyarrow")
    for key in [k for k in os.environ if k.startswith(("GITHUB_", "GITLAB_", "CI_", "MODEL_GATE_MAX_"))] + ["CI"]:
        monkeypatch.delenv(key, raising=False)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    materialise(case, tmp_path)
    if case.id == "file-unreadable" and _still_readable(tmp_path / "cand.csv"):
        pytest.skip("chmod 000 does not stop this user from reading the file (running as root)")
    with _time_limit(60):
        code, out, err = run_case(case, tmp_path, capsys)
    assert "Traceback" not in err and "Traceback" not in out
    assert code == case.exit, (code, err)
    if case.message is None:
        assert err == "", err
        assert case.check is not None
        case.check(out, tmp_path)
    else:
        assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
        assert err.rstrip("\n") == case.message


def test_suspicious_but_valid_csv_reads_exactly(tmp_path: Path) -> None:
    """BOM and quoted newlines/commas: the values come through untouched."""
    from gate.data.readers import read_table
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeffid,note\r\nr0,\"two\r\nlines\"\r\nr1,\"a, \"\"b\"\"\"\r\n".encode())
    table = read_table(path)
    assert list(table.columns) == ["id", "note"]
    assert table.columns["note"] == ["two\r\nlines", 'a, "b"'] and table.lines == [2, 4]


def test_catalogue_is_large_and_ids_unique() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_errors_doc_is_up_to_date() -> None:
    sys.path.insert(0, str(ROOT))
    from validation.errors_doc import render
    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == render(CASES), \
        "docs/errors.md is stale: run python -m validation.errors_doc"
