"""``model-gate publish`` is a trust boundary: the report.json it posts may have been written by
anyone (a fork's pull request uploads it). A forged or broken file must end in exit 2 with one line
naming the field, before any network call, never a traceback and never a green status.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate.cli.main import main
from gate.cli.publish import MAX_REPORT_BYTES
from gate.render import annotations, console, html, junit, markdown
from gate.report.reader import ReportFormatError, load_report, metric_names, report_from_dict
from tests.fakes.ci import github_env
from tests.report_factory import adversarial_report, binary_report, large_report, passing_report

FIX = "(not a valid model-gate report: pass the report.json that model-gate check --out-dir wrote, unmodified)"


def _doc() -> dict[str, Any]:
    return json.loads(binary_report().to_json())


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``doc`` with the field at ``a.b[2].c`` set to ``value`` (a copy)."""
    doc = copy.deepcopy(doc)
    *parents, last = path.replace("[", ".[").split(".")
    node: Any = doc
    for part in parents:
        node = node[int(part[1:-1])] if part.startswith("[") else node[part]
    if last.startswith("["):
        node[int(last[1:-1])] = value
    else:
        node[last] = value
    return doc


def _forge_all_failed(doc: dict[str, Any]) -> dict[str, Any]:
    """The attack from the issue: 15 failed gates, verdict pass, exit code 0."""
    doc = copy.deepcopy(doc)
    gate = doc["gates"][0]
    doc["gates"] = [dict(gate, id=f"g{i}") for i in range(15)]
    doc["verdict"], doc["exit_code"] = "pass", 0
    doc["counts"] = {"pass": 0, "fail": 15, "inconclusive": 0, "warning": 0}
    return doc


# (case id, document builder, expected stderr after "model-gate: error: report.json: ")
FORGED: list[tuple[str, Callable[[], Any], str]] = [
    ("verdict-pass-over-15-failed", lambda: _forge_all_failed(_doc()),
     "verdict: says 'pass' but the gates make it 'fail' (15 blocking gates failed, decision.inconclusive: warn)"),
    ("verdict-flipped", lambda: _set(_set(_doc(), "verdict", "pass"), "exit_code", 0),
     "verdict: says 'pass' but the gates make it 'fail' (1 blocking gate failed, decision.inconclusive: warn)"),
    ("exit-code-flipped", lambda: _set(_doc(), "exit_code", 0),
     "exit_code: says 0 but verdict 'fail' means 1"),
    ("counts-hide-a-failure", lambda: _set(_doc(), "counts.fail", 0),
     "counts.fail: says 0 but the gates hold 2"),
    ("counts-extra-key", lambda: _set(_doc(), "counts.error", 0),
     "counts: must be one of pass, fail, inconclusive, warning (got 'error')"),
    ("gate-pass-below-its-bar", lambda: _set(_doc(), "gates[0].status", "pass"),
     "gates[0].status: says 'pass' but its tested interval [0.84, 0.895] does not clear the bar >= 0.9"),
    ("gate-fail-above-its-bar", lambda: _set(_doc(), "gates[3].status", "fail"),
     "gates[3].status: says 'fail' but its tested interval [0.993, 0.997] does not miss the bar >= 0.6"),
    ("gate-warning-made-error", lambda: _set(_doc(), "gates[2].severity", "error"),
     "counts.warning: says 1 but the gates hold 0"),
    ("decision-rule-changed", lambda: _set(_set(_doc(), "reproducibility.inconclusive", "fail"), "gates[0].status",
                                           "inconclusive"),
     "counts.fail: says 2 but the gates hold 1"),
]

MALFORMED: list[tuple[str, Callable[[], Any], str]] = [
    ("status-unknown", lambda: _set(_doc(), "gates[1].status", "maybe"),
     "gates[1].status: must be one of pass, fail, inconclusive (got 'maybe')"),
    ("severity-unknown", lambda: _set(_doc(), "gates[1].severity", "info"),
     "gates[1].severity: must be one of error, warning (got 'info')"),
    ("op-unknown", lambda: _set(_doc(), "gates[1].op", "=="), "gates[1].op: must be one of >=, <= (got '==')"),
    ("verdict-number", lambda: _set(_doc(), "verdict", 1), "verdict: must be a string, got an integer"),
    ("n-string", lambda: _set(_doc(), "gates[0].n", "5000"), "gates[0].n: must be an integer, got a string"),
    ("n-float", lambda: _set(_doc(), "gates[0].n", 5000.0), "gates[0].n: must be an integer, got a number"),
    ("n-negative", lambda: _set(_doc(), "gates[0].n", -1), "gates[0].n: must be >= 0 (got -1)"),
    ("n-bool", lambda: _set(_doc(), "gates[0].n", True), "gates[0].n: must be an integer, got true/false"),
    ("value-string", lambda: _set(_doc(), "gates[0].candidate.value", "0.9"),
     "gates[0].candidate.value: must be a number, got a string"),
    ("ci-one-number", lambda: _set(_doc(), "gates[0].tested.ci", [0.1]),
     "gates[0].tested.ci: must be [lo, hi] (two numbers), got an array"),
    ("class-number", lambda: _set(_doc(), "gates[0].class", 7), "gates[0].class: must be a string, got an integer"),
    ("label-object", lambda: _set(_doc(), "gates[0].label", {"x": 1}),
     "gates[0].label: must be a string, got an object"),
    ("slice-nested", lambda: _set(_doc(), "gates[4].slice", {"region": ["eu"]}),
     "gates[4].slice.region: must be a string, got an array"),
    ("notes-not-array", lambda: _set(_doc(), "gates[0].notes", "note"), "gates[0].notes: must be an array, got a string"),
    ("gates-object", lambda: _set(_doc(), "gates", {}), "gates: must be an array, got an object"),
    ("gate-missing-bar", lambda: _set(_doc(), "gates[0].bar", None), "gates[0].bar: must be an object, got null"),
    ("policy-missing", lambda: {k: v for k, v in _doc().items() if k != "policy"}, "policy: is missing"),
    ("schema-2", lambda: _set(_doc(), "schema_version", "2.0"),
     "schema_version: must be 1.x (this model-gate reads schema 1), got '2.0'"),
    ("stratify-string", lambda: _set(_doc(), "reproducibility.stratify", "yes"),
     "reproducibility.stratify: must be true or false, got a string"),
    ("command-with-number", lambda: _set(_doc(), "reproducibility.command[1]", 5),
     "reproducibility.command[1]: must be a string, got an integer"),
    ("curve-lengths", lambda: _set(_doc(), "curves[0].y", [0.5]), "curves[0].y: has 1 entries but x has 41"),
    ("confusion-ragged", lambda: _set(_doc(), "confusion[0].counts[1]", [1.0]),
     "confusion[0].counts[1]: has 1 cells for 2 classes"),
    ("class-support-string", lambda: _set(_doc(), "data.class_support.fraud", "many"),
     "data.class_support.fraud: must be an integer, got a string"),
    ("per-class-string", lambda: _set(_doc(), "per_class[0].candidate.recall", "high"),
     "per_class[0].candidate.recall: must be a number, got a string"),
    ("top-level-array", lambda: [], "must be an object, got an array"),
    # fields the renderers print as their own words must hold one of those words
    ("metric-unknown", lambda: _set(_doc(), "gates[0].metric", "@org/team <b>"),
     f"gates[0].metric: must be one of {', '.join(metric_names())} (got '@org/team <b>')"),
    ("average-unknown", lambda: _set(_doc(), "gates[0].average", "*all*"),
     "gates[0].average: must be one of macro, micro, weighted, samples (got '*all*')"),
    ("model-unknown", lambda: _set(_doc(), "confusion[0].model", "<img src=x>"),
     "confusion[0].model: must be one of candidate, baseline (got '<img src=x>')"),
    ("curve-model-unknown", lambda: _set(_doc(), "curves[0].model", "@here"),
     "curves[0].model: must be one of candidate, baseline (got '@here')"),
]

RAW: list[tuple[str, Callable[[], bytes], str]] = [
    ("nan-literal", lambda: json.dumps(_doc()).replace('"seed": 7', '"seed": NaN').encode(),
     "reproducibility.seed: holds the JSON extension literal NaN (a report holds only finite numbers; "
     "undefined values are null)"),
    ("infinity-literal", lambda: json.dumps(_doc()).replace('"confidence": 0.95', '"confidence": -Infinity', 1).encode(),
     "gates[0].confidence: holds the JSON extension literal -Infinity (a report holds only finite numbers; "
     "undefined values are null)"),
    ("overflowing-number", lambda: json.dumps(_doc()).replace('"seed": 7', '"seed": 1e999').encode(),
     "reproducibility.seed: holds the number 1e999, which overflows to infinity"),
    ("5000-digit-int", lambda: json.dumps(_doc()).replace('"seed": 7', '"seed": ' + "9" * 5000).encode(),
     "reproducibility.seed: holds an integer of 5000 digits (at most 18 are allowed)"),
    ("duplicate-key", lambda: json.dumps(_doc()).replace('"verdict": "fail"', '"verdict": "fail", "verdict": "pass"').encode(),
     "verdict: appears twice in its object (a reader would pick one silently)"),
    ("deep-nesting", lambda: b"[" * 100_000 + b"]" * 100_000, "is nested too deeply to be a model-gate report"),
    ("not-json", lambda: b"verdict: pass\n", "is not valid JSON (Expecting value at line 1 column 1)"),
    ("not-utf8", lambda: b'{"verdict": "\xff"}', "is not UTF-8 (byte 13)"),
    ("lone-surrogate", lambda: json.dumps(_doc()).replace('"fraud-detector"', '"a\\ud800"', 1).encode(),
     "policy.name: holds a lone UTF-16 surrogate (not a Unicode character)"),
    ("empty", lambda: b"", "is not valid JSON (Expecting value at line 1 column 1)"),
]


def _run(tmp_path: Path, capsys, data: bytes, *extra: str) -> tuple[int, str, str]:
    (tmp_path / "report.json").write_bytes(data)
    code = main(["publish", "--report", "report.json", *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CI"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize("case", FORGED + MALFORMED, ids=[c[0] for c in FORGED + MALFORMED])
@pytest.mark.invalid_report
def test_refused_documents(in_tmp, capsys, case):
    _, build, expected = case
    code, out, err = _run(in_tmp, capsys, json.dumps(build()).encode())
    assert (code, out) == (2, "")
    assert err == f"model-gate: error: report.json: {expected} {FIX}\n"


@pytest.mark.parametrize("case", RAW, ids=[c[0] for c in RAW])
@pytest.mark.invalid_report
def test_refused_json(in_tmp, capsys, case):
    _, build, expected = case
    code, out, err = _run(in_tmp, capsys, build())
    assert (code, out) == (2, "")
    assert err == f"model-gate: error: report.json: {expected} {FIX}\n"


def test_forged_report_posts_nothing(fake_github, tmp_path, monkeypatch, capsys):
    """The issue's attack end to end: no comment, no commit status, verdict=error in the outputs."""
    for key, value in github_env(tmp_path, fake_github).items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(_forge_all_failed(_doc())), encoding="utf-8")
    assert main(["publish", "--report", str(path), "--status"]) == 2
    capsys.readouterr()
    assert fake_github.requests() == [] and fake_github.statuses == []
    assert "verdict=error" in (tmp_path / "output.txt").read_text(encoding="utf-8")


def test_oversized_and_endless_reports(in_tmp, capsys):
    """At most 50 MB are read: a bigger file, or /dev/zero, is refused without reading it all."""
    with open(in_tmp / "big.json", "wb") as fh:
        fh.truncate(MAX_REPORT_BYTES + 1)
    for path in ("big.json", "/dev/zero"):
        assert main(["publish", "--report", path]) == 2
        assert capsys.readouterr().err == f"model-gate: error: {path}: is larger than 50 MB; not a model-gate report\n"


@pytest.mark.parametrize("factory", [binary_report, passing_report, adversarial_report, large_report])
def test_genuine_reports_round_trip(factory):
    text = factory().to_json()          # report.json as check writes it, messages worded from the facts
    again = load_report(text.encode("utf-8"))
    assert again.to_json() == text


def _leaves(node: Any, path: str = ""):
    """Paths of every leaf and container, the first item of each array only (the rest repeat it)."""
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list) and node:
        yield from _leaves(node[0], f"{path}[0]")


HOSTILE_VALUES = [None, "", "x" * 300, "\u202e\u200b<b>@x", -1, 2**62, 1.5, -1e308, True, [], [1, "a"], {}, {"a": 1}]


SUMMARY_FIELDS = re.compile(r"counts(\.\w+)?|verdict|exit_code|gates\[\d+\]\.status")


def test_every_field_with_every_wrong_type_is_refused_or_rendered():
    """Each field of a genuine report replaced by each hostile value: the reader either refuses it
    with a ReportFormatError naming that field (one inside it, a sibling it must line up with, or
    the summary field the change contradicts), or accepts it, and then every renderer must work. Nothing else may be raised."""
    doc = _doc()
    tried = accepted = 0
    for path in list(_leaves(doc))[1:]:
        for value in HOSTILE_VALUES:
            tried += 1
            try:
                report = report_from_dict(_set(doc, path, value))
            except ReportFormatError as exc:
                same_object = path.rsplit(".", 1)[0] + "." if "." in path else path  # x/y lengths
                assert exc.field.startswith((path, same_object)) or SUMMARY_FIELDS.fullmatch(exc.field), \
                    (path, value, exc)
                continue
            accepted += 1
            for render in (markdown.render, console.render, annotations.render, junit.render,
                           lambda r: html.render(r, plots=False)):
                render(report)
    assert tried > 1500 and 0 < accepted < tried
