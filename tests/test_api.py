"""The public Python API (docs/api.md): its examples run, and it gives what the CLI gives.

- every ``python`` block of docs/api.md and README.md runs from the repository root;
- ``gate.check`` on files, on a mapping of columns and on a pyarrow Table gives report.json bytes
  equal to ``model-gate check --out-dir`` on the same data (up to the artifact's name and format);
- ``gate.check_arrays`` point estimates equal scikit-learn's, binary and multiclass, weighted;
- overrides are validated like the YAML, wrong argument types are a GateError, not a TypeError;
- ``gate.testing`` helpers fail with the blocking gates named, and pass otherwise.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as skm

import gate
from gate.cli.main import main
from gate.testing import assert_fails, assert_passes

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies/affairs.yml"
CAND, BASE = ROOT / "examples/affairs/candidate.csv", ROOT / "examples/affairs/baseline.csv"
DOC_BLOCKS = [(doc, i, block) for doc in ("docs/api.md", "README.md") for i, block in
              enumerate(re.findall(r"```python\n(.*?)```", (ROOT / doc).read_text(encoding="utf-8"), flags=re.S))]


@pytest.mark.parametrize("doc, index, block", DOC_BLOCKS, ids=[f"{d}-{i + 1}" for d, i, _ in DOC_BLOCKS])
def test_documented_python_examples_run(doc, index, block, monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(compile(block, f"{doc} python block {index + 1}", "exec"), {})


def test_public_names_are_exported():
    assert {"check", "check_arrays", "load_policy", "Report", "GateError"} <= set(gate.__all__)
    assert all(getattr(gate, name) is not None for name in gate.__all__)
    with pytest.raises(AttributeError):
        gate.no_such_name  # noqa: B018


def _cli_report(tmp_path: Path) -> dict:
    assert main(["check", "--policy", str(POLICY), "--candidate", str(CAND), "--baseline", str(BASE),
                 "--out-dir", str(tmp_path / "out")]) == 0
    return json.loads((tmp_path / "out/report.json").read_text(encoding="utf-8"))


def _without_provenance(report: dict) -> dict:
    """The report minus what names the inputs (paths, formats, digests, the reproduce command)."""
    report = json.loads(json.dumps(report))
    for artifact in report["data"]["artifacts"]:
        for key in ("path", "sha256", "format"):
            artifact.pop(key)
    report["reproducibility"].pop("command")
    return report


def test_check_on_files_gives_the_cli_bytes(tmp_path, capsys):
    cli = _cli_report(tmp_path)
    capsys.readouterr()
    command = ["model-gate", "check", "--policy", str(POLICY), "--candidate", str(CAND), "--baseline", str(BASE)]
    api = gate.check(str(POLICY), candidate=str(CAND), baseline=str(BASE), command=command)
    assert json.loads(api.to_json()) == cli
    assert api.to_json() == (tmp_path / "out/report.json").read_text(encoding="utf-8")
    assert api.to_markdown() == (tmp_path / "out/report.md").read_text(encoding="utf-8")


def _columns(path: Path) -> dict[str, list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {name: [row[name] for row in rows] for name in rows[0]}


def test_check_on_columns_and_arrow_tables_equals_files(tmp_path, capsys):
    cli = _without_provenance(_cli_report(tmp_path))
    capsys.readouterr()
    mapping = gate.check(gate.load_policy(POLICY), candidate=_columns(CAND), baseline=_columns(BASE))
    assert _without_provenance(json.loads(mapping.to_json())) == cli
    assert [a.format for a in mapping.data.artifacts] == ["memory", "memory"]
    pa_csv = pytest.importorskip("pyarrow.csv", reason="pyarrow not installed (the parquet extra)")
    arrow = gate.check(POLICY, candidate=pa_csv.read_csv(CAND), baseline=pa_csv.read_csv(BASE))
    assert _without_provenance(json.loads(arrow.to_json())) == cli


@pytest.mark.parametrize("accel", ["", "numpy"])
def test_two_bad_files_report_the_candidates_error(tmp_path, monkeypatch, accel):
    """The files are read in parallel threads where the scanner (or pyarrow) parses them; the error
    is still the first file's, as when they are read in turn."""
    monkeypatch.setenv("MODEL_GATE_ACCEL", accel)
    monkeypatch.setattr("gate.data.readers._SCANNER", {})
    bad_cand, bad_base = tmp_path / "cand.csv", tmp_path / "base.csv"
    bad_cand.write_bytes(b"id,label,score\nr1,1,\xff\n")
    bad_base.write_bytes(b"id,label,score\nr1,1,\x000.5\n")
    with pytest.raises(gate.InputError) as err:
        gate.check(POLICY, candidate=bad_cand, baseline=bad_base)
    assert str(bad_cand) in str(err.value) and str(bad_base) not in str(err.value)
    with pytest.raises(gate.InputError) as err:
        gate.check(POLICY, candidate=bad_base, baseline=bad_cand)
    assert "NUL byte" in str(err.value) and str(bad_base) in str(err.value)


def test_policy_from_a_mapping_equals_the_file():
    import yaml

    doc = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    from_mapping = gate.check(doc, candidate=CAND, baseline=BASE)
    from_file = gate.check(POLICY, candidate=CAND, baseline=BASE)
    assert [(g.id, g.status, g.tested.ci) for g in from_mapping.gates] == \
           [(g.id, g.status, g.tested.ci) for g in from_file.gates]


@pytest.mark.parametrize("seed", range(4))
def test_check_arrays_binary_equals_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 400))
    y = rng.integers(0, 2, n)
    score = np.round(np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1), 2)   # ties
    pred = (score >= 0.5).astype(int)
    weight = rng.uniform(0.5, 2.0, n)
    gates = [{"metric": m, "min": 0.0} for m in ("recall", "precision", "f1", "average_precision", "roc_auc")]
    report = gate.check_arrays(gates, y, pred, score, sample_weight=weight, n_resamples=100)
    want = [skm.recall_score(y, pred, sample_weight=weight), skm.precision_score(y, pred, sample_weight=weight),
            skm.f1_score(y, pred, sample_weight=weight), skm.average_precision_score(y, score, sample_weight=weight),
            skm.roc_auc_score(y, score, sample_weight=weight)]
    assert [g.candidate.value for g in report.gates] == pytest.approx(want, abs=1e-12)


def test_check_arrays_multiclass_string_labels_equal_scikit_learn():
    rng = np.random.default_rng(5)
    labels = ["cat", "dog", "eel"]
    y = rng.choice(labels, 300)
    proba = rng.dirichlet([1, 1, 1], 300)
    pred = np.array(labels)[proba.argmax(axis=1)]
    report = gate.check_arrays([{"metric": "f1", "average": "macro", "min": 0.0},
                                {"metric": "recall", "class": "dog", "min": 0.0},
                                {"metric": "log_loss", "max": 10.0}], y, pred, proba, labels=labels, n_resamples=100)
    want = [skm.f1_score(y, pred, average="macro"), skm.recall_score(y, pred, labels=["dog"], average="macro"),
            skm.log_loss(y, proba, labels=labels)]
    assert [g.candidate.value for g in report.gates] == pytest.approx(want, abs=1e-12)


def test_check_arrays_with_a_baseline_is_paired_and_its_delta_is_the_difference():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 500)
    new, old = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    report = gate.check_arrays({"metric": "accuracy", "max_drop": 0.5}, y, new, baseline_pred=old, n_resamples=100)
    g = report.gates[0]
    assert report.data.pairing == "paired"
    assert g.delta.value == pytest.approx(skm.accuracy_score(y, new) - skm.accuracy_score(y, old), abs=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda: gate.check_arrays({"metric": "recall", "min": 0.5}, [0, 1], [0, 1], n_resamples=5),
     "bootstrap.resamples"),
    (lambda: gate.check_arrays({"metric": "recall", "min": 0.5}, [0, 1], [0, 1], confidence_level=1.5),
     "bootstrap.confidence"),
    (lambda: gate.check_arrays({"metric": "recall", "min": 0.5}, ["a", "b"], ["a", "b"]), "pos_label=1"),
    (lambda: gate.check(POLICY, candidate=42, baseline=BASE), "candidate is a int"),
    (lambda: gate.check(POLICY, candidate={"request_id": [1, 2], "y_true": ["affair"]}, baseline=BASE),
     "different lengths"),
    (lambda: gate.check(POLICY, candidate=CAND), "no baseline was given"),
    (lambda: gate.check_arrays({"metric": "accuracy", "min": 0.5}, [0, 1, 2], [0, 1, 2], y_score=[[0.5, 0.5]] * 3),
     "expected (n,) or (n, 3)"),
])
def test_bad_arguments_are_gate_errors(call, message):
    with pytest.raises(gate.GateError) as err:
        call()
    assert message in err.value.message and "\n" not in err.value.message


def test_assert_passes_names_the_blocking_gates():
    y = [0, 1, 1, 0] * 50
    failing = gate.check_arrays({"metric": "accuracy", "min": 0.99}, y, [0, 1, 0, 0] * 50)
    with pytest.raises(AssertionError) as err:
        assert_passes(failing)
    assert "FAIL" in str(err.value) and "accuracy" in str(err.value)
    assert_fails(failing)
    passing = gate.check_arrays({"metric": "accuracy", "min": 0.5}, y, y)
    assert_passes(passing)
    with pytest.raises(AssertionError):
        assert_fails(passing)


def test_assert_passes_allow_inconclusive_overrides_the_policy():
    y = [0, 1] * 20                                    # 40 examples: recall 0.5 cannot be told from 0.45
    pred = [0, 1, 0, 0] * 10
    policy = {"version": 1, "name": "p", "task": "binary", "positive_class": "1",
              "decision": {"inconclusive": "warn"}, "gates": [{"metric": "recall", "min": 0.45}]}
    report = gate.check(policy, candidate={"id": list(range(40)), "label": y, "prediction": pred})
    assert [g.status for g in report.gates] == ["inconclusive"] and report.passed
    assert_passes(report)
    with pytest.raises(AssertionError):
        assert_passes(report, allow_inconclusive=False)


def test_check_measures_its_run(monkeypatch):
    """Report.timing is the call's start (UTC, whole seconds) and duration; SOURCE_DATE_EPOCH fixes
    both (reproducible builds: that instant and 0 s). junit.xml shows them (tests/test_render_junit.py)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = time.time()
    report = gate.check(POLICY, ROOT / "examples/affairs/candidate.csv", ROOT / "examples/affairs/baseline.csv",
                        n_resamples=200)
    elapsed = time.time() - before
    started = datetime.datetime.strptime(report.timing.started, "%Y-%m-%dT%H:%M:%S")
    started = started.replace(tzinfo=datetime.timezone.utc).timestamp()
    assert int(before) <= started <= before + elapsed
    assert 0 < report.timing.seconds <= elapsed
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    fixed = gate.check(POLICY, ROOT / "examples/affairs/candidate.csv", ROOT / "examples/affairs/baseline.csv",
                       n_resamples=200)
    assert (fixed.timing.started, fixed.timing.seconds) == ("2026-01-01T00:00:00", 0.0)
    assert fixed == report and fixed.to_json() == report.to_json()   # timing is not part of the result


def test_cli_junit_shows_the_run_time(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.chdir(ROOT)
    before = time.time()
    code = main(["check", "--policy", "policies/affairs.yml", "--candidate", "examples/affairs/candidate.csv",
                 "--baseline", "examples/affairs/baseline.csv", "--out-dir", str(tmp_path)])
    elapsed = time.time() - before
    capsys.readouterr()
    assert code == 0
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    started = datetime.datetime.strptime(suite.get("timestamp"), "%Y-%m-%dT%H:%M:%S")
    assert int(before) <= started.replace(tzinfo=datetime.timezone.utc).timestamp() <= before + elapsed
    assert 0 < float(suite.get("time")) <= elapsed
