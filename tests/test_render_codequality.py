"""``--codequality FILE``: GitLab's Code Quality report, the merge-request equivalent of the GitHub
annotations (the same gates, on their lines of the policy file).

Checked against the fields GitLab documents for ``artifacts:reports:codequality`` (a JSON array of
``{description, check_name, fingerprint, severity, location: {path, lines: {begin}}}``, severity one
of info/minor/major/critical/blocker, no BOM), written here as a JSON Schema.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from gate.cli.main import main
from gate.render import codequality
from tests.helpers.workdir import LINES_POLICY as POLICY
from tests.helpers.workdir import github_workdir, seventy_percent_csv
from tests.report_factory import adversarial_report, passing_report

CODE_QUALITY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {"type": "object", "required": ["path", "lines"],
                         "properties": {"path": {"type": "string", "minLength": 1},
                                        "lines": {"type": "object", "required": ["begin"],
                                                  "properties": {"begin": {"type": "integer", "minimum": 1}}}}},
        },
    },
}


def _load(text: str) -> list:
    assert not text.startswith("\ufeff")
    doc = json.loads(text)
    jsonschema.Draft202012Validator(CODE_QUALITY).validate(doc)
    return doc


def test_check_writes_findings_on_the_policy_lines(tmp_path, monkeypatch, capsys):
    work = github_workdir(tmp_path, monkeypatch, {"policies/q.yml": POLICY, "cand.csv": seventy_percent_csv()})
    args = ["check", "--policy", "policies/q.yml", "--candidate", "cand.csv", "--comment", "off"]
    assert main([*args, "--codequality", "cq.json"]) == 1
    assert main([*args, "--codequality", "again.json"]) == 1
    capsys.readouterr()
    first = _load((work / "cq.json").read_text(encoding="utf-8"))
    lines = POLICY.splitlines()
    assert [(f["severity"], f["location"]["path"], lines[f["location"]["lines"]["begin"] - 1].strip(), f["check_name"])
            for f in first] == [("major", "policies/q.yml", "- metric: recall", "model-gate/recall"),
                                ("minor", "policies/q.yml", "- metric: accuracy", "model-gate/accuracy")]
    assert first[0]["description"].startswith("model-gate: recall for class '1' fail: recall for class '1' 0.600")
    again = _load((work / "again.json").read_text(encoding="utf-8"))
    assert [f["fingerprint"] for f in again] == [f["fingerprint"] for f in first]      # stable across pipelines
    assert len({f["fingerprint"] for f in first}) == len(first)


def test_hostile_names_stay_exact_and_invisible_characters_are_escaped():
    report = adversarial_report()
    text = codequality.render(report)
    assert "\u202e" not in text and "\x1b" not in text
    found = _load(text)
    assert len(found) == sum(1 for g in report.gates if g.status != "pass")
    assert len({f["fingerprint"] for f in found}) == len(found)


def test_a_passing_report_has_no_findings():
    assert codequality.render(passing_report()) == "[]\n"


def test_the_component_uploads_it(tmp_path):
    template = (Path(__file__).resolve().parents[1] / "templates/model-gate.yml").read_text(encoding="utf-8")
    assert "--codequality model-gate/gl-code-quality.json" in template
    assert "codequality: model-gate/gl-code-quality.json" in template
