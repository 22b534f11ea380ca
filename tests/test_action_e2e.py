"""The action entrypoint end to end on the host (no container): the fast sibling of
scripts/container-smoke. Runs `python -m gate.cli.action` in a subprocess with the variables
the GitHub runner sets, against the fake GitHub API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fakes.github import ACTIONS_TOKEN

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "affairs.yml"      # bundled: a missing file is a failure, not a skip
CANDIDATE = ROOT / "examples" / "affairs" / "candidate.csv"
BASELINE = ROOT / "examples" / "affairs" / "baseline.csv"
MARKER = "<!-- model-gate:v1"


def _outputs(path: Path) -> dict[str, str]:
    out, lines, i = {}, path.read_text(encoding="utf-8").split("\n"), 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[key] = "\n".join(lines[i + 1:j])
            i = j + 1
        elif "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
            i += 1
        else:
            assert line == "", f"bad GITHUB_OUTPUT line {line!r}"
            i += 1
    return out


def _setup(tmp_path: Path, api_url: str) -> dict[str, str]:
    ws = tmp_path / "workspace"
    (ws / "policies").mkdir(parents=True)
    (ws / "data").mkdir()
    shutil.copy(POLICY, ws / "policies" / "affairs.yml")
    shutil.copy(CANDIDATE, ws / "data" / "candidate.csv")
    shutil.copy(BASELINE, ws / "data" / "baseline.csv")
    repo = {"full_name": "octo-org/model-repo", "fork": False}
    event = {"number": 7, "pull_request": {"number": 7, "head": {"sha": "1" * 40, "repo": repo},
                                            "base": {"sha": "3" * 40, "repo": repo}}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    fc = tmp_path / "file_commands"
    fc.mkdir()
    for f in ("set_output", "step_summary"):
        (fc / f).write_text("")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "CI": "true", "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(ws),
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REPOSITORY": "octo-org/model-repo", "GITHUB_API_URL": api_url,
        "GITHUB_SERVER_URL": "https://github.com", "GITHUB_SHA": "2" * 40,
        "GITHUB_RUN_ID": "11", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_JOB": "gate",
        "GITHUB_WORKFLOW": "model-gate",
        "GITHUB_OUTPUT": str(fc / "set_output"), "GITHUB_STEP_SUMMARY": str(fc / "step_summary"),
        # as action.yml's runs.env maps them
        "INPUT_POLICY": "policies/affairs.yml", "INPUT_CANDIDATE": "data/candidate.csv",
        "INPUT_BASELINE": "data/baseline.csv",
        "INPUT_OUT_DIR": "model-gate-report", "INPUT_COMMENT": "auto",
        "INPUT_GITHUB_TOKEN": ACTIONS_TOKEN, "INPUT_FAIL_ON_INCONCLUSIVE": "false",
        "INPUT_EXTRA_ARGS": "--chart none",
        "PYTHONPATH": str(ROOT),
    }


def _run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gate.cli.action"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_action_on_a_pull_request_posts_one_sticky_comment(tmp_path: Path, fake_github) -> None:
    env = _setup(tmp_path, fake_github.base_url)
    res = _run(env, tmp_path / "workspace")
    assert res.returncode == 0, res.stdout + res.stderr
    outputs = _outputs(tmp_path / "file_commands" / "set_output")
    assert outputs["verdict"] == "pass" and outputs["passed"] == "true"
    assert outputs["failed_count"] == "0"
    report = Path(outputs["report_json"])
    assert report == tmp_path / "workspace" / "model-gate-report" / "report.json"
    assert json.loads(report.read_text())
    assert (tmp_path / "file_commands" / "step_summary").read_text(encoding="utf-8").strip()
    ours = [c for c in fake_github.issue_comments("octo-org", "model-repo", 7) if MARKER in c["body"]]
    assert len(ours) == 1
    assert outputs["comment_url"] == ours[0]["html_url"]
    assert ACTIONS_TOKEN not in res.stdout.replace(f"::add-mask::{ACTIONS_TOKEN}", "")
    # the same step again updates the same comment
    for f in ("set_output", "step_summary"):
        (tmp_path / "file_commands" / f).write_text("")
    res = _run(env, tmp_path / "workspace")
    assert res.returncode == 0, res.stdout + res.stderr
    again = [c for c in fake_github.issue_comments("octo-org", "model-repo", 7) if MARKER in c["body"]]
    assert [c["id"] for c in again] == [ours[0]["id"]]
    assert len(fake_github.requests("POST", r"/issues/7/comments$")) == 1


def test_action_missing_required_input_exits_2(tmp_path: Path, fake_github) -> None:
    env = _setup(tmp_path, fake_github.base_url)
    del env["INPUT_POLICY"]
    res = _run(env, tmp_path / "workspace")
    assert res.returncode == 2
    assert "missing required input(s): policy" in res.stderr
    assert "::error title=model-gate::missing required input(s): policy" in res.stdout
    assert fake_github.requests() == []
