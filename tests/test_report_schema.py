"""``gate/report/schema.json``: the shipped JSON Schema of report.json.

Every report.json the suite produces is checked against it by the conftest; these tests pin the
schema itself: a valid draft 2020-12 schema versioned with ``gate.report.SCHEMA_VERSION``, shipped as
package data, closed enough that a renamed or undocumented field fails, the same one
``model-gate publish`` reads with, and the source of docs/report-schema.md.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import json
import math
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from gate import api
from gate.cli.main import main
from gate.metrics.catalog import METRICS
from gate.render import messages
from gate.report.model import SCHEMA_VERSION, Guard
from gate.report.reader import ReportFormatError, check_schema, load_report, report_from_dict, schema
from tests.fakes.ci import github_env
from tests.helpers.report_schema import schema_errors
from tests.report_factory import adversarial_report, binary_report, est, large_report, make_gate, passing_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {"affairs": ("examples/affairs/candidate.csv", "examples/affairs/baseline.csv"),
            "multiclass": ("examples/multiclass/candidate.csv", "examples/multiclass/baseline.csv"),
            "canary": ("examples/canary/candidate.csv.gz", "examples/canary/baseline.csv")}


def _doc(report) -> dict:
    return json.loads(report.to_json())


def test_the_schema_is_draft_2020_12_and_versioned_with_the_report():
    s = schema()
    jsonschema.Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"].endswith(f":{SCHEMA_VERSION}") and s["title"].endswith(f"schema version {SCHEMA_VERSION}")
    version = jsonschema.Draft202012Validator(s["properties"]["schema_version"])
    assert version.is_valid(SCHEMA_VERSION) and version.is_valid("1.7") and not version.is_valid("2.0")


def test_the_document_names_the_version():
    doc = (ROOT / "docs/report-schema.md").read_text(encoding="utf-8")
    assert doc.splitlines()[0] == f"# `report.json` — schema version {SCHEMA_VERSION}"
    assert f"`{schema()['$id']}`" in doc


def test_a_1_0_report_without_policy_line_is_read():
    """policy_line was added in 1.1: a 1.0 file (which lacks it) is still a valid report."""
    doc = _doc(binary_report())
    doc["schema_version"] = "1.0"
    for g in doc["gates"]:
        del g["policy_line"]
    assert {g.policy_line for g in report_from_dict(doc).gates} == {None}
    assert any("policy_line" in e for e in schema_errors(doc))   # but this writer always writes it


def test_the_schema_ships_as_package_data():
    """The file is where the reader loads it from, and pyproject's package-data globs put it in the wheel."""
    assert resources.files("gate.report").joinpath("schema.json").is_file()
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]["gate.report"]
    assert any(fnmatch.fnmatch("schema.json", g) for g in globs), globs


def test_metric_names_are_the_catalogue():
    """Classification metrics from gate.metrics.catalog, then the ranking measures (ap, ndcg, ...), then
    the multilabel metrics (jaccard, hamming_loss, ...)."""
    from gate.multilabel.names import METRICS as MULTILABEL
    from gate.ranking.options import MEASURES

    expected = list(METRICS) + [m for m in MEASURES if m not in METRICS]
    expected += [m for m in MULTILABEL if m not in expected]
    assert schema()["$defs"]["gate"]["properties"]["metric"]["enum"] == expected


@pytest.mark.parametrize("factory", [binary_report, passing_report, adversarial_report, large_report])
def test_factory_reports_validate(factory):
    """Including the adversarial one: hostile class names, invisible characters, markup, huge values."""
    assert schema_errors(_doc(factory())) == []


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_bundled_examples_validate(name):
    candidate, baseline = EXAMPLES[name]
    report = api.check(ROOT / f"policies/{name}.yml", ROOT / candidate, ROOT / baseline, n_resamples=200)
    assert schema_errors(_doc(report)) == []


def test_edge_reports_validate():
    """No baseline (baseline/delta null), a metric undefined on the data (value and ci null), one
    class only, and the gate refused for too few examples."""
    y = [0] * 30 + [1] * 30
    no_baseline = api.check_arrays([{"metric": "recall", "min": 0.5}, {"metric": "roc_auc", "min": 0.5}],
                                   y, y, [0.2] * 30 + [0.8] * 30, n_resamples=200)
    one_class = api.check_arrays([{"metric": "roc_auc", "min": 0.5, "min_support": 100}], [1] * 20,
                                 [1] * 20, [0.9] * 20, labels=[0, 1], baseline_pred=[1] * 20,
                                 baseline_score=[0.7] * 20, n_resamples=200)
    for report in (no_baseline, one_class):
        doc = _doc(report)
        assert schema_errors(doc) == []
    gate = _doc(one_class)["gates"][0]
    assert gate["status"] == "inconclusive" and gate["candidate"]["value"] is None


def test_an_undocumented_or_renamed_field_fails_the_suite_check():
    """The check the conftest applies can fail: a field the schema does not list, a missing one, and
    a wrong type each give an error naming the place."""
    doc = _doc(binary_report())
    extra = copy.deepcopy(doc)
    extra["gates"][0]["distribution"] = [0.9, 0.91]
    renamed = copy.deepcopy(doc)
    renamed["data"]["n_cand"] = renamed["data"].pop("n_candidate")
    typed = copy.deepcopy(doc)
    typed["counts"]["fail"] = 2.0
    assert any(e.startswith("gates/0:") and "distribution" in e for e in schema_errors(extra))
    assert any("n_candidate" in e for e in schema_errors(renamed))
    assert any(e.startswith("counts/fail:") for e in schema_errors(typed))


def test_the_reader_reads_with_the_schema():
    """``model-gate publish`` refuses what the schema refuses, naming the field; unknown fields (a
    later 1.x writer's) are ignored."""
    doc = _doc(binary_report())
    del doc["gates"][1]["p_value"]
    with pytest.raises(ReportFormatError, match=r"^gates\[1\]\.p_value: is missing$"):
        report_from_dict(doc)
    newer = _doc(binary_report())
    newer["gates"][0]["added_in_1_1"] = {"anything": [1]}
    newer["schema_version"] = "1.1"
    check_schema(newer)
    assert report_from_dict(newer).gates[0].id == binary_report().gates[0].id


def test_non_finite_numbers_are_written_as_the_schema_says_and_read_back():
    """An interval with an infinite end is written as null, an undefined label coverage as null;
    the strict schema accepts both and the reader reads the file back."""
    report = binary_report()
    gate = make_gate("recall", candidate=est(math.nan, -math.inf, math.inf), status="inconclusive")
    report = dataclasses.replace(report, gates=(gate,), counts={"pass": 0, "fail": 0, "inconclusive": 1, "warning": 0},
                                 verdict="pass", exit_code=0,
                                 data=dataclasses.replace(report.data, label_coverage=math.nan))
    doc = _doc(report)
    assert schema_errors(doc) == []
    assert doc["gates"][0]["candidate"] == {"value": None, "ci": None, "undefined_resamples": 0}
    assert doc["data"]["label_coverage"] is None
    again = report_from_dict(doc)
    assert math.isnan(again.data.label_coverage) and again.gates[0].candidate.ci is None


FACTS_1_3 = ("nominal_ci", "spared_by", "guard", "labeled")


def _engine_report():
    """Guards with numbers (min_support, degenerate resamples), label coverage with its count."""
    rng = np.random.default_rng(4)
    n = 600
    y = rng.integers(0, 2, n)
    pred = np.where(rng.uniform(size=n) < 0.8, y, 1 - y)
    gates = [{"metric": "recall", "min": 0.5, "min_support": 10_000}, {"metric": "precision", "max_drop": 0.01},
             {"metric": "accuracy", "min": 0.99}, {"metric": "f1", "max_relative_drop": 0.05}]
    return api.check_arrays(gates, y, pred, baseline_pred=pred, n_resamples=200, seed=1)


def test_report_json_round_trips_with_the_same_sentences():
    """``model-gate publish`` rebuilds every message from the 1.3 facts: reading report.json back and
    writing it again gives the same bytes (engine gates with guards and numbers included)."""
    report = _engine_report()
    text = report.to_json()
    assert [g.reason for g in report.gates][:2] == ["min_support", "degenerate_resamples"]
    again = load_report(text.encode("utf-8"))
    assert again.to_json() == text
    assert [g.guard for g in again.gates] == [g.guard for g in report.gates]


def test_a_1_2_report_without_the_facts_still_publishes():
    """A 1.2 file has each gate's sentence but not the facts added in 1.3: it is read (a guard's
    reason stands for the guard), and every renderer words its gates without the missing numbers."""
    doc = _doc(_engine_report())
    doc["schema_version"] = "1.2"
    for g in doc["gates"]:
        for key in FACTS_1_3:
            del g[key]
    old = report_from_dict(doc)
    assert [g.guard for g in old.gates][:2] == [Guard("min_support"), Guard("degenerate_resamples")]
    assert all(g.nominal_ci is None and g.labeled is None for g in old.gates)
    sentences = [messages.message(g) for g in old.gates]
    assert sentences[0] == "recall for class '1': not decided, too few examples, below min_support; not decided"
    assert sentences[2].startswith("accuracy ") and sentences[2].endswith(" floor")
    md = old.to_markdown()
    assert "too few examples, below min\\_support; not decided" in md


def test_model_gate_publish_posts_a_1_2_report(fake_github, tmp_path, ci_env):
    """End to end: ``model-gate publish`` of a 1.2 file (no 1.3 facts) posts the comment, its gates
    worded from what the file has."""
    doc = _doc(_engine_report())
    doc["schema_version"] = "1.2"
    for g in doc["gates"]:
        for key in FACTS_1_3:
            del g[key]
    path = tmp_path / "old-1.2.json"       # not report.json: the suite's strict 1.3 check skips it
    path.write_text(json.dumps(doc), encoding="utf-8")
    ci_env(github_env(tmp_path, fake_github, run_id="1"))
    assert main(["publish", "--report", str(path)]) == 0
    [comment] = fake_github.issue_comments("octo", "gate", 7)
    assert "recall for class `1`: not decided, too few examples, below min\\_support; not decided" in comment["body"]
