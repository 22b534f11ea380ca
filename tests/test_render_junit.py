"""JUnit XML renderer: JUNIT_XSD validity, junitparser, illegal characters, mapping of gate statuses."""

from __future__ import annotations

import dataclasses
import io
import xml.etree.ElementTree as ET

import pytest
from report_factory import adversarial_report, binary_report, build_report, est, large_report, make_gate, passing_report

from gate.render import junit
from gate.report.model import RunTiming
from tests.helpers.golden import check_golden
from tests.helpers.vendor import JUNIT_XSD

REPORTS = {"binary": binary_report, "passing": passing_report, "adversarial": adversarial_report,
           "large": lambda: large_report(12, 3)}


@pytest.fixture(scope="module")
def schema():
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema not installed (pip install model-gate[test])")
    return xmlschema.XMLSchema(str(JUNIT_XSD))


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("inconclusive_as", [None, "failure", "skipped"])
def test_valid_against_xsd(schema, name, inconclusive_as):
    xml = junit.render(REPORTS[name](), inconclusive_as=inconclusive_as, policy_file="policies/model-gate.yml")
    schema.validate(io.StringIO(xml))


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_parses_with_junitparser_and_matches_gates(tmp_path, name):
    junitparser = pytest.importorskip("junitparser", reason="junitparser not installed")
    report = REPORTS[name]()
    path = tmp_path / "junit.xml"
    path.write_text(junit.render(report), encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    cases = list(suite)
    assert len(cases) == len(report.gates) == suite.tests
    names = [c.name for c in cases]
    assert all(n and n.strip() for n in names), "dorny calls name.trim(): names must be non-empty"
    assert len(set(names)) == len(names), "GitLab keeps only the first of duplicate names"
    assert all(c.classname and c.classname.strip() for c in cases)
    assert all(c.time == 0 for c in cases)
    failures = sum(1 for c in cases for r in c.result if isinstance(r, junitparser.Failure))
    skipped = sum(1 for c in cases for r in c.result if isinstance(r, junitparser.Skipped))
    errors = sum(1 for c in cases for r in c.result if isinstance(r, junitparser.Error))
    assert (suite.failures, suite.skipped, suite.errors) == (failures, skipped, errors)
    root = ET.fromstring(path.read_bytes())
    assert root.tag == "testsuites"
    assert root.get("tests") == str(len(cases)) and root.get("failures") == str(failures)
    assert root.get("errors") == str(errors) and root.get("time") == "0"
    for c in cases:
        for r in c.result:
            assert (r.text or "").strip(), "empty <failure>/<skipped> text trips older parsers"
            assert r.message


def test_status_mapping_follows_policy():
    r = binary_report(inconclusive="warn")
    root = ET.fromstring(junit.render(r))
    by_name = {tc.get("name"): tc for tc in root.iter("testcase")}
    fail = by_name["recall[class=fraud] >= 0.900"]
    f = fail.find("failure")
    assert f is not None and f.get("type") == "ThresholdNotMet"
    assert "is below the 0.900 floor" in f.get("message")
    for detail in ("candidate: 0.870 [0.840, 0.895]", "baseline: 0.880 [0.850, 0.905]",
                   "delta: -0.010 [-0.030, +0.010]", "n: 5000, support: 412"):
        assert detail in f.text
    inc = by_name["f1 drop <= 0.020"]
    assert inc.find("skipped") is not None and inc.find("skipped").get("message").startswith("inconclusive")
    assert "needed n: ~19000" in inc.find("skipped").text
    warn = by_name["average_precision relative drop <= 5.0%"]
    assert warn.find("skipped") is not None and "does not fail the build" in warn.find("skipped").get("message")
    assert "relative delta (tested): -0.125 [-0.170, -0.080]" in warn.find("skipped").text
    assert list(by_name["label_coverage >= 0.700"]) == []

    # decision.inconclusive: fail → failure
    root = ET.fromstring(junit.render(binary_report(inconclusive="fail")))
    inc = {tc.get("name"): tc for tc in root.iter("testcase")}["f1 drop <= 0.020"]
    assert inc.find("failure") is not None and inc.find("failure").get("type") == "Inconclusive"
    # explicit override
    root = ET.fromstring(junit.render(binary_report(inconclusive="fail"), inconclusive_as="skipped"))
    assert {tc.get("name"): tc for tc in root.iter("testcase")}["f1 drop <= 0.020"].find("skipped") is not None
    with pytest.raises(ValueError):
        junit.render(r, inconclusive_as="error")


def test_undefined_metric_is_an_error():
    g = make_gate("roc_auc", bar=0.8, candidate=est(None), status="fail")
    root = ET.fromstring(junit.render(build_report([g])))
    e = root.find("testsuite/testcase/error")
    assert e is not None and e.get("type") == "MetricUndefined" and "roc_auc n/a is below the 0.800 floor" in e.text
    assert root.get("errors") == "1" and root.find("testsuite").get("errors") == "1"


def test_illegal_characters_removed_and_parseable(tmp_path):
    g = make_gate("recall", class_name="\x1b[31mred\x00\x08\ufffe\ud800", status="fail",
                  candidate=est(0.5, 0.4, 0.6))
    r = build_report([g], policy_name="p\x00\x1bolicy", classes=("\x1b[31mred\x00", "b"))
    xml = junit.render(r)
    assert "\x1b" not in xml and "\x00" not in xml and "\ufffe" not in xml and "\x08" not in xml
    path = tmp_path / "junit.xml"
    path.write_text(xml, encoding="utf-8")  # would raise on a lone surrogate
    tree = ET.parse(path)
    tc = tree.getroot().find("testsuite/testcase")
    assert tc.get("name").startswith("recall[class=\ufffd[31mred")  # controls shown as U+FFFD
    assert tree.getroot().find("testsuite").get("name") == "model-gate.p\ufffd\ufffdolicy"


def test_adversarial_names_escaped():
    xml = junit.render(adversarial_report())
    root = ET.fromstring(xml)
    names = [tc.get("name") for tc in root.iter("testcase")]
    assert "recall[class=<script>alert(1)</script>] >= 0.600" in names
    assert "<script>" not in xml
    assert len(set(names)) == len(names)


def test_duplicate_names_made_unique():
    gates = [make_gate("recall", gate_id=f"g{i}", label="recall", status="pass") for i in range(3)]
    root = ET.fromstring(junit.render(build_report(gates)))
    assert [tc.get("name") for tc in root.iter("testcase")] == [
        "recall >= 0.900", "recall >= 0.900 (2)", "recall >= 0.900 (3)"]


def test_timestamp_and_time_come_from_the_report(schema):
    """The suite's timestamp and time are the Report's measured timing; without one (a report read
    back, or built by hand) the epoch and 0, whatever the environment says."""
    timed = dataclasses.replace(binary_report(), timing=RunTiming("2026-12-01T11:45:07", 1.23456))
    xml = junit.render(timed)
    suites = ET.fromstring(xml)
    assert suites.get("time") == "1.235"
    assert (suites[0].get("timestamp"), suites[0].get("time")) == ("2026-12-01T11:45:07", "1.235")
    assert {tc.get("time") for tc in suites.iter("testcase")} == {"0"}
    schema.validate(io.StringIO(xml))
    untimed = junit.render(binary_report())
    assert 'timestamp="1970-01-01T00:00:00"' in untimed and ' time="0" ' in untimed
    assert 'timestamp="2020-02-02T00:00:00"' in junit.render(timed, timestamp_value="2020-02-02T00:00:00")


def test_run_timing_under_source_date_epoch():
    assert RunTiming.measured(1764589507.9, 2.5, None) == RunTiming("2025-12-01T11:45:07", 2.5)
    assert RunTiming.measured(1764589507.9, 2.5, "1767225600") == RunTiming("2026-01-01T00:00:00", 0.0)


def test_policy_file_on_suite(schema):
    xml = junit.render(binary_report(), policy_file="policies/<x>.yml")
    root = ET.fromstring(xml)
    assert root.find("testsuite").get("file") == "policies/<x>.yml"
    schema.validate(io.StringIO(xml))


def test_golden():
    check_golden("binary.junit.xml", junit.render(binary_report(), policy_file="policies/model-gate.yml"))
