"""Annotations point at the gate's line in the policy file: ``::error file=policies/x.yml,line=N::``.

The line is kept from YAML loading (``GateSpec.line``), carried through the Report
(``gates[].policy_line`` in report.json, so ``model-gate publish`` in a later job has it too) and
written by the annotation renderer; the commands are read back with the runner's parsing rules
(tests/fakes/ci.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.cli.main import main
from gate.policy.load import load_policy
from gate.publish.workflow_commands import repository_path
from gate.render.annotations import policy_file
from tests.fakes.ci import parse_commands
from tests.helpers.workdir import LINES_POLICY as POLICY
from tests.helpers.workdir import github_workdir, seventy_percent_csv


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def work(tmp_path, monkeypatch):
    return github_workdir(tmp_path, monkeypatch, {"policies/x.yml": POLICY, "cand.csv": seventy_percent_csv()})


def test_gate_lines_are_kept_from_yaml(tmp_path):
    path = tmp_path / "p.yml"
    path.write_text(POLICY, encoding="utf-8")
    lines = [g.line for g in load_policy(path).gates]
    assert lines == [_line_of(POLICY, "- metric: recall"), _line_of(POLICY, "{metric: precision"),
                     _line_of(POLICY, "- metric: accuracy")]


def test_check_annotations_point_at_the_gate_lines(work, capsys):
    code = main(["check", "--policy", "./policies/x.yml", "--candidate", "cand.csv", "--comment", "off",
                 "--out-dir", "out"])
    out = capsys.readouterr().out
    assert code == 1
    found = {(name, props.get("file"), props.get("line")) for name, props, _ in parse_commands(out)
             if name in ("error", "warning") and props.get("title", "").startswith("model-gate: ")}
    assert found == {("error", "policies/x.yml", str(_line_of(POLICY, "- metric: recall"))),
                     ("warning", "policies/x.yml", str(_line_of(POLICY, "- metric: accuracy")))}
    gates = json.loads((work / "out/report.json").read_text(encoding="utf-8"))["gates"]
    assert [g["policy_line"] for g in gates] == [_line_of(POLICY, "- metric: recall"),
                                                 _line_of(POLICY, "{metric: precision"),
                                                 _line_of(POLICY, "- metric: accuracy")]


def test_publish_from_report_json_points_at_the_same_lines(work, capsys):
    """The fork-safe flow: check in one job, publish the report.json in another."""
    main(["check", "--policy", "policies/x.yml", "--candidate", "cand.csv", "--comment", "off", "--out-dir", "out"])
    first = [c for c in parse_commands(capsys.readouterr().out) if c[0] in ("error", "warning")]
    assert main(["publish", "--report", "out/report.json", "--comment", "off"]) == 0
    again = [c for c in parse_commands(capsys.readouterr().out) if c[0] in ("error", "warning")]
    assert again == first and {c[1]["file"] for c in again} == {"policies/x.yml"}


def test_a_hostile_policy_path_is_escaped_as_a_property(work, capsys):
    name = "po,l:i%cy\u202e.yml"
    (work / name).write_text(POLICY, encoding="utf-8")
    main(["check", "--policy", name, "--candidate", "cand.csv", "--comment", "off"])
    out = capsys.readouterr().out
    errors = [c for c in parse_commands(out) if c[0] == "error"]
    assert [c[1]["file"] for c in errors] == ["po,l:i%cy\ufffd.yml"]   # bidi control shown as U+FFFD
    assert "file=po%2Cl%3Ai%25cy" in out


@pytest.mark.parametrize("path,expected", [
    ("policies/x.yml", "policies/x.yml"), ("./policies//x.yml", "policies/x.yml"), ("a/../b.yml", "b.yml"),
    ("/abs/./x.yml", "/abs/x.yml"), ("../x.yml", None), ("..", None), ("C:/x.yml", None), ("<policy>", None), ("", None),
])
def test_policy_file_is_repository_relative_or_nothing(path, expected):
    assert policy_file(path) == expected


@pytest.mark.parametrize("file,workspace,expected", [
    ("policies/x.yml", None, "policies/x.yml"), ("/github/workspace/policies/x.yml", "/github/workspace", "policies/x.yml"),
    ("/github/workspace/policies/x.yml", "/github/workspace/", "policies/x.yml"), ("/elsewhere/x.yml", "/github/workspace", None),
    ("/github/workspace2/x.yml", "/github/workspace", None), ("/github/workspace/x.yml", None, None), (None, "/w", None),
])
def test_the_publisher_places_absolute_paths_in_the_workspace(file, workspace, expected):
    assert repository_path(file, workspace) == expected


def test_the_container_action_passes_absolute_paths_and_annotations_stay_placed(work, capsys, monkeypatch):
    """model-gate-action resolves --policy against GITHUB_WORKSPACE; the annotation is still relative."""
    monkeypatch.setenv("GITHUB_WORKSPACE", str(work))
    main(["check", "--policy", str(work / "policies/x.yml"), "--candidate", "cand.csv", "--comment", "off"])
    errors = [c for c in parse_commands(capsys.readouterr().out) if c[0] == "error"]
    assert [(c[1]["file"], c[1]["line"]) for c in errors] == [("policies/x.yml", str(_line_of(POLICY, "- metric: recall")))]


def test_a_policy_without_a_file_gives_annotations_without_a_place():
    from gate import api
    from gate.render import annotations

    y = [0, 1] * 50
    report = api.check_arrays({"metric": "recall", "min": 0.99}, y, [0] * 100, n_resamples=200)
    assert [(a.file, a.line) for a in annotations.render(report)] == [(None, None)]


def test_the_one_escaper_is_used_by_the_action_entry_point():
    """gate/cli/action.py has no escaper of its own: workflow commands are escaped in one place."""
    source = (Path(__file__).resolve().parents[1] / "gate/cli/action.py").read_text(encoding="utf-8")
    assert "%0A" not in source and "%25" not in source
