"""Every renderer copes with sparse Reports: no baseline, no gates, undefined values, no extras."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import xml.etree.ElementTree as ET

import pytest
from report_factory import build_report, est, make_gate

from gate.render import annotations, console, html, json_report, junit, markdown
from gate.report.model import DataSummary, Estimate, Guard, Report  # noqa: F401


def _no_baseline() -> Report:
    gates = [make_gate("recall", class_name="fraud", bar=0.9, candidate=est(0.95, 0.93, 0.97), status="pass"),
             make_gate("roc_auc", bar=0.8, candidate=Estimate(None, None, 2000), status="inconclusive",
                       guard=Guard("undefined", "one_class"))]
    r = build_report(gates, curves=False, confusion=False, calibration=False, per_class=False)
    d = r.data
    data = DataSummary(task=d.task, classes=d.classes, positive_class=d.positive_class, pairing="none",
                       n_candidate=d.n_candidate, n_baseline=None, label_coverage=1.0,
                       artifacts=d.artifacts[:1], class_support=d.class_support)
    return dataclasses.replace(r, data=data)


def _no_gates() -> Report:
    return build_report([], verdict="pass", curves=False, confusion=False, calibration=False, per_class=False)


def _nan_values() -> Report:
    g = make_gate("f1", kind="max_drop", bar=0.02, candidate=est(math.nan, math.inf, -math.inf),
                  baseline=est(0.8), delta=est(math.nan), status="inconclusive")
    return build_report([g])


CASES = {"no_baseline": _no_baseline, "no_gates": _no_gates, "nan": _nan_values}


@pytest.mark.parametrize("case", [pytest.param(name, marks=pytest.mark.invalid_report) if name == "nan" else name
                                  for name in sorted(CASES)])   # no check gives a non-finite interval
def test_all_renderers(case):
    r = CASES[case]()
    md = markdown.render(r)
    assert md.rstrip().endswith("-->")
    assert not re.search(r"\b(nan|inf)\b", md, flags=re.I), "non-finite numbers are shown as —"
    ET.fromstring(junit.render(r))
    text = console.render(r, color=False)
    assert not re.search(r"\b(nan|inf)\b", text, flags=re.I)
    page = html.render(r, plots=False)
    assert page.startswith("<!DOCTYPE html>") and 'id="forest-plot"' in page
    json.loads(json_report.render(r))
    annotations.render(r)


def test_no_gates_message():
    assert "_No gates were evaluated._" in markdown.render(_no_gates())


def test_undefined_value_rendered_as_dash():
    md = markdown.render(_no_baseline())
    row = [ln for ln in md.splitlines() if ln.startswith("| ") and "roc\\_auc" in ln][0]
    reason = [ln for ln in md.splitlines() if ln.startswith("- ") and "roc\\_auc" in ln][0]
    assert "| — |" in row and reason.endswith("roc\\_auc: not decided, undefined: ROC-AUC needs both positive and negative examples")


def test_html_plots_with_undefined_values():
    from gate.render import plots
    if not plots.available():
        pytest.skip("matplotlib not installed")
    for make in CASES.values():
        page = html.render(make())
        assert 'id="forest-plot"' in page
