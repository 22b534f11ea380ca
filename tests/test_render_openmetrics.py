"""``--openmetrics FILE`` / ``Report.to_openmetrics()``: OpenMetrics 1.0 gauges of every gate.

The text is read back with ``prometheus_client``'s OpenMetrics parser (and its Prometheus 0.0.4 text
parser, what a Pushgateway accepts), and every sample is compared with the Report it came from:
labels are the exact names (hostile ones included: quotes, backslashes, line feeds, invisible
characters), values the report's numbers (to the 12 significant digits report.json also keeps), and
nothing undefined is written.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest

from gate import api
from gate.cli.main import main
from gate.render import openmetrics
from tests.report_factory import adversarial_report, binary_report, build_report, est, large_report, make_gate

om_parser = pytest.importorskip("prometheus_client.openmetrics.parser",
                                reason="prometheus_client not installed (pip install model-gate[testing])")
prom_parser = pytest.importorskip("prometheus_client.parser")

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
HOSTILE = ['say "hi"', "back\\slash\\", "two\nlines", "cr\rhere", "\u202egnp.exe", "zero\u200bwidth",
           "tag\U000e0041", "\x1b[31mred", "", " ", "}{,=\"", "\\n literally"]


def _samples(text: str, parser=None):
    """``{(family, frozenset(labels)): value}`` of every sample, asserting no series appears twice."""
    parse = parser or om_parser.text_string_to_metric_families
    seen = Counter()
    out = {}
    for family in parse(text):
        assert family.type == "gauge" and NAME.fullmatch(family.name), family.name
        for s in family.samples:
            key = (s.name, frozenset(s.labels.items()))
            seen[key] += 1
            out[key] = s.value
    assert max(seen.values()) == 1
    return out


def _labels(report, g, **extra):
    sliced = ",".join(f"{k}={v}" for k, v in (g.slice or {}).items())
    labels = {"policy": report.policy_name, "gate": g.id, "metric": g.metric, "class": g.class_name or "",
              "slice": sliced, **extra}
    return frozenset(labels.items())


def _expected(report) -> dict:
    """What the text must hold, built from the Report's fields (independently of the renderer)."""
    out = {("model_gate_verdict", frozenset({"policy": report.policy_name, "verdict": v}.items())):
           float(report.verdict == v) for v in ("pass", "fail")}
    for g in report.gates:
        for s in ("pass", "fail", "inconclusive"):
            out[("model_gate_gate_status", _labels(report, g, status=s))] = float(g.status == s)
        for part in ("candidate", "baseline", "delta", "tested"):
            e = getattr(g, part)
            values = {} if e is None else {"": e.value, "_lower": e.ci and e.ci[0], "_upper": e.ci and e.ci[1]}
            if part == "tested":
                values.pop("", None)
            for suffix, v in values.items():
                if v is not None and math.isfinite(v):
                    out[(f"model_gate_{part}{suffix}", _labels(report, g))] = v
        out[("model_gate_threshold", _labels(report, g, quantity=g.quantity, op=g.op))] = g.threshold
        out[("model_gate_bar", _labels(report, g, kind=g.bar.kind))] = g.bar.value
        out[("model_gate_examples", _labels(report, g))] = float(g.n)
    return out


def _hostile_report():
    gates = [make_gate("recall", class_name=name, gate_id=f"recall[class={name}]", slice={"region": name})
             for name in HOSTILE]
    gates.append(make_gate("f1", gate_id="undefined", candidate=est(None), status="inconclusive"))
    gates.append(make_gate("recall", gate_id="lone\ud800surrogate", class_name="x\udcff"))
    return build_report(gates, policy_name='pol"icy\\\n')


@pytest.mark.parametrize("factory", [binary_report, adversarial_report, _hostile_report, lambda: large_report(12, 3)])
def test_every_gate_value_round_trips_through_the_openmetrics_parser(factory):
    report = factory()
    text = report.to_openmetrics()
    assert text.endswith("\n# EOF\n") and text.count("# EOF") == 1
    expected = _expected(report)
    if factory is _hostile_report:   # no UTF-8 text holds a lone surrogate: it is written as U+FFFD
        expected = {(n, frozenset((k, v.replace("\ud800", "\ufffd").replace("\udcff", "\ufffd")) for k, v in labels)): x
                    for (n, labels), x in expected.items()}
    assert _samples(text) == pytest.approx(expected, rel=1e-11)


def test_hostile_names_are_escaped_not_altered():
    text = _hostile_report().to_openmetrics()
    classes = {dict(labels)["class"] for (_, labels) in _samples(text)
               if "class" in dict(labels)}
    assert set(HOSTILE) <= classes
    assert 'class="say \\"hi\\""' in text and 'class="two\\nlines"' in text and 'class="back\\\\slash\\\\"' in text
    assert not any(line.startswith("lines") for line in text.split("\n"))   # no raw line feed (CR is allowed)
    undefined = {n for (n, labels) in _samples(text) if dict(labels).get("gate") == "undefined"}
    assert undefined == {"model_gate_gate_status", "model_gate_threshold", "model_gate_bar", "model_gate_examples"}


def test_families_have_help_and_type_and_the_prometheus_text_parser_agrees():
    text = binary_report().to_openmetrics()
    families = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    helps = [line.split()[2] for line in text.splitlines() if line.startswith("# HELP ")]
    assert families == helps and len(set(families)) == len(families)
    assert all(line.endswith(" gauge") for line in text.splitlines() if line.startswith("# TYPE "))
    assert _samples(text, prom_parser.text_string_to_metric_families) == _samples(text)


def test_the_same_report_gives_the_same_bytes():
    assert openmetrics.render(binary_report()) == openmetrics.render(binary_report())


def test_check_openmetrics_writes_what_the_api_gives(tmp_path, monkeypatch, capsys):
    """The CLI writes the file next to the reports (all or none: tests/test_outputs_atomic.py); it is
    the API's text for the same run, and parses with the example's gates."""
    monkeypatch.chdir(ROOT)
    args = ["--policy", "policies/multiclass.yml", "--candidate", "examples/multiclass/candidate.csv",
            "--baseline", "examples/multiclass/baseline.csv"]
    code = main(["check", *args, "--out-dir", str(tmp_path / "out"), "--openmetrics", str(tmp_path / "metrics.txt")])
    capsys.readouterr()
    report = api.check(*args[1::2])
    text = (tmp_path / "metrics.txt").read_text(encoding="utf-8")
    assert code == report.exit_code == 0
    assert text == report.to_openmetrics()
    assert _samples(text) == pytest.approx(_expected(report), rel=1e-11)


def test_openmetrics_onto_an_input_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    policy = "policies/affairs.yml"
    code = main(["check", "--policy", policy, "--candidate", "examples/affairs/candidate.csv", "--openmetrics", policy])
    assert code == 2
    assert capsys.readouterr().err == (f"model-gate: error: command line: --openmetrics {policy}: is the --policy file; "
                                       "an output never overwrites an input (choose another path for --openmetrics)\n")


def test_values_are_rounded_as_report_json_rounds_them():
    """Both files show the same digits: the gauge of a gate is its report.json number."""
    report = large_report(12, 3)
    doc = json.loads(report.to_json())
    samples = _samples(report.to_openmetrics())
    for g, d in zip(report.gates, doc["gates"]):
        if d["candidate"]["ci"] is not None:
            assert samples[("model_gate_candidate_lower", _labels(report, g))] == d["candidate"]["ci"][0]
        assert samples[("model_gate_threshold", _labels(report, g, quantity=g.quantity, op=g.op))] == d["threshold"]
